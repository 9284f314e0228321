"""podcast.toml → Show."""

from __future__ import annotations

from pathlib import Path

import pytest

from podcast_pipe.config import find_root, inspect_show, load_show
from podcast_pipe.errors import ConfigError

MINIMAL = """
[show]
title = "İzmir–Bakü"
description = "d"
author = "İZAZDER"
language = "tr"
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "podcast.toml").write_text(text, encoding="utf-8")
    return tmp_path


def errors(tmp_path: Path, text: str) -> list[str]:
    show, problems = inspect_show(write(tmp_path, text))
    return [str(e) for e in problems.errors]


def test_defaults(tmp_path: Path) -> None:
    show = load_show(write(tmp_path, MINIMAL))
    assert show.title == "İzmir–Bakü"
    assert show.audio.loudness == -16.0 and show.audio.true_peak == -1.0
    assert show.audio.bitrate_for(2) == 128 and show.audio.bitrate_for(1) == 64
    assert show.publish.target == "file://public"
    assert show.publish.base_url == "http://127.0.0.1:8000/"
    assert show.image == tmp_path / "feed" / "cover.jpg"
    assert show.type == "episodic"
    assert show.audio.renditions == ("mp3",)


def test_renditions_keep_the_mp3_first_and_change_the_master_key(tmp_path: Path) -> None:
    plain = load_show(write(tmp_path, MINIMAL)).audio
    more = load_show(write(tmp_path, MINIMAL + '[audio]\nrenditions = ["aac", "opus"]\n')).audio
    assert more.renditions == ("mp3", "opus", "aac")
    assert plain.mastering() != more.mastering()


PINNED = "917393e3-1b1e-5cef-ace4-edaa54e1f810"


def test_podcast_guid_is_uuid5_of_feed_url_without_scheme(tmp_path: Path) -> None:
    # The Podcasting 2.0 spec's own example: podnews.net/rss.
    text = MINIMAL + '[publish]\ntarget = "s3://pod-bucket"\nbase_url = "https://podnews.net/"\n'
    show = load_show(write(tmp_path, text))
    assert show.publish.feed_url == "https://podnews.net/feed.xml"
    show = load_show(
        write(tmp_path, MINIMAL.replace('language = "tr"', f'language = "tr"\nguid = "{PINNED}"'))
    )
    assert show.podcast_guid == PINNED


def test_podcast_guid_matches_spec_example() -> None:
    import uuid

    from podcast_pipe.config import PODCAST_GUID_NAMESPACE

    assert str(uuid.uuid5(PODCAST_GUID_NAMESPACE, "podnews.net/rss")) == (
        "9b024349-ccf0-5f69-a609-6b82873eab3c"
    )


def test_categories_and_owner(tmp_path: Path) -> None:
    text = MINIMAL + 'categories = ["Society & Culture > Places & Travel", "History"]\n'
    text += 'owner = {name = "A", email = "a@example.org"}\n'
    show = load_show(write(tmp_path, text))
    assert show.categories == (("Society & Culture", "Places & Travel"), ("History", None))
    assert show.owner.email == "a@example.org"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('titel = "x"\n', "show.titel: unknown key — did you mean `title`?"),
        ('type = "daily"\n', "show.type: unknown value 'daily'"),
        ('timezone = "Mars/Base"\n', "show.timezone: unknown time zone"),
        ("explicit = 1\n", "show.explicit: must be a bool"),
        ('owner = {name = "x"}\n', "show.owner: needs a name and an email"),
        ("[audio]\nloudness = 3\n", "audio.loudness: 3.0 LUFS is out of range"),
        ('[audio]\nchannels = "5.1"\n', "audio.channels: unknown value '5.1'"),
        ('[audio]\nintro = "nope.wav"\n', "audio.intro: file not found: nope.wav"),
        ("[audio]\nid3_version = 2\n", "audio.id3_version: must be 3 or 4"),
        (
            '[audio]\nrenditions = ["mp3", "opsu"]\n',
            "audio.renditions: unknown rendition 'opsu' — did you mean `opus`?",
        ),
        ('[audio]\nrenditions = "opus"\n', "audio.renditions: must be a list of names"),
        ('[publish]\ntarget = "ftp://x"\n', "publish.target: unsupported target"),
        (
            '[publish]\ntarget = "s3://bucket"\n',
            "publish.base_url: is required for an s3:// target",
        ),
        ('[publish]\naddressing = "side"\n', "publish.addressing: unknown value 'side'"),
        ('[publish]\nretry_mode = "legacy"\n', "publish.retry_mode: unknown value 'legacy'"),
        ("[extra]\n", "extra: unknown section"),
    ],
)
def test_bad_values_name_field_and_fix(tmp_path: Path, extra: str, expected: str) -> None:
    found = errors(tmp_path, MINIMAL + extra)
    assert any(expected in m for m in found), found
    assert all(m.startswith(str(tmp_path / "podcast.toml")) or "podcast.toml" in m for m in found)


def test_missing_required_fields_all_reported(tmp_path: Path) -> None:
    found = errors(tmp_path, "[show]\n")
    assert [m.split(": ")[1] for m in found] == [
        "show.title",
        "show.description",
        "show.author",
        "show.language",
    ]


def test_broken_toml(tmp_path: Path) -> None:
    found = errors(tmp_path, "[show\n")
    assert "not valid TOML" in found[0]


def test_find_root_walks_up_and_explains(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL)
    (tmp_path / "episodes" / "deep").mkdir(parents=True)
    assert find_root(tmp_path / "episodes" / "deep") == tmp_path.resolve()
    with pytest.raises(ConfigError, match="podcast-pipe init"):
        find_root(tmp_path.parent / "elsewhere")


PODCASTING20 = """
txt = [{text = "a1b2c3", purpose = "applepodcastsverify"}, {text = "serbest"}]
license = "CC-BY-4.0"
location = {name = "İzmir", geo = "38.4237,27.1428", osm = "r223474"}
podroll = [{guid = "917393E3-1B1E-5CEF-ACE4-EDAA54E1F810", title = "Podcasting 2.0"}]
schedule = {rrule = "FREQ=WEEKLY;BYDAY=MO", dtstart = 2026-01-05T09:00:00+03:00}
podping = true
images = ["social", "banner"]

[feed]
page_size = 50
description_chapters = false
"""


def test_podcasting20_settings_and_feed_section(tmp_path: Path) -> None:
    show = load_show(write(tmp_path, MINIMAL + PODCASTING20))
    assert [(t.text, t.purpose) for t in show.txt] == [
        ("a1b2c3", "applepodcastsverify"),
        ("serbest", None),
    ]
    assert show.license.identifier == "CC-BY-4.0" and show.license.url is None
    # geo gets its scheme, an OSM id its upper-case type letter.
    assert (show.location.geo, show.location.osm) == ("geo:38.4237,27.1428", "R223474")
    assert show.podroll[0].guid == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert show.schedule.rrule == "FREQ=WEEKLY;BYDAY=MO" and show.schedule.text == "Weekly"
    assert show.schedule.dtstart == "2026-01-05T09:00:00+03:00"
    assert show.podping is True and show.images == ("social", "banner")
    assert show.feed.page_size == 50 and show.feed.description_chapters is False
    defaults = load_show(write(tmp_path, MINIMAL))
    assert defaults.feed.page_size is None and defaults.feed.description_chapters is True
    assert defaults.txt == () and defaults.schedule is None and defaults.podping is False


def test_bad_podcasting20_settings_name_field_and_fix(tmp_path: Path) -> None:
    bad = """
txt = [{text = "", purpos = "x"}]
license = {identifier = "custom", url = "ftp://x"}
location = {name = "Bakü", geo = "geo:140.4,49.8", osm = "Q42"}
podroll = ["not-a-guid"]
schedule = "FREQ=SOMETIMES"
images = ["socail"]

[feed]
page_size = 0
chapters = true
"""
    found = "\n".join(errors(tmp_path, MINIMAL + bad))
    for expected in (
        "show.txt[1].purpos: unknown key — did you mean `purpose`?",
        "show.txt[1].text: must be non-empty text",
        "show.license.url: not an http(s) URL: 'ftp://x'",
        "show.location.geo: not a geo URI: 'geo:140.4,49.8' — latitude,longitude",
        "show.location.osm: not an OpenStreetMap id: 'Q42'",
        "show.podroll[1].guid: not a podcast:guid: 'not-a-guid'",
        "show.schedule.rrule: not an RFC 5545 rule: invalid 'FREQ': SOMETIMES",
        "show.images: unknown purpose 'socail' — did you mean `social`?",
        "feed.page_size: must be 1 or more, not 0",
        "feed.chapters: unknown key — valid keys: description_chapters, page_size",
    ):
        assert expected in found, found
    assert "is required unless" not in found  # one problem per mistake


def test_schedule_with_count_needs_a_start_and_complete_shows_need_no_rule(
    tmp_path: Path,
) -> None:
    counted = MINIMAL + 'schedule = "FREQ=WEEKLY;COUNT=10"\n'
    assert any("show.schedule.dtstart: is required" in e for e in errors(tmp_path, counted))
    done = load_show(write(tmp_path, MINIMAL + 'schedule = {complete = true, text = "Bitti"}\n'))
    assert (done.schedule.complete, done.schedule.rrule, done.schedule.text) == (
        True,
        None,
        "Bitti",
    )


def test_site_defaults_and_settings(tmp_path: Path) -> None:
    show = load_show(write(tmp_path, MINIMAL))
    assert show.site.enabled and show.site.links == () and show.site.accent == "#0b6e6e"
    text = MINIMAL + (
        '[site]\nenabled = false\naccent = "#AA3300"\n'
        'links = {spotify = "https://open.spotify.com/show/x", apple = "https://podcasts.apple.com/x"}\n'
    )
    site = load_show(write(tmp_path, text)).site
    assert not site.enabled and site.accent == "#aa3300"
    # Shown in a fixed order, whatever the order in the file.
    assert site.links == (
        ("apple", "https://podcasts.apple.com/x"),
        ("spotify", "https://open.spotify.com/show/x"),
    )


def test_site_problems_name_the_field(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + '[site]\naccent = "teal"\nlinks = {aple = "https://x", spotify = "open.spotify.com"}\n'
    )
    found = errors(tmp_path, text)
    assert any("site.accent" in e and "#rrggbb" in e for e in found)
    assert any("site.links.aple" in e and "apple" in e for e in found)
    assert any("site.links.spotify" in e and "http" in e for e in found)
    assert any("did you mean `site`" in e for e in errors(tmp_path, MINIMAL + "[stie]\n"))


def test_notify_names_services_with_their_default_or_given_url(tmp_path: Path) -> None:
    from podcast_pipe.show import Notify

    text = MINIMAL + (
        '[publish]\nnotify = ["websub:https://hub.example.org/", "podcastindex", '
        '"podping:http://127.0.0.1:9/", "podcastindex"]\n'
    )
    show = load_show(write(tmp_path, text))
    assert show.publish.notify == (
        Notify("websub", "https://hub.example.org/"),
        Notify("podcastindex", "https://api.podcastindex.org/api/1.0/hub/pubnotify"),
        Notify("podping", "http://127.0.0.1:9/"),
    )
    assert show.publish.hubs == ("https://hub.example.org/",)
    assert load_show(write(tmp_path, MINIMAL)).publish.notify == ()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('["podcastindx"]', "publish.notify: unknown service 'podcastindx' — did you mean `podcastindex`?"),
        ('["websub"]', "publish.notify: websub: needs the hub's URL"),
        ('["podping:ftp://x"]', "publish.notify: podping: not an http(s) URL: 'ftp://x'"),
        ('"podping"', "publish.notify: must be a list of services"),
    ],
)  # fmt: skip
def test_notify_problems_name_the_fix(tmp_path: Path, value: str, problem: str) -> None:
    found = errors(tmp_path, MINIMAL + f"[publish]\nnotify = {value}\n")
    assert len(found) == 1 and problem in found[0], found

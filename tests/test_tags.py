"""ID3 tags written to a real encoded MP3 and read back with mutagen."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from mutagen.id3 import APIC, ID3, CTOCFlags, Encoding
from mutagen.mp3 import MP3
from PIL import Image

from podcast_pipe.cli import cli
from podcast_pipe.config import AudioSettings, Owner, PublishSettings, Show
from podcast_pipe.episodes import Chapter, Episode
from podcast_pipe.errors import AudioError
from podcast_pipe.tags import FIELDS, read_tags, tag_key, write_tags

TURKISH = "İzmir ılık, şğçöü; Azərbaycan: Ə ə"


@pytest.fixture
def show(tmp_path: Path, make_image) -> Show:
    return Show(
        root=tmp_path,
        title=f"Kardeş Şehirler — {TURKISH}",
        description="İzmir ve Bakü",
        author="Ayşe Çağlar & Pərviz Əliyev",
        language="tr-TR",
        image=make_image("feed/cover.jpg", 3000, color="navy"),
        owner=Owner("İzmir Büyükşehir", "podcast@example.org"),
        website="https://example.org/kardes",
        copyright="© 2026 İzmir",
        publish=PublishSettings(base_url="https://cdn.example.org/show/"),
    )


@pytest.fixture
def episode(tmp_path: Path, make_image) -> Episode:
    return Episode(
        slug="izmir-ile-baku",
        meta_path=tmp_path / "episodes/izmir-ile-baku.md",
        audio_path=tmp_path / "episodes/izmir-ile-baku.wav",
        title=f"İzmir ile Bakü: {TURKISH}",
        date=dt.datetime(2026, 1, 12, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=3))),
        episode=7,
        season=2,
        summary="Kırk yıllık kardeşlik",
        notes="İki şehir, **bir** hikâye.",
        chapters=(
            Chapter(0, "Giriş"),
            Chapter(1.25, "Tarihi bağ", url="https://example.org/tarih"),
            Chapter(2.0, "Kapanış", image=make_image("episodes/kapanis.png", 2000, color="red")),
        ),
    )


LOUDNESS = {"integrated": -16.02, "true_peak": -1.31, "lra": 4.5}


def tag(mp3: Path, show: Show, episode: Episode, *, offset_s: float = 0.5) -> ID3:
    write_tags(mp3, show, episode, duration_s=3.0, offset_s=offset_s, loudness=LOUDNESS)
    return ID3(mp3)


def text(tags: ID3, key: str) -> str:
    return str(tags[key])


def test_every_field_reads_back_with_mutagen(make_mp3, show, episode) -> None:
    tags = tag(make_mp3(seconds=3), show, episode)
    assert text(tags, "TIT2") == episode.title
    assert text(tags, "TPE1") == text(tags, "TPE2") == show.author
    assert text(tags, "TALB") == show.title
    assert (text(tags, "TRCK"), text(tags, "TPOS")) == ("7", "2")
    assert text(tags, "TCON") == "Podcast"
    assert text(tags, "TLAN") == "tur"
    assert tags["PCST"].value == 1
    assert text(tags, "TLEN") == "3000"
    assert text(tags, "TXXX:LOUDNESS") == "integrated -16.02, true_peak -1.31, lra 4.50"
    # no version number: an upgrade of podcast-pipe must not change the MP3's bytes
    assert text(tags, "TSSE") == "podcast-pipe: MP3 64 kbps CBR, 44100 Hz, mono"


def test_feed_only_metadata_stays_out_of_the_mp3(make_mp3, show, episode) -> None:
    """Notes, summary, date, base_url and the like live in the feed: editing them re-tags nothing."""
    source = make_mp3(seconds=3)
    tags = tag(source, show, episode)
    assert not {key.split(":")[0] for key in tags} & {
        "TDES", "COMM", "TDRC", "TYER", "TDAT", "WFED", "WOAS", "TCOP", "TPUB"
    }  # fmt: skip
    assert "TXXX:PODCAST_GUID" not in tags and "TXXX:EPISODE_GUID" not in tags
    edited = dataclasses.replace(
        episode, notes="Başka notlar.", summary=None, date=episode.date.replace(year=2027)
    )
    moved = dataclasses.replace(
        show,
        website=None,
        copyright="© 2027",
        owner=Owner("Başka", "x@example.org"),
        publish=PublishSettings(base_url="https://other-cdn.example.net/"),
    )
    again = make_mp3("again.mp3", seconds=3)
    tag(again, moved, edited)
    assert again.read_bytes() == source.read_bytes()
    values = dict(duration_s=3.0, offset_s=0.5)
    assert tag_key(again, moved, edited, **values) == tag_key(source, show, episode, **values)


def test_v23_by_default_utf16_and_no_id3v1(make_mp3, show, episode) -> None:
    mp3 = make_mp3(seconds=3)
    tag(mp3, show, episode)
    raw = ID3(mp3, translate=False)
    assert raw.version == (2, 3, 0)
    text_frames = [f for f in raw.values() if hasattr(f, "encoding") and hasattr(f, "text")]
    assert text_frames and all(f.encoding == Encoding.UTF16 for f in text_frames)
    assert mp3.read_bytes()[-128:-125] != b"TAG"
    # The audio is untouched: still a 3 s, 64 kbps stream.
    info = MP3(mp3).info
    assert info.length == pytest.approx(3.0, abs=0.1) and round(info.bitrate / 1000) == 64


def test_v24_when_configured(make_mp3, show, episode) -> None:
    show = dataclasses.replace(show, audio=AudioSettings(id3_version=4))
    mp3 = make_mp3(seconds=3)
    tag(mp3, show, episode)
    raw = ID3(mp3, translate=False)
    assert raw.version == (2, 4, 0)
    assert str(raw["TIT2"]) == episode.title and raw["TIT2"].encoding == Encoding.UTF16


@pytest.mark.parametrize("version", [3, 4])
def test_turkish_and_azerbaijani_letters_round_trip(make_mp3, show, episode, version) -> None:
    show = dataclasses.replace(show, audio=AudioSettings(id3_version=version))
    mp3 = make_mp3(seconds=3)
    tag(mp3, show, episode)
    info = read_tags(mp3)
    assert info["title"] == f"İzmir ile Bakü: {TURKISH}"
    assert info["show"].endswith(TURKISH)
    assert info["artist"] == "Ayşe Çağlar & Pərviz Əliyev"
    assert [c["title"] for c in info["chapters"]] == ["Giriş", "Tarihi bağ", "Kapanış"]


def test_cover_is_a_small_front_cover_from_the_show(make_mp3, show, episode) -> None:
    tags = tag(make_mp3(seconds=3), show, episode)
    [picture] = tags.getall("APIC")
    assert picture.type == 3 and picture.mime == "image/jpeg"
    image = Image.open(io.BytesIO(picture.data))
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (1400, 1400))
    assert image.getpixel((700, 700))[2] > 100  # navy: the show cover
    assert len(picture.data) <= 500_000


def test_episode_art_wins_over_the_show_cover(make_mp3, show, episode, make_image) -> None:
    art = make_image("episodes/art.png", 1500, color="yellow")
    tags = tag(make_mp3(seconds=3), show, dataclasses.replace(episode, image=art))
    [picture] = tags.getall("APIC")
    red, green, blue = Image.open(io.BytesIO(picture.data)).getpixel((10, 10))
    assert red > 240 and green > 240 and blue < 20


def test_chapters_have_a_toc_titles_urls_images_and_shifted_times(make_mp3, show, episode) -> None:
    tags = tag(make_mp3(seconds=3), show, episode, offset_s=0.5)
    [toc] = tags.getall("CTOC")
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    assert str(toc.sub_frames["TIT2"]) == "Chapters"
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    assert len(chaps) == 3 and set(toc.child_element_ids) == set(chaps)
    ordered = [chaps[i] for i in toc.child_element_ids]
    assert [str(c.sub_frames["TIT2"]) for c in ordered] == ["Giriş", "Tarihi bağ", "Kapanış"]
    assert [(c.start_time, c.end_time) for c in ordered] == [
        (500, 1750),
        (1750, 2500),
        (2500, 3000),
    ]
    assert ordered[1].sub_frames.getall("WXXX")[0].url == "https://example.org/tarih"
    assert not ordered[0].sub_frames.getall("WXXX")
    [picture] = ordered[2].sub_frames.getall("APIC")
    assert Image.open(io.BytesIO(picture.data)).size == (640, 640)


def test_retagging_replaces_the_encoders_tags(make_mp3, show, episode) -> None:
    mp3 = make_mp3(seconds=3)
    assert str(ID3(mp3)["TSSE"]).startswith("Lavf")  # what ffmpeg wrote
    tag(mp3, show, episode)
    size = mp3.stat().st_size
    tags = tag(mp3, show, dataclasses.replace(episode, chapters=(), summary=None))
    assert str(tags["TSSE"]).startswith("podcast-pipe")
    assert not tags.getall("CHAP") and not tags.getall("CTOC")
    assert len(tags.getall("APIC")) == 1
    assert mp3.stat().st_size <= size


def test_read_tags_covers_the_whole_table(make_mp3, show, episode) -> None:
    mp3 = make_mp3(seconds=3)
    tag(mp3, show, episode)
    info = read_tags(mp3)
    assert {f.name for f in FIELDS} <= set(info)
    assert info["id3_version"] == "2.3"
    assert (info["episode"], info["season"]) == ("7", "2")
    assert info["cover"] == {
        "type": 3,
        "mime": "image/jpeg",
        "format": "JPEG",
        "width": 1400,
        "height": 1400,
        "mode": "RGB",
        "bytes": info["cover"]["bytes"],
    }
    assert [(c["start_s"], c["end_s"]) for c in info["chapters"]] == [
        (0.5, 1.75),
        (1.75, 2.5),
        (2.5, 3.0),
    ]


def test_read_tags_reports_a_foreign_unreadable_picture(make_mp3) -> None:
    mp3 = make_mp3(seconds=1)
    tags = ID3(mp3)
    tags.add(APIC(mime="image/png", type=0, data=b"not a picture"))
    tags.save(mp3)
    cover = read_tags(mp3)["cover"]
    assert (cover["type"], cover["format"], cover["bytes"]) == (0, "unreadable", 13)


def test_read_tags_refuses_what_is_not_an_mp3(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.mp3"
    bogus.write_text("not audio")
    with pytest.raises(AudioError, match="cannot be read as an MP3"):
        read_tags(bogus)


def test_tags_command_shows_what_the_file_carries(make_mp3, show, episode, tmp_path) -> None:
    mp3 = make_mp3(seconds=3)
    tag(mp3, show, episode)
    result = CliRunner().invoke(cli, ["tags", str(mp3)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("ID3 v2.3, 0:00:03.")
    assert f"title         İzmir ile Bakü: {TURKISH}" in lines
    assert "cover         1400×1400 JPEG RGB" in result.output
    assert "  2  0:00:01.750 – 0:00:02.500  Tarihi bağ  https://example.org/tarih" in lines

    bogus = tmp_path / "bogus.mp3"
    bogus.write_bytes(b"\0" * 100)
    result = CliRunner().invoke(cli, ["tags", str(bogus)])
    assert result.exit_code == 1 and "bogus.mp3: cannot be read as an MP3" in result.output

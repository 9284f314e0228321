"""Opus and AAC renditions: the MP3's limited PCM, encoded again, metered like the MP3."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import re
import subprocess

import feedparser
import imageio_ffmpeg
import podcastparser
import pytest
from lxml import etree
from mutagen.flac import Picture
from mutagen.mp4 import MP4, Atoms
from mutagen.oggopus import OggOpus
from PIL import Image

from namespace_rules import PODCAST_NS, violations
from podcast_pipe.audio import master as master_module
from podcast_pipe.audio.decode import Program, probe
from podcast_pipe.audio.master import MasterResult, master
from podcast_pipe.audio.meter import measure_file
from podcast_pipe.audio.renditions import CODECS, Codec, rendition_path
from podcast_pipe.build import build_episodes, read_record
from podcast_pipe.build import job as build_job
from podcast_pipe.build.record import from_data, to_data
from podcast_pipe.config import AudioSettings, load_show
from podcast_pipe.episodes import Chapter, load_episodes
from podcast_pipe.errors import FFmpegError
from podcast_pipe.files import sha256_file
from podcast_pipe.manifest import parse_manifest
from podcast_pipe.publish import publish_show
from test_publish import NOW, write_show

SPEECH = "anoisesrc=c=pink:a=0.2:r=44100:seed=7,lowpass=f=7000,volume='pow(abs(sin(2*PI*2.5*t))\\,3)':eval=frame"
ALL = AudioSettings(renditions=("mp3", "opus", "aac"))


@pytest.mark.parametrize("channels", [1, 2])
def test_renditions_meet_the_promise_or_say_so(make_audio, tmp_path, channels):
    graph = SPEECH + (",pan=stereo|c0=c0|c1=0.5*c0" if channels == 2 else "")
    source = make_audio(f"s{channels}.wav", graph, 6)
    out = tmp_path / "ep.mp3"
    result = master(Program(probe(source)), ALL, out)
    assert result.format.channels == channels
    target = result.target
    assert [r.name for r in result.renditions] == ["opus", "aac"]
    for rendition in result.renditions:
        path = rendition_path(out, rendition.name)
        measured = measure_file(path)
        # The meter reads the stream as it is written; ffmpeg 5.1 decodes the M4A without the
        # AAC priming the stream has (0.1 LU apart on 6 s), later ones alike.
        assert round(abs(measured.integrated - rendition.output.integrated), 1) <= 0.1
        on_promise = abs(measured.integrated - target) <= 0.5 and measured.true_peak <= -1.0
        warned = any(f"the {rendition.name} rendition reads" in w for w in result.warnings)
        assert on_promise != warned, (measured, result.warnings)
        assert measured.duration_s == pytest.approx(6.0, abs=0.1)
    opus, aac = OggOpus(rendition_path(out, "opus")), MP4(rendition_path(out, "aac"))
    # Channels as a player decodes them (ffmpeg 5.1 writes 2 in a mono M4A's sample entry).
    assert opus.info.channels == channels and probe(rendition_path(out, "aac")).channels == channels
    assert aac.info.codec == "mp4a.40.2"  # AAC-LC
    assert aac.info.bitrate // 1000 == pytest.approx(64 if channels == 1 else 96, abs=16)
    assert from_data(MasterResult, json.loads(json.dumps(to_data(result)))) == result
    assert not list(tmp_path.glob(".*part"))


# A quiet tone under sharp clicks, in two equal channels (published as mono): the limiter holds
# the PCM under the ceiling, the AAC encoder overshoots it by 2 dB at its default bitrate (and
# the gain rule caps the loudness: the renditions follow the MP3's level).
CLICKS = "aevalsrc='0.05*sin(2*PI*440*t)+0.9*lt(mod(t\\,0.5)\\,0.001)':s=44100"


def on_promise(result: MasterResult, out, rendition) -> bool:
    level = min(result.target, result.output.integrated)
    measured = measure_file(rendition_path(out, rendition.name))
    assert measured.integrated == rendition.output.integrated
    # The build reads true peak with its own oversampler: as ffmpeg's, to its 0.1 dB (one step
    # apart where the figure sits between two).
    assert measured.true_peak == pytest.approx(rendition.output.true_peak, abs=0.11)
    assert measured.duration_s == pytest.approx(6.0, abs=0.1)
    assert rendition.cpu_s > 0
    return abs(measured.integrated - level) <= 0.5 and measured.true_peak <= -1.0


@pytest.mark.parametrize(
    ("graph", "kbps"),
    [(CLICKS, None), (SPEECH, 12)],  # at 12 kbps Opus reads 1 LU low, AAC loud and over
    ids=["aac-overshoot", "low-bitrate"],
)
def test_each_rendition_is_aimed_by_the_rehearsal_and_encoded_again_only_if_it_misses(
    make_audio, tmp_path, monkeypatch, graph, kbps
):
    if kbps:
        for name, codec in CODECS.items():
            monkeypatch.setitem(CODECS, name, dataclasses.replace(codec, kbps_mono=kbps))
    program = Program(probe(make_audio("s.wav", graph, 6, "-ac", "2")))
    # The rehearsal learns each codec's ceiling and trim: one encode each, on the promise.
    aimed = master(program, ALL, tmp_path / "aimed.mp3")
    for rendition in aimed.renditions:
        assert rendition.encodes == 1, rendition
        assert on_promise(aimed, tmp_path / "aimed.mp3", rendition), rendition
    assert not any("rendition reads" in w for w in aimed.warnings)
    # Aimed as the MP3 is, they miss; each that does is encoded again onto the promise.
    monkeypatch.setattr(
        master_module, "_fit_gain", lambda gain, p, f, ceiling_db, *a, **k: ceiling_db
    )
    missed = []
    reaimed = master_module._reaimed

    def spy(aim, read, *args):
        missed.append(read)
        return reaimed(aim, read, *args)

    monkeypatch.setattr(master_module, "_reaimed", spy)
    out = tmp_path / "ep.mp3"
    result = master(program, ALL, out)
    assert missed
    assert sum(rendition.encodes for rendition in result.renditions) >= 2 + len(missed)
    for rendition in result.renditions:
        assert on_promise(result, out, rendition), rendition
    assert not any("rendition reads" in w for w in result.warnings)


def test_without_renditions_only_the_mp3_is_written(make_audio, tmp_path):
    source = make_audio("s.wav", SPEECH, 3)
    result = master(Program(probe(source)), AudioSettings(), tmp_path / "ep.mp3")
    assert result.renditions == ()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".wav") == ["ep.mp3"]


@pytest.fixture
def show_all(make_show, make_image):
    make_image("feed/cover.jpg")
    return make_show(audio=ALL)


CHAPTERS = (
    Chapter(0.0, "Giriş"),
    Chapter(1.25, "Soru = cevap; #1", url="https://example.org/1"),
    Chapter(3.0, "Son"),
)


@pytest.fixture
def episode(make_episode, make_audio):
    audio = make_audio("episodes/bolum-1.wav", SPEECH, 4)
    return make_episode("bolum-1", audio_path=audio, episode=3, season=2, chapters=CHAPTERS)


def m4a_chapters(path):
    """The M4A's chapters as ffmpeg reads them, (start s, title), and whether it holds a
    QuickTime chapter track (a trak referenced by ``tref/chap``) besides Nero's ``chpl``."""
    text = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                          capture_output=True, text=True).stderr  # fmt: skip
    starts = re.findall(r"Chapter #0:\d+: start (\d+\.\d+), end", text)
    titles = re.findall(r"Chapter #0:\d+: .*\n\s+Metadata:\n\s+title\s+: (.*)", text)
    with path.open("rb") as file:
        moov = Atoms(file).path(b"moov")[-1]
        trefs = [a for trak in moov.findall(b"trak") for a in trak.children if a.name == b"tref"]
        kinds = []
        for tref in trefs:  # a tref holds typed references: size, type, track ids
            file.seek(tref.offset + 12)
            kinds.append(file.read(4))
    quicktime = b"chap" in kinds
    return [(float(a), t) for a, t in zip(starts, titles, strict=True)], quicktime


def test_the_build_tags_and_caches_the_renditions_with_the_master(show_all, episode, monkeypatch):
    [record] = build_episodes(show_all, [episode])
    assert [(r.name, r.path.name) for r in record.renditions] == [
        ("mp3", "bolum-1.mp3"),
        ("opus", "bolum-1.opus"),
        ("aac", "bolum-1.m4a"),
    ]
    for rendition in record.renditions:
        assert rendition.sha256 == sha256_file(rendition.path)
        assert rendition.bytes == rendition.path.stat().st_size
    opus = OggOpus(show_all.build_dir / "bolum-1.opus")
    assert opus["TITLE"] == [episode.title] and opus["ALBUM"] == [show_all.title]
    assert opus["TRACKNUMBER"] == ["3"] and opus["DISCNUMBER"] == ["2"]
    picture = Picture(base64.b64decode(opus["METADATA_BLOCK_PICTURE"][0]))
    assert picture.mime == "image/jpeg" and picture.data[:2] == b"\xff\xd8"
    assert [(opus[f"CHAPTER{n:03d}"], opus[f"CHAPTER{n:03d}NAME"]) for n in (1, 2, 3)] == [
        (["00:00:00.000"], ["Giriş"]),
        (["00:00:01.250"], ["Soru = cevap; #1"]),
        (["00:00:03.000"], ["Son"]),
    ]
    assert opus["CHAPTER002URL"] == ["https://example.org/1"] and "CHAPTER004" not in opus
    m4a_path = show_all.build_dir / "bolum-1.m4a"
    m4a = MP4(m4a_path)
    assert m4a["\xa9nam"] == [episode.title] and m4a["\xa9alb"] == [show_all.title]
    assert m4a["trkn"] == [(3, 0)] and m4a["disk"] == [(2, 0)]
    assert m4a["covr"][0][:2] == b"\xff\xd8"
    expected = [(c.start_s, c.title) for c in CHAPTERS]
    assert [(c.start, c.title) for c in m4a.chapters] == expected  # Nero chpl
    assert m4a_chapters(m4a_path) == (expected, True)  # and a QuickTime chapter track
    assert measure_file(m4a_path).duration_s == pytest.approx(4.0, abs=0.1)
    assert read_record(show_all, "bolum-1") == dataclasses.replace(record, action="up to date")
    # Each encoder's CPU time, in build/report.json and on the inspector page.
    report = json.loads((show_all.build_dir / "report.json").read_text(encoding="utf-8"))
    master_data = report["episodes"][0]["master"]
    assert master_data["cpu_s"] > 0
    assert [(r["name"], r["encodes"]) for r in master_data["renditions"]] == [
        ("opus", record.master.renditions[0].encodes),
        ("aac", record.master.renditions[1].encodes),
    ]
    assert all(r["cpu_s"] > 0 for r in master_data["renditions"])
    page = (show_all.build_dir / "bolum-1" / "report.html").read_text(encoding="utf-8")
    for name, label in (("mp3", "MP3"), ("opus", "Opus"), ("aac", "AAC")):
        cpu_s = re.search(rf"<th>{label} encoder</th><td class='n' data-figure='{name}_cpu_s' "
                          r"data-value='([\d.]+)'>", page)  # fmt: skip
        assert cpu_s and float(cpu_s.group(1)) > 0, name
    # The cache holds them with the master: a re-tag copies them without encoding.
    monkeypatch.setattr(build_job, "master", lambda *a, **k: pytest.fail("mastered again"))
    renamed = dataclasses.replace(episode, title="Yeni başlık")
    [again] = build_episodes(show_all, [renamed])
    assert again.action == "re-tagged"
    assert OggOpus(again.renditions[1].path)["TITLE"] == ["Yeni başlık"]
    assert MP4(again.renditions[2].path)["\xa9nam"] == ["Yeni başlık"]
    # Tagging is byte-deterministic: the first tags again give the first bytes.
    [back] = build_episodes(show_all, [episode])
    assert back.action == "re-tagged" and back.renditions == record.renditions
    [same] = build_episodes(show_all, [episode])
    assert same.action == "up to date"


P = f"{{{PODCAST_NS}}}"  # lxml's prefix of a podcast:* name


def test_publish_lists_every_rendition_as_an_alternate_enclosure(
    tmp_path, make_audio, s3, fault_proxy
):
    root = tmp_path / "show"
    (root / "feed").mkdir(parents=True)
    Image.new("RGB", (1400, 1400), (200, 30, 40)).save(root / "feed/cover.jpg", quality=60)
    write_show(root, f"s3://{s3.bucket}/show")
    with (root / "podcast.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[audio]\nrenditions = ["mp3", "opus", "aac"]\n')
    make_audio("show/episodes/izmir.wav", SPEECH, 3)
    (root / "episodes/izmir.md").write_text(
        '---\ntitle: "Bölüm 1"\ndate: 2026-01-12T10:00:00+03:00\nepisode: 1\n---\nNotlar.\n',
        encoding="utf-8",
    )
    show = load_show(root)
    publish_show(show, load_episodes(show), now=NOW)
    objects = s3.objects("show/")
    feed = s3.client.get_object(Bucket=s3.bucket, Key="show/feed.xml")["Body"].read()
    [entry] = feedparser.parse(feed).entries
    assert [e.type for e in entry.enclosures] == ["audio/mpeg"]  # the MP3 stays <enclosure>
    assert podcastparser.parse("feed.xml", io.BytesIO(feed))["episodes"][0]["enclosures"]
    root_xml = etree.fromstring(feed)
    assert violations(root_xml) == []
    alternates = root_xml.findall(f".//item/{P}alternateEnclosure")
    assert [a.get("type") for a in alternates] == ["audio/mpeg", "audio/ogg", "audio/mp4"]
    assert [a.get("default") for a in alternates] == ["true", None, None]
    for alternate in alternates:
        uri = alternate.find(f"{P}source").get("uri")
        key = "show/" + uri.removeprefix("https://cdn.example.org/show/")
        assert re.fullmatch(r"show/episodes/izmir-[0-9a-f]{8}\.(mp3|opus|m4a)", key)
        body = s3.client.get_object(Bucket=s3.bucket, Key=key)["Body"].read()
        assert int(alternate.get("length")) == len(body) == objects[key]["ContentLength"]
        assert objects[key]["ContentType"] == alternate.get("type")
        integrity = alternate.find(f"{P}integrity")
        sri = "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()
        assert (integrity.get("type"), integrity.get("value")) == ("sri", sri)
    manifest = parse_manifest(
        s3.client.get_object(Bucket=s3.bucket, Key="show/manifest.json")["Body"].read(), "m"
    )
    [live] = manifest.episodes
    assert [r.name for r in live.renditions] == ["mp3", "opus", "aac"]
    assert set(live.keys) >= {r.key for r in live.renditions}
    # A second publish finds nothing to do.
    fault_proxy.log.clear()
    again = publish_show(load_show(root), load_episodes(load_show(root)), now=NOW)
    assert again.up_to_date and fault_proxy.mutating == []


def test_a_failing_rendition_encoder_fails_the_master_with_its_reason(
    make_audio, tmp_path, monkeypatch
):
    broken = Codec(".opus", ("-c:a", "no_such_encoder"), "ogg", 48, 64)
    monkeypatch.setitem(CODECS, "opus", broken)
    source = make_audio("s.wav", SPEECH, 3)
    # ffmpeg 9: "… selecting an encoder"; 5.1: "Unknown encoder 'no_such_encoder'".
    with pytest.raises(FFmpegError, match="selecting an encoder|Unknown encoder"):
        master(Program(probe(source)), ALL, tmp_path / "ep.mp3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.wav"]

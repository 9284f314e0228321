"""Terminal rendering for the CLI: progress bars, tables and report lines.

The library reports through ``events.Reporter`` callbacks; this module turns them into tqdm bars
on a terminal and plain lines otherwise (an idle build prints nothing per episode). Only
``cli.py`` uses it; nothing in the library imports it.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

import click

from .build import BuildRecord
from .events import Reporter

REPORT_HEADER = [
    "episode", "action", "in LUFS", "in LRA", "in dBTP", "gain dB", "limited", "out LUFS",
    "out LRA", "out dBTP", "ch", "kbps", "duration", "size",
]  # fmt: skip


class BuildProgress:
    """A tqdm bar per episode being mastered and one overall on a terminal; plain lines otherwise.

    Use as a context manager; ``reporter`` is what the build calls.
    """

    def __init__(self, *, tty: bool | None = None) -> None:
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.lock = threading.Lock()
        self.overall: Any = None
        self.bars: dict[str, Any] = {}
        self.quarters: dict[str, int] = {}
        self.reporter = Reporter(
            on_start=self.start, on_progress=self.progress, on_event=self.event
        )

    def __enter__(self) -> BuildProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for bar in [*self.bars.values(), self.overall]:
            if bar is not None:
                bar.close()

    def start(self, stage: str, total: int) -> None:
        if self.tty:
            from tqdm import tqdm

            self.overall = tqdm(total=total, desc=stage, unit="episode", position=0)

    def progress(self, slug: str, fraction: float) -> None:
        with self.lock:
            if slug not in self.quarters:
                self.quarters[slug] = 0
                self._begin(slug)
            bar = self.bars.get(slug)
            if bar is not None:
                bar.update(round(fraction * 100) - bar.n)
            elif not self.tty and int(fraction * 4) > self.quarters[slug]:
                self.quarters[slug] = int(fraction * 4)
                _line(f"{slug}: {self.quarters[slug] * 25}%")

    def _begin(self, slug: str) -> None:
        if self.tty:
            from tqdm import tqdm

            position = len(self.quarters)
            self.bars[slug] = tqdm(total=100, desc=slug, unit="%", position=position, leave=False)
        else:
            _line(f"{slug}: mastering")

    def event(self, slug: str, what: str) -> None:
        with self.lock:
            bar = self.bars.pop(slug, None)
            if bar is not None:
                bar.close()
            if self.overall is not None:
                self.overall.update(1)
            elif what != "up to date":  # an idle run stays quiet
                _line(f"{slug}: {what}")


class NetworkProgress:
    """One view of a network build: episodes done / total and audio hours mastered per hour.

    A tqdm bar on a terminal, else a line per finished episode (``[done/total] show/slug: …``).
    """

    def __init__(self, *, tty: bool | None = None) -> None:
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.lock = threading.Lock()
        self.bar: Any = None
        self.total = self.done = 0
        self.audio_s = 0.0
        self.started = time.monotonic()
        self.reporter = Reporter(on_start=self.start, on_event=self.event, on_audio=self.audio)

    def __enter__(self) -> NetworkProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def start(self, stage: str, total: int) -> None:
        self.total, self.started = total, time.monotonic()
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=stage, unit="episode")

    def audio(self, seconds: float) -> None:
        with self.lock:
            self.audio_s += seconds

    @property
    def rate(self) -> str:
        """Audio hours mastered per hour of wall time, so far."""
        hours = max(time.monotonic() - self.started, 1e-9) / 3600
        return f"{self.audio_s / 3600 / hours:.0f} audio h/h"

    def event(self, name: str, what: str) -> None:
        with self.lock:
            self.done += 1
            if self.bar is not None:
                self.bar.set_postfix_str(self.rate, refresh=False)
                self.bar.update(1)
                if what.startswith("failed"):
                    self.bar.write(f"{name}: {what}", file=sys.stderr)
            else:
                _line(f"[{self.done}/{self.total}] {name}: {what} ({self.rate})")


def _line(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def report_rows(records: Iterable[BuildRecord]) -> list[tuple[str, ...]]:
    """One row per episode for the terminal table under ``REPORT_HEADER``."""
    rows = []
    for r in records:
        m = r.master
        limited = f"-{m.limiter.max_reduction_db:.1f} dB/{m.limiter.limited_ms:.0f} ms"
        minutes, seconds = divmod(round(r.duration_s), 60)
        rows.append((
            r.slug, r.action, _db(m.input.integrated), _db(m.input.lra), _db(m.input.true_peak),
            f"{m.gain_db:+.1f}", limited if m.limiter.limited_ms else "-",
            _db(m.output.integrated), _db(m.output.lra), _db(m.output.true_peak),
            str(m.format.channels), str(m.format.bitrate_kbps), f"{minutes}:{seconds:02d}",
            f"{r.bytes / 1e6:.1f} MB",
        ))  # fmt: skip
    return rows


def _db(value: float) -> str:
    return f"{value:.1f}" if value > -1000 else "-inf"


def format_table(header: list[str], rows: list[tuple[Any, ...]]) -> str:
    """A plain aligned text table."""
    cells = [header, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def tag_report(info: dict[str, Any]) -> str:
    """``read_tags``' result as the lines ``podcast-pipe tags`` prints."""
    skip = {"id3_version", "cover", "chapters", "duration_s"}
    lines = [f"ID3 v{info['id3_version']}, {clock(info['duration_s'])}"]
    width = max(len(name) for name in info)
    lines += [
        f"{name.ljust(width)}  {_one_line(value)}"
        for name, value in info.items()
        if name not in skip
    ]
    cover = info["cover"]
    if cover:
        lines.append(
            f"{'cover'.ljust(width)}  {_describe_image(cover)}, picture type {cover['type']}"
        )
    else:
        lines.append(f"{'cover'.ljust(width)}  none")
    lines.append(f"chapters ({len(info['chapters'])}):")
    for n, chapter in enumerate(info["chapters"], 1):
        extra = [
            chapter["url"] or "",
            _describe_image(chapter["image"]) if chapter["image"] else "",
        ]
        times = f"{clock(chapter['start_s'])} – {clock(chapter['end_s'])}"
        lines.append("  ".join([f"{n:>3}", times, chapter["title"], *filter(None, extra)]))
    return "\n".join(lines)


def clock(seconds: float) -> str:
    """``H:MM:SS.mmm``: chapter times to the millisecond, as ID3 stores them."""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000}:{ms // 60_000 % 60:02}:{ms // 1000 % 60:02}.{ms % 1000:03}"


def _describe_image(image: dict[str, Any]) -> str:
    size_kb = image["bytes"] / 1000
    return f"{image['width']}×{image['height']} {image['format']} {image['mode']}, {size_kb:.0f} KB"


def _one_line(text: str, limit: int = 76) -> str:
    """Show notes and other long text shortened to one line for the report."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def publish_reporter(build: Reporter, stack: contextlib.ExitStack) -> Reporter:
    """The build's rendering, plus the upload's: a byte bar on a terminal, else a line per object
    (uploaded, updated in place, deleted); services notified or not. ``stack`` closes the bar."""
    bars: list[Any] = []
    upload_events = ("uploaded", "updated", "deleted")

    def on_start(stage: str, total: int) -> None:
        if stage != "upload":
            build.on_start(stage, total)
        elif sys.stderr.isatty():
            bar = click.progressbar(length=total, label="upload", file=sys.stderr)
            bars.append(stack.enter_context(bar))

    def on_bytes(n: int) -> None:
        if bars:
            bars[-1].update(n)

    def on_event(name: str, what: str) -> None:
        if what == "notified":  # [publish] notify, once the bar is done
            click.echo(f"notified {name}", err=True)
        elif what.startswith("warning: "):  # a service that was not told
            click.secho(f"{what} ({name})", fg="yellow", err=True)
        elif what not in upload_events:
            build.on_event(name, what)
        elif not bars:
            click.echo(f"{what} {name}", err=True)

    return Reporter(build.on_progress, on_bytes, on_event, on_start)

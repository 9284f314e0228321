"""Front matter: the YAML block at the top of an episode's Markdown, and its value syntaxes.

``split_front_matter`` separates the fields from the show notes; ``parse_date`` and
``parse_timestamp`` read the two syntaxes YAML does not settle (zoned dates, chapter times).
Problems go to the ``bad(field, message, hint)`` callback (a validate.Reader's ``bad``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml


def split_front_matter(meta: Path, bad) -> tuple[dict[str, Any] | None, str]:
    try:
        text = meta.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        bad(None, "is not UTF-8 text", "save the file as UTF-8")
        return None, ""
    match = re.match(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?(.*)\Z", text, re.S | re.M)
    if not match:
        bad(None, "has no front matter", "start the file with a `---` line, the fields, then `---`")
        return None, ""
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        bad(None, f"front matter is not valid YAML{where}: {getattr(exc, 'problem', exc)}",
            'quote values that contain ":" or "#", e.g. title: "Bölüm 1: Giriş"')  # fmt: skip
        return None, ""
    if not isinstance(data, dict):
        bad(None, "front matter must be `key: value` lines", "see the README's metadata format")
        return None, ""
    return data, match.group(2)


def parse_date(value: Any, bad) -> dt.datetime | None:
    hint = "write it with a time and time zone, e.g. 2026-01-12T16:03:00+03:00"
    if value is None:
        bad("date", "is required", hint)
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            bad("date", f"not a date: {value!r}", hint)
            return None
    if not isinstance(value, dt.datetime):
        bad("date", f"{value} has no time and no time zone", hint)
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        bad("date", f"{value} has no time zone", hint)
        return None
    return value


def parse_timestamp(value: Any) -> float | None:
    """Seconds from ``HH:MM:SS(.mmm)``, ``MM:SS``, or a number (YAML reads 02:15 as 135)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    match = re.fullmatch(r"(?:(\d+):)?([0-5]?\d):([0-5]\d(?:\.\d{1,3})?)", str(value).strip())
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)

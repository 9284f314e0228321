"""One validating reader for podcast.toml tables and episode front matter, and one did-you-mean.

A ``Reader`` wraps one table (a TOML section or a front matter mapping): typed getters return
the value or a default and record a problem naming the file and the field (``show.title``,
``chapters[2].start``), so ``check`` can list every problem at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import PodcastError, Problems


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The choice a typo most likely meant (case and spacing forgiven), or None."""
    folded = {" ".join(c.lower().split()): c for c in choices}
    key = " ".join(str(word).lower().split())
    if key in folded:
        return folded[key]
    close = difflib.get_close_matches(key, sorted(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


def did_you_mean(word: str, choices: Iterable[str], otherwise: str | None = None) -> str:
    """A hint naming the closest known word, else ``otherwise`` (default: the valid ones)."""
    choices = sorted(choices)
    close = suggest(word, choices)
    if close:
        return f"did you mean `{close}`?"
    return otherwise or "valid keys: " + ", ".join(choices)


class Reader:
    """Typed, problem-collecting access to one table of ``path``.

    ``prefix`` goes before each key in the problem's field (``"audio."``); ``error`` is the
    PodcastError subclass raised for this file (ConfigError, EpisodeError).
    """

    def __init__(
        self,
        path: Path,
        problems: Problems,
        table: Mapping[str, Any],
        *,
        error: type[PodcastError] = PodcastError,
        prefix: str = "",
    ) -> None:
        self.path, self.problems, self.table = path, problems, table
        self.error, self.prefix = error, prefix

    def within(self, table: Mapping[str, Any], prefix: str) -> Reader:
        """A reader for a nested table, its fields named ``prefix`` + key."""
        return Reader(self.path, self.problems, table, error=self.error, prefix=prefix)

    def bad(self, key: str | None, message: str, hint: str) -> None:
        """Record a problem with ``key`` (None: the whole file)."""
        field = f"{self.prefix}{key}" if key is not None else None
        self.problems.error(self.error(message, path=self.path, field=field, hint=hint))

    def unknown(self, known: Iterable[str]) -> None:
        """A problem for every key that is not in ``known``, with a did-you-mean."""
        known = set(known)
        for key in self.table:
            if key not in known:
                self.bad(str(key), "unknown key", did_you_mean(str(key), known))

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        """The value if it is of ``kind`` (a bool is no number), else a problem and ``default``."""
        value = self.table.get(key, default)
        numeric = kind in (int, float, (int, float))
        if value is None or isinstance(value, kind) and not (numeric and isinstance(value, bool)):
            return value
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        self.bad(key, f"must be a {names}, not {value!r}", f"write a {names}")
        return default

    def choice(self, key: str, choices: tuple[str, ...], note: str = "") -> str:
        """One of ``choices`` (the first is the default); a problem and the default otherwise."""
        value = self.table.get(key, choices[0])
        if value not in choices:
            valid = ", ".join(f'"{c}"' for c in choices)
            hint = f"use one of {valid}" + (f" ({note})" if note else "")
            self.bad(key, f"unknown value {value!r}", hint)
            return choices[0]
        return value

    def required(self, key: str, hint: str) -> str:
        """A non-blank string, stripped; a problem and "" otherwise."""
        value = self.table.get(key)
        if not isinstance(value, str) or not value.strip():
            self.bad(key, "is required", hint)
            return ""
        return value.strip()

    def flag(self, key: str, default: bool | None) -> bool | None:
        """true or false (front matter's wording); a problem and ``default`` otherwise."""
        value = self.table.get(key, default)
        if value is not None and not isinstance(value, bool):
            hint = f"write `{key}: true` or `{key}: false`"
            self.bad(key, f"must be true or false, not {value!r}", hint)
            return default
        return value

    def count(self, key: str) -> int | None:
        """A whole number ≥ 0, or None when absent."""
        value = self.table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.bad(key, f"must be a whole number ≥ 0, not {value!r}", f"e.g. `{key}: 3`")
            return None
        return value

    def text(self, key: str) -> str | None:
        """Text (a number is taken as its digits), stripped; None when absent or blank."""
        value = self.table.get(key)
        if value is None:
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.bad(key, f"must be text, not {value!r}", f'write `{key}: "…"`')
            return None
        return str(value).strip() or None

    def nested(
        self, key: str, keys: Iterable[str], *, example: str, shorthand: str | None = None
    ) -> Reader | None:
        """The table under ``key`` as a reader (fields ``key.sub``), None when absent.

        Only ``keys`` are known (others get a did-you-mean); a bare string fills the
        ``shorthand`` key, so ``license = "CC-BY-4.0"`` reads like ``{identifier = …}``.
        """
        value = self.table.get(key)
        return None if value is None else self._nest(key, value, keys, example, shorthand)

    def nested_list(
        self,
        key: str,
        keys: Iterable[str],
        *,
        example: str,
        shorthand: str | None = None,
        single: bool = False,
    ) -> list[Reader]:
        """A list of such tables, one reader each (fields ``key[n].sub``); ``single``: a lone
        table (or shorthand string) counts as a list of one."""
        value = self.table.get(key)
        if value is None:
            return []
        if single and isinstance(value, dict | str):
            value = [value]
        if not isinstance(value, list):
            self.bad(key, "must be a list", f"write a list: - {example}")
            return []
        found = (
            self._nest(f"{key}[{n}]", v, keys, example, shorthand) for n, v in enumerate(value, 1)
        )
        return [reader for reader in found if reader is not None]

    def _nest(
        self, key: str, value: Any, keys: Iterable[str], example: str, shorthand: str | None
    ) -> Reader | None:
        if shorthand and isinstance(value, str):
            value = {shorthand: value}
        if not isinstance(value, dict):
            self.bad(key, f"must be a table, not {value!r}", f"e.g. {example}")
            return None
        reader = self.within(value, f"{self.prefix}{key}.")
        reader.unknown(keys)
        return reader

"""How the library tells its caller what it is doing: callbacks, never prints (the CLI renders).

Every long-running function takes an optional ``Reporter``; the default one ignores everything,
so library calls and tests stay silent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _ignore(*_: object) -> None:
    return None


@dataclass(frozen=True)
class Reporter:
    """Callbacks for progress and events.

    - ``on_progress(name, fraction)``: ``name`` (an episode slug) is ``fraction`` (0..1) done;
    - ``on_bytes(n)``: ``n`` more bytes were uploaded;
    - ``on_event(name, what)``: something happened to ``name``: "mastered", "re-tagged",
      "up to date", "uploaded", "deleted", or a warning's text with ``what="warning: …"``.
    - ``on_start(what, total)``: a stage begins ("build" with N episodes, "upload" with N bytes).
    - ``on_audio(seconds)``: that much more audio was mastered (a network's throughput).
    """

    on_progress: Callable[[str, float], None] = _ignore
    on_bytes: Callable[[int], None] = _ignore
    on_event: Callable[[str, str], None] = _ignore
    on_start: Callable[[str, int], None] = _ignore
    on_audio: Callable[[float], None] = _ignore


QUIET = Reporter()

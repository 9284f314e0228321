"""build/: each episode's mastered, tagged MP3, its chapters and a record of what was done.

Which file to open for what:

- ``run.py``: the orchestration (select episodes, master if the audio changed, tag if the tags
  changed, in parallel) and both cache keys;
- ``record.py``: what is kept on disk (build/<slug>.json, the master cache, report.json);
- ``job.py``: one master as a pure job (inputs by hash → MP3 and figures), run anywhere;
- ``executors.py``: where jobs run (this machine, or a Dask cluster), ``cache.py``: where
  masters are kept (build/.cache, or a store shared by machines: ``[build] cache``);
- ``network.py``: every episode of many shows on one executor;
- the work itself lives with its stage: ``audio/program.py`` (intro + episode + outro),
  ``audio/master.py`` (loudness), ``tags.py`` (ID3), ``chapters.py`` (JSON chapters).

Terminal output (bars, the report table) is the CLI's: see ``ui.py``.
"""

from __future__ import annotations

from .record import BuildRecord, read_record, write_report
from .run import build_episode, build_episodes, pending_build, select_episodes

__all__ = [
    "BuildRecord",
    "build_episode",
    "build_episodes",
    "pending_build",
    "read_record",
    "select_episodes",
    "write_report",
]

"""Audio mastering: decode anything ffmpeg reads, measure (BS.1770), gain + true-peak limit, MP3.

Which file to open for what: ``program.py`` assembles intro + episode + outro (crossfade, trim)
from ``decode.py`` (probing, the ffmpeg filter graph) and ``clips.py`` (intro/outro clips);
``master.py`` masters the programme with ``meter.py``, ``limiter.py`` and ``encode.py``.
"""

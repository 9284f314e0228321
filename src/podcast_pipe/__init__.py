"""podcast-pipe: master, tag and publish a podcast."""

__version__ = "0.1.0"

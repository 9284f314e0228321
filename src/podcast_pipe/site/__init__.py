"""The show's website: pages, CSS, JS, sitemap and share cards, rendered beside the feed."""

from __future__ import annotations

from .render import render_site

__all__ = ["render_site"]

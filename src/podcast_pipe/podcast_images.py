"""The show cover → the ``podcast:image`` variants apps ask for: artwork, social, banner.

Each purpose has one size. A square purpose is the cover scaled; a wide one puts the whole
cover, unscaled in shape, on a blurred and darkened stretch of itself, so nothing is cropped
away. The images are returned as data: the publisher uploads each under a content-hashed
key (apps cache art by URL) and hands the keys to the feed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter

from .artwork import open_rgb
from .files import sha256_bytes
from .mediatypes import JPEG

# purpose → (width, height): Apple's smallest square art, Open Graph's preview, a 4:1 hero.
SIZES = {"artwork": (1400, 1400), "social": (1200, 630), "banner": (2400, 600)}
JPEG_QUALITY = 90
COVER_SHARE = 0.8  # of a wide image's height taken by the cover
BACKGROUND_BRIGHTNESS = 0.6


@dataclass(frozen=True)
class PodcastImage:
    """An image as the feed names it: published key, purpose and pixel size."""

    key: str  # images/cover-<purpose>-<hash8>.jpg, relative to base_url
    purpose: str
    width: int
    height: int
    type: str = JPEG


@dataclass(frozen=True)
class GeneratedImage:
    """A drawn image and the feed entry it becomes once uploaded under ``image.key``."""

    image: PodcastImage
    data: bytes


def generate_images(cover: Path, purposes: tuple[str, ...]) -> list[GeneratedImage]:
    """One JPEG per purpose, drawn from the show cover (same cover → same bytes and keys)."""
    source = open_rgb(cover, what="show cover")
    generated = []
    for purpose in purposes:
        width, height = SIZES[purpose]
        data = _jpeg(_compose(source, width, height))
        key = f"images/cover-{purpose}-{sha256_bytes(data)[:8]}.jpg"
        generated.append(GeneratedImage(PodcastImage(key, purpose, width, height), data))
    return generated


def _compose(cover: Image.Image, width: int, height: int) -> Image.Image:
    """The cover on a ``width``×``height`` canvas: scaled when square, centred when wide."""
    if width == height:
        return cover.resize((width, height), Image.Resampling.LANCZOS)
    # Background: the middle band of the cover stretched over the canvas, blurred and dimmed.
    # Blurred at an eighth of the size: the same look, a fraction of the work.
    band = cover.height * height // width
    top = (cover.height - band) // 2
    small = cover.resize((width // 8, height // 8), Image.Resampling.BILINEAR,
                         box=(0, top, cover.width, top + band))  # fmt: skip
    small = small.filter(ImageFilter.GaussianBlur(radius=height / 160))
    canvas = small.resize((width, height), Image.Resampling.BILINEAR)
    canvas = ImageEnhance.Brightness(canvas).enhance(BACKGROUND_BRIGHTNESS)
    side = round(height * COVER_SHARE)
    canvas.paste(
        cover.resize((side, side), Image.Resampling.LANCZOS),
        ((width - side) // 2, (height - side) // 2),
    )
    return canvas


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()

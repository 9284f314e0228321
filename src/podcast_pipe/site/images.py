"""Pictures for the website: social cards (1200×630) and small page thumbnails, with Pillow.

Cards draw no text (Pillow's built-in font has no İ ı ş ğ ə): the art sits sharp on a
blurred, darkened copy of itself, so any cover becomes a landscape card. Both are JPEG and
byte-stable for the same source and Pillow release, and their keys carry their hash.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter

from ..files import sha256_bytes

CARD_SIZE = (1200, 630)  # Open Graph's recommended size; Twitter's large card crops it alike
CARD_MARGIN = 60
THUMB_PX = 480  # shown at up to 240 CSS px: sharp on 2× screens
JPEG_QUALITY = 85


def card_jpeg(source: Path) -> bytes:
    """A 1200×630 card: the art centred, on a blurred and darkened fill of itself."""
    width, height = CARD_SIZE
    art = _rgb(source, height)
    # Blur a small copy and scale it up: the look of a large radius at a fraction of the cost.
    fill = art.copy()
    fill.thumbnail((120, 120))
    fill = fill.filter(ImageFilter.GaussianBlur(1.5))
    scale = max(width / fill.width, height / fill.height)
    size = (round(fill.width * scale), round(fill.height * scale))
    fill = fill.resize(size, Image.Resampling.BILINEAR)
    left, top = (fill.width - width) // 2, (fill.height - height) // 2
    fill = fill.crop((left, top, left + width, top + height))
    card = ImageEnhance.Brightness(fill).enhance(0.55)
    side = height - 2 * CARD_MARGIN
    front = art.copy()
    front.thumbnail((side, side), Image.Resampling.LANCZOS)
    card.paste(front, ((width - front.width) // 2, (height - front.height) // 2))
    return _jpeg(card)


def thumb_jpeg(source: Path) -> bytes:
    """The art at most THUMB_PX on its longer side, for the pages themselves."""
    art = _rgb(source, THUMB_PX)
    art.thumbnail((THUMB_PX, THUMB_PX), Image.Resampling.LANCZOS)
    return _jpeg(art)


def hashed_key(kind: str, name: str, data: bytes) -> str:
    """``images/<kind>-<name>-<hash8>.jpg``: a new picture gets a new URL (caches keep old ones)."""
    return f"images/{kind}-{name}-{sha256_bytes(data)[:8]}.jpg"


def _rgb(source: Path, px: int) -> Image.Image:
    """The picture in RGB; a JPEG is decoded at a reduced scale still at least ``px`` wide."""
    with Image.open(source) as image:
        image.draft("RGB", (px, px))
        return image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()

"""Cover art: check it against Apple's rules and convert it for the MP3 and the feed."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from .errors import ArtworkError, PodcastError, Problems

# Apple Podcasts: square, 1400–3000 px, JPEG or PNG in RGB, extension matching the real format.
MIN_PX = 1400
MAX_PX = 3000
RULE = "Apple's rule: square, 1400–3000 px, JPEG or PNG in RGB"
# Pillow format → (published extension, accepted file extensions).
FORMATS = {"JPEG": ("jpg", (".jpg", ".jpeg")), "PNG": ("png", (".png",))}
# Every download carries the embedded copy: keep it small.
EMBED_PX = 1400
EMBED_MAX_BYTES = 500_000
PUBLISH_JPEG_QUALITY = 95
MODE_NAMES = {"CMYK": "CMYK", "P": "palette", "L": "greyscale", "1": "black-and-white"}


class ArtworkWarning(ArtworkError):
    """Art that is usable once converted (colour mode, transparency): reported, not refused."""


def check_cover(path: Path, *, what: str) -> list[PodcastError]:
    """Every problem of one piece of art (``what``: "show cover", "episode art", …).

    Errors are ArtworkError; conversions that will happen are ArtworkWarning.
    """
    try:
        image = _open(path, what)
    except ArtworkError as exc:
        return [exc]
    found: list[PodcastError] = []
    width, height = image.size
    if width != height:
        found.append(_error(path, what, f"is {width}×{height} px, not square", f"crop it ({RULE})"))
    elif width < MIN_PX:
        found.append(
            _error(path, what, f"is {width}×{height} px, too small", f"export it larger ({RULE})")
        )
    elif width > MAX_PX:
        found.append(
            _error(path, what, f"is {width}×{height} px, too large", f"scale it down ({RULE})")
        )
    if _needs_rgb(image):
        found.append(
            ArtworkWarning(
                f"is {_describe_mode(image)}: it is converted to RGB when published",
                path=path,
                field=what,
                hint="save it as RGB without transparency to publish it unchanged",
            )
        )
    return found


def report_cover(
    path: Path, *, what: str, problems: Problems, named_in: tuple[Path, str] | None = None
) -> None:
    """File ``check_cover``'s findings as errors or warnings.

    ``named_in`` (metadata file, field) points the message at what to edit:
    ``episodes/x.md: image: x.jpg is 3000×2000 px, not square — …``.
    """
    for problem in check_cover(path, what=what):
        if named_in:
            problem.path, problem.field = named_in
            problem.message = f"{path.name} {problem.message}"
        if isinstance(problem, ArtworkWarning):
            problems.warn(problem)
        else:
            problems.error(problem)


def embedded_cover(path: Path, *, max_px: int = EMBED_PX) -> bytes:
    """The copy embedded in the MP3: baseline JPEG, RGB, at most ``max_px`` and ~500 KB."""
    image = _to_rgb(_open(path, "image"))
    image.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    quality = 90
    data = _jpeg(image, quality)
    while len(data) > EMBED_MAX_BYTES and quality > 50:
        quality -= 10
        data = _jpeg(image, quality)
    # Noise-like art that is still too big at quality 50: shrink until it fits.
    while len(data) > EMBED_MAX_BYTES:
        image = image.resize(
            (image.width * 3 // 4, image.height * 3 // 4), Image.Resampling.LANCZOS
        )
        data = _jpeg(image, quality)
    return data


def publishable_image(path: Path) -> tuple[bytes, str]:
    """The copy published under images/: bytes and extension ("jpg"/"png") of its real format.

    RGB art is published byte for byte; other colour modes are converted at full quality.
    """
    image = _open(path, "image")
    ext = FORMATS[image.format][0]
    if not _needs_rgb(image):
        return path.read_bytes(), ext
    rgb = _to_rgb(image)
    out = io.BytesIO()
    if image.format == "JPEG":
        rgb.save(out, "JPEG", quality=PUBLISH_JPEG_QUALITY, subsampling=0)
    else:
        rgb.save(out, "PNG", optimize=True)
    return out.getvalue(), ext


def open_rgb(path: Path, *, what: str) -> Image.Image:
    """The decoded image in RGB (transparency flattened), for art drawn from it."""
    return _to_rgb(_open(path, what))


def _open(path: Path, what: str) -> Image.Image:
    """Decode the whole image (so truncated files fail here) and check its real format."""
    try:
        image = Image.open(io.BytesIO(path.read_bytes()))
        image.load()
    except FileNotFoundError:
        raise _error(path, what, "file not found", "check the file name and folder") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _error(
            path, what, f"cannot be read as an image ({exc})", "export it again as JPEG or PNG"
        ) from None
    if image.format not in FORMATS:
        raise _error(
            path,
            what,
            f"is a {image.format} image; podcast apps accept only JPEG or PNG",
            f"export it as JPEG or PNG ({RULE})",
        )
    ext, suffixes = FORMATS[image.format]
    if path.suffix.lower() not in suffixes:
        # Apple rejects art whose extension does not match its content (QUIRKS: Feed).
        raise _error(
            path,
            what,
            f"is a {image.format} image named {path.suffix or 'without extension'}",
            f"rename it to {path.stem}.{ext}",
        )
    return image


def _error(path: Path, what: str, message: str, hint: str) -> ArtworkError:
    return ArtworkError(message, path=path, field=what, hint=hint)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _needs_rgb(image: Image.Image) -> bool:
    return image.mode != "RGB" or _has_alpha(image)


def _describe_mode(image: Image.Image) -> str:
    if _has_alpha(image):
        return f"{MODE_NAMES.get(image.mode, image.mode)} with transparency"
    return MODE_NAMES.get(image.mode, image.mode)


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB, with transparency flattened onto white (apps draw art on any background)."""
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # Baseline, not progressive: some car stereos and old players cannot decode progressive art.
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()

"""Cover art: Apple's rules enforced with messages naming file and rule; conversions to RGB."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from podcast_pipe.artwork import (
    EMBED_MAX_BYTES,
    ArtworkWarning,
    check_cover,
    embedded_cover,
    publishable_image,
    report_cover,
)
from podcast_pipe.errors import ArtworkError, Problems


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_good_cover_passes_and_is_published_byte_for_byte(make_image) -> None:
    cover = make_image("cover.jpg", 1400)
    assert check_cover(cover, what="show cover") == []
    data, ext = publishable_image(cover)
    assert (data, ext) == (cover.read_bytes(), "jpg")


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ((1400, 1500), "is 1400×1500 px, not square"),
        (1000, "is 1000×1000 px, too small"),
        (3200, "is 3200×3200 px, too large"),
    ],
)
def test_wrong_size_is_an_error_naming_file_and_rule(make_image, size, message) -> None:
    cover = make_image("cover.png", size)
    [problem] = check_cover(cover, what="show cover")
    assert type(problem) is ArtworkError
    text = str(problem)
    assert text.startswith(f"{cover}: show cover: {message}")
    assert "square, 1400–3000 px" in text


def test_webp_named_png_is_rejected(make_image) -> None:
    cover = make_image("cover.png", 1400, fmt="WEBP")
    [problem] = check_cover(cover, what="episode art")
    assert "is a WEBP image; podcast apps accept only JPEG or PNG" in str(problem)
    assert problem.path == cover and problem.field == "episode art"
    with pytest.raises(ArtworkError, match="WEBP"):
        publishable_image(cover)


def test_extension_must_match_the_real_format(make_image) -> None:
    cover = make_image("cover.png", 1400, fmt="JPEG")
    [problem] = check_cover(cover, what="show cover")
    assert "is a JPEG image named .png" in str(problem)
    assert problem.hint == "rename it to cover.jpg"


def test_unreadable_truncated_and_missing_files_are_errors(tmp_path: Path, make_image) -> None:
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(os.urandom(2000))
    truncated = make_image("truncated.jpg", 1400)
    truncated.write_bytes(truncated.read_bytes()[:-2000])
    for path in (garbage, truncated):
        [problem] = check_cover(path, what="show cover")
        assert "cannot be read as an image" in str(problem) and str(path) in str(problem)
    [missing] = check_cover(tmp_path / "nope.jpg", what="show cover")
    assert "file not found" in str(missing)
    with pytest.raises(ArtworkError, match="cannot be read"):
        embedded_cover(garbage)


def test_cmyk_is_a_warning_and_converted_to_rgb(make_image) -> None:
    cover = make_image("cover.jpg", 1400, mode="CMYK", color=(0, 255, 255, 0))  # pure red
    [warning] = check_cover(cover, what="show cover")
    assert isinstance(warning, ArtworkWarning) and "is CMYK" in str(warning)
    data, ext = publishable_image(cover)
    published = decode(data)
    assert (ext, published.format, published.mode) == ("jpg", "JPEG", "RGB")
    red, green, blue = published.getpixel((700, 700))
    assert red > 240 and green < 15 and blue < 15
    assert decode(embedded_cover(cover)).mode == "RGB"


def test_alpha_png_is_flattened_onto_white(make_image) -> None:
    cover = make_image("cover.png", 1400, mode="RGBA", color=(0, 0, 0, 0))
    [warning] = check_cover(cover, what="show cover")
    assert isinstance(warning, ArtworkWarning) and "with transparency" in str(warning)
    data, ext = publishable_image(cover)
    published = decode(data)
    assert (ext, published.format, published.mode) == ("png", "PNG", "RGB")
    assert published.getpixel((0, 0)) == (255, 255, 255)
    embedded = decode(embedded_cover(cover))
    assert (embedded.format, embedded.mode) == ("JPEG", "RGB")
    assert min(embedded.getpixel((10, 10))) > 250


def test_rgb_png_with_a_transparent_colour_is_flattened(tmp_path: Path) -> None:
    cover = tmp_path / "keyed.png"
    Image.new("RGB", (1400, 1400), "black").save(cover, transparency=(0, 0, 0))
    [warning] = check_cover(cover, what="show cover")
    assert "is RGB with transparency" in str(warning)
    data, _ = publishable_image(cover)
    assert decode(data).getpixel((0, 0)) == (255, 255, 255)


def test_palette_png_is_converted(make_image) -> None:
    cover = make_image("cover.png", 1400, mode="P", color=3)
    [warning] = check_cover(cover, what="show cover")
    assert "is palette" in str(warning)
    data, _ = publishable_image(cover)
    assert decode(data).mode == "RGB"


@pytest.mark.parametrize("max_px", [1400, 2400])
def test_embedded_copy_is_small_rgb_baseline_jpeg(tmp_path: Path, max_px: int) -> None:
    # Noise is the worst case for JPEG: it forces lower quality, at 2400 px a smaller size too.
    cover = tmp_path / "noise.png"
    Image.frombytes("RGB", (3000, 3000), os.urandom(3000 * 3000 * 3)).save(cover)
    data = embedded_cover(cover, max_px=max_px)
    image = decode(data)
    assert len(data) <= EMBED_MAX_BYTES
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.width == image.height <= max_px
    assert not image.info.get("progressive")


def test_detailed_art_loses_quality_before_size(tmp_path: Path) -> None:
    cover = tmp_path / "detailed.png"
    noise = Image.frombytes("RGB", (350, 350), os.urandom(350 * 350 * 3))
    noise.resize((1400, 1400), Image.Resampling.BICUBIC).save(cover)  # ~900 KB at quality 90
    data = embedded_cover(cover)
    assert len(data) <= EMBED_MAX_BYTES and decode(data).size == (1400, 1400)


def test_embedded_copy_of_plain_art_keeps_1400_px(make_image) -> None:
    image = decode(embedded_cover(make_image("big.jpg", 3000)))
    assert image.size == (1400, 1400)


def test_report_cover_files_errors_and_warnings_apart(make_image) -> None:
    problems = Problems()
    report_cover(make_image("small.png", 500, mode="RGBA"), what="episode art", problems=problems)
    assert [type(p) for p in problems.errors] == [ArtworkError]
    assert [type(p) for p in problems.warnings] == [ArtworkWarning]

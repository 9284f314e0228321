"""podcast:image variants drawn from the show cover with Pillow."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from podcast_pipe.errors import ArtworkError
from podcast_pipe.files import sha256_bytes
from podcast_pipe.podcast_images import generate_images


def test_each_purpose_has_its_size_and_a_content_hashed_key(make_image: Callable) -> None:
    cover = make_image("feed/cover.png", 1400, color=(200, 40, 40), fmt="PNG")
    generated = {
        g.image.purpose: g for g in generate_images(cover, ("artwork", "social", "banner"))
    }
    for purpose, size in {"artwork": (1400, 1400), "social": (1200, 630),
                          "banner": (2400, 600)}.items():  # fmt: skip
        item = generated[purpose]
        decoded = Image.open(io.BytesIO(item.data))
        assert (decoded.format, decoded.mode, decoded.size) == ("JPEG", "RGB", size)
        assert (item.image.width, item.image.height) == size
        assert item.image.key == f"images/cover-{purpose}-{sha256_bytes(item.data)[:8]}.jpg"
        assert item.image.type == "image/jpeg"


def test_wide_images_show_the_whole_cover_on_a_dimmed_background(make_image: Callable) -> None:
    cover = make_image("feed/cover.jpg", 1400, color=(40, 160, 220))
    [social] = generate_images(cover, ("social",))
    image = Image.open(io.BytesIO(social.data)).convert("RGB")
    middle = image.getpixel((600, 315))
    edge = image.getpixel((10, 315))
    assert all(abs(a - b) <= 6 for a, b in zip(middle, (40, 160, 220), strict=True))
    assert all(e < m for e, m in zip(edge, middle, strict=True))  # the background is darker


def test_same_cover_same_bytes_new_cover_new_key(make_image: Callable) -> None:
    cover = make_image("feed/cover.jpg", 1400, color="teal")
    first = generate_images(cover, ("banner",))
    assert generate_images(cover, ("banner",)) == first
    make_image("feed/cover.jpg", 1400, color="orange")
    assert generate_images(cover, ("banner",))[0].image.key != first[0].image.key


def test_an_unreadable_cover_is_a_named_problem(tmp_path) -> None:
    cover = tmp_path / "feed" / "cover.jpg"
    cover.parent.mkdir()
    cover.write_bytes(b"not an image")
    with pytest.raises(ArtworkError, match="cannot be read as an image"):
        generate_images(cover, ("social",))

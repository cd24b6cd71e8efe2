"""Uploaded photos are decoded in full and re-encoded with nothing but their pixels."""

from __future__ import annotations

import pytest
from image_helpers import (
    ATTACKS,
    has_gps,
    jpeg_with_gps,
    png,
    png_claiming,
    read_back,
    upright_size,
    webp,
)

from enforcement.errors import ValidationFailed
from enforcement.inspections.evidence import (
    DAMAGED,
    NOT_AN_IMAGE,
    TOO_MANY_PIXELS,
    clean_image,
    download_name,
)


def _refusal(data: bytes, **kwargs: int) -> str:
    with pytest.raises(ValidationFailed) as caught:
        clean_image(data, **kwargs)
    return caught.value.errors["photo"]


@pytest.mark.parametrize(("data", "name"), ATTACKS, ids=["jpeg+html", "png+php", "12-byte webp"])
def test_files_that_only_start_like_an_image_are_refused(data: bytes, name: str) -> None:
    assert name  # the name they were uploaded under plays no part in the decision
    assert _refusal(data) == DAMAGED


def test_other_files_are_refused_before_decoding() -> None:
    assert _refusal(b"GIF89a\x01\x00\x01\x00") == NOT_AN_IMAGE
    assert _refusal(b"<svg onload=alert(1)>") == NOT_AN_IMAGE


def test_a_truncated_image_is_refused() -> None:
    whole = jpeg_with_gps(200, 150)
    assert _refusal(whole[: len(whole) // 2]) == DAMAGED
    photo = png(64, 64)
    assert _refusal(photo[:-20]) == DAMAGED


def test_decompression_bombs_are_refused_from_their_header() -> None:
    assert _refusal(png_claiming(50_000, 50_000)) == TOO_MANY_PIXELS  # past Pillow's own limit
    assert _refusal(png_claiming(8_000, 6_000)) == TOO_MANY_PIXELS  # 48 megapixels: past ours
    assert _refusal(png(40, 30), max_pixels=1_000) == TOO_MANY_PIXELS


def test_a_jpeg_loses_its_gps_and_camera_but_keeps_its_picture_upright() -> None:
    original = jpeg_with_gps(40, 30, orientation=6)  # the phone was held sideways
    assert has_gps(original) and read_back(original).getexif()
    cleaned, kind = clean_image(original)
    back = read_back(cleaned)
    assert kind == "image/jpeg" and back.format == "JPEG"
    assert not has_gps(cleaned) and not back.getexif() and "exif" not in back.info
    assert "comment" not in back.info and "icc_profile" not in back.info
    assert back.size == upright_size(original) == (30, 40)
    assert back.getpixel((15, 20))[0] > 150  # still the same red picture


def test_a_png_loses_its_text_chunks_and_anything_appended() -> None:
    original = png(32, 24) + b"<?php echo 'appended'; ?>"
    cleaned, kind = clean_image(original)
    back = read_back(cleaned)
    assert kind == "image/png" and back.size == (32, 24) and back.info.get("Author") is None
    assert b"php" not in cleaned and b"Author" not in cleaned


def test_a_webp_with_transparency_stays_a_webp_with_transparency() -> None:
    cleaned, kind = clean_image(webp())
    back = read_back(cleaned)
    assert kind == "image/webp" and back.mode == "RGBA" and back.size == (16, 16)


def test_the_same_picture_cleans_to_the_same_bytes() -> None:
    assert clean_image(jpeg_with_gps())[0] == clean_image(jpeg_with_gps())[0]


def test_download_names_come_from_the_hash_and_type() -> None:
    digest = "ab" * 32
    assert download_name(digest, "image/png") == "evidence-abababababababab.png"
    assert download_name(digest, "text/html") == "evidence-abababababababab.bin"

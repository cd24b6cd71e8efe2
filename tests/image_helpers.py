"""Real images made with Pillow for the evidence tests, and the upload attacks they must refuse."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageOps
from PIL.ExifTags import GPS, IFD, Base
from PIL.PngImagePlugin import PngInfo

# Where an officer stood: latitude 51°29'30" N, longitude 0°13'30" W (Hammersmith).
LATITUDE = (51.0, 29.0, 30.0)
LONGITUDE = (0.0, 13.0, 30.0)


def png(width: int = 32, height: int = 24, colour: tuple[int, int, int] = (20, 120, 200)) -> bytes:
    """Return a real PNG carrying a text chunk that names its author."""
    info = PngInfo()
    info.add_text("Author", "PC Example, phone 07700 900123")
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg_with_gps(width: int = 40, height: int = 30, orientation: int = 1) -> bytes:
    """Return a real JPEG whose EXIF says where and with what it was taken."""
    exif = Image.Exif()
    exif[Base.Make] = "Example Phones"
    exif[Base.Model] = "Officer handset 7"
    exif[Base.Orientation] = orientation
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef] = "N"
    gps[GPS.GPSLatitude] = LATITUDE
    gps[GPS.GPSLongitudeRef] = "W"
    gps[GPS.GPSLongitude] = LONGITUDE
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (200, 40, 40))
    image.save(out, "JPEG", exif=exif, comment=b"taken at 12 Example Road")
    return out.getvalue()


def webp(width: int = 16, height: int = 16) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 200, 0, 128)).save(out, "WEBP")
    return out.getvalue()


def read_back(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def has_gps(data: bytes) -> bool:
    return bool(read_back(data).getexif().get_ifd(IFD.GPSInfo))


def upright_size(data: bytes) -> tuple[int, int]:
    transposed = ImageOps.exif_transpose(read_back(data))
    return transposed.size


# The three files issue 15 found accepted, each checked only by its first bytes.
JPEG_THEN_HTML = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"<html><script>alert(document.cookie)</script>"
)
PNG_THEN_PHP = b"\x89PNG\r\n\x1a\n" + b"<?php system($_GET['c']); ?>"
TWELVE_BYTE_WEBP = b"RIFF\x04\x00\x00\x00WEBP"
ATTACKS = (
    (JPEG_THEN_HTML, "poster.jpg"),
    (PNG_THEN_PHP, "shell.php"),
    (TWELVE_BYTE_WEBP, "poster.webp"),
)


def png_claiming(width: int, height: int) -> bytes:
    """Return a tiny PNG whose header claims a huge size: a decompression bomb's opening."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )

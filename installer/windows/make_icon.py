"""Render ``resources/icons/app.svg`` into ``installer/windows/app.ico`` (the exe's and the installer's icon).

    python installer/windows/make_icon.py

Each size is drawn from the SVG by Qt (sharper than scaling one bitmap down). The classic layout that every
reader accepts (Explorer, the resource compilers, Inno Setup's SetupIconFile): 32-bit BGRA bitmaps for
the small sizes, PNG for 256 px. Needs only PySide6; runs without a screen. Run it again after changing
app.svg and commit the result.
"""
from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SVG = HERE.parent.parent / "resources" / "icons" / "app.svg"
ICO = HERE / "app.ico"
SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)


def render(renderer, size: int):
    """The SVG drawn on a transparent square of ``size`` pixels (QImage, ARGB32 not premultiplied)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def dib_bytes(image) -> bytes:
    """A 32-bit icon bitmap: BITMAPINFOHEADER (height doubled for the mask), BGRA rows bottom-up, AND mask."""
    size = image.width()
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = [bytes(image.constScanLine(y))[: size * 4] for y in range(size)]  # ARGB32 is B,G,R,A in memory (little-endian)
    mask_row = bytes(((size + 31) // 32) * 4)  # all 0: the alpha channel decides transparency
    return header + b"".join(reversed(rows)) + mask_row * size


def ico_bytes(images: dict[int, bytes]) -> bytes:
    """An ICO file: ICONDIR, one ICONDIRENTRY per image, then the images."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, payload = b"", b""
    for size, data in sorted(images.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        payload += data
        offset += len(data)
    return header + entries + payload


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"No se pudo leer {SVG}", file=sys.stderr)
        return 1
    images = {}
    for size in SIZES:
        image = render(renderer, size)
        images[size] = png_bytes(image) if size >= 256 else dib_bytes(image)
    ICO.write_bytes(ico_bytes(images))
    print(f"{ICO} ({ICO.stat().st_size} bytes, {len(SIZES)} tamaños)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

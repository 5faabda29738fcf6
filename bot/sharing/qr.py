"""QR codes of a campaign's link, as PNG (to send or print) and SVG (to scale on a poster).

segno, because it writes both formats itself, in pure Python, with no Pillow; error
correction at least M (15 % of the modules may be lost), raised by segno when the data leaves
room, so a creased or dirty print still scans.
"""

from __future__ import annotations

import io
from enum import StrEnum

import segno

PNG_SCALE = 10  # pixels per module: about 4 cm at 300 dpi for a t.me link
BORDER = 4  # the quiet zone the QR specification asks for, in modules


class Format(StrEnum):
    PNG = "png"
    SVG = "svg"


MEDIA_TYPES = {Format.PNG: "image/png", Format.SVG: "image/svg+xml"}


def qr_code(url: str, kind: Format) -> bytes:
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    if kind is Format.PNG:
        code.save(out, kind="png", scale=PNG_SCALE, border=BORDER)
    else:
        # Scale 1 and a viewBox: the SVG takes whatever size the page or the printer gives it.
        code.save(out, kind="svg", border=BORDER, xmldecl=False, svgns=True, omitsize=True)
    return out.getvalue()


def svg_inline(url: str) -> str:
    """The SVG as text, to put inside an HTML page (the printable card)."""
    return qr_code(url, Format.SVG).decode()

"""QR codes for printed pages: an SVG drawn on the server (segno, pure Python), no script."""
from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(link: str, title: str) -> Markup:
    """The link as an inline SVG QR code, with ``title`` for screen readers.

    segno draws only squares from the data; the title is escaped by segno's writer.
    """
    code = segno.make(link, error="m")
    return Markup(code.svg_inline(scale=3, border=2, title=title, svgclass="qr", lineclass=None,  # nosec B704
                                  omitsize=False))

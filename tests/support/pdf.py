"""Check a PDF report the way a reader would: its text, its fonts, and a page as an image."""

from __future__ import annotations

import io
import shutil
import subprocess

from pypdf import PdfReader

# Base font names of the families core.pdf asks for (WeasyPrint embeds subsets: "ABCDEF+Name").
JAPANESE_FONT_MARKERS = ("CJK", "IPAex", "IPAGothic", "Noto-Sans-JP", "NotoSansJP")


def pdf_text(pdf: bytes) -> str:
    """All the text of the PDF, page after page."""
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def embedded_fonts(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    names: set[str] = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object().get("/BaseFont", "")))
    return names


def page_ink(pdf: bytes, page: int = 1, dpi: int = 50) -> float:
    """Render ``page`` to a grey image with pdftoppm; return the share of dark pixels."""
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (poppler-utils) is needed to render a PDF page"
    out = subprocess.run(
        [pdftoppm, "-gray", "-r", str(dpi), "-f", str(page), "-l", str(page), "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    # PGM (P5): header "P5\n<w> <h>\n<max>\n" then one byte a pixel.
    parts = out.split(b"\n", 3)
    assert parts[0] == b"P5", parts[0]
    width, height = (int(x) for x in parts[1].split())
    pixels = parts[3][: width * height]
    dark = sum(1 for b in pixels if b < 128)
    return dark / (width * height)


def assert_japanese_pdf(pdf: bytes, *expected: str) -> str:
    """Assert the PDF shows ``expected`` texts in an embedded Japanese font; return its text."""
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    text = pdf_text(pdf)
    for snippet in expected:
        assert snippet in text, f"{snippet!r} not in the PDF text: {text[:500]!r}"
    fonts = embedded_fonts(pdf)
    assert any(m in f for f in fonts for m in JAPANESE_FONT_MARKERS), fonts
    assert page_ink(pdf) > 0.001, "the first page renders blank"
    return text

"""Uploaded evidence: the type comes from the content, the download name from that type."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from isms.core import uploads

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_type_is_found_from_the_content_not_the_name() -> None:
    assert uploads.detect_type(PDF) == "application/pdf"
    assert uploads.detect_type(b'new ActiveXObject("WScript.Shell").Run("calc");\n') == "text/plain"


def test_a_script_never_downloads_under_its_own_extension() -> None:
    assert uploads.download_name("証拠.js", "text/plain") == "証拠.txt"
    assert uploads.download_name("../../etc/passwd", "text/plain") == "passwd.txt"
    assert uploads.download_name("a\\b\\請求書.vbs", "application/x-unknown") == "請求書.bin"
    assert uploads.download_name("", "application/pdf") == "file.pdf"
    assert uploads.download_name("...", "application/pdf", default="evidence") == "evidence.pdf"


@given(name=st.text(max_size=300), content_type=st.sampled_from([*uploads.EXTENSIONS, "x/y"]))
def test_any_name_downloads_with_the_extension_of_its_type(name: str, content_type: str) -> None:
    out = uploads.download_name(name, content_type)
    assert out.endswith(uploads.EXTENSIONS.get(content_type, ".bin"))
    assert "/" not in out and "\\" not in out and out.isprintable()
    assert len(out) <= 200

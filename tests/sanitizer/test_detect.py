"""Kinds from content: the oletools, pycirclean, clamav and pdf samples of the corpus."""

from __future__ import annotations

import pytest

from isms.sanitizer import FileKind, ReasonCode
from isms.sanitizer.detect import detect, file_extension

from .conftest import CORPUS

SAMPLES = {
    "oletools/oleform/oleform-PR314.docm": FileKind.office_active,
    "oletools/excel4-macros/excel4_sample_macro.xls": FileKind.office_active,
    "oletools/excel4-macros/excel4_sample_macro.slk": FileKind.office_active,
    "oletools/msodde/dde-test.docx": FileKind.office_active,
    "oletools/msodde/dde-test.xlsx": FileKind.office_active,
    "oletools/msodde/harmless-clean.docx": FileKind.office,
    "oletools/msodde/dde-in-csv.csv": FileKind.csv,
    "oletools/encrypted/encrypted.docx": FileKind.encrypted,
    "oletools/encrypted/encrypted.xls": FileKind.encrypted,
    "oletools/encrypted/dde-test-encrypt-standardpassword.xlsx": FileKind.encrypted,
    "oletools/oleobj/embedded-simple-2007.docx": FileKind.office_active,
    "oletools/oleobj/external_link/sample_with_external_link_to_doc.docx": FileKind.office_active,
    "oletools/rtfobj/issue_251.rtf": FileKind.office_active,
    "pycirclean/normal/word_docx.docx": FileKind.office,
    "pycirclean/normal/rich_text.rtf": FileKind.office,
    "pycirclean/normal/zip_archive.zip": FileKind.archive,
    "pycirclean/normal/pdf-sample.pdf": FileKind.pdf,
    "pycirclean/dangerous/Example.svg": FileKind.svg,
    "pycirclean/dangerous/autorun.inf": FileKind.script,
    "clamav-testfiles/clam.zip": FileKind.archive,
    "clamav-testfiles/clam.tnef": FileKind.tnef,
    "clamav-testfiles/clam.exe.html": FileKind.html,
    "clamav-testfiles/clam.pdf": FileKind.pdf_active,  # embeds clam.exe
    "pdf/clean-text.pdf": FileKind.pdf,
    "pdf/js-openaction.pdf": FileKind.pdf_active,
    "pdf/launch-action.pdf": FileKind.pdf_active,
    "pdf/embedded-file-uri.pdf": FileKind.pdf_active,
    "mail-parser/mails/mail_outlook_1": FileKind.unknown,
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_corpus_samples(name):
    """Each sample gets the kind that decides its policy (encrypted and active ones spotted)."""
    path = CORPUS / name
    assert detect(path.read_bytes(), filename=path.name, declared_type="").kind is SAMPLES[name]


def test_dangerous_extensions_win_over_content():
    """Text named .js or .pdf.exe, and a ZIP named .docm, are not what they look like."""
    assert detect(b"var x = 1;\n", filename="setup.js", declared_type="").kind is FileKind.script
    assert (
        detect(b"%PDF-1.4\n", filename="請求書.pdf.exe", declared_type="").kind
        is FileKind.executable
    )
    assert (
        detect(b"MZ\x90\x00", filename="a.pdf", declared_type="application/pdf").kind
        is FileKind.executable
    )
    assert detect(b"text", filename="x.exe. . ", declared_type="").kind is FileKind.executable


def test_type_mismatch_is_reported():
    """An extension claiming another kind than the content is a type_mismatch finding."""
    found = detect(b"This could be a file named 'test.zip'", filename="file.zip", declared_type="")
    assert ReasonCode.type_mismatch in found.findings


def test_cp932_text_is_not_a_dos_program():
    """CP932 text that libmagic takes for a DOS .COM file is text."""
    data = "見積書\n品名：庁内ネットワーク保守\n".encode("cp932")
    assert detect(data, filename="見積書.txt", declared_type="").kind is FileKind.text


def test_file_extension():
    """The last extension, lower case, ignoring Windows-stripped trailing dots and spaces."""
    assert file_extension("a.PDF.exe") == "exe"
    assert file_extension("a.exe. ") == "exe"
    assert file_extension("noext") == ""
    assert file_extension(None) == ""

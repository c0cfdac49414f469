"""PDF reports (committee reports, the emergency response plan) from Django templates.

WeasyPrint lays out HTML with Pango; Japanese text needs a Japanese font installed on the
machine (Debian's ``fonts-noto-cjk`` or ``fonts-ipaexfont``): the app runs without Internet, so
nothing is fetched. The fetcher allows only ``data:`` URLs: a report never reaches the network
or the server's files, whatever text a user put into it.

Reports extend ``core/pdf_base.html``, which sets the page, the fonts and a header/footer.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

# Families tried in order; fontconfig picks the first one installed.
FONT_FAMILIES = ("Noto Sans CJK JP", "IPAexGothic", "IPAGothic", "Noto Sans JP")


class PdfUnavailable(RuntimeError):
    """The machine cannot render Japanese PDF (no Japanese font, or WeasyPrint cannot load)."""


@functools.cache
def japanese_font_installed() -> bool:
    """Whether fontconfig knows a font that covers Japanese."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    out = subprocess.run(  # noqa: S603 - fixed arguments, no user input
        [fc_list, ":lang=ja", "family"], capture_output=True, text=True, timeout=20, check=False
    ).stdout
    return bool(out.strip())


def _deny_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    """Fetch ``data:`` URLs only (``fetch`` of :class:`DataOnlyFetcher`)."""
    from weasyprint.urls import URLFetcher

    if not url.startswith("data:"):
        raise ValueError(f"PDF reports fetch nothing: {url[:60]}")
    return URLFetcher.fetch(_fetcher(), url, *args, **kwargs)


@functools.cache
def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    class DataOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, *args: Any, **kwargs: Any) -> Any:
            return _deny_fetch(url, *args, **kwargs)

    return DataOnlyFetcher(allowed_protocols=("data",), allow_redirects=False)


def html_to_pdf(html: str) -> bytes:
    """Lay out ``html`` as a PDF and return its bytes."""
    if not japanese_font_installed():
        raise PdfUnavailable(
            _(
                "No Japanese font is installed, so the PDF cannot be made. Ask the "
                "administrator to install fonts-noto-cjk or fonts-ipaexfont."
            )
        )
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # Pango missing: OSError from cffi
        raise PdfUnavailable(
            _("The PDF library cannot start on this server (%(error)s).") % {"error": exc}
        ) from exc
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=_fetcher())
    pdf: bytes = document.write_pdf()
    return pdf


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render ``template_name`` (which extends ``core/pdf_base.html``) to PDF bytes."""
    html = render_to_string(template_name, {"pdf_fonts": FONT_FAMILIES, **context})
    return html_to_pdf(html)

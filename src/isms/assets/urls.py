"""Pages of the information asset register (``/assets/``).

``io_urls.py`` holds the import/export pages; both share the ``assets`` namespace.
"""

from django.urls import URLPattern, URLResolver

from .io_urls import urlpatterns as io_urlpatterns

app_name = "assets"

urlpatterns: list[URLPattern | URLResolver] = [
    *io_urlpatterns,
]

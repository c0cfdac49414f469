"""Open ISMS for Japanese municipalities.

One package: the Django project (``settings``, ``urls``), the domain apps (``core``, ``policy``,
...) and the two engines that never import Django (``sanitizer``, ``segments``).
"""

__version__ = "0.1.0"

"""Network separation checks in the web app (対策基準 3; issue 8, items 3 and 4).

- ``uploads.py``: a network model and its configurations (or a zip of them), checked and kept
  under ``DATA_DIR/network/<municipality id>/<snapshot id>/``;
- ``services.py``: every write (uploads, checks asked for, the 例外措置 register, reminders);
- ``checks.py``: the thin adapter that runs the Django-free engine ``isms.segments`` on a
  snapshot (a Huey task, ``tasks.py``), stores the report and matches violations to assets;
- ``inventory.py``: the register against the network model (segments, zones, MFA and export
  block, crossing points);
- ``views.py``/``urls.py`` the pages under ``/assets/network/``, ``api.py`` the API under
  ``/api/v1/network/``.

See "Web app" in docs/segments.md.
"""

"""Reproducible benchmarks of the ISMS (not part of the test suite; results in docs/benchmarks.md).

Run everything (starts and removes a throw-away PostgreSQL 15 cluster)::

    .venv/bin/python -m benchmarks.run

Modules:

- :mod:`benchmarks.run`: the harness; runs each step in its own process and prints the tables;
- :mod:`benchmarks.generate`: synthetic data, up to the prefecture scale (bulk inserts, journaled);
- :mod:`benchmarks.pages`: query counts and timings of list pages as the lists grow;
- :mod:`benchmarks.journal_throughput`: concurrent service writers with and without the journal;
- :mod:`benchmarks.pgcluster`: a throw-away PostgreSQL 15 cluster, as ``scripts/test`` starts it;
- :mod:`benchmarks.env`: Django setup for the steps.

The rest of this folder (``sanitizer/``, ``segments/``, ``gateway/``, ``org_people.py``) belongs
to other features and runs on its own; docs/benchmarks.md lists the commands.
"""

"""Information asset register (情報資産管理台帳).

``classification/`` is the Django-free core (schemes, 取扱制限, migration, assistant, checks);
the rest is the Django app built on it: ``models/`` (the register, classification records,
scheme migrations, lifecycle requests), ``services.py`` (every write; ``scheme_migration.py``
and ``lifecycle.py`` hold the migration and approval writes), ``visibility.py`` (who sees and
edits what), ``hosts.py`` (IP ranges and host names), ``facts.py`` (model → ``AssetFacts``) and
``consistency.py`` (the report). Each module's docstring gives its rules; the classification
core is documented in ``docs/assets-classification.md``.
"""

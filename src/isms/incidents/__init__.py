"""Incidents (情報セキュリティインシデント) and, in ``plan``, the 緊急時対応計画."""

"""The 緊急時対応計画 (対策基準 7.3): its own Django app (label ``incident_plan``) inside
``incidents``, so that the plan and the incident records keep separate migrations."""

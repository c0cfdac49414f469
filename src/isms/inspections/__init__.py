"""自己点検 (self-inspection campaigns); later 監査 (audits), findings, corrective actions."""

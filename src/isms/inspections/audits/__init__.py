"""監査 (対策基準 9.1): audit plans, audits with their working papers, findings."""

"""Information asset register (情報資産管理台帳)."""

"""The partner workspace at /admin: accounts, editing, review, history (issue 14)."""

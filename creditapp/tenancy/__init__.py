"""Row-level-security tenancy (DESIGN.md §4): one tenant per user, enforced by PostgreSQL."""

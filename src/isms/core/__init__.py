"""Tenancy, organisation, people, roles, permissions and the journal."""

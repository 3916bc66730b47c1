"""Clients (contacts) of a tenant: CRUD, tags, search, CSV import and export."""

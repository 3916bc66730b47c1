"""Database access: declarative base, column types, engines and the request-scoped session."""

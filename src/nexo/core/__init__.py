"""Mechanisms with no business words: settings, database, tenancy, errors, logging."""

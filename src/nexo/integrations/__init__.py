"""Outbound adapters to real services, each a small interface and a real HTTP client."""

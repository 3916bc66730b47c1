"""The platform surface."""

"""The tasks surface."""

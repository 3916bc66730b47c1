"""The collections surface."""

"""The media surface."""

"""Who is calling: one principal model for users, API keys, OAuth clients and connectors, and the
typed dependencies routes use to demand one."""

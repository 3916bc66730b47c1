"""Receivables: the portfolio on-premise connectors push, its aging, and dunning (collections surface)."""

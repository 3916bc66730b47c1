"""Campaigns: business hours, SLAs, routing, and the numbers and agents assigned to each."""

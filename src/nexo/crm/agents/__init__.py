"""Agents: the contact-center side of a user (status with history, capacity, skills)."""

"""The crm surface."""

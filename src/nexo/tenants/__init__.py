"""Tenants: the organizations whose data Nexo keeps apart."""

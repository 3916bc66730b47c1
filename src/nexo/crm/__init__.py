"""The CRM directory: clients, campaigns, WhatsApp numbers and agents of a contact center.

Domain code only (models and services); the crm surface renders it in the spec's wire shapes."""

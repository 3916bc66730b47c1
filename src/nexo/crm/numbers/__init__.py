"""WhatsApp numbers of a tenant and their provider connections (Meta Cloud API, WPPConnect,
Evolution API)."""

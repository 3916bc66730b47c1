"""The media agency domain (specs/media-agency-api.md): parties, catalog, contracts, campaigns,
orders with line items and their state machine, and profitability reports computed in SQL.
No HTTP here; `nexo.surfaces.media` renders it."""

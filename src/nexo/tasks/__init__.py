"""The tasks domain: one set of tasks that the tasks surface (specs/tasks-api.md) and the crm surface
(§8) both render. Models, status transitions, the change feed, events and reminders; no HTTP."""

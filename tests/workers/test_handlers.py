"""A worker process loads every handler module; a renamed or broken one fails here, not in production."""

from __future__ import annotations

from nexo.core.jobs.registry import handler_for, known_kinds, periodics
from nexo.workers import HANDLER_MODULES, load_handlers


def test_every_handler_module_loads_and_registers_its_kinds() -> None:
    load_handlers()
    assert {"webhooks.deliver", "webhooks.verify", "webhooks.prune", "jobs.prune"} <= known_kinds()
    assert len(HANDLER_MODULES) == len(set(HANDLER_MODULES))
    for periodic in periodics():
        assert handler_for(periodic.kind) is not None, f"periodic {periodic.name} has no handler"

"""Task statuses, priorities and the table of allowed status moves.

The table is explicit so that a reader (and a test) can see every legal move at a glance. Moving a
finished task (completed or cancelled) back to `pending` is legal only as an explicit *reopen*: a
plain update that tries it is refused, so a client replaying an old "pending" state cannot silently
undo someone's completion.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from nexo.core.errors import Conflict

Status = Literal["pending", "in_progress", "completed", "cancelled"]
Priority = Literal["low", "medium", "high", "urgent"]

STATUSES: Final[tuple[Status, ...]] = get_args(Status)
PRIORITIES: Final[tuple[Priority, ...]] = get_args(Priority)
PENDING: Final[Status] = "pending"
IN_PROGRESS: Final[Status] = "in_progress"
COMPLETED: Final[Status] = "completed"
CANCELLED: Final[Status] = "cancelled"
FINISHED: Final[frozenset[Status]] = frozenset({COMPLETED, CANCELLED})

# status → the statuses an ordinary update may move it to.
TRANSITIONS: Final[dict[Status, frozenset[Status]]] = {
    PENDING: frozenset({IN_PROGRESS, COMPLETED, CANCELLED}),
    IN_PROGRESS: frozenset({PENDING, COMPLETED, CANCELLED}),
    COMPLETED: frozenset(),
    CANCELLED: frozenset(),
}
# status → the status an explicit reopen moves it to.
REOPENS: Final[dict[Status, Status]] = {COMPLETED: PENDING, CANCELLED: PENDING}


def can_move(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


def check_move(current: Status, target: Status) -> bool:
    """True when `target` is a real move, False when it restates the current status (a no-op);
    raises `Conflict` naming both statuses when the move is not allowed."""
    if current == target:
        return False
    if can_move(current, target):
        return True
    hint = " Reopen it first." if REOPENS.get(current) == target else ""
    raise Conflict(
        f"A task cannot move from {current} to {target}.{hint}",
        code="INVALID_STATUS_TRANSITION",
    )


def reopen_target(current: Status) -> Status:
    """The status a reopen leads to; `Conflict` when the task is not finished."""
    target = REOPENS.get(current)
    if target is None:
        raise Conflict(
            f"Only completed or cancelled tasks can be reopened; this one is {current}.",
            code="INVALID_STATUS_TRANSITION",
        )
    return target

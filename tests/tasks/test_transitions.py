"""The status table: every pair of statuses is either an allowed move, a no-op, or a 409 naming both."""

from __future__ import annotations

import itertools

import pytest

from nexo.core.errors import Conflict
from nexo.tasks.transitions import (
    CANCELLED,
    COMPLETED,
    IN_PROGRESS,
    PENDING,
    STATUSES,
    check_move,
    reopen_target,
)

ALLOWED = {
    (PENDING, IN_PROGRESS),
    (PENDING, COMPLETED),
    (PENDING, CANCELLED),
    (IN_PROGRESS, PENDING),
    (IN_PROGRESS, COMPLETED),
    (IN_PROGRESS, CANCELLED),
}


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_moves_are_moves(current: str, target: str) -> None:
    assert check_move(current, target) is True  # type: ignore[arg-type]


@pytest.mark.parametrize("status", STATUSES)
def test_restating_the_status_is_a_no_op(status: str) -> None:
    assert check_move(status, status) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "target"),
    [pair for pair in itertools.permutations(STATUSES, 2) if pair not in ALLOWED],
)
def test_illegal_moves_are_conflicts_naming_both_states(current: str, target: str) -> None:
    with pytest.raises(Conflict) as caught:
        check_move(current, target)  # type: ignore[arg-type]
    assert current in caught.value.message
    assert target in caught.value.message
    assert caught.value.error_code == "INVALID_STATUS_TRANSITION"


def test_a_completed_task_goes_back_to_pending_only_by_reopening() -> None:
    with pytest.raises(Conflict, match="Reopen it first"):
        check_move(COMPLETED, PENDING)
    assert reopen_target(COMPLETED) == PENDING
    assert reopen_target(CANCELLED) == PENDING


@pytest.mark.parametrize("status", [PENDING, IN_PROGRESS])
def test_only_finished_tasks_can_be_reopened(status: str) -> None:
    with pytest.raises(Conflict, match=status):
        reopen_target(status)  # type: ignore[arg-type]

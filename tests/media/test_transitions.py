"""The order state machine: every allowed move passes, everything else is refused by name."""

from __future__ import annotations

import itertools

import pytest

from nexo.core.errors import Conflict
from nexo.media.transitions import ALLOWED, ESTADOS, check_editable, check_transition

LEGAL = {
    ("pendiente", "aprobada"),
    ("pendiente", "cancelada"),
    ("aprobada", "en_ejecucion"),
    ("aprobada", "cancelada"),
    ("en_ejecucion", "completada"),
    ("en_ejecucion", "cancelada"),
    ("completada", "facturada"),
}


def test_the_machine_is_exactly_the_documented_one() -> None:
    assert {(a, b) for a, targets in ALLOWED.items() for b in targets} == LEGAL


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_allowed_moves_pass(current: str, target: str) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [pair for pair in itertools.permutations(ESTADOS, 2) if pair not in LEGAL],
)
def test_every_other_move_is_refused_naming_both_states(current: str, target: str) -> None:
    with pytest.raises(Conflict) as caught:
        check_transition(current, target)
    assert caught.value.error_code == "INVALID_STATE_TRANSITION"
    [detail] = caught.value.details
    assert detail.field == "estado"
    assert f"'{current}'" in detail.message and f"'{target}'" in detail.message


def test_staying_in_the_same_state_is_not_a_transition() -> None:
    check_transition("facturada", "facturada")


@pytest.mark.parametrize("estado", ["en_ejecucion", "completada", "facturada", "cancelada"])
def test_lines_are_locked_once_buying_started(estado: str) -> None:
    with pytest.raises(Conflict) as caught:
        check_editable(estado, "items")
    assert caught.value.details[0].field == "items"


@pytest.mark.parametrize("estado", ["pendiente", "aprobada"])
def test_lines_are_editable_before_buying(estado: str) -> None:
    check_editable(estado, "items")

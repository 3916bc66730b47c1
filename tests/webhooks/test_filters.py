"""Event patterns: `*`, trailing `.*`, single-segment `*`, Spanish names and validation messages."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexo.webhooks.filters import event_matches, pattern_problem, subscription_wants, validate_patterns

CATALOG = [
    "task.created",
    "task.updated",
    "task.completed",
    "ticket.created",
    "ticket.message.added",
    "lead.stage.changed",
    "orden.creada",
    "campaña.creada",
    "campaña.actualizada",
]


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        ("*", "task.created", True),
        ("*", "ticket.message.added", True),
        ("*", "campaña.creada", True),
        ("task.created", "task.created", True),
        ("task.created", "task.updated", False),
        ("task.created", "task.created.extra", False),
        ("task.*", "task.created", True),
        ("task.*", "task.comment.added", True),
        ("task.*", "task", False),
        ("task.*", "tasks.created", False),
        ("task.*", "ticket.created", False),
        ("*.created", "task.created", True),
        ("*.created", "ticket.created", True),
        ("*.created", "ticket.message.created", False),
        ("*.created", "created", False),
        ("ticket.*.added", "ticket.message.added", True),
        ("ticket.*.added", "ticket.message.note.added", False),
        ("ticket.*.added", "ticket.message.removed", False),
        ("*.*", "task.created", True),
        ("*.*", "ticket.message.added", True),
        ("*.*", "task", False),
        ("*.stage.*", "lead.stage.changed", True),
        ("*.stage.*", "lead.stage", False),
        ("campaña.*", "campaña.creada", True),
        ("campaña.creada", "campaña.creada", True),
        ("campana.creada", "campaña.creada", False),
        ("Task.created", "task.created", False),
    ],
)
def test_event_matches(pattern: str, event: str, expected: bool) -> None:
    assert event_matches(pattern, event) is expected


def test_decomposed_n_tilde_matches_the_precomposed_catalog_name() -> None:
    decomposed = unicodedata.normalize("NFD", "campaña.creada")
    assert decomposed != "campaña.creada"
    assert event_matches(decomposed, "campaña.creada")
    assert event_matches("campaña.*", decomposed)
    assert validate_patterns([decomposed], CATALOG) == []


@pytest.mark.parametrize(
    "pattern", ["", "task.", ".task", "task..created", "task.creat*", "**", "task.**", "a b"]
)
def test_malformed_patterns_match_nothing(pattern: str) -> None:
    assert pattern_problem(pattern) is not None
    assert not any(event_matches(pattern, event) for event in [*CATALOG, "task.creat*", "a b"])


def test_subscription_wants_any_pattern() -> None:
    assert subscription_wants(["lead.*", "task.completed"], "task.completed")
    assert subscription_wants(["lead.*", "task.completed"], "lead.stage.changed")
    assert not subscription_wants(["lead.*", "task.completed"], "task.created")
    assert subscription_wants(iter(["*"]), "orden.creada")


def test_empty_subscription_wants_nothing() -> None:
    assert not subscription_wants([], "task.created")


def test_valid_patterns_have_no_problems() -> None:
    assert (
        validate_patterns(["*", "task.*", "*.creada", "ticket.*.added", "campaña.actualizada"], CATALOG) == []
    )


def test_pattern_matching_no_catalog_event_is_named() -> None:
    problems = validate_patterns(["task.created", "task.creatd", "invoice.*"], CATALOG)
    assert problems == ["'task.creatd' matches no known event", "'invoice.*' matches no known event"]


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("", "cannot be empty"),
        ("task..created", "empty segment"),
        ("task.", "empty segment"),
        ("task.creat*", "'*' inside a segment"),
        ("task.created!", "may only contain"),
        ("task created", "may only contain"),
    ],
)
def test_malformed_pattern_problems_say_why(pattern: str, fragment: str) -> None:
    problems = validate_patterns([pattern], CATALOG)
    assert len(problems) == 1
    assert fragment in problems[0]


def test_empty_pattern_list_is_a_problem() -> None:
    assert validate_patterns([], CATALOG) == [
        "at least one event pattern is required (use '*' for every event)"
    ]


def test_each_problem_is_reported() -> None:
    assert len(validate_patterns(["task.*", "nope", "", "x.*"], CATALOG)) == 3


_segment = st.text(alphabet="abcñó_-0", min_size=1, max_size=5)
_event = st.lists(_segment, min_size=1, max_size=4).map(".".join)


@given(event=_event)
def test_every_event_matches_itself_and_star(event: str) -> None:
    assert event_matches(event, event)
    assert event_matches("*", event)


@given(prefix=_event, rest=_event)
def test_trailing_star_matches_any_remainder_of_its_prefix(prefix: str, rest: str) -> None:
    assert event_matches(f"{prefix}.*", f"{prefix}.{rest}")
    assert not event_matches(f"{prefix}.*", prefix)

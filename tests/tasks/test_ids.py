"""Public ids: `task_001` rendered, `task_1` / `task_001` / bare digits (where allowed) parsed."""

from __future__ import annotations

import pytest

from nexo.tasks.ids import TASK_PREFIX, USER_PREFIX, parse_id, render_task_id, render_user_id


def test_ids_render_zero_padded_like_the_spec() -> None:
    assert render_task_id(1) == "task_001"
    assert render_task_id(1234) == "task_1234"
    assert render_user_id(123) == "user_123"
    assert render_user_id(None) is None


@pytest.mark.parametrize("text", ["task_1", "task_001", "task_0001"])
def test_padding_does_not_matter_when_parsing(text: str) -> None:
    assert parse_id(TASK_PREFIX, text) == 1


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "task_",
        "task_0",
        "task_-1",
        "task_1a",
        "user_1",
        "task_１",
        "task_99999999999",
        "task_2147483648",
    ],
)
def test_malformed_or_out_of_range_ids_parse_to_none(text: str) -> None:
    assert parse_id(TASK_PREFIX, text) is None


def test_bare_numbers_only_where_allowed() -> None:
    assert parse_id(USER_PREFIX, "42", bare_allowed=True) == 42
    assert parse_id(USER_PREFIX, "user_42", bare_allowed=True) == 42
    assert parse_id(USER_PREFIX, "42") is None

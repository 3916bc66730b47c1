"""Public ids of the tasks spec: `task_001`, `user_123`.

Rendered zero-padded to three digits (as the spec's examples) and parsed with or without the padding,
so `task_1`, `task_001` and `task_0001` name the same task. The number is the task's integer id, the
one the crm surface shows, so both surfaces speak of the same task.
"""

from __future__ import annotations

import re

from nexo.core.db.types import MAX_ID

TASK_PREFIX = "task_"
USER_PREFIX = "user_"


def render_id(prefix: str, number: int) -> str:
    return f"{prefix}{number:03d}"


def parse_id(prefix: str, value: str, *, bare_allowed: bool = False) -> int | None:
    """The integer behind `<prefix><digits>` (or bare digits when allowed); None when malformed."""
    text = value.strip()
    if text.startswith(prefix):
        text = text[len(prefix) :]
    elif not bare_allowed:
        return None
    if not re.fullmatch(r"[0-9]{1,10}", text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def render_task_id(task_id: int) -> str:
    return render_id(TASK_PREFIX, task_id)


def render_user_id(user_id: int | None) -> str | None:
    return None if user_id is None else render_id(USER_PREFIX, user_id)

"""The answers to a marking sheet's conflicts, read from the preview's form.

For each conflict the preview sends the version of the current mark it showed (`seen-<id>`)
and the person's choice (`take-<id>`: `theirs` keeps the current mark, `sheet` saves the
sheet's verdict over it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fitgap.domain.files.marking_sheet import Resolution
from fitgap.domain.limits import MAX_VERSION

SEEN = "seen-"
TAKE = "take-"
CHOICES = {"theirs": False, "sheet": True}


@dataclass(frozen=True, slots=True)
class ConflictAnswers:
    """The answers given, and the conflicts shown but left without one."""

    resolutions: dict[str, Resolution]
    unanswered: list[str]  # function ids


def read_answers(form: Mapping[str, str]) -> ConflictAnswers:
    """Every conflict the preview showed, with its answer or as unanswered; a version that is
    not a number in range counts as unanswered (the preview is shown again)."""
    resolutions: dict[str, Resolution] = {}
    unanswered: list[str] = []
    for key in form:
        if not key.startswith(SEEN):
            continue
        function_id = key.removeprefix(SEEN)
        seen = _version(form.get(key, ""))
        choice = form.get(TAKE + function_id)
        if seen is None or choice not in CHOICES:
            unanswered.append(function_id)
        else:
            resolutions[function_id] = Resolution(seen, CHOICES[choice])
    return ConflictAnswers(resolutions, unanswered)


def _version(text: str) -> int | None:
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_VERSION)):
        return None
    version = int(text)
    return version if version <= MAX_VERSION else None

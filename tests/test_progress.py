"""Progress over time (fitgap.domain.risk.progress): the checkpoints, and the replay of the
mark history giving exactly the figures a full recompute gives at each checkpoint."""

from __future__ import annotations

import random
from datetime import date, timedelta

from fitgap.domain.risk.build import galapagos_risk
from fitgap.domain.risk.progress import Checkpoint, Figures, checkpoints, replay
from fitgap.domain.values import Function, Mark, Requirement, Status, Town

TOWNS = [Town("ishii", "石井町"), Town("kamiyama", "神山町"), Town("naka", "那賀町")]
FUNCTIONS = [
    Function(f"00100{k:02d}", "juki" if k < 6 else "kaigo", f"機能{k}", requirement, "")
    for k, requirement in enumerate([Requirement.MANDATORY] * 8 + [Requirement.PROHIBITED] * 2)
]
C, W, F = Status.CUSTOMIZATION, Status.WORKFLOW_CHANGE, Status.FIT


def test_checkpoints_are_the_start_each_meeting_and_today() -> None:
    meetings = [(date(2025, 6, 1), "第2回"), (date(2025, 5, 1), "第1回"), (date(2024, 1, 1), "前")]
    found = checkpoints([date(2025, 4, 10)], meetings, date(2025, 7, 1))
    assert found == (
        Checkpoint(date(2025, 4, 10)),
        Checkpoint(date(2025, 5, 1), ("第1回",)),
        Checkpoint(date(2025, 6, 1), ("第2回",)),
        Checkpoint(date(2025, 7, 1)),
    )  # a meeting before anything was marked, or after today, is left out
    assert checkpoints([], meetings, date(2025, 7, 1)) == ()


def test_without_meetings_the_month_ends_mark_the_way() -> None:
    found = checkpoints([date(2025, 1, 20)], [], date(2025, 4, 3))
    assert [c.day for c in found] == [
        date(2025, 1, 20),
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 3),
    ]


def test_the_replay_gives_what_a_full_recompute_gives_at_each_checkpoint() -> None:
    rng = random.Random(14)  # noqa: S311 - a repeatable test history, no secret
    start = date(2025, 4, 1)
    changes: list[tuple[date, Mark]] = []
    for step in range(400):
        day = start + timedelta(days=step // 5)
        town = rng.choice(TOWNS).id
        function = rng.choice(FUNCTIONS).id
        changes.append((day, Mark(town, function, rng.choice([C, C, W, F]))))
    meetings = [(start + timedelta(days=d), f"第{k}回") for k, d in enumerate((9, 30, 61), 1)]
    points = checkpoints([start], meetings, start + timedelta(days=90))
    progress = replay(FUNCTIONS, TOWNS, changes, points)
    assert len(progress.group) == len(points) == 5
    for k, point in enumerate(points):
        upto = [mark for day, mark in changes if day <= point.day]
        board = galapagos_risk(FUNCTIONS, TOWNS, upto)
        assert progress.group[k] == Figures.of(board.group_score(breakdown=False)), point
        for town in board.town_scores(breakdown=False):
            assert progress.towns[town.id][k] == Figures.of(town)
    # And per area.
    juki = replay(FUNCTIONS, TOWNS, changes, points, "juki")
    board = galapagos_risk(FUNCTIONS, TOWNS, [mark for _day, mark in changes])
    assert juki.group[-1] == Figures.of(board.group_score("juki", breakdown=False))


def test_the_story_of_a_project_reads_from_first_to_last() -> None:
    day0, day1 = date(2025, 4, 1), date(2025, 5, 1)
    changes = [
        (day0, Mark("ishii", "0010000", C)),
        (day0, Mark("naka", "0010008", C)),  # a violation
        (day1, Mark("naka", "0010008", W)),
    ]
    progress = replay(FUNCTIONS, TOWNS, changes, checkpoints([day0], [(day1, "第1回")], day1))
    first_and_last = progress.first_and_last()
    assert first_and_last is not None
    first, last = first_and_last
    assert (first.customizations, first.violations, last.customizations, last.violations) == (
        2,
        1,
        1,
        0,
    )
    assert first.risk > 50.0 > last.risk > 0.0  # out of the violation band

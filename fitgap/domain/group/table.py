"""A saved scenario of the group (参加団体の検討) as a table for the documents: per town its merit
over the horizon, per resident, and its Galapagos risk inside the scenario, then one line for
the whole group with the group's risk. The minutes (Markdown, CSV, XLSX) and the matrix (XLSX)
write this one structure, so they say the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from fitgap.domain.group.basis import GroupResult
from fitgap.domain.i18n import _
from fitgap.domain.risk.scores import format_risk, round_risk

__all__ = ["ScenarioLine", "ScenarioTable", "scenario_table"]


@dataclass(frozen=True, slots=True)
class ScenarioLine:
    """One town of the scenario (or, with town_id None, the whole group)."""

    town_id: str | None
    name: str
    merit_yen: int  # over the horizon, against the town's own system
    per_resident_yen: int | None  # None without a population
    risk: float  # the town's risk inside the scenario; the group's on the group line


@dataclass(frozen=True, slots=True)
class ScenarioTable:
    """A scenario's table: its name, horizon, towns and the group line last."""

    name: str
    years: int
    lines: tuple[ScenarioLine, ...]

    @property
    def title(self) -> str:
        """The section's heading and the sheet's name: 参加団体の検討：<name>."""
        return _("参加団体の検討：%(name)s", name=self.name)

    @property
    def towns(self) -> int:
        """How many towns the scenario has."""
        return sum(1 for line in self.lines if line.town_id is not None)

    def note(self) -> str:
        """One sentence saying what the numbers are."""
        return _(
            "%(n)s町・%(years)s年間。メリットは各町が現行システムを続けた場合との差（円）、"
            "リスクはこのシナリオの町だけで数えたガラパゴス・リスク（0〜100）です。"
            "最後の行はグループ全体（メリットの合計とグループのリスク）です。",
            n=self.towns,
            years=self.years,
        )

    def header(self) -> list[str]:
        """The table's columns."""
        return [
            _("町"),
            _("%(years)s年間のメリット（円）", years=self.years),
            _("住民1人あたりのメリット（円）"),
            _("リスク（0〜100）"),
        ]

    def values(self) -> list[list[object]]:
        """The rows as typed values (yen as int, risk as a float of one decimal, None blank)."""
        return [
            [line.name, line.merit_yen, line.per_resident_yen, round_risk(line.risk)]
            for line in self.lines
        ]

    def texts(self) -> list[list[str]]:
        """The rows as printed: yen with separators and a sign, the risk with one decimal."""
        return [
            [
                line.name,
                f"{line.merit_yen:+,}",
                f"{line.per_resident_yen:+,}" if line.per_resident_yen is not None else "—",
                format_risk(line.risk),
            ]
            for line in self.lines
        ]


def scenario_table(name: str, result: GroupResult) -> ScenarioTable:
    """The table of a scenario evaluated over its horizon."""
    lines = [
        ScenarioLine(
            town_id=m.town_id,
            name=m.name,
            merit_yen=m.merit_yen,
            per_resident_yen=(
                round(m.merit_per_resident_yen) if m.merit_per_resident_yen is not None else None
            ),
            risk=m.risk,
        )
        for m in result.merits
    ]
    total = sum(m.merit_yen for m in result.merits)
    people = [m.population for m in result.merits]
    residents = sum(p for p in people if p) if all(people) else 0
    lines.append(
        ScenarioLine(
            town_id=None,
            name=_("グループ全体"),
            merit_yen=total,
            per_resident_yen=round(total / residents) if residents else None,
            risk=result.risk,
        )
    )
    return ScenarioTable(name=name, years=result.years, lines=tuple(lines))

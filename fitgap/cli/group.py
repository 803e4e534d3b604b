"""`fitgap group`: each town's cost and merit in a group of towns, the group's risk, who agrees
with whom, and the subsets in which every town gains."""

from __future__ import annotations

import json
from typing import Any

import click

from fitgap.cli.support import DataError
from fitgap.cli.support import app_of as _app
from fitgap.cli.support import database_of as _database
from fitgap.domain.group.basis import GroupError
from fitgap.domain.group.suggest import EXHAUSTIVE_LIMIT
from fitgap.domain.i18n import _
from fitgap.domain.risk.scores import format_risk, round_risk
from fitgap.services import group as group_service
from fitgap.services.group import GroupReport

__all__ = ["group", "to_json", "to_text"]


def to_json(made: GroupReport, limit: int) -> dict[str, Any]:
    """The contract's object (yen as integers), with a few more keys."""
    result = made.result
    return {
        "towns": list(result.town_ids),
        "years": result.years,
        "risk": round_risk(result.risk),
        "divergent": result.divergent,
        "customizations": result.customizations,
        "violations": result.violations,
        "undecided": result.undecided,
        "merit": [
            {
                "town": m.town_id,
                "current_yen": m.current_yen,
                "group_yen": m.group_yen,
                "merit_yen": m.merit_yen,
                "package_yen": m.package_yen,
                "shared_customization_yen": m.shared_yen,
                "lone_customization_yen": m.lone_yen,
                "migration_yen": m.migration_yen,
                "merit_per_resident_yen": (
                    round(m.merit_per_resident_yen)
                    if m.merit_per_resident_yen is not None
                    else None
                ),
                "customizations": m.customizations,
                "lone_customizations": m.lone,
                "unestimated": m.unestimated,
                "risk": round_risk(m.risk),
            }
            for m in result.merits
        ],
        "agreement": [
            {
                "a": p.a,
                "b": p.b,
                "rate": round(p.rate, 3) if p.rate is not None else None,
                "both_decided": p.both_decided,
                "same": p.same,
                "functions": list(p.functions),
            }
            for p in made.agreement.pairs
        ],
        "suggestions": [
            {
                "towns": list(s.town_ids),
                "risk": round_risk(s.risk),
                "min_merit_yen": s.min_merit_yen,
                "reason": s.reason,
            }
            for s in made.suggestions[:limit]
        ],
        "suggestions_total": len(made.suggestions),
    }


def to_text(made: GroupReport, names: dict[str, str], limit: int) -> str:
    """A readable report for the terminal."""
    result = made.result
    lines = [
        _(
            "%(n)s 町、%(years)s 年間: リスク %(risk)s、相違 %(divergent)s 件、"
            "カスタマイズ %(custom)s 件",
            n=len(result.town_ids),
            years=result.years,
            risk=format_risk(result.risk),
            divergent=result.divergent,
            custom=result.customizations,
        ),
        "",
        _("町ごとの費用とメリット（%(years)s 年間、円）:", years=result.years),
    ]
    for m in result.merits:
        lines.append(
            _(
                "  %(town)s: 現行 %(current)s、共同利用 %(group)s、メリット %(merit)s",
                town=m.name,
                current=f"{m.current_yen:,}",
                group=f"{m.group_yen:,}",
                merit=f"{m.merit_yen:+,}",
            )
        )
    apart = made.agreement.pulling_apart()
    if apart:
        lines += ["", _("判定が最も食い違う組:")]
        for p in apart:
            lines.append(
                _(
                    "  %(a)s と %(b)s: 一致 %(rate)s%%（%(same)s / %(both)s 機能）、例: %(ids)s",
                    a=names.get(p.a, p.a),
                    b=names.get(p.b, p.b),
                    rate=f"{(p.rate or 0) * 100:.0f}",
                    same=p.same,
                    both=p.both_decided,
                    ids=", ".join(p.functions),
                )
            )
    lines += ["", _("提案（全町にメリットがある組み合わせ、リスクの低い順）:")]
    if not made.suggestions:
        lines.append(_("  ありません: どの組み合わせでも、メリットが負になる町があります"))
    for s in made.suggestions[:limit]:
        lines.append("  " + "・".join(names.get(t, t) for t in s.town_ids))
        lines.append("    " + s.reason)
    if len(made.suggestions) > limit:
        lines.append(_("  ほかに %(n)s 件", n=len(made.suggestions) - limit))
    return "\n".join(lines)


@click.command("group")
@click.option("--towns", "town_list", help="Town ids, comma-separated (default: the members).")
@click.option("--years", type=click.IntRange(1, 50), help="Horizon (default: the group file's).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="A readable report, or the JSON object of the contract.",
)
@click.option(
    "--suggestions",
    "limit",
    type=click.IntRange(0),
    default=10,
    show_default=True,
    help=f"How many suggestions to list (exhaustive up to {EXHAUSTIVE_LIMIT} towns).",
)
@click.pass_context
def group(
    ctx: click.Context, town_list: str | None, years: int | None, output: str, limit: int
) -> None:
    """Costs, merit, agreement and suggestions for a set of towns (default: the members)."""
    database = _database(_app(ctx))
    if not database.is_current():
        raise DataError(_("データベースが準備されていません。先に fitgap load を実行してください"))
    kept = group_service.KeptBasis()
    with database.session() as session:
        try:
            basis, _stamp = kept.basis(session=session)
        except group_service.NoGroupFile as error:
            raise DataError(str(error)) from None
        if town_list is None:
            town_ids = group_service.default_towns(basis)
        else:
            town_ids = [t.strip() for t in town_list.split(",") if t.strip()]
        if not town_ids:
            raise DataError(_("町を一つ以上選んでください"))
        try:
            made = group_service.report(basis, town_ids, years or basis.terms.years)
        except GroupError as error:
            raise DataError("\n".join(error.problems)) from None
    if output == "json":
        click.echo(json.dumps(to_json(made, limit), ensure_ascii=False, indent=1))
    else:
        click.echo(to_text(made, {t.id: t.name for t in basis.towns}, limit))


def create_demo_scenarios(database: Any) -> int:
    """The demo's saved scenarios, one per stage of the talks: every town that took part,
    then those still there after each date towns left, then the members (11 → 7 → 4)."""
    from fitgap.cli.support import cli_actor
    from fitgap.domain.values import Membership

    kept = group_service.KeptBasis()
    with database.write() as session:
        try:
            basis, _stamp = kept.basis(session=session)
        except group_service.NoGroupFile:
            return 0
        towns = list(basis.towns)
        stages: list[tuple[str, list[str]]] = [
            (_("検討開始（%(n)s町）", n=len(towns)), [t.id for t in towns])
        ]
        for since in sorted({t.left_since for t in towns if t.left_since is not None}):
            staying = [t.id for t in towns if t.left_since is None or t.left_since > since]
            if len(staying) < len(stages[-1][1]):
                label = _("%(date)s 以降（%(n)s町）", date=since.isoformat(), n=len(staying))
                stages.append((label, staying))
        members = [t.id for t in towns if t.membership is Membership.MEMBER]
        if members and members != stages[-1][1]:
            stages.append((_("参加団体（%(n)s町）", n=len(members)), members))
        elif members:
            stages[-1] = (_("参加団体（%(n)s町）", n=len(members)), members)
        for name, town_ids in stages:
            group_service.save_scenario(
                session=session,
                basis=basis,
                name=name,
                town_ids=town_ids,
                years=None,
                actor=cli_actor(),
            )
    return len(stages)

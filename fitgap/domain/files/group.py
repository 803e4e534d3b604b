"""The group file (towns/group.yaml, fitgap-group/1) and the town file's group keys (code,
current_system, membership, left): YAML nodes in, validated values out, FILE:LINE problems.

The town reader (fitgap.domain.files.catalog) calls `read_town_group_keys` for the keys this
module owns, so the group's rules live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from fitgap.domain.files.yamlfile import (
    INT_TAG,
    STR_TAG,
    InvalidInput,
    Problem,
    Reader,
    compose,
)
from fitgap.domain.group.costs import GroupTerms, Split
from fitgap.domain.i18n import _
from fitgap.domain.limits import MAX_YEN
from fitgap.domain.values import Membership

GROUP_FORMAT = "fitgap-group/1"
GROUP_FILE_NAME = "group.yaml"
DEFAULT_YEARS = 10
MAX_YEARS = 50
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"

# The keys of a town file that belong to forming the group.
TOWN_GROUP_KEYS = frozenset({"code", "current_system", "membership", "left"})

__all__ = [
    "DEFAULT_YEARS",
    "GROUP_FILE_NAME",
    "GROUP_FORMAT",
    "TOWN_GROUP_KEYS",
    "TownGroupKeys",
    "code_check_digit",
    "read_group",
    "read_group_folder",
    "read_town_group_keys",
]


@dataclass(frozen=True, slots=True)
class TownGroupKeys:
    """What a town file says about the town's place in the group."""

    code: str | None = None
    current_annual_yen: int | None = None
    migration_yen: int | None = None
    membership: Membership = Membership.MEMBER
    left_since: date | None = None
    left_reason: str | None = None

    def as_town_fields(self) -> dict[str, Any]:
        """The values as keyword arguments of values.Town."""
        return {
            "code": self.code,
            "current_annual_yen": self.current_annual_yen,
            "migration_yen": self.migration_yen,
            "membership": self.membership,
            "left_since": self.left_since,
            "left_reason": self.left_reason,
        }


def code_check_digit(first_five: str) -> int:
    """The check digit of a 団体コード (全国地方公共団体コード) from its first five digits."""
    total = sum(int(d) * w for d, w in zip(first_five, (6, 5, 4, 3, 2), strict=True))
    remainder = total % 11
    return (11 - remainder) % 10 if remainder else 0


def _code(node: yaml.Node, reader: Reader) -> str | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == INT_TAG:
        reader.problem(
            node,
            _(
                'code の %(value)s が数値として読まれました。"%(value)s" のように'
                "引用符で囲んでください",
                value=node.value,
            ),
        )
        return None
    value = reader.text(node, "code")
    if value is None:
        return None
    if len(value) != 6 or not value.isascii() or not value.isdigit():
        reader.problem(
            node, _("code %(value)s は6桁の数字（団体コード）にしてください", value=value)
        )
        return None
    expected = code_check_digit(value[:5])
    if int(value[5]) != expected:
        reader.problem(
            node,
            _(
                "code %(value)s の検査数字が合いません（%(expected)s のはずです）",
                value=value,
                expected=f"{value[:5]}{expected}",
            ),
        )
        return None
    return value


def _date(node: yaml.Node, reader: Reader, key: str) -> date | None:
    if isinstance(node, yaml.ScalarNode) and node.tag in (TIMESTAMP_TAG, STR_TAG):
        try:
            return date.fromisoformat(str(node.value).strip())
        except ValueError:
            pass
    reader.problem(node, _("%(key)s は 2019-10-01 のような日付で書いてください", key=key))
    return None


def read_town_group_keys(values: dict[str, yaml.Node], reader: Reader) -> TownGroupKeys:
    """The group keys of one town file's top mapping (absent keys keep their defaults)."""
    code = _code(values["code"], reader) if "code" in values else None
    annual = migration = None
    if "current_system" in values:
        system = reader.mapping(
            values["current_system"],
            "current_system",
            {"annual_yen", "migration_yen"},
            {"annual_yen"},
        )
        if system is not None:
            annual = reader.integer(
                system.get("annual_yen"), "current_system.annual_yen", maximum=MAX_YEN
            )
            migration = reader.integer(
                system.get("migration_yen"), "current_system.migration_yen", maximum=MAX_YEN
            )
    membership = Membership.MEMBER
    if "membership" in values:
        raw = reader.text(values["membership"], "membership")
        if raw is not None:
            try:
                membership = Membership(raw.strip())
            except ValueError:
                reader.problem(
                    values["membership"],
                    _(
                        "membership %(value)s は使えません（candidate / member / left）",
                        value=raw,
                    ),
                )
    since = reason = None
    if "left" in values:
        if membership is not Membership.LEFT:
            reader.problem(values["left"], _("left は membership が left のときだけ書けます"))
        left = reader.mapping(values["left"], "left", {"since", "reason"}, {"since", "reason"})
        if left is not None:
            since = _date(left["since"], reader, "left.since") if "since" in left else None
            reason = reader.text(left["reason"], "left.reason") if "reason" in left else None
    elif membership is Membership.LEFT and "membership" in values:
        reader.problem(
            values["membership"],
            _("membership が left のときは left（since と reason）を書いてください"),
        )
    return TownGroupKeys(code, annual, migration, membership, since, reason)


def _percent(node: yaml.Node | None, reader: Reader, key: str) -> int:
    value = reader.integer(node, key, maximum=100)
    if value is not None and value > 100:
        reader.problem(node, _("%(key)s は 0〜100 の百分率で書いてください", key=key))
        return 0
    return value or 0


def _read_group_node(node: yaml.Node, reader: Reader) -> GroupTerms | None:
    top = reader.mapping(
        node,
        _("グループファイル"),
        {"format", "name", "years", "package", "split"},
        {"format", "name", "package"},
    )
    if top is None:
        return None
    before = len(reader.problems)
    reader.format_tag(top, GROUP_FORMAT)
    name = reader.text(top["name"], "name") if "name" in top else None
    years = DEFAULT_YEARS
    if "years" in top:
        read = reader.integer(top["years"], "years", minimum=1, maximum=100)
        if read is not None and read > MAX_YEARS:
            reader.problem(
                top["years"], _("years は %(maximum)s 年以下にしてください", maximum=MAX_YEARS)
            )
        elif read is not None:
            years = read
    initial = annual = 0
    if "package" in top:
        package = reader.mapping(
            top["package"], "package", {"initial_yen", "annual_yen"}, {"initial_yen", "annual_yen"}
        )
        if package is not None:
            initial = (
                reader.integer(package.get("initial_yen"), "package.initial_yen", maximum=MAX_YEN)
                or 0
            )
            annual = (
                reader.integer(package.get("annual_yen"), "package.annual_yen", maximum=MAX_YEN)
                or 0
            )
    split = Split(equal=100, population=0)
    if "split" in top:
        values = reader.mapping(top["split"], "split", {"equal", "population"}, set())
        if values is not None:
            equal = _percent(values.get("equal"), reader, "split.equal")
            population = _percent(values.get("population"), reader, "split.population")
            if equal + population != 100:
                reader.problem(
                    top["split"],
                    _(
                        "split の equal（均等割）と population（人口割）の合計は 100 にしてください"
                        "（いまは %(total)s）",
                        total=equal + population,
                    ),
                )
            else:
                split = Split(equal=equal, population=population)
    if len(reader.problems) > before or name is None:
        return None
    return GroupTerms(
        name=name.strip(),
        years=years,
        package_initial_yen=initial,
        package_annual_yen=annual,
        split=split,
    )


def read_group(path: Path, display: str) -> GroupTerms:
    """Read and validate one group file; raise InvalidInput with all its problems."""
    node, problems = compose(path, display)
    if node is None:
        raise InvalidInput(problems)
    reader = Reader(display)
    terms = _read_group_node(node, reader)
    if reader.problems or terms is None:
        raise InvalidInput(reader.problems or [Problem(display, 0, _("読み込めません"))])
    return terms


def read_group_folder(folder: Path, *, base: Path | None = None) -> GroupTerms | None:
    """The group file of the towns folder, or None when there is none (it is optional)."""
    path = folder / GROUP_FILE_NAME
    if not path.is_file():
        return None
    display = str(path)
    if base is not None and path.is_relative_to(base):
        display = str(path.relative_to(base))
    return read_group(path, display)

"""The domain's value objects: catalog, towns, marks, meeting outcomes and account roles as
plain, immutable Python."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class Requirement(StrEnum):
    """A function's class in the standard specification."""

    MANDATORY = "mandatory"
    OPTIONAL = "optional"
    PROHIBITED = "prohibited"


class Status(StrEnum):
    """A town's verdict on one function."""

    FIT = "fit"
    WORKFLOW_CHANGE = "workflow_change"
    CUSTOMIZATION = "customization"
    NOT_APPLICABLE = "not_applicable"
    UNDECIDED = "undecided"


class Priority(StrEnum):
    """How much a town needs a function (優先度), beside its verdict."""

    REQUIRED = "required"  # 必須: the town cannot work without it (a law, an ordinance)
    WANTED = "wanted"  # 要望: the town would like it
    NOT_NEEDED = "not_needed"  # 不要: the town does not need it


class Outcome(StrEnum):
    """What a meeting decided on one function."""

    ALL_FIT = "all_fit"
    ALL_WORKFLOW_CHANGE = "all_workflow_change"
    SHARED_CUSTOMIZATION = "shared_customization"
    TOWN_EXCEPTION = "town_exception"
    POSTPONED = "postponed"


class Membership(StrEnum):
    """Where a town stands with the joint project: only members form the group."""

    CANDIDATE = "candidate"  # still talking, not (yet) in the group
    MEMBER = "member"
    LEFT = "left"  # took part in the talks and left


class AnswerKind(StrEnum):
    """The vendor's answer to a customization request: how the need is met (see domain.vendor)."""

    STANDARD = "standard"  # a standard function the staff did not know
    SETTING = "setting"  # a parameter setting
    PROCEDURE = "procedure"  # a change of procedure avoids it
    CUSTOMIZATION = "customization"  # only a customization meets it
    IMPOSSIBLE = "impossible"  # cannot be met at all


class Role(StrEnum):
    """What an account may do (see fitgap.web.authz, the one place that decides)."""

    STAFF = "staff"  # a town's staff: marks their own town, in the areas assigned to them
    MODERATOR = "moderator"  # the consultant: runs meetings, may correct a mark with a reason
    OBSERVER = "observer"  # a town's management: reads, downloads exports
    ADMIN = "admin"  # manages accounts and reads the audit trail; marks nothing
    VENDOR = "vendor"  # the package's vendor: reads the catalog, answers customization requests


# Japanese (and older-edition) names accepted in files, mapped to the canonical value.
REQUIREMENT_SYNONYMS: dict[str, Requirement] = {
    "mandatory": Requirement.MANDATORY,
    "optional": Requirement.OPTIONAL,
    "prohibited": Requirement.PROHIBITED,
    "実装必須機能": Requirement.MANDATORY,
    "標準オプション機能": Requirement.OPTIONAL,
    "実装不可機能": Requirement.PROHIBITED,
    "実装すべき機能": Requirement.MANDATORY,
    "実装してもしなくても良い機能": Requirement.OPTIONAL,
    "実装しない機能": Requirement.PROHIBITED,
}

STATUS_SYNONYMS: dict[str, Status] = {
    "fit": Status.FIT,
    "workflow_change": Status.WORKFLOW_CHANGE,
    "customization": Status.CUSTOMIZATION,
    "not_applicable": Status.NOT_APPLICABLE,
    "undecided": Status.UNDECIDED,
    "適合": Status.FIT,
    "業務見直し": Status.WORKFLOW_CHANGE,
    "カスタマイズ": Status.CUSTOMIZATION,
    "対象外": Status.NOT_APPLICABLE,
    "未判定": Status.UNDECIDED,
}

PRIORITY_SYNONYMS: dict[str, Priority] = {
    "required": Priority.REQUIRED,
    "wanted": Priority.WANTED,
    "not_needed": Priority.NOT_NEEDED,
    "必須": Priority.REQUIRED,
    "要望": Priority.WANTED,
    "不要": Priority.NOT_NEEDED,
}


@dataclass(frozen=True, slots=True)
class Function:
    """One function requirement of the standard package's catalog."""

    id: str
    area_id: str
    name: str
    requirement: Requirement
    text: str
    path: tuple[str, ...] = ()
    note: str | None = None
    forms: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    line: int = 0

    @property
    def fingerprint(self) -> str:
        """A hash of the content a town's verdict depends on (not of its position in the file)."""
        content = {
            "path": list(self.path),
            "name": self.name,
            "requirement": self.requirement.value,
            "text": self.text,
            "note": self.note,
            "forms": list(self.forms),
        }
        raw = json.dumps(content, ensure_ascii=False, sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Area:
    """A business area (業務) with its functions, as read from one catalog file."""

    id: str
    name: str
    functions: tuple[Function, ...]
    name_en: str | None = None
    spec_title: str | None = None
    spec_version: str | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Town:
    """A town taking part in the joint project."""

    id: str
    name: str
    prefecture: str | None = None
    population: int | None = None
    households: int | None = None
    budget_yen: int | None = None
    area_km2: float | None = None
    source: str = ""
    line: int = field(default=0, compare=False)  # of its `id:` key in `source`
    code: str | None = None  # the 6-digit 団体コード (text)
    current_annual_yen: int | None = None  # today's yearly cost of the town's own system
    migration_yen: int | None = None  # one-off cost of moving to the shared package
    membership: Membership = Membership.MEMBER
    left_since: date | None = None
    left_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Cost:
    """The estimated cost of one customization for one town, in yen."""

    initial_yen: int = 0
    annual_yen: int = 0

    @classmethod
    def of(cls, initial_yen: int | None, annual_yen: int | None) -> Cost:
        """A cost from two nullable amounts (database columns, sheet cells): None counts as 0."""
        return cls(initial_yen or 0, annual_yen or 0)


@dataclass(frozen=True, slots=True)
class Mark:
    """One town's verdict on one function."""

    town_id: str
    function_id: str
    status: Status
    note: str | None = None
    cost: Cost | None = None
    priority: Priority | None = None  # 優先度: how much the town needs the function
    as_is: str | None = None  # 現行運用: how the town works today

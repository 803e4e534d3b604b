"""The domain's value objects: catalog, towns and marks as plain, immutable Python."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fitgap.domain.i18n import N_
from fitgap.domain.limits import MAX_NOTE_LENGTH as MAX_NOTE_LENGTH  # the web editor's import


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

STATUS_LABELS_JA: dict[Status, str] = {
    Status.FIT: N_("適合"),
    Status.WORKFLOW_CHANGE: N_("業務見直し"),
    Status.CUSTOMIZATION: N_("カスタマイズ"),
    Status.NOT_APPLICABLE: N_("対象外"),
    Status.UNDECIDED: N_("未判定"),
}

REQUIREMENT_LABELS_JA: dict[Requirement, str] = {
    Requirement.MANDATORY: N_("実装必須機能"),
    Requirement.OPTIONAL: N_("標準オプション機能"),
    Requirement.PROHIBITED: N_("実装不可機能"),
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


@dataclass(frozen=True, slots=True)
class Cost:
    """The estimated cost of one customization for one town, in yen."""

    initial_yen: int = 0
    annual_yen: int = 0


@dataclass(frozen=True, slots=True)
class Mark:
    """One town's verdict on one function."""

    town_id: str
    function_id: str
    status: Status
    note: str | None = None
    cost: Cost | None = None

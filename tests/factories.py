"""Builders for tests: catalog, town and marks files (`make_catalog`, `make_towns`,
`make_marks`) and database rows (`make_area`, `make_function`, `make_town`, `make_mark`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session

from fitgap.domain.values import Cost, Function, Requirement, Status
from fitgap.store import marks as mark_queries
from fitgap.store.models import Area, CatalogFunction, Town

TOWNS = {
    "ishii": ("石井町", 25489),
    "kamiyama": ("神山町", 5069),
    "naka": ("那賀町", 7822),
    "higashimiyoshi": ("東みよし町", 13961),
}


# The reason a fixture's customization gives (why the standard does not fit).
FIXTURE_REASON = "標準の機能では町の様式に対応できないため"


def make_catalog(
    folder: Path,
    area_id: str = "juki",
    count: int = 5,
    prefix: str = "001",
    **changes: dict[str, object],
) -> list[str]:
    """Write one area file with `count` functions; `changes` maps a function id to new keys
    (a value of None removes the key, an id mapped to {} drops the function)."""
    functions = []
    for number in range(1, count + 1):
        function_id = f"{prefix}{number:04d}"
        function: dict[str, object] = {
            "id": function_id,
            "path": ["異動", "届出"],
            "name": f"機能{number}",
            "requirement": "prohibited" if number == count else "mandatory",
            "text": f"機能{number}の要件。",
        }
        change = changes.get(function_id)
        if change == {}:
            continue
        for key, value in (change or {}).items():
            if value is None:
                function.pop(key, None)
            else:
                function[key] = value
        functions.append(function)
    document = {
        "format": "fitgap-catalog/1",
        "area": {"id": area_id, "name": f"業務{area_id}"},
        "functions": functions,
    }
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    (folder / "catalog" / f"{area_id}.yaml").write_text(text, encoding="utf-8")
    return [str(f["id"]) for f in functions]


def make_towns(folder: Path, ids: tuple[str, ...] = tuple(TOWNS)) -> None:
    """Write town files for the given towns of the real case."""
    for town_id in ids:
        name, population = TOWNS[town_id]
        document = {
            "format": "fitgap-town/1",
            "id": town_id,
            "name": name,
            "population": population,
            "current_system": {"annual_yen": population * 2000, "migration_yen": 10_000_000},
        }
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
        (folder / "towns" / f"{town_id}.yaml").write_text(text, encoding="utf-8")


def make_group(folder: Path, **changes: object) -> Path:
    """Write the group file (towns/group.yaml); `changes` replace top-level keys."""
    document: dict[str, object] = {
        "format": "fitgap-group/1",
        "name": "テスト共同利用",
        "years": 10,
        "package": {"initial_yen": 100_000_000, "annual_yen": 40_000_000},
        "split": {"equal": 30, "population": 70},
        **changes,
    }
    path = folder / "towns" / "group.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def make_marks(folder: Path, town_id: str, marks: dict[str, str | dict[str, object]]) -> Path:
    """Write a marks file: function id -> status, or -> the full mark mapping. A customization
    without a `note` gets FIXTURE_REASON (the import asks every customization for its reason);
    `"note": None` writes one without."""
    items = []
    for function_id, mark in marks.items():
        item: dict[str, object] = {"function": function_id}
        item.update({"status": mark} if isinstance(mark, str) else mark)
        if item["status"] in ("customization", "カスタマイズ") and "note" not in item:
            item["note"] = FIXTURE_REASON
        if item.get("note", "") is None:
            del item["note"]
        items.append(item)
    document = {"format": "fitgap-marks/1", "town": town_id, "marks": items}
    path = folder / "marks" / f"{town_id}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- rows ----------------------------------------------------------------------------------------
# Rows written straight into a test's database, for tests about the store, services and views
# that need a few rows and not a catalog load. Marks go through `mark_queries.save_mark`, so the
# history and the area clocks stay what the app would have written.


def make_area(session: Session, **kw: Any) -> Area:
    """An area row (default: juki, 住民記録)."""
    row = Area(**{"id": "juki", "name": "住民記録", **kw})
    session.add(row)
    session.flush()
    return row


def make_function(session: Session, **kw: Any) -> CatalogFunction:
    """A catalog function row of an existing area (default: 0010001, mandatory, in juki)."""
    values: dict[str, Any] = {
        "id": "0010001",
        "area_id": "juki",
        "name": "機能0010001",
        "requirement": Requirement.MANDATORY.value,
        "text": "要件の本文",
        "path": ["管理項目"],
        **kw,
    }
    domain_function = Function(
        id=values["id"],
        area_id=values["area_id"],
        name=values["name"],
        requirement=Requirement(values["requirement"]),
        text=values["text"],
        path=tuple(values["path"]),
    )
    values.setdefault("fingerprint", domain_function.fingerprint)
    row = CatalogFunction(**values)
    session.add(row)
    session.flush()
    return row


def make_town(session: Session, **kw: Any) -> Town:
    """A town row (default: ishii, 石井町, with its population)."""
    town_id = kw.pop("id", "ishii")
    name, population = TOWNS.get(town_id, (town_id, 1000))
    row = Town(**{"id": town_id, "name": name, "population": population, **kw})
    session.add(row)
    session.flush()
    return row


def make_mark(
    session: Session,
    town_id: str = "ishii",
    function_id: str = "0010001",
    status: Status = Status.FIT,
    *,
    note: str | None = None,
    cost: Cost | None = None,
    changed_by: str = "test",
) -> mark_queries.MarkState:
    """A mark saved as the app saves one (history row, area clock); over any existing one."""
    current = mark_queries.get_mark(session=session, town_id=town_id, function_id=function_id)
    return mark_queries.save_mark(
        session=session,
        town_id=town_id,
        function_id=function_id,
        status=status,
        note=note,
        cost=cost,
        expected_version=current.version if current is not None else 0,
        changed_by=changed_by,
    )

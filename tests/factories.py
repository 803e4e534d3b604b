"""Small builders of catalog, town and marks files for tests."""

from __future__ import annotations

from pathlib import Path

import yaml

TOWNS = {
    "ishii": ("石井町", 25489),
    "kamiyama": ("神山町", 5069),
    "naka": ("那賀町", 7822),
    "higashimiyoshi": ("東みよし町", 13961),
}


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
    """Write a marks file: function id -> status, or -> the full mark mapping."""
    items = []
    for function_id, mark in marks.items():
        item: dict[str, object] = {"function": function_id}
        item.update({"status": mark} if isinstance(mark, str) else mark)
        items.append(item)
    document = {"format": "fitgap-marks/1", "town": town_id, "marks": items}
    path = folder / "marks" / f"{town_id}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path

"""Catalog upgrades: each kind of change, what needs review, and new violations."""

from __future__ import annotations

import dataclasses

from fitgap.domain.files.catalog_diff import (
    CatalogDiff,
    diff_catalogs,
    format_diff,
    new_violations,
    review_needed,
)
from fitgap.domain.i18n import reset_language, set_language
from fitgap.domain.values import Function, Requirement


def function(function_id: str, **changes: object) -> Function:
    base = Function(
        id=function_id,
        area_id="juki",
        name=f"機能{function_id[-2:]}",
        requirement=Requirement.MANDATORY,
        text=f"要件 {function_id}\n",
        path=("管理項目", "住民データ"),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


OLD = [function(f"00100{n}0") for n in range(1, 9)]


def upgraded() -> list[Function]:
    """The next edition: one of each kind of change, the rest as it was."""
    new = {f.id: f for f in OLD}
    del new["0010010"]  # removed
    new["0010020"] = dataclasses.replace(new["0010020"], text="改めた要件\n")
    new["0010030"] = dataclasses.replace(new["0010030"], requirement=Requirement.PROHIBITED)
    new["0010040"] = dataclasses.replace(
        new["0010040"], name="新しい名称", requirement=Requirement.OPTIONAL
    )
    new["0010050"] = dataclasses.replace(new["0010050"], area_id="kokuho")
    new["0010060"] = dataclasses.replace(new["0010060"], path=("管理項目",), forms=("0230010",))
    new["0010070"] = dataclasses.replace(new["0010070"], line=99, extra={"x-ref": "1"})
    new["0010090"] = function("0010090", requirement=Requirement.OPTIONAL)  # added
    return list(new.values())


def test_each_kind_of_change() -> None:
    diff = diff_catalogs(OLD, upgraded())
    assert [f.id for f in diff.added] == ["0010090"]
    assert [f.id for f in diff.removed] == ["0010010"]
    assert [c.id for c in diff.reworded] == ["0010020", "0010040", "0010060"]
    assert [c.changed_fields for c in diff.reworded] == [("text",), ("name",), ("path", "forms")]
    assert [c.id for c in diff.reclassed] == ["0010030", "0010040"]  # 0010040 is in both
    assert [(c.old.area_id, c.new.area_id) for c in diff.moved] == [("juki", "kokuho")]
    # 0010070 moved in the file and got a user attribute: not a change of content.
    assert diff.unchanged == 2
    assert diff.review_ids == {"0010020", "0010030", "0010040", "0010060"}
    assert not diff.is_empty


def test_same_catalog_is_an_empty_diff() -> None:
    diff = diff_catalogs(OLD, list(OLD))
    assert diff.is_empty and diff.unchanged == len(OLD)
    assert format_diff(diff) == "変更はありません（8 件）\n"
    assert CatalogDiff().is_empty


def test_report_lists_every_change_in_japanese() -> None:
    report = format_diff(diff_catalogs(OLD, upgraded()))
    assert report.splitlines() == [
        "追加: 1 件",
        "  + 0010090 機能90（標準オプション機能）",
        "削除: 1 件",
        "  - 0010010 機能10",
        "文言の変更: 3 件",
        "  ~ 0010020 機能20（変更: 機能要件）",
        "  ~ 0010040 新しい名称（変更: 機能名称 / 旧名称: 機能40）",
        "  ~ 0010060 機能60（変更: 見出し, 帳票ID）",
        "区分の変更: 2 件",
        "  ! 0010030 機能30: 実装必須機能 → 実装不可機能",
        "  ! 0010040 新しい名称: 実装必須機能 → 標準オプション機能",
        "業務の移動: 1 件",
        "  > 0010050 機能50: juki → kokuho",
        "変更なし: 2 件",
    ]


def test_report_in_english_keeps_ids_and_names() -> None:
    token = set_language("en")
    try:
        report = format_diff(diff_catalogs(OLD, upgraded()))
    finally:
        reset_language(token)
    assert "0010030" in report and "→" in report


def test_review_needed_when_the_fingerprint_moved_on() -> None:
    old, new = OLD[1], upgraded()[0]
    assert new.id == old.id == "0010020"
    assert not review_needed(old.fingerprint, old)
    assert review_needed(old.fingerprint, new)
    assert not review_needed(old.fingerprint, dataclasses.replace(old, area_id="kokuho"))


def test_reclass_to_prohibited_of_a_customized_function_is_a_violation() -> None:
    diff = diff_catalogs(OLD, upgraded())
    customizing = {
        "0010030": {"naka", "ishii"},  # reclassed to prohibited
        "0010040": {"ishii"},  # reclassed, but to optional
        "0010020": {"kamiyama"},  # only reworded
    }
    assert new_violations(diff, customizing) == [("0010030", "ishii"), ("0010030", "naka")]
    assert new_violations(diff, {}) == []
    # Already prohibited before: not new.
    again = diff_catalogs(upgraded(), upgraded())
    assert new_violations(again, customizing) == []

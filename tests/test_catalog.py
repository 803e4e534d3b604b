"""The file readers: every kind of bad input gives FILE:LINE: message, all problems at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from fitgap.domain.files.catalog import (
    dump_marks,
    read_catalog,
    read_marks,
    read_towns,
)
from fitgap.domain.i18n import reset_language, set_language
from fitgap.domain.values import Cost, Requirement, Status
from tests.helpers import problems_of, write
from tests.samples import GOOD_AREA, MARKS, TOWN


def catalog_problems(folder: Path) -> list[str]:
    return problems_of(lambda: read_catalog(folder, base=folder))


def test_good_catalog_is_read_with_everything(tmp_path: Path) -> None:
    write(tmp_path, "juki.yaml", GOOD_AREA)
    catalog = read_catalog(tmp_path)
    (area,) = catalog.areas
    assert (area.id, area.name, area.name_en) == ("juki", "住民記録", "Resident registry")
    assert (area.spec_title, area.spec_version) == ("住民記録システム標準仕様書", "第4.0版")
    first, second = area.functions
    assert first.id == "0010010"
    assert first.path == ("管理項目", "住民データ")
    assert first.requirement is Requirement.MANDATORY
    assert first.text == "日本人住民の住民データを管理する。\n"
    assert first.forms == ("0230010",)
    assert first.extra == {"x-spec-ref": "2.1"}
    assert first.line == 10
    assert second.requirement is Requirement.OPTIONAL  # Japanese synonym accepted
    assert second.path == ()


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("実装必須機能", Requirement.MANDATORY),
        ("標準オプション機能", Requirement.OPTIONAL),
        ("実装不可機能", Requirement.PROHIBITED),
        ("実装すべき機能", Requirement.MANDATORY),
        ("実装してもしなくても良い機能", Requirement.OPTIONAL),
        ("実装しない機能", Requirement.PROHIBITED),
        ("prohibited", Requirement.PROHIBITED),
    ],
)
def test_requirement_synonyms(tmp_path: Path, word: str, expected: Requirement) -> None:
    write(tmp_path, "a.yaml", GOOD_AREA.replace("requirement: mandatory", f"requirement: {word}"))
    assert read_catalog(tmp_path).areas[0].functions[0].requirement is expected


def test_unquoted_numeric_id_is_an_error_that_says_to_quote(tmp_path: Path) -> None:
    write(tmp_path, "juki.yaml", GOOD_AREA.replace('id: "0010010"', "id: 0010010"))
    (problem,) = catalog_problems(tmp_path)
    assert problem.startswith("juki.yaml:10: ")
    assert '"0010010"' in problem and "引用符" in problem


def test_unquoted_form_id_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "juki.yaml", GOOD_AREA.replace('forms: ["0230010"]', "forms: [230010]"))
    (problem,) = catalog_problems(tmp_path)
    assert problem.startswith("juki.yaml:17: ") and "forms" in problem


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "juki.yaml").write_bytes(GOOD_AREA.lstrip().encode("shift_jis"))
    (problem,) = catalog_problems(tmp_path)
    assert problem.startswith("juki.yaml:4: ") and "UTF-8" in problem


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        "juki.yaml",
        GOOD_AREA.replace("    name: 外国人住民データの管理", '    name: "unclosed'),
    )
    (problem,) = catalog_problems(tmp_path)
    assert problem.startswith("juki.yaml:2") and "YAML" in problem


def test_empty_file(tmp_path: Path) -> None:
    write(tmp_path, "juki.yaml", "")
    assert catalog_problems(tmp_path) == ["juki.yaml:1: ファイルが空です"]


def test_unknown_key_is_named_with_the_allowed_ones(tmp_path: Path) -> None:
    write(
        tmp_path,
        "juki.yaml",
        GOOD_AREA.replace("    note: 補足", "    note: 補足\n    colour: red"),
    )
    (problem,) = catalog_problems(tmp_path)
    assert problem.startswith("juki.yaml:17: ")
    assert "colour" in problem and "0010010" in problem and "requirement" in problem


def test_missing_keys_and_wrong_types_all_at_once(tmp_path: Path) -> None:
    content = GOOD_AREA.replace("    requirement: 標準オプション機能\n", "").replace(
        "path: [管理項目, 住民データ]", "path: 管理項目"
    )
    write(tmp_path, "juki.yaml", content)
    found = catalog_problems(tmp_path)
    assert len(found) == 2
    assert found[0].startswith("juki.yaml:11: ") and "path" in found[0]
    assert found[1].startswith("juki.yaml:19: ") and "requirement" in found[1]


def test_empty_name_and_unknown_class(tmp_path: Path) -> None:
    content = GOOD_AREA.replace("name: 日本人住民データの管理", 'name: "  "').replace(
        "requirement: mandatory", "requirement: 必須"
    )
    write(tmp_path, "juki.yaml", content)
    found = catalog_problems(tmp_path)
    assert found[0].startswith("juki.yaml:12: ") and "name" in found[0]
    assert found[1].startswith("juki.yaml:13: ") and "必須" in found[1]


def test_wrong_format_and_bad_area_id(tmp_path: Path) -> None:
    content = GOOD_AREA.replace("fitgap-catalog/1", "fitgap-catalog/9").replace(
        "id: juki", "id: Juki"
    )
    write(tmp_path, "juki.yaml", content)
    found = catalog_problems(tmp_path)
    assert found[0].startswith("juki.yaml:1: ") and "fitgap-catalog/1" in found[0]
    assert found[1].startswith("juki.yaml:3: ") and "Juki" in found[1]


def test_too_many_headings(tmp_path: Path) -> None:
    write(tmp_path, "juki.yaml", GOOD_AREA.replace("[管理項目, 住民データ]", "[a, b, c, d, e]"))
    (problem,) = catalog_problems(tmp_path)
    assert problem.startswith("juki.yaml:11: ") and "path" in problem


def test_duplicate_function_id_within_a_file(tmp_path: Path) -> None:
    write(tmp_path, "juki.yaml", GOOD_AREA.replace('id: "0010020"', 'id: "0010010"'))
    (problem,) = catalog_problems(tmp_path)
    assert problem == "juki.yaml:19: 機能ID 0010010 が重複しています（juki.yaml:10 にもあります）"


def test_duplicate_function_id_across_files_and_duplicate_area(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD_AREA)
    write(tmp_path, "b.yaml", GOOD_AREA.replace('id: "0010020"', 'id: "0020020"'))
    found = catalog_problems(tmp_path)
    assert any(p.startswith("b.yaml:0: ") and "juki" in p and "a.yaml" in p for p in found)
    assert any(p.startswith("b.yaml:10: ") and "0010010" in p for p in found)


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    write(
        tmp_path,
        "juki.yaml",
        GOOD_AREA.replace("    note: 補足", "    note: 補足\n    note: again"),
    )
    (problem,) = catalog_problems(tmp_path)
    assert problem.startswith("juki.yaml:17: ") and "note" in problem


def test_problems_of_several_files_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD_AREA.replace('id: "0010010"', "id: 10"))
    write(tmp_path, "b.yaml", "format: [")
    found = catalog_problems(tmp_path)
    assert [p.split(":")[0] for p in found] == ["a.yaml", "b.yaml"]


def test_missing_folder(tmp_path: Path) -> None:
    found = problems_of(lambda: read_catalog(tmp_path / "nope"))
    assert found == [f"{tmp_path / 'nope'}:0: フォルダがありません"]


def test_messages_in_english(tmp_path: Path) -> None:
    write(tmp_path, "juki.yaml", GOOD_AREA.replace('id: "0010010"', "id: 0010010"))
    token = set_language("en")
    try:
        (problem,) = catalog_problems(tmp_path)
    finally:
        reset_language(token)
    assert "quote" in problem.lower()


def test_town_file(tmp_path: Path) -> None:
    write(tmp_path, "ishii.yaml", TOWN)
    (town,) = read_towns(tmp_path)
    assert (town.id, town.name, town.population, town.budget_yen) == (
        "ishii",
        "石井町",
        25489,
        17847370000,
    )
    assert town.area_km2 == pytest.approx(28.85)


def test_town_problems(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", TOWN.replace("population: 25489", "population: -3"))
    write(tmp_path, "b.yaml", TOWN.replace("area_km2: 28.85", "area_km2: wide"))
    found = problems_of(lambda: read_towns(tmp_path, base=tmp_path))
    assert found[0].startswith("a.yaml:5: ") and "population" in found[0]
    assert any(p.startswith("b.yaml:8: ") and "area_km2" in p for p in found)
    # A duplicate town id is reported on the line of its `id:` key (1-based, never 0).
    assert any(p.startswith("b.yaml:2: ") and "ishii" in p for p in found)


def read_sample_marks(folder: Path) -> object:
    return read_marks(
        sorted(folder.glob("*.yaml")),
        town_ids={"ishii", "kamiyama"},
        function_ids={"0010010", "0010020"},
        base=folder,
    )


def test_marks_file(tmp_path: Path) -> None:
    write(tmp_path, "ishii.yaml", MARKS)
    (marks_file,) = read_sample_marks(tmp_path)  # type: ignore[misc]
    first, second = marks_file.marks
    assert first.status is Status.CUSTOMIZATION and first.cost == Cost(1200000, 150000)
    assert second.status is Status.WORKFLOW_CHANGE and second.cost is None


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (("town: ishii", "town: tokyo"), 2, ["tokyo"]),
        (('function: "0010020"', 'function: "0019999"'), 11, ["0019999"]),
        (('function: "0010020"', "function: 0010020"), 11, ['"0010020"']),
        (("status: 業務見直し", "status: maybe"), 12, ["maybe"]),
        (("status: カスタマイズ", "status: fit"), 8, ["cost"]),
        (("initial_yen: 1200000", "initial_yen: -5"), 9, ["cost.initial_yen"]),
        (("annual_yen: 150000", "annual_yen: many"), 10, ["cost.annual_yen"]),
        (('function: "0010020"', 'function: "0010010"'), 11, ["0010010", "二度"]),
    ],
)
def test_marks_problems(
    tmp_path: Path, change: tuple[str, str], line: int, words: list[str]
) -> None:
    write(tmp_path, "ishii.yaml", MARKS.replace(*change))
    found = problems_of(lambda: read_sample_marks(tmp_path))
    assert len(found) == 1, found
    assert found[0].startswith(f"ishii.yaml:{line}: ")
    assert all(word in found[0] for word in words), found[0]


def test_marks_dump_reads_back_identically(tmp_path: Path) -> None:
    write(tmp_path, "ishii.yaml", MARKS)
    (original,) = read_sample_marks(tmp_path)  # type: ignore[misc]
    out = tmp_path / "out"
    out.mkdir()
    (out / "ishii.yaml").write_text(dump_marks("ishii", original.marks), encoding="utf-8")
    text = (out / "ishii.yaml").read_text(encoding="utf-8")
    assert 'function: "0010010"' in text or "function: '0010010'" in text
    (again,) = read_sample_marks(out)  # type: ignore[misc]
    assert again.marks == original.marks


def test_same_town_in_two_files_is_a_duplicate(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", MARKS)
    write(tmp_path, "b.yaml", MARKS.replace('  - function: "0010010"', '  - function: "0010099"'))
    found = problems_of(
        lambda: read_marks(
            [tmp_path / "a.yaml", tmp_path / "b.yaml"],
            town_ids={"ishii"},
            function_ids={"0010010", "0010020", "0010099"},
            base=tmp_path,
        )
    )
    assert found == ["b.yaml:11: 町 ishii の機能 0010020 の判定が二度あります（a.yaml:11）"]


def test_big_imports_are_parsed_in_parallel_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fitgap.domain.files.catalog as catalog_module

    write(tmp_path, "ishii.yaml", MARKS)
    write(tmp_path, "kamiyama.yaml", MARKS.replace("town: ishii", "town: kamiyama"))
    sequential = read_sample_marks(tmp_path)
    monkeypatch.setattr(catalog_module, "PARALLEL_MIN_BYTES", 0)
    assert read_sample_marks(tmp_path) == sequential
    bad = MARKS.replace("town: ishii", "town: kamiyama").replace("業務見直し", "y")
    write(tmp_path, "kamiyama.yaml", bad)
    token = set_language("en")
    try:
        found = problems_of(lambda: read_sample_marks(tmp_path))
    finally:
        reset_language(token)
    assert found == [found[0]] and found[0].startswith("kamiyama.yaml:12: status y ")
    assert "使えません" not in found[0]  # the workers spoke the caller's language


def test_a_marks_file_comes_back_from_a_worker_process_unchanged() -> None:
    """The parsing processes send their files back as plain tuples (`MarksFile.__reduce__`);
    every field of every mark survives, enums as the same members."""
    import pickle

    from fitgap.domain.files.catalog import MarksFile
    from fitgap.domain.values import Cost, Mark, Priority, Status

    marks = (
        Mark("ishii", "0010010", Status.FIT),
        Mark("ishii", "0010020", Status.CUSTOMIZATION, "理由\n二行", Cost(0, 5), Priority.REQUIRED),
        Mark("ishii", "0010030", Status.WORKFLOW_CHANGE, None, Cost(), None, "紙で受付"),
        Mark("kamiyama", "0010040", Status.UNDECIDED, "", None, Priority.NOT_NEEDED, ""),
    )
    original = MarksFile("ishii", marks, "marks/ishii.yaml", {"0010010": 3, "0010020": 5})
    back = pickle.loads(pickle.dumps(original))  # noqa: S301 - our own bytes
    assert back == original and back.lines == original.lines
    assert [m.status for m in back.marks][1] is Status.CUSTOMIZATION
    assert back.marks[3].priority is Priority.NOT_NEEDED

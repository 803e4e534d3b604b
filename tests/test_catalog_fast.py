"""The fast reader of well-formed catalog files (files.catalog_fast) gives what the precise
reader gives, or steps aside: on generated and mutated files, a file it accepts reads
precisely to the same area, functions and lines, and a file with problems gets the same
messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitgap.domain.files.catalog import CATALOG_FORMAT, read_catalog
from fitgap.domain.files.catalog_fast import read_area_fast
from fitgap.domain.files.xlsx_catalog import to_catalog_yaml
from fitgap.domain.values import Area, Function, Requirement
from tests.samples import GOOD_AREA
from tests.strategies import as_file, fast_and_precise, mutated

REPO = Path(__file__).resolve().parent.parent
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def both_ways(path: Path) -> tuple[tuple[str, Any], tuple[str, Any]]:
    def read() -> Any:
        return read_catalog(path, base=path.parent)

    return fast_and_precise("read_area_fast", read)


def fast(path: Path) -> Area | None:
    return read_area_fast(path, path.name, CATALOG_FORMAT)


def check_both_ways(path: Path) -> Area | None:
    with_fast, precise = both_ways(path)
    assert with_fast == precise
    accepted = fast(path)
    if accepted is not None:
        # What the fast reader takes, the precise reader takes too: the same area, functions
        # (lines included) and user attributes.
        assert precise[0] == "ok"
        assert precise[1].areas == (accepted,)
    return accepted


@SETTINGS
@given(mutated(GOOD_AREA))
def test_a_mutated_file_reads_the_same_with_and_without_the_fast_reader(content: str) -> None:
    check_both_ways(as_file(content, "juki.yaml"))


@SETTINGS
@given(mutated((REPO / "requirements_catalog" / "juki.yaml").read_text(encoding="utf-8")))
def test_a_mutated_sample_catalog_reads_the_same(content: str) -> None:
    check_both_ways(as_file(content, "juki.yaml"))


plain_texts = st.one_of(
    st.sampled_from(
        ["機能", " 前後に空白 ", "a: b", "x #y", "'引用'", '"q"', "- 箇条", "行1\n行2"]
    ),
    st.sampled_from(["行1\n\n行2\n", "末尾\n\n", "  字下げ\n次", "[括弧]", "1.1.1", "0010"]),
    st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=1, max_size=30),
)
texts = plain_texts | st.text(min_size=1, max_size=30)


@st.composite
def areas(draw: st.DrawFn, texts: st.SearchStrategy[str] = texts) -> Area:
    count = draw(st.integers(1, 4))
    functions = []
    for number in range(count):
        odd = texts is not plain_texts  # headings and forms the fast reader leaves, too
        headings = ["管理項目", "住民データ", "a b", *(["1", "x,y"] if odd else [])]
        path = draw(st.lists(st.sampled_from(headings), max_size=5 if odd else 4))
        form_ids = ["0230010", "form-1", *(["a b"] if odd else [])]
        forms = draw(st.lists(st.sampled_from(form_ids), max_size=2))
        extra = draw(st.dictionaries(st.sampled_from(["x-spec-ref", "x-memo"]), texts, max_size=2))
        functions.append(
            Function(
                id=f"00100{number}0",
                area_id="juki",
                name=draw(texts),
                requirement=draw(st.sampled_from(list(Requirement))),
                text=draw(texts),
                path=tuple(path),
                note=draw(st.none() | texts),
                forms=tuple(forms),
                extra=extra,
            )
        )
    return Area(
        id="juki",
        name=draw(texts),
        functions=tuple(functions),
        name_en=draw(st.none() | texts),
        spec_title=draw(st.none() | texts),
        spec_version=draw(st.none() | st.sampled_from(["第4.0版", "4.0", "2024-01-01"])),
    )


@SETTINGS
@given(areas() | areas(plain_texts))
def test_a_file_written_by_import_xlsx_reads_the_same(area: Area) -> None:
    check_both_ways(as_file(to_catalog_yaml(area), "juki.yaml"))


@SETTINGS
@given(areas() | areas(plain_texts))
def test_a_file_written_by_pyyaml_reads_the_same(area: Area) -> None:
    # The layout of yaml.dump (and of benchmarks/bench_data_core.py): lists not indented.
    document = {
        "format": CATALOG_FORMAT,
        "area": {"id": area.id, "name": area.name},
        "functions": [
            {
                "id": f.id,
                "path": list(f.path),
                "name": f.name,
                "requirement": f.requirement.value,
                "text": f.text,
                **({"note": f.note} if f.note is not None else {}),
                **f.extra,
            }
            for f in area.functions
        ],
    }
    text = yaml.dump(document, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    check_both_ways(as_file(text, "juki.yaml"))


def test_the_usual_layouts_take_the_fast_path(tmp_path: Path) -> None:
    """Not a silent fallback: the documented example, the sample catalogs, what import-xlsx and
    yaml.dump write are read by the fast reader, comments, blank lines and CRLF included."""
    sample = {
        p.name: p.read_text(encoding="utf-8")
        for p in (REPO / "requirements_catalog").glob("*.yaml")
    }
    area = read_catalog(as_file(GOOD_AREA, "juki.yaml")).areas[0]
    layouts = {
        **sample,
        "documented.yaml": GOOD_AREA,
        "xlsx.yaml": to_catalog_yaml(area),
        "pyyaml.yaml": yaml.dump(
            {
                "format": CATALOG_FORMAT,
                "area": {"id": "juki", "name": "住民記録"},
                "functions": [
                    {
                        "id": "0010010",
                        "path": ["大項目", "中項目"],
                        "name": "機能",
                        "requirement": "mandatory",
                        "text": "処理を行うこと。",
                    }
                ],
            },
            Dumper=yaml.CSafeDumper,
            allow_unicode=True,
            sort_keys=False,
        ),
        "commented.yaml": "# 住民記録\n"
        + GOOD_AREA.replace("functions:\n", "functions:\n\n  # 管理\n"),
        "windows.yaml": GOOD_AREA.replace("\n", "\r\n"),
    }
    for name, content in layouts.items():
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8"))
        accepted = check_both_ways(path)
        assert accepted is not None, name
    documented = fast(tmp_path / "documented.yaml")
    assert documented is not None
    first = documented.functions[0]
    assert first.line == 11 and first.path == ("管理項目", "住民データ")
    assert first.text == "日本人住民の住民データを管理する。\n"
    assert first.forms == ("0230010",) and first.extra == {"x-spec-ref": "2.1"}


def test_what_the_fast_reader_leaves_to_the_precise_one(tmp_path: Path) -> None:
    """Each of these is valid YAML or a problem the precise reader words; the fast reader
    steps aside, and the result is the precise reader's."""
    cases = [
        GOOD_AREA.replace('  - id: "0010020"', '  - {id: "0010020"}'),  # flow mapping
        GOOD_AREA.replace("format: fitgap-catalog/1", "format: fitgap-catalog/1\nx-memo: 手"),
        GOOD_AREA.replace('"0010020"', "0010020"),  # an octal number, to be quoted
        GOOD_AREA.replace('x-spec-ref: "2.1"', "x-spec-ref: 2.1"),  # a number attribute
        GOOD_AREA.replace("text: |", "text: >"),  # folded block
        GOOD_AREA.replace("requirement: mandatory", "requirement: mandatory # 必須"),
        GOOD_AREA.replace("requirement: mandatory", "requirement: 必要"),  # unknown class
        GOOD_AREA.replace("name: 日本人住民データの管理", "name: 日本人\n      住民データの管理"),
        GOOD_AREA.replace("    name: 外国人", "    name: 外国人\n    name: 外国人"),  # twice
        GOOD_AREA.replace("path: [管理項目, 住民データ]", "path: [a, b, c, d, e]"),  # too deep
        GOOD_AREA.replace("id: juki", "id: &a juki"),  # an anchor
        GOOD_AREA.rstrip("\n"),  # no last line break
        "\t" + GOOD_AREA,
        GOOD_AREA.replace("note: 補足", "note: 行1\u2028行2"),
        GOOD_AREA + "---\n",
    ]
    for k, content in enumerate(cases):
        path = tmp_path / f"case{k}.yaml"
        path.write_text(content, encoding="utf-8")
        assert fast(path) is None, content
        with_fast, precise = both_ways(path)
        assert with_fast == precise, content

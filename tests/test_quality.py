"""Code quality and project invariants: linters, types, layering, vendored files, translations."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)


def test_ruff_check() -> None:
    result = run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = run(str(BIN / "ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_domain_does_not_import_flask_or_the_database() -> None:
    # Every module under fitgap/domain, each imported on its own in a fresh interpreter
    # (walking the folder, so a new module is checked without being listed here).
    domain = REPO / "fitgap" / "domain"
    modules = sorted(
        ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for path in domain.rglob("*.py")
    )
    assert len(modules) > 15, modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = [m for m in ('flask', 'sqlmodel', 'sqlalchemy', 'werkzeug') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    result = run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_vendored_htmx_matches_its_pinned_checksum() -> None:
    data = (REPO / "fitgap" / "web" / "static" / "htmx-2.0.11.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == HTMX_SHA256
    assert "htmx-2.0.11.min.js" in (REPO / "fitgap" / "web" / "templates" / "base.html").read_text()


def test_templates_load_nothing_from_the_internet() -> None:
    for template in (REPO / "fitgap" / "web" / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, template


def test_english_catalog_is_compiled_from_the_current_po() -> None:
    folder = REPO / "fitgap" / "translations" / "en" / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as handle:
        po = read_po(handle)
    with (folder / "messages.mo").open("rb") as handle:
        mo = read_mo(handle)
    translated = {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}
    compiled = {m.id: m.string for m in mo if m.id}
    assert compiled == translated, "run: pybabel compile -d fitgap/translations"
    missing = [m.id for m in po if m.id and not m.string]
    assert not missing, f"untranslated: {missing[:5]}"

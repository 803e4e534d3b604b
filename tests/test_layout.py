"""The package layout holds (docs/architecture.md): layers, no import cycles, module sizes,
fragments with stable ids, htmx headers only through fitgap.web.htmx; and no test module
imports another."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "fitgap"
TESTS = REPO / "tests"
TEMPLATES = PACKAGE / "web" / "templates"
# Lower layers never import higher ones: domain ← store ← services ← web / cli.
LAYERS = {"domain": 0, "store": 1, "services": 2, "web": 3, "cli": 3}
MAX_LINES = 600


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(REPO).with_suffix("").parts)
    return name.removesuffix(".__init__")


def modules() -> dict[str, Path]:
    return {
        module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts
    }


def imports_of(path: Path, known: set[str], *, top_level_only: bool) -> set[str]:
    """The fitgap modules `path` imports (a `from x import y` of a submodule counts as y)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes: Iterator[ast.AST] = iter(tree.body) if top_level_only else ast.walk(tree)
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                if child in known:
                    found.add(child)
                elif node.module in known:
                    found.add(node.module)
    return found


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_the_layers_only_import_downwards() -> None:
    known = set(modules())
    wrong = []
    for name, path in modules().items():
        own = layer(name)
        if own is None:
            continue
        for target in imports_of(path, known, top_level_only=False):
            other = layer(target)
            if target == "fitgap":
                # The root only hands create_app on to fitgap.web: the command line may use it.
                other = LAYERS["web"] if name.split(".")[1] != "cli" else None
            if other is not None and other > own:
                wrong.append(f"{name} imports {target}")
            if own == other == LAYERS["web"] and target.split(".")[1] != name.split(".")[1]:
                wrong.append(f"{name} imports {target} (web and cli stand side by side)")
    assert not wrong, "\n".join(sorted(wrong))


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, if it has any (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycles() -> None:
    # Function-level imports count too: a cycle hidden inside a function is still a cycle.
    known = set(modules())
    graph = {
        name: imports_of(path, known, top_level_only=False) - {name, "fitgap"}
        for name, path in modules().items()
        if name != "fitgap"
    }
    # A package's __init__ is imported with any of its modules: not an edge of its own design.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph) or [])


def test_big_modules_are_explained_in_the_architecture_notes() -> None:
    notes = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    explained = set(re.findall(r"`(fitgap/[\w/]+\.py)`", notes.split("## Modules over")[-1]))
    too_big = {
        str(path.relative_to(REPO))
        for path in modules().values()
        if len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES
    }
    assert too_big <= explained, f"over {MAX_LINES} lines without a reason: {too_big - explained}"


def test_every_fragment_has_a_root_with_a_stable_id() -> None:
    fragments = sorted(TEMPLATES.rglob("_*.html"))
    assert len(fragments) > 10
    for template in fragments:
        text = re.sub(r"{#.*?#}", "", template.read_text(encoding="utf-8"), flags=re.S).strip()
        if text.startswith("{% include"):
            continue  # an answer made of other fragments: their roots carry the ids
        text = re.sub(r"{%.*?%}", "", text, flags=re.S)
        root = re.search(r"<([a-z][a-z0-9]*)\b[^>]*>", text)
        assert root is not None and " id=" in root.group(0), template.name


def test_htmx_headers_are_only_handled_by_the_htmx_module() -> None:
    for name, path in modules().items():
        if name == "fitgap.web.htmx":
            continue
        code = "\n".join(
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if not line.lstrip().startswith("#")
        )
        strings = [
            node.value
            for node in ast.walk(ast.parse(code))
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and not node.value.startswith(("\n", " "))
        ]
        assert not [s for s in strings if s.startswith("HX-")], name
        assert ".vary." not in code, name


def test_japan_time_needs_no_time_zone_database() -> None:
    # Python on Windows has no time-zone database unless the tzdata package is installed, and
    # ZoneInfo("Asia/Tokyo") then fails at import. Japan keeps UTC+9 all year: wareki.JST.
    users = [
        path.relative_to(REPO).as_posix()
        for path in PACKAGE.rglob("*.py")
        if "zoneinfo" in path.read_text(encoding="utf-8")
    ]
    assert users == []


def test_the_command_line_loads_each_family_when_it_runs() -> None:
    # fitgap.cli.main imports a command's module by name when the command runs (a start of
    # `fitgap score` without the web app's views): the names stay in the command line's own
    # layer, every command is found under its name, and `fitgap --help` lists them all.
    import subprocess
    import sys

    from click.testing import CliRunner

    from fitgap.cli.main import COMMANDS, main

    assert all(module.startswith("fitgap.cli.") for module, _name in COMMANDS.values())
    assert {module for module, _name in COMMANDS.values()} <= set(modules())
    for name in COMMANDS:
        command = main.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None and command.name == name
    listed = CliRunner().invoke(main, ["--help"]).output
    assert all(f"  {name} " in listed for name in COMMANDS)
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; import fitgap.cli.main, fitgap.cli.data; "
            "print(' '.join(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout.split()
    # `fitgap check` reads files only: neither the web app nor the database's modules.
    assert not {"openpyxl", "flask_babel", "fitgap.web.app", "fitgap.cli.admin"} & set(loaded)
    assert not {"sqlalchemy", "sqlmodel", "alembic", "fitgap.store.db"} & set(loaded)


def imported_test_modules(source: str, module: str) -> list[str]:
    """The test modules (tests/**/test_*.py) that the code of `module` imports, at any depth:
    `import tests.test_x`, `from tests.test_x import y`, `from tests import test_x`, and the
    relative forms."""
    package = module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            parent = ".".join([*base, *([node.module] if node.module else [])])
            names = [parent, *(f"{parent}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [
            name
            for name in names
            if name.split(".")[0] == "tests" and name.split(".")[-1].startswith("test_")
        ]
    return found


def test_no_test_module_imports_another() -> None:
    # What two test modules share lives in a module of its own (helpers, factories, samples,
    # strategies, ...) or a conftest.py: running one test file never runs another's module-level
    # code, and renaming a helper of one test never breaks a distant one.
    assert imported_test_modules("import tests.test_a\nfrom tests import helpers", "tests.x") == [
        "tests.test_a"
    ]
    assert imported_test_modules("from tests.browser import test_b as b", "tests.x") == [
        "tests.browser.test_b"
    ]
    assert imported_test_modules("def f():\n    from .test_c import y", "tests.browser.x") == [
        "tests.browser.test_c"
    ]
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        imported = imported_test_modules(path.read_text(encoding="utf-8"), module)
        wrong += [f"{module} imports {name}" for name in imported]
    assert not wrong, "\n".join(wrong)

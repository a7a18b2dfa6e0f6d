"""House rule: every layer points one way, and no import hides a cycle (docs/architecture.md).

Every module under src/fairflag is parsed with ``ast``; its imports of fairflag modules, at module level and
inside functions alike, become edges of a module graph. Two checks can fail:

* a module imports a module of a layer above its own (``LAYERS``, bottom first; a layer may import itself
  and anything below it);
* the graph has a cycle. An import inside a function does not run at import time, so Python tolerates
  the cycle it closes, but the modules still depend on each other both ways; that is what this catches.
  Imports under ``if TYPE_CHECKING:`` never run and are left out of the cycle check (a type named both
  ways is not a dependency both ways); they still count for the layers.

The analysis runs on a mapping of module names to source text, so the self-tests below can prove on a
synthetic package that each check fails when it should.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

ROOT = "fairflag"
SRC = Path(__file__).resolve().parents[1] / "src"

# Bottom first. A module belongs to the layer with the longest matching name (a package covers its modules).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("fairflag", "fairflag.clock", "fairflag.ids", "fairflag.settings", "fairflag.domain",
                    "fairflag.logs")),
    # Calculators that own their knobs: each defines the dataclass of its settings; the policy file composes them.
    ("engine: calculators", ("fairflag.engine", "fairflag.engine.credibility", "fairflag.engine.misuse",
                             "fairflag.engine.campaigns")),
    ("policy", ("fairflag.policy",)),
    # Rules that apply the whole policy (taxonomy, severities, surfaces, strike ladder) to facts.
    ("engine: rules", ("fairflag.engine.triage", "fairflag.engine.second_review", "fairflag.engine.enforcement")),
    ("store", ("fairflag.store",)),
    ("delivery", ("fairflag.delivery",)),
    ("services", ("fairflag.services",)),
    ("core", ("fairflag.core", "fairflag.consumer")),
    ("runners", ("fairflag.worker", "fairflag.webhook_sender")),
    ("http", ("fairflag.api", "fairflag.console")),
    ("programs", ("fairflag.demo", "fairflag.sim")),
    ("bench", ("fairflag.bench",)),
    ("cli", ("fairflag.cli",)),
    ("docs", ("fairflag.docgen", "fairflag.reference")),
)

# Cycles allowed by name (none: the service modules' circle of issue 21 is gone; an entry here fails the test
# once its cycle disappears, so an allowance cannot outlive the cycle).
ALLOWED_CYCLES: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True, slots=True)
class Import:
    source: str
    target: str
    line: int
    in_function: bool
    type_only: bool = False  # under ``if TYPE_CHECKING:``

    def __str__(self) -> str:
        where = "inside a function" if self.in_function else "at module level"
        typing_only = ", for typing only" if self.type_only else ""
        return f"{self.source}:{self.line} imports {self.target} ({where}{typing_only})"


def modules_in(src: Path) -> dict[str, str]:
    """Module name -> source text for every module of the package under ``src``."""
    out = {}
    for path in sorted((src / ROOT).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path.read_text(encoding="utf-8")
    return out


def _known(name: str, modules: Mapping[str, str]) -> str | None:
    """The longest prefix of a dotted name that is one of our modules."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in modules:
            return candidate
    return None


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
             modules: Mapping[str, str]) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:  # relative: resolve against this module's package
            package = module.split(".") if is_package else module.split(".")[:-1]
            base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        # ``from a.b import c`` names the module a.b.c when there is one, else something defined in a.b.
        names = [f"{base}.{alias.name}" for alias in node.names]
    found = (_known(name, modules) for name in names if name == ROOT or name.startswith(ROOT + "."))
    return sorted({t for t in found if t is not None and t != module})


def imports_of(modules: Mapping[str, str], packages: frozenset[str] = frozenset()) -> list[Import]:
    """Every import of one of ``modules`` by another, with where it happens. ``packages`` names the modules
    that are packages (their relative imports resolve inside themselves)."""
    found = []
    for module, text in modules.items():
        tree = ast.parse(text)

        def visit(node: ast.AST, in_function: bool, type_only: bool, module: str = module) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in _targets(child, module, module in packages, modules):
                        found.append(Import(module, target, child.lineno, in_function, type_only))
                inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if isinstance(child, ast.If) and _is_type_checking(child.test):
                    for stmt in child.body:
                        visit(ast.Module(body=[stmt], type_ignores=[]), inner, True)
                    for stmt in child.orelse:
                        visit(ast.Module(body=[stmt], type_ignores=[]), inner, type_only)
                else:
                    visit(child, inner, type_only)

        visit(tree, False, False)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def layer_of(module: str, layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS) -> int | None:
    """Index of the layer whose longest name matches; the root package matches only itself."""
    best: tuple[int, int] | None = None  # (length of the matching name, layer index)
    for index, (_, names) in enumerate(layers):
        for name in names:
            matches = module == name or (name != ROOT and module.startswith(name + "."))
            if matches and (best is None or len(name) > best[0]):
                best = (len(name), index)
    return None if best is None else best[1]


def upward_imports(imports: list[Import], layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS) -> list[str]:
    out = []
    for imp in imports:
        source, target = layer_of(imp.source, layers), layer_of(imp.target, layers)
        if source is not None and target is not None and target > source:
            out.append(f"{imp}: layer '{layers[source][0]}' may not import layer '{layers[target][0]}'")
    return out


def cycles(imports: list[Import], allowed: tuple[frozenset[str], ...] = ()) -> list[str]:
    """Every strongly connected group of modules (each reaches each other by imports), with the imports that
    tie it together, except a group listed exactly in ``allowed``; and each allowed group no longer present."""
    graph = nx.DiGraph()
    graph.add_edges_from((i.source, i.target) for i in imports if not i.type_only)
    groups = [frozenset(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    out = []
    for group in groups:
        if group in allowed:
            continue
        ties = sorted(str(i) for i in imports if i.source in group and i.target in group and not i.type_only)
        out.append(f"cycle among {sorted(group)}:\n    " + "\n    ".join(ties))
    out.extend(f"allowed cycle {sorted(group)} is gone (or changed): update ALLOWED_CYCLES"
               for group in allowed if group not in groups)
    return out


# --- the real package ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def package() -> tuple[dict[str, str], list[Import]]:
    modules = modules_in(SRC)
    packages = frozenset(m for m in modules if (SRC / m.replace(".", "/") / "__init__.py").exists())
    return modules, imports_of(modules, packages)


def test_every_module_has_a_layer(package: tuple[dict[str, str], list[Import]]) -> None:
    modules, _ = package
    missing = sorted(m for m in modules if layer_of(m) is None)
    assert missing == [], f"put these in a layer of LAYERS (and docs/architecture.md): {missing}"


def test_no_module_imports_a_layer_above_its_own(package: tuple[dict[str, str], list[Import]]) -> None:
    _, imports = package
    assert len(imports) > 300, "the parser found too few imports to be reading the package"
    problems = upward_imports(imports)
    assert problems == [], "\n".join(problems)


def test_no_import_closes_a_cycle(package: tuple[dict[str, str], list[Import]]) -> None:
    _, imports = package
    problems = cycles(imports, ALLOWED_CYCLES)
    assert problems == [], "\n".join(problems)


def test_the_layer_table_is_the_documented_one() -> None:
    doc = (SRC.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name, members in LAYERS:
        assert f"**{name}**" in doc, f"docs/architecture.md lacks layer {name}"
        for member in members:
            assert f"`{member}`" in doc, f"docs/architecture.md lacks {member} (layer {name})"


# --- the checks can fail: a synthetic package ---------------------------------------------------------

TOY_LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("low", ("fairflag.low",)),
    ("mid", ("fairflag.mid",)),
    ("high", ("fairflag.high",)),
)


def test_self_check_finds_an_upward_import_at_module_and_function_level() -> None:
    toy = {
        "fairflag.low": "import json\n",
        "fairflag.mid": "from fairflag import low\n",
        "fairflag.high": "from fairflag.mid import thing\n",
        "fairflag.low.helpers": "from fairflag.mid import thing\n",
        "fairflag.low.late": "def f():\n    from fairflag.high import thing\n    return thing\n",
    }
    imports = imports_of(toy, frozenset({"fairflag.low"}))
    assert {(i.source, i.target, i.in_function) for i in imports} == {
        ("fairflag.mid", "fairflag.low", False), ("fairflag.high", "fairflag.mid", False),
        ("fairflag.low.helpers", "fairflag.mid", False), ("fairflag.low.late", "fairflag.high", True)}
    problems = upward_imports(imports, TOY_LAYERS)
    assert len(problems) == 2
    assert "fairflag.low.helpers:1 imports fairflag.mid (at module level)" in problems[0]
    assert "fairflag.low.late:2 imports fairflag.high (inside a function)" in problems[1]
    assert "layer 'low' may not import layer 'high'" in problems[1]


def test_self_check_finds_a_cycle_closed_inside_a_function() -> None:
    toy = {
        "fairflag.mid.a": "from fairflag.mid import b\n",
        "fairflag.mid.b": "def later():\n    from fairflag.mid.c import go\n    go()\n",
        "fairflag.mid.c": "import fairflag.mid.a\n",
        "fairflag.mid.d": "from . import a\n",
    }
    imports = imports_of(toy)
    assert upward_imports(imports, TOY_LAYERS) == []
    (problem,) = cycles(imports)
    assert "['fairflag.mid.a', 'fairflag.mid.b', 'fairflag.mid.c']" in problem
    assert "fairflag.mid.b:2 imports fairflag.mid.c (inside a function)" in problem
    assert cycles(imports, (frozenset({"fairflag.mid.a", "fairflag.mid.b", "fairflag.mid.c"}),)) == []
    (stale,) = cycles(imports, (frozenset({"fairflag.mid.a", "fairflag.mid.b", "fairflag.mid.c"}),
                                frozenset({"fairflag.mid.a", "fairflag.mid.d"})))
    assert "is gone" in stale


def test_self_check_type_only_imports_count_for_layers_not_cycles() -> None:
    toy = {
        "fairflag.mid.a": "def f():\n    from fairflag.mid import b\n",
        "fairflag.mid.b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from fairflag.mid.a import A\n",
        "fairflag.low": "import typing\nif typing.TYPE_CHECKING:\n    import fairflag.high\n"
                        "else:\n    import fairflag.mid\n",
        "fairflag.mid": "",
        "fairflag.high": "",
    }
    imports = imports_of(toy)
    assert {(i.source, i.target, i.type_only) for i in imports} == {
        ("fairflag.mid.a", "fairflag.mid.b", False), ("fairflag.mid.b", "fairflag.mid.a", True),
        ("fairflag.low", "fairflag.high", True), ("fairflag.low", "fairflag.mid", False)}
    assert cycles(imports) == []
    problems = upward_imports(imports, TOY_LAYERS)
    assert len(problems) == 2 and "for typing only" in problems[0] + problems[1]


def test_self_check_needs_every_module_in_a_layer() -> None:
    assert layer_of("fairflag.low.x", TOY_LAYERS) == 0
    assert layer_of("fairflag.elsewhere", TOY_LAYERS) is None
    assert layer_of("fairflag.lowish", TOY_LAYERS) is None  # a name is matched whole, not as a text prefix

"""The import rules of docs/ARCHITECTURE.md, checked on the source with ``ast``.

- no import cycles between vmb's modules (imports inside functions count: a lazy import is
  still a dependency);
- no ``from module import _private`` across modules;
- a stage package imports no other stage package (only the shared modules and pure metrics);
- nothing below the shells (the CLI, the server and the public API over them) imports a shell;
- the two generators (``vmb.generate.baseline``, ``vmb.generate.ecmg``) never import each other;
- no vmb module imports the test fakes (``vmb.testing``).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import vmb

ROOT = Path(vmb.__file__).resolve().parent
STAGES = {"describe", "retrieve", "generate", "render", "video", "evaluate"}
# Shared across stages (docs/ARCHITECTURE.md): the pure metrics (notes in, numbers out) and the
# file formats (atomic writes, MIDI), which depend on nothing but the shared types.
SHARED_IN_STAGES = {"vmb.evaluate.symbolic", "vmb.render.writers", "vmb.render.midi"}
# The shells over the pipeline: the command line, the web server and the public Python API
# (which reuses the CLI's option parsing); `python -m vmb` runs the CLI.
SHELLS = ("vmb.cli", "vmb.serve", "vmb.api")
SHELL_ENTRY_POINTS = {"vmb.__main__"}


def _modules() -> dict[str, Path]:
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


MODULES = _modules()


def _imports(module: str) -> list[tuple[str, str]]:
    """(imported module, imported name or "") for every vmb import in ``module``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "vmb":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub, "") if sub in MODULES else (target, alias.name))
        elif isinstance(node, ast.Import):
            found += [(a.name, "") for a in node.names if a.name.split(".")[0] == "vmb"]
    return found


def _graph() -> dict[str, set[str]]:
    graph = defaultdict(set)
    for module in MODULES:
        for target, _name in _imports(module):
            if target in MODULES and target != module:
                graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(set(graph) | {w for targets in graph.values() for w in targets}):
        if v not in index:
            visit(v)
    return out


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_the_walker_sees_the_package():
    assert {"vmb.types", "vmb.pipeline.chain", "vmb.generate.ecmg", "vmb.cli", "vmb.serve.app",
            "vmb.api"} <= set(MODULES)
    assert "vmb.pipeline.core" in _graph()["vmb.pipeline.chain"]


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_no_private_names_imported_across_modules():
    bad = [(m, t, n) for m in MODULES for t, n in _imports(m) if n.startswith("_") and t != m]
    assert bad == []


def test_stages_import_no_other_stage():
    bad = []
    for module in MODULES:
        stage = _stage(module)
        for target, _name in _imports(module):
            other = _stage(target)
            if stage and other and other != stage and target not in SHARED_IN_STAGES:
                bad.append((module, target))
    assert bad == []


def _is_shell(module: str) -> bool:
    return any(module == shell or module.startswith(shell + ".") for shell in SHELLS)


def test_only_shells_import_shells():
    bad = [(module, target) for module in MODULES if not _is_shell(module) and module not in SHELL_ENTRY_POINTS
           for target, _name in _imports(module) if _is_shell(target)]
    assert bad == []


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_two_generators_import_each_other_nowhere():
    generators = ("vmb.generate.baseline", "vmb.generate.ecmg")
    assert all(g in MODULES for g in generators)
    bad = [(module, target) for module in MODULES for target, _name in _imports(module)
           for mine, other in (generators, generators[::-1]) if _within(module, mine) and _within(target, other)]
    assert bad == []


def test_nothing_in_vmb_imports_the_fakes():
    bad = [(module, target) for module in MODULES if module != "vmb.testing"
           for target, _name in _imports(module) if _within(target, "vmb.testing")]
    assert bad == []


def test_the_checker_catches_a_cycle():
    """The cycle finder is not vacuous: a two-module loop is reported."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]

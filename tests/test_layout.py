"""The layout tells the architecture: ssg's modules import each other without
cycles, none reaches into another's private names, and the code that makes
every output dirty when it changes is all of ssg's code."""

from __future__ import annotations

import ast
from pathlib import Path

import ssg
from ssg.build.pipeline import ssg_modules

PACKAGE = Path(ssg.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (imports for annotations only)."""
    hidden = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(sub) for sub in ast.walk(node))
    return [node for node in ast.walk(tree) if id(node) not in hidden]


def _imports(modules: dict[str, Path]) -> dict[str, dict[str, list[str]]]:
    """module -> {ssg module it imports at run time (at the top or inside a function): [names taken]}."""
    graph: dict[str, dict[str, list[str]]] = {name: {} for name in modules}
    for name, path in modules.items():
        for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("ssg"):
                for alias in node.names:
                    target = f"{node.module}.{alias.name}"
                    if target in modules:      # from ssg import deps
                        graph[name].setdefault(target, [])
                    elif node.module in modules:
                        graph[name].setdefault(node.module, []).append(alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules:
                        graph[name].setdefault(alias.name, [])
    for name in graph:
        graph[name].pop(name, None)
    return graph


def _cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_among_ssg_modules():
    assert _cycles(_imports(_modules())) == []


def test_the_cycle_check_finds_a_cycle():
    graph = {"a": {"b": []}, "b": {"c": []}, "c": {"a": []}, "d": {"a": []}}
    assert _cycles(graph) == [["a", "b", "c"]]


def _private_names(tree: ast.AST) -> set[str]:
    """The private names a module defines: functions, classes, module globals and attributes it sets."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if name.startswith("_") and not name.startswith("__")}


def test_no_module_takes_another_modules_private_names():
    modules = _modules()
    trees = {name: ast.parse(path.read_text(), str(path)) for name, path in modules.items()}
    defined = {name: _private_names(tree) for name, tree in trees.items()}
    private = [f"{name} imports {target}.{taken}" for name, targets in _imports(modules).items()
               for target, names in targets.items() for taken in names
               if taken.startswith("_") and not taken.startswith("__")]
    for name, tree in trees.items():
        aliases = {alias.asname or alias.name.rpartition(".")[2]: f"{node.module}.{alias.name}"
                   for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "ssg"
                   for alias in node.names}
        aliases |= {alias.asname or alias.name: alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names if alias.name.startswith("ssg")}
        private += [f"{name}:{node.lineno} reads {ast.unparse(node)}" for node in ast.walk(tree)
                    if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in aliases]
        # An object's private attribute, defined by another module of ssg (not ``self``'s, not a dependency's).
        others = set().union(*(names for other, names in defined.items() if other != name)) - defined[name]
        foreign = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                   for alias in node.names if not alias.name.startswith("ssg")}     # os._exit is os's
        private += [f"{name}:{node.lineno} reads {ast.unparse(node)}" for node in ast.walk(tree)
                    if isinstance(node, ast.Attribute) and node.attr in others
                    and ast.unparse(node.value) not in ("self", "cls", "super()", *foreign)]
    assert private == []


def test_the_settings_fingerprint_covers_every_module_of_every_subpackage():
    hashed = set(ssg_modules())
    missing = sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py") if path not in hashed)
    assert missing == []
    assert any(path.parent != PACKAGE for path in hashed)     # the subpackages' modules are there

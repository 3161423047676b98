"""The layer table of the design: every import of a catlearn module goes up the
table or sideways, never down, and no modules import each other in a circle.

The table (DESIGN.md, "Layers"), top first: syntax; semantics (categories);
functors; primitives (distributions, primitives); algorithms (learning,
inference); language (lang); surfaces (cli, plot). The leaves (errors, io,
checkpoint, sharding, xla_options) import nothing of catlearn but errors, and
every layer may use them. Imports inside functions count: a lazy import is
still a dependency.
"""
import ast
import pathlib

import pytest

import catlearn

PACKAGE = pathlib.Path(catlearn.__file__).parent
LAYERS = {"syntax": 0, "categories": 1, "functor": 2, "primitives": 3, "distributions": 3,
          "learning": 4, "inference": 4, "lang": 5, "cli": 6, "plot": 6}
LEAVES = {"errors", "io", "checkpoint", "sharding", "xla_options", "display", "keys", "options",
          "progress", "program_cache"}


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(name: str, source: str, is_package: bool, modules) -> set:
    """The catlearn modules that ``source`` (module ``name``) imports, anywhere in it;
    ``from package import name`` counts as importing the submodule where there is one."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] \
                if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found |= {f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module
                      for a in node.names}
    return {m for m in found if m.split(".")[0] == "catlearn" and m != name}


def import_graph() -> dict:
    sources = {module_name(p): (p.read_text(), p.name == "__init__.py")
               for p in sorted(PACKAGE.rglob("*.py"))}
    assert len(sources) > 40  # the scan sees the whole package
    return {name: imports(name, text, is_package, sources)
            for name, (text, is_package) in sources.items()}


def layer(module: str):
    """The layer of a module: its index in the table, "leaf", or None for the package."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    return "leaf" if parts[1] in LEAVES else LAYERS[parts[1]]


def downward(graph: dict) -> list:
    """The imports that go down the table, or from a leaf to anything but errors."""
    wrong = []
    for module, targets in graph.items():
        for target in sorted(targets):
            mine, theirs = layer(module), layer(target)
            if mine is None:
                continue  # the package's __init__ gathers the public names
            if theirs is None:
                wrong.append(f"{module} imports the package {target}")
            elif mine == "leaf":
                if target != "catlearn.errors":
                    wrong.append(f"leaf {module} imports {target}")
            elif theirs != "leaf" and theirs > mine:
                wrong.append(f"{module} (layer {mine}) imports {target} (layer {theirs})")
    return wrong


def cycles(graph: dict) -> list:
    """The modules on an import cycle, each cycle once (as its smallest rotation)."""
    found, state = set(), {}

    def visit(module, path):
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                cycle = path[path.index(target):]
                i = cycle.index(min(cycle))
                found.add(tuple(cycle[i:] + cycle[:i]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"
    for module in sorted(graph):
        if module not in state and layer(module) is not None:
            visit(module, [module])
    return sorted(found)


# No known debt: any violation fails.
KNOWN_DOWNWARD: list = []
KNOWN_CYCLES: list = []


def test_no_module_imports_a_lower_layer():
    assert downward(import_graph()) == KNOWN_DOWNWARD


def test_no_modules_import_each_other_in_a_circle():
    graph = {m: {t for t in ts if layer(t) is not None} for m, ts in import_graph().items()}
    assert cycles(graph) == KNOWN_CYCLES


def test_every_folder_has_a_layer():
    assert all(layer(m) is not None for m in import_graph() if m != "catlearn")


@pytest.mark.parametrize("graph, expected", [
    ({"catlearn.categories.learn": {"catlearn.learning.train"}},
     ["catlearn.categories.learn (layer 1) imports catlearn.learning.train (layer 4)"]),
    ({"catlearn.errors": set(), "catlearn.io": {"catlearn.syntax.ty"}},
     ["leaf catlearn.io imports catlearn.syntax.ty"]),
    ({"catlearn.lang.models": {"catlearn.inference.target", "catlearn.errors",
                               "catlearn.syntax.ty"}}, []),
])
def test_the_layer_scan_would_catch_offenders(graph, expected):
    assert downward(graph) == expected


def test_the_cycle_scan_would_catch_a_circle():
    graph = {"catlearn.lang.x": {"catlearn.lang.y"}, "catlearn.lang.y": {"catlearn.lang.z"},
             "catlearn.lang.z": {"catlearn.lang.x"}, "catlearn.lang.w": {"catlearn.lang.x"}}
    assert cycles(graph) == [("catlearn.lang.x", "catlearn.lang.y", "catlearn.lang.z")]
    assert cycles({"catlearn.lang.x": {"catlearn.lang.y"}, "catlearn.lang.y": set()}) == []


def test_relative_imports_are_resolved():
    modules = {"catlearn.inference.sequential", "catlearn.categories.traced"}
    found = imports("catlearn.inference.smc", "from .sequential import StateSpace\n"
                    "def f():\n    from ..categories import traced\n", False, modules)
    assert found == {"catlearn.inference.sequential", "catlearn.categories.traced"}

"""The layout of graphembed.distributed: one module per concern, each saying what it is for,
imports pointing only down the module list, no pyspark anywhere under graphembed/, and every name
re-exported by the package (spark_jobs/ and the tests use ``graphembed.distributed.<name>``)."""

import ast
import importlib
from pathlib import Path

import pytest

import graphembed.distributed as D

PACKAGE = Path(D.__file__).parent
SRC = PACKAGE.parent

#: The modules bottom to top: a module may import only from modules before it.
ORDER = ["partitioning", "arrow", "local", "fastrp_stream", "fastrp_merge", "fastrp_exchange",
         "spectral_exchange",
         "subgraph", "distne", "landmarks", "runner"]


def _tree(path):
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _sibling_imports(tree):
    """Modules of the package a module imports (``from .x import``, ``from . import x``)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("graphembed.distributed."):
                    out.add(a.name.split(".")[2])
    return out


def _top_level_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(x.id for x in ast.walk(target) if isinstance(x, ast.Name))
    return names


def test_every_module_is_in_the_order():
    found = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert found == set(ORDER)


@pytest.mark.parametrize("module", ORDER)
def test_module_says_what_it_is_for_and_imports_only_down(module):
    tree = _tree(PACKAGE / f"{module}.py")
    doc = ast.get_docstring(tree)
    assert doc and len(doc.split()) >= 10, f"{module}.py opens without saying what it is for"
    allowed = set(ORDER[:ORDER.index(module)])
    upward = _sibling_imports(tree) - allowed
    assert not upward, f"{module}.py imports {sorted(upward)}, which are not below it"


@pytest.mark.parametrize("module", ORDER)
def test_package_reexports_every_name(module):
    mod = importlib.import_module(f"graphembed.distributed.{module}")
    names = _top_level_names(_tree(PACKAGE / f"{module}.py"))
    missing = sorted(n for n in names if getattr(D, n, None) is not getattr(mod, n))
    assert not missing, f"graphembed.distributed does not re-export {missing} of {module}"
    public = sorted(n for n in names if not n.startswith("_"))
    assert set(public) <= set(D.__all__), sorted(set(public) - set(D.__all__))


def test_nothing_under_graphembed_imports_pyspark():
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            else:
                continue
            assert not any(m.split(".")[0] == "pyspark" for m in mods), \
                f"{path.relative_to(SRC.parent)} imports pyspark"

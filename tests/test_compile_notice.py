"""The one-line notice when graphembed compiles its kernels, and warmup()."""

import os
import subprocess
import sys

import pytest

import graphembed._kernels as kernels

NOTICE = "graphembed: compiling"

# Two compilations in one process (the canonical-matrix check for int32 and for int64 indices):
# one line, naming the function called. Nothing else compiles on this path.
SCRIPT = """
import numpy as np, scipy.sparse as sp, graphembed as ge
m = sp.csr_array((np.ones(4, np.float32), np.array([1, 0, 2, 1]), np.array([0, 1, 3, 4])),
                 shape=(3, 3))
g = ge.as_csr(m)
m.indptr, m.indices = m.indptr.astype(np.int64), m.indices.astype(np.int64)
g = ge.as_csr(m)
print("done", g.n)
"""


def run(cache_dir, script=SCRIPT):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    env.pop("NUMBA_DISABLE_JIT", None)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr
    assert "done 3" in out.stdout
    return [line for line in out.stderr.splitlines() if line.startswith("graphembed")]


@pytest.mark.slow
def test_notice_once_when_compiling_and_never_from_the_cache(tmp_path):
    first = run(tmp_path)
    assert len(first) == 1, first
    line = first[0]
    assert line.startswith(NOTICE)
    assert "graphembed.as_csr" in line  # what
    assert "once" in line and "cache" in line  # that it happens once, and why not again
    assert "about" in line and " s" in line  # how long
    assert run(tmp_path) == []  # the kernels now load from the cache: nothing said


def test_notice_wording_names_the_entry_point():
    # a function named fastrp in the module graphembed.fastrp, on the stack
    code = compile("def fastrp():\n    return compile_notice()\n", "graphembed/fastrp.py", "exec")
    namespace = {"__name__": "graphembed.fastrp", "compile_notice": kernels.compile_notice}
    exec(code, namespace)
    line = namespace["fastrp"]()
    assert line.startswith(NOTICE)
    assert "graphembed.fastrp" in line
    assert kernels.COMPILE_ESTIMATES["fastrp"] in line
    # called from nowhere in graphembed: still one sensible line
    assert kernels.compile_notice().startswith(NOTICE)


def test_the_notice_listens_to_numba_compilations_of_graphembed_kernels_only(caplog):
    from numba import njit
    from numba.core import event

    said = list(kernels._said)
    kernels._said.clear()
    try:
        with caplog.at_level("WARNING", logger="graphembed"):
            @njit(cache=False)
            def not_ours(x):
                return x + 1

            not_ours(1)  # compiles, but it is not a graphembed kernel
            assert not [r for r in caplog.records if r.name == "graphembed"]
            assert not kernels._said
            # a compile event of a graphembed kernel (as numba sends it) is said once
            fake = type("D", (), {"py_func": kernels.compile_notice})()
            for _ in range(2):
                with event.trigger_event("numba:compile", data={"dispatcher": fake}):
                    pass
            lines = [r.getMessage() for r in caplog.records if r.name == "graphembed"]
            assert len(lines) == 1 and lines[0].startswith(NOTICE)
    finally:
        kernels._said[:] = said


MAIN_PATHS = """
import numpy as np, scipy.sparse as sp, graphembed as ge
src, dst = np.array([0, 1, 2, 3, 4, 0]), np.array([1, 2, 3, 4, 0, 2])
g = ge.as_csr((src, dst, np.array([1.0, 2, 1, 1, 3, 1])))
ge.as_csr(sp.csr_array(g.to_scipy(np.float64)))
for graph in (ge.as_csr((src, dst)), g):
    ge.fastrp(graph, dim=16)
    ge.random_walks(graph, walk_length=5)
    ge.random_walks(graph, walk_length=5, p=2.0, q=0.5)
ge.orbit_counts(g)
print("done", 3)
"""


@pytest.mark.slow
def test_warmup_fills_the_cache_for_the_main_paths(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    env.pop("NUMBA_DISABLE_JIT", None)
    out = subprocess.run([sys.executable, "-m", "graphembed.cli", "warmup"], env=env,
                         capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stderr
    assert "done in" in out.stdout
    assert run(tmp_path, MAIN_PATHS) == []  # everything loads from the cache: nothing said

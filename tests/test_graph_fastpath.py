"""as_csr's fast path for scipy CSR input that is already canonical.

The fast path must give exactly what the general path gives (same arrays, dtypes, ids, flags,
errors) on every input; it must be taken for canonical input (sharing the matrix's arrays), and
never write into the caller's matrix.
"""

import contextlib

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import graphembed as ge
import graphembed.graph as graph_mod
from graphembed._kernels.graph import check_canonical


@contextlib.contextmanager
def general_path():
    old = graph_mod._FAST_PATH
    graph_mod._FAST_PATH = False
    try:
        yield
    finally:
        graph_mod._FAST_PATH = old


def outcome(m, **kw):
    """(graph, None) or (None, (error type, message))."""
    try:
        return ge.as_csr(m, **kw), None
    except (ValueError, TypeError) as e:
        return None, (type(e), str(e))


def assert_same(a, b):
    assert a.indptr.dtype == b.indptr.dtype == np.int64
    assert a.indices.dtype == b.indices.dtype
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert (a.weights is None) == (b.weights is None)
    if a.weights is not None:
        assert a.weights.dtype == b.weights.dtype == np.float32
        assert a.weights.tobytes() == b.weights.tobytes()
    assert a.node_ids.dtype == b.node_ids.dtype
    np.testing.assert_array_equal(a.node_ids, b.node_ids)
    assert a.directed == b.directed
    assert a.num_self_loops == b.num_self_loops
    assert a.num_edges == b.num_edges


def csr(indptr, indices, data, n, index_dtype):
    m = sp.csr_array((data, indices, indptr), shape=(n, n))
    # scipy picks the index dtype itself: set the one asked for afterwards
    m.indptr = np.ascontiguousarray(indptr, dtype=index_dtype)
    m.indices = np.ascontiguousarray(indices, dtype=index_dtype)
    m.data = np.ascontiguousarray(data)
    return m


def arrays(dense):
    """CSR arrays (sorted, no duplicates) of the nonzero entries of a small dense matrix."""
    rows, cols = np.nonzero(dense)
    indptr = np.zeros(len(dense) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(dense)), out=indptr[1:])
    return indptr, cols.astype(np.int64), dense[rows, cols]


CORRUPTIONS = ("none", "unsorted", "duplicate", "self_loop", "asym_value", "asym_pattern",
               "extra_lower", "zero", "nan", "negative", "inf")


def corrupt(kind, indptr, indices, data, n, rng):
    """Break the canonical CSR arrays in one way; None if this graph cannot be broken so."""
    indptr, indices, data = indptr.copy(), indices.copy(), data.copy()
    nnz = len(indices)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    off = np.flatnonzero(rows != indices)
    if kind == "none":
        return indptr, indices, data
    if kind == "unsorted":
        long_rows = np.flatnonzero(np.diff(indptr) >= 2)
        if not len(long_rows):
            return None
        r = rng.choice(long_rows)
        a = indptr[r] + rng.integers(0, indptr[r + 1] - indptr[r] - 1)
        indices[[a, a + 1]] = indices[[a + 1, a]]
        data[[a, a + 1]] = data[[a + 1, a]]
        return indptr, indices, data
    if kind == "duplicate":
        if not nnz:
            return None
        p = rng.integers(0, nnz)
        r = rows[p]
        indices = np.insert(indices, p, indices[p])
        data = np.insert(data, p, data[p])
        indptr[r + 1:] += 1
        return indptr, indices, data
    if kind == "self_loop":
        free = [r for r in range(n) if r not in indices[indptr[r]:indptr[r + 1]]]
        if not free:
            return None
        r = rng.choice(free)
        p = indptr[r] + np.searchsorted(indices[indptr[r]:indptr[r + 1]], r)
        indices = np.insert(indices, p, r)
        data = np.insert(data, p, data.dtype.type(2))
        indptr[r + 1:] += 1
        return indptr, indices, data
    if kind in ("asym_value", "zero", "nan", "negative", "inf"):
        pool = off if kind == "asym_value" else np.arange(nnz)
        if not len(pool):
            return None
        p = rng.choice(pool)
        if kind == "asym_value":
            data[p] = data[p] + data.dtype.type(1)
        elif kind == "zero":
            data[p] = 0
        elif kind == "negative":
            data[p] = -data[p]
        else:
            if data.dtype.kind != "f":
                return None
            data[p] = np.nan if kind == "nan" else np.inf
        return indptr, indices, data
    if kind == "asym_pattern":  # one entry without its mirror
        if not len(off):
            return None
        p = rng.choice(off)
        indptr[rows[p] + 1:] -= 1
        return indptr, np.delete(indices, p), np.delete(data, p)
    if kind == "extra_lower":  # an entry below the diagonal whose mirror is missing
        for _ in range(20):
            r = rng.integers(1, n) if n > 1 else 0
            c = rng.integers(0, r) if r > 0 else 0
            if r > c and c not in indices[indptr[r]:indptr[r + 1]]:
                p = indptr[r] + np.searchsorted(indices[indptr[r]:indptr[r + 1]], c)
                indices = np.insert(indices, p, c)
                data = np.insert(data, p, data.dtype.type(1))
                indptr[r + 1:] += 1
                return indptr, indices, data
        return None
    raise AssertionError(kind)


def dense_graph(n, density, values, symmetric, loops, rng):
    mask = rng.random((n, n)) < density
    if values == "ones":
        w = np.ones((n, n))
    elif values == "float32":
        w = rng.random((n, n)).astype(np.float32) * 4 + np.float32(0.25)
    elif values == "float64":
        w = rng.random((n, n)) * 4 + 1e-3
    else:  # "int64" / "int32"
        w = rng.integers(1, 4, (n, n))
    dense = np.where(mask, w, 0)
    if symmetric:
        dense = np.triu(dense) + np.triu(dense, 1).T
    if not loops:
        np.fill_diagonal(dense, 0)
    dtype = {"ones": np.float64, "float32": np.float32, "float64": np.float64,
             "int64": np.int64, "int32": np.int32}[values]
    return dense.astype(dtype)


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 9), density=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1),
       values=st.sampled_from(["ones", "float32", "float64", "int64", "int32"]),
       index_dtype=st.sampled_from([np.int32, np.int64]),
       directed=st.sampled_from([None, False, True]),
       self_loops=st.sampled_from([None, "drop", "keep"]),
       kind=st.sampled_from(CORRUPTIONS), with_nodes=st.booleans())
def test_fast_path_equals_general_path(n, density, seed, values, index_dtype, directed,
                                       self_loops, kind, with_nodes):
    rng = np.random.default_rng(seed)
    symmetric = not directed
    loops = self_loops == "keep" and rng.random() < 0.5
    dense = dense_graph(n, density, values, symmetric, loops, rng)
    broken = corrupt(kind, *arrays(dense), n, rng)
    if broken is None:
        return
    m = csr(*broken, n, index_dtype)
    before = [a.copy() for a in (m.indptr, m.indices, m.data)]
    kw = dict(directed=directed, self_loops=self_loops)
    if with_nodes:
        kw["nodes"] = [f"v{i}" for i in rng.permutation(n)]
    fast, fast_err = outcome(m, **kw)
    with general_path():
        slow, slow_err = outcome(m, **kw)
    assert fast_err == slow_err
    if slow is not None:
        assert_same(fast, slow)
    # the caller's matrix is untouched, whichever path ran
    for a, b in zip((m.indptr, m.indices, m.data), before):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    # the fast path is taken exactly when the input is canonical (int32 indices: no copy)
    canonical = (kind == "none" or (kind == "self_loop" and self_loops == "keep")
                 or (bool(directed) and kind in ("asym_value", "asym_pattern", "extra_lower")))
    if fast is not None and index_dtype == np.int32 and len(m.indices):
        assert np.shares_memory(fast.indices, m.indices) == canonical


def test_int32_matrix_is_used_without_a_copy():
    rng = np.random.default_rng(0)
    dense = dense_graph(30, 0.2, "float32", True, False, rng)
    m = sp.csr_array(dense)
    assert m.indices.dtype == np.int32 and m.data.dtype == np.float32
    before = m.copy()
    g = ge.as_csr(m)
    assert np.shares_memory(g.indices, m.indices)
    assert np.shares_memory(g.weights, m.data)
    assert g.indptr.dtype == np.int64  # int32 indptr: the one O(n) conversion
    with general_path():
        assert_same(g, ge.as_csr(m))
    assert (m != before).nnz == 0
    assert m.indices.dtype == np.int32 and m.indptr.dtype == np.int32


def test_int64_indptr_and_unweighted_values_share_everything():
    dense = dense_graph(20, 0.3, "ones", True, False, np.random.default_rng(1))
    m = csr(*arrays(dense), 20, np.int64)
    m.indices = m.indices.astype(np.int32)  # int64 indptr, int32 indices (as CSRGraph.to_scipy)
    g = ge.as_csr(m)
    assert np.shares_memory(g.indptr, m.indptr) and np.shares_memory(g.indices, m.indices)
    assert g.weights is None  # float64 ones: an unweighted graph, no weight array
    with general_path():  # (scipy's own conversions want one index dtype)
        assert_same(g, ge.as_csr(csr(*arrays(dense), 20, np.int64)))


def test_float64_values_are_rounded_like_the_general_path():
    # 1 + 2**-30 is not 1 in float64 but rounds to 1.0 in float32: unweighted, as before
    dense = dense_graph(12, 0.5, "ones", True, False, np.random.default_rng(2))
    dense[dense == 1] = 1 + 2.0**-30
    m = sp.csr_array(dense)
    g = ge.as_csr(m)
    assert g.weights is None and np.shares_memory(g.indices, m.indices)
    with general_path():
        assert_same(g, ge.as_csr(m))


@pytest.mark.parametrize("directed", [False, True])
def test_errors_are_the_general_paths(directed):
    dense = dense_graph(6, 0.6, "float64", True, False, np.random.default_rng(3))
    for bad in (np.nan, -1.0, np.inf):
        m = sp.csr_array(dense)
        m.data[1] = bad
        fast = outcome(m, directed=directed)
        with general_path():
            slow = outcome(m, directed=directed)
        assert fast[1] is not None and fast[1] == slow[1]
        assert "weights must be" in fast[1][1]


def test_kernel_counts():
    """check_canonical's own answers on hand-made matrices (the counts as_csr relies on)."""
    rng = np.random.default_rng(0)

    def run(rows, symmetric=True, allow_loops=False, values=None, blocks=(0,)):
        n = len(rows)
        indptr = np.cumsum([0] + [len(r) for r in rows]).astype(np.int64)
        indices = np.array([c for r in rows for c in r], dtype=np.int32)
        data = np.ones(len(indices)) if values is None else np.asarray(values, dtype=float)
        bounds = np.array(list(blocks) + [n], dtype=np.int64)
        key = np.uint64(rng.integers(0, 2**63))  # any key: the answers must not depend on it
        return tuple(int(x) for x in check_canonical(indptr, indices, data, data.view(np.uint64),
                                                     bounds, symmetric, allow_loops, key))

    path = [[1], [0, 2], [1]]
    for blocks in ((0,), (0, 1), (0, 2), (0, 1, 2)):
        assert run(path, blocks=blocks) == (0, 0, 0)
        assert run([[1], [0, 2], [1, 2]], blocks=blocks)[0] > 0  # self-loop
        assert run([[1], [0, 2], [1, 2]], allow_loops=True, blocks=blocks) == (0, 1, 0)
        assert run([[1, 2], [0, 2], [1]], blocks=blocks)[0] > 0  # 0-2 has no mirror
        assert run([[1], [0, 2], [0, 1]], blocks=blocks)[0] > 0  # 2-0 has no mirror
        assert run([[1], [0, 2], [0, 1]], symmetric=False, blocks=blocks) == (0, 0, 0)
        assert run([[1], [2, 0], [1]], blocks=blocks)[0] > 0  # unsorted row
        assert run([[1], [0, 0, 2], [1]], symmetric=False, blocks=blocks)[0] > 0  # duplicate
        assert run([[3], [0, 2], [1]], symmetric=False, blocks=blocks)[0] > 0  # out of range
        assert run(path, values=[1, 1, 2, 1], blocks=blocks)[0] > 0  # 1-2 weighs 2, 2-1 1
        assert run(path, values=[1, 1, 2, 2], blocks=blocks) == (0, 0, 2)
        assert run(path, values=[0, 0, 1, 1], blocks=blocks)[0] > 0  # explicit zeros
        # every row and column holds the same values, yet 0-1 weighs 2 one way and 3 the other
        cycle = [[1, 3], [0, 2], [1, 3], [0, 2]]
        assert run(cycle, values=[2, 3, 2, 3, 3, 2, 3, 2], blocks=blocks) == (0, 0, 8)
        assert run(cycle, values=[2, 3, 3, 2, 2, 3, 3, 2], blocks=blocks)[0] > 0
        # one edge per side of the diagonal, but 1-3 and 2-0 are not each other's mirror
        assert run([[2], [3], [], []], symmetric=False, blocks=blocks) == (0, 0, 0)
        assert run([[], [3], [0], []], blocks=blocks)[0] > 0

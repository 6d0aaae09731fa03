"""as_csr, the front door: checked against a dict-of-dicts reference and for every bad input."""

import gzip
import itertools

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphembed as ge
from graphembed import graph as graph_module
from graphembed.graph import CSRGraph, read_edgelist

# ----------------------------------------------------------------------------- the reference


def reference(src, dst, w=None, *, directed=False, self_loops="drop", duplicates="sum"):
    """The obvious semantics, one arc at a time: {(u_id, v_id): weight}."""
    arcs = {}
    for k, (u, v) in enumerate(zip(src, dst)):
        x = 1.0 if w is None else float(w[k])
        if (u == v and self_loops == "drop") or x == 0:
            continue
        arcs.setdefault((u, v), []).append(x)
    merged = {}
    for key, xs in arcs.items():
        if w is None:
            merged[key] = 1.0
        else:
            merged[key] = sum(xs) if duplicates == "sum" else max(xs)
    if directed:
        return merged
    out = {}
    for (u, v), x in merged.items():
        for a, b in ((u, v), (v, u)):
            out[(a, b)] = max(out.get((a, b), 0.0), x)
    return out


def as_dict(g):
    """{(u_id, v_id): weight} of a CSRGraph, through the raw arrays."""
    out = {}
    ids = g.node_ids.tolist()
    for r in range(g.n):
        for p in range(g.indptr[r], g.indptr[r + 1]):
            x = 1.0 if g.weights is None else float(g.weights[p])
            out[(ids[r], ids[g.indices[p]])] = x
    return out


def check_invariants(g):
    assert g.indptr.dtype == np.int64
    assert g.indptr[0] == 0 and np.all(np.diff(g.indptr) >= 0)
    assert g.indices.dtype == np.int32
    assert len(g.indices) == g.nnz == g.indptr[-1]
    assert len(g.node_ids) == g.n
    for r in range(g.n):
        row = g.indices[g.indptr[r]:g.indptr[r + 1]]
        assert np.all(np.diff(row) > 0), "indices sorted, no duplicates"
        assert np.all((row >= 0) & (row < g.n))
    if g.weights is not None:
        assert g.weights.dtype == np.float32 and len(g.weights) == g.nnz
        assert np.all(g.weights > 0) and np.all(np.isfinite(g.weights))
        assert not np.all(g.weights == 1)
    if not g.directed:
        m = g.to_scipy()
        assert (m != m.T).nnz == 0, "undirected means symmetric"


def assert_matches(g, expected):
    got = as_dict(g)
    assert set(got) == set(expected)
    for key, x in expected.items():
        assert got[key] == pytest.approx(x, rel=1e-6)


# ----------------------------------------------------------------------------- random edge lists

edge_lists = st.lists(
    st.tuples(st.integers(-3, 6), st.integers(-3, 6), st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.25])),
    max_size=40,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edges=edge_lists, directed=st.booleans(), weighted=st.booleans(),
       self_loops=st.sampled_from(["drop", "keep"]), duplicates=st.sampled_from(["sum", "max"]))
def test_edge_arrays_match_reference(edges, directed, weighted, self_loops, duplicates):
    src = np.array([e[0] for e in edges], dtype=np.int64)
    dst = np.array([e[1] for e in edges], dtype=np.int64)
    w = np.array([e[2] for e in edges]) if weighted else None
    data = (src, dst) if w is None else (src, dst, w)
    g = ge.as_csr(data, directed=directed, self_loops=self_loops, duplicates=duplicates)
    check_invariants(g)
    assert g.directed == directed
    assert g.node_ids.tolist() == sorted(set(src.tolist()) | set(dst.tolist()))
    assert_matches(g, reference(src.tolist(), dst.tolist(), w, directed=directed,
                                self_loops=self_loops, duplicates=duplicates))


@settings(max_examples=60, deadline=None)
@given(edges=edge_lists, directed=st.booleans())
def test_string_ids_match_reference(edges, directed):
    names = "abcdefghij"
    src = [names[e[0] + 3] for e in edges]
    dst = [names[e[1] + 3] for e in edges]
    w = np.array([e[2] for e in edges])
    g = ge.as_csr((np.array(src, dtype=str), np.array(dst, dtype=str), w), directed=directed)
    check_invariants(g)
    assert g.node_ids.dtype.kind == "U"
    assert g.node_ids.tolist() == sorted(set(src) | set(dst))
    assert_matches(g, reference(src, dst, w, directed=directed))


@settings(max_examples=60, deadline=None)
@given(edges=edge_lists, directed=st.booleans(), data=st.data())
def test_scipy_and_networkx_match_reference(edges, directed, data):
    n = 10
    src = [e[0] + 3 for e in edges]
    dst = [e[1] + 3 for e in edges]
    w = [e[2] for e in edges]
    m = sp.coo_array((np.array(w, dtype=float), (src, dst)), shape=(n, n))  # duplicates sum
    g = ge.as_csr(m, directed=directed)
    check_invariants(g)
    assert g.node_ids.tolist() == list(range(n))
    assert_matches(g, reference(src, dst, w, directed=directed))
    fmt = data.draw(st.sampled_from(["csr", "csc", "lil", "dok"]))
    assert as_dict(ge.as_csr(m.asformat(fmt), directed=directed)) == as_dict(g)

    G = nx.MultiDiGraph() if directed else nx.MultiGraph()
    G.add_nodes_from(range(n))
    for u, v, x in zip(src, dst, w):
        G.add_edge(u, v, weight=x)
    g = ge.as_csr(G)
    check_invariants(g)
    assert g.directed == directed
    if directed:
        expected = reference(src, dst, w, directed=True)
    else:  # an undirected multigraph sums its parallel edges whatever the orientation
        expected = reference([min(a, b) for a, b in zip(src, dst)],
                             [max(a, b) for a, b in zip(src, dst)], w, directed=False)
    assert_matches(g, expected)


def test_every_graph_on_four_nodes_round_trips():
    pairs = list(itertools.combinations(range(4), 2))
    for mask in range(2 ** len(pairs)):
        G = nx.Graph()
        G.add_nodes_from(range(4))
        G.add_edges_from(p for k, p in enumerate(pairs) if mask >> k & 1)
        g = ge.as_csr(G)
        check_invariants(g)
        expected = nx.to_scipy_sparse_array(G, nodelist=range(4), format="csr")
        assert (g.to_scipy() != expected).nnz == 0
        assert g.num_edges == G.number_of_edges()


# ----------------------------------------------------------------------------- rules


def test_symmetrise_takes_the_larger_direction():
    g = ge.as_csr((np.array([0, 1, 1]), np.array([1, 0, 0]), np.array([2.0, 1.5, 1.0])))
    # 0→1: 2; 1→0: 1.5 + 1 (duplicates summed first) = 2.5; {0, 1} = max = 2.5
    assert as_dict(g) == {(0, 1): 2.5, (1, 0): 2.5}


def test_duplicates_policies():
    e = (np.array([0, 0, 1]), np.array([1, 1, 2]), np.array([1.0, 3.0, 2.0]))
    assert as_dict(ge.as_csr(e, directed=True))[(0, 1)] == 4.0
    assert as_dict(ge.as_csr(e, directed=True, duplicates="max"))[(0, 1)] == 3.0
    with pytest.raises(ValueError, match=r"duplicates='error'.*\(0, 1\)"):
        ge.as_csr(e, duplicates="error")
    # both directions of one edge are not duplicates
    g = ge.as_csr((np.array([0, 1]), np.array([1, 0])), duplicates="error")
    assert g.num_edges == 1
    with pytest.raises(ValueError, match=r"arc \('b', 'a'\)"):
        ge.as_csr((np.array(["a", "b", "b"]), np.array(["b", "a", "a"])), duplicates="error")
    # unweighted duplicates merge without creating weights
    g = ge.as_csr((np.array([0, 0, 0]), np.array([1, 1, 1])))
    assert g.weights is None and g.nnz == 2


def test_self_loops_policy():
    e = (np.array([0, 1, 1]), np.array([0, 1, 2]))
    g = ge.as_csr(e)
    assert g.nnz == 2 and g.num_self_loops == 0
    g = ge.as_csr(e, self_loops="keep")
    assert as_dict(g) == {(0, 0): 1.0, (1, 1): 1.0, (1, 2): 1.0, (2, 1): 1.0}
    assert g.num_self_loops == 2 and g.num_edges == 3
    # a CSRGraph keeps its loops unless asked to drop them
    assert ge.as_csr(g) is g
    assert ge.as_csr(g, self_loops="drop").num_self_loops == 0


def test_node_order_rules():
    g = ge.as_csr((np.array([30, 10]), np.array([20, 10])))
    assert g.node_ids.tolist() == [10, 20, 30]
    g = ge.as_csr((np.array([0, 1]), np.array([1, 2])), num_nodes=5)
    assert g.node_ids.tolist() == [0, 1, 2, 3, 4] and g.n == 5
    g = ge.as_csr((np.array(["b", "a"]), np.array(["c", "b"])), nodes=["c", "z", "b", "a"])
    assert g.node_ids.tolist() == ["c", "z", "b", "a"]
    assert as_dict(g) == reference(["b", "a"], ["c", "b"])
    G = nx.Graph([("y", "x"), ("x", "w")])
    assert ge.as_csr(G).node_ids.tolist() == ["y", "x", "w"]
    assert ge.as_csr(G, nodes=["w", "x", "y"]).node_ids.tolist() == ["w", "x", "y"]
    assert ge.as_csr(sp.csr_array((3, 3))).node_ids.tolist() == [0, 1, 2]
    assert ge.as_csr(sp.csr_array((2, 2)), nodes=["p", "q"]).node_ids.tolist() == ["p", "q"]


def test_mixed_and_odd_ids():
    g = ge.as_csr((np.array([1, "b"], dtype=object), np.array(["a", 2], dtype=object)))
    assert g.node_ids.tolist() == [1, 2, "a", "b"]  # integers first, then strings
    assert as_dict(g) == reference([1, "b"], ["a", 2])
    big = 2**62 + 7
    g = ge.as_csr((np.array([-(2**62), big]), np.array([big, 5])))
    assert g.node_ids.tolist() == [-(2**62), 5, big]
    assert as_dict(g) == reference([-(2**62), big], [big, 5])
    g = ge.as_csr((np.array([1.0, 2.0]), np.array([2.0, 3.0])))
    assert g.node_ids.dtype == np.int64 and g.node_ids.tolist() == [1, 2, 3]
    g = ge.as_csr(nx.grid_2d_graph(2, 3))
    assert g.node_ids[0] == (0, 0) and g.n == 6 and g.num_edges == 7
    assert g.index_of([(1, 2)]).tolist() == [5]
    G = nx.Graph([(2**70, 1)])
    g = ge.as_csr(G)
    assert g.node_ids.tolist() == [2**70, 1]
    # sparse integer ids (far beyond the edge count) go through the sort path
    ids = np.array([10**15, 3, 10**15 + 1])
    g = ge.as_csr((ids, np.roll(ids, 1)))
    assert g.node_ids.tolist() == [3, 10**15, 10**15 + 1] and g.num_edges == 3


def test_empty_and_isolated():
    g = ge.as_csr((np.array([], dtype=np.int64), np.array([], dtype=np.int64)))
    assert g.n == 0 and g.nnz == 0 and g.indptr.tolist() == [0]
    g = ge.as_csr((np.array([], dtype=np.int64), np.array([], dtype=np.int64)), num_nodes=3)
    assert g.n == 3 and g.degrees().tolist() == [0, 0, 0]
    assert ge.as_csr(nx.Graph()).n == 0
    G = nx.empty_graph(4)
    g = ge.as_csr(G)
    assert g.n == 4 and g.nnz == 0
    g = ge.as_csr(sp.csr_array((0, 0)))
    assert g.n == 0
    # only dropped edges: the nodes remain
    g = ge.as_csr((np.array([3, 4]), np.array([3, 5]), np.array([1.0, 0.0])))
    assert g.node_ids.tolist() == [3, 4, 5] and g.nnz == 0


def test_weights_all_one_are_unweighted_and_zeros_are_dropped():
    g = ge.as_csr((np.array([0, 1]), np.array([1, 2]), np.array([1.0, 1.0])))
    assert g.weights is None
    m = sp.csr_array((np.array([0.0, 2.0]), np.array([1, 0]), np.array([0, 1, 2])), shape=(2, 2))
    assert m.nnz == 2  # an explicit zero
    g = ge.as_csr(m, directed=True)
    assert as_dict(g) == {(1, 0): 2.0}
    b = sp.csr_array((np.array([True, False]), np.array([1, 0]), np.array([0, 1, 2])), shape=(2, 2))
    g = ge.as_csr(b, directed=True)
    assert g.weights is None and as_dict(g) == {(0, 1): 1.0}
    g = ge.as_csr(sp.csr_matrix(np.array([[0, 3], [3, 0]], dtype=np.int64)))
    assert g.weights.tolist() == [3.0, 3.0]


def test_networkx_directions():
    D = nx.DiGraph()
    D.add_weighted_edges_from([(0, 1, 2.0), (1, 0, 5.0), (1, 2, 1.0)])
    g = ge.as_csr(D)
    assert g.directed and as_dict(g) == {(0, 1): 2.0, (1, 0): 5.0, (1, 2): 1.0}
    g = ge.as_csr(D, directed=False)
    assert not g.directed
    assert as_dict(g) == {(0, 1): 5.0, (1, 0): 5.0, (1, 2): 1.0, (2, 1): 1.0}
    G = nx.Graph([(0, 1)])
    g = ge.as_csr(G, directed=True)
    assert g.directed and as_dict(g) == {(0, 1): 1.0, (1, 0): 1.0}
    # both arcs whatever the row order (networkx reports each edge from its first-added end)
    g = ge.as_csr(nx.path_graph(3), directed=True, nodes=[2, 1, 0])
    assert as_dict(g) == {(0, 1): 1.0, (1, 0): 1.0, (1, 2): 1.0, (2, 1): 1.0}
    assert ge.as_csr(nx.Graph([(0, 1, {"weight": 3})]), weight=None).weights is None


# ----------------------------------------------------------------------------- networkx, any order


def dense_from_networkx(G, nodelist, *, directed, weight, self_loops, duplicates):
    """The obvious semantics of reading a networkx graph, one edge at a time, into a dense
    matrix with rows and columns in ``nodelist`` order."""
    index = {v: i for i, v in enumerate(nodelist)}
    n = len(nodelist)
    arcs = {}  # (i, j) -> weights of the parallel edges in that direction
    for u, v, d in G.edges(data=True):
        x = 1.0 if weight is None else float(d.get(weight, 1.0))
        i, j = index[u], index[v]
        if (i == j and self_loops == "drop") or x == 0:
            continue
        if not G.is_directed():  # an undirected edge is both arcs; its orientation is arbitrary
            i, j = min(i, j), max(i, j)
        arcs.setdefault((i, j), []).append(x)
    S = np.zeros((n, n))
    for (i, j), xs in arcs.items():
        S[i, j] = 1.0 if weight is None else (sum(xs) if duplicates == "sum" else max(xs))
        if not G.is_directed():
            S[j, i] = S[i, j]
    if not directed:
        S = np.maximum(S, S.T)
    return S


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 9), data=st.data(),
       kind=st.sampled_from([nx.Graph, nx.DiGraph, nx.MultiGraph, nx.MultiDiGraph]),
       directed=st.sampled_from([None, True, False]), weighted=st.booleans(),
       read_weight=st.sampled_from(["weight", None]), self_loops=st.sampled_from(["drop", "keep"]),
       duplicates=st.sampled_from(["sum", "max"]), reorder=st.booleans(),
       labels=st.sampled_from(["int", "str"]))
def test_networkx_in_any_node_order_matches_dense_reference(n, data, kind, directed, weighted,
                                                            read_weight, self_loops, duplicates,
                                                            reorder, labels):
    """Any networkx graph, nodes added in a random order and read in another random order
    (``nodes=``), directed or not, read directed or not: the matrix equals the dense reference.
    An undirected graph read with directed=True has both arcs of every edge, whatever the order
    in which networkx reports the edge's ends."""
    ids = data.draw(st.permutations(range(n)))
    ids = [int(10 * i - 7) for i in ids] if labels == "int" else [f"v{i}" for i in ids]
    G = kind()
    G.add_nodes_from(ids)
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids),
                                         st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.25])),
                               max_size=3 * n))
    for u, v, x in pairs:
        if weighted:
            G.add_edge(u, v, weight=x)
        else:
            G.add_edge(u, v)
    nodelist = data.draw(st.permutations(ids)) if reorder else list(G.nodes)
    g = ge.as_csr(G, directed=directed, nodes=nodelist if reorder else None, weight=read_weight,
                  self_loops=self_loops, duplicates=duplicates)
    is_directed = G.is_directed() if directed is None else directed
    check_invariants(g)
    assert g.directed == is_directed
    assert g.node_ids.tolist() == list(nodelist)
    ref = dense_from_networkx(G, nodelist, directed=is_directed,
                              weight=read_weight if weighted else None,
                              self_loops=self_loops, duplicates=duplicates)
    np.testing.assert_allclose(g.to_scipy(np.float64).toarray(), ref, rtol=1e-6)
    # the undirected view agrees with networkx's own dense matrix (simple graphs)
    if kind is nx.Graph and self_loops == "keep":
        nxref = nx.to_numpy_array(G, nodelist=nodelist, weight=read_weight if weighted else None)
        np.testing.assert_allclose(g.to_scipy(np.float64).toarray(), nxref, rtol=1e-6)


def test_csrgraph_direction_changes():
    d = ge.as_csr((np.array([0, 1, 2]), np.array([1, 0, 1]), np.array([1.0, 4.0, 2.0])),
                  directed=True)
    u = ge.as_csr(d, directed=False)
    check_invariants(u)
    assert as_dict(u) == {(0, 1): 4.0, (1, 0): 4.0, (1, 2): 2.0, (2, 1): 2.0}
    assert ge.as_csr(d) is d and ge.as_csr(d, directed=True) is d
    back = ge.as_csr(u, directed=True)
    assert back.directed and as_dict(back) == as_dict(u)
    with pytest.raises(ValueError, match="subgraph"):
        ge.as_csr(d, nodes=[0, 1, 2])


def test_frames():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"weight": [2.0, 3.0], "target": ["b", "c"], "source": ["a", "b"]})
    g = ge.as_csr(df)
    assert g.node_ids.tolist() == ["a", "b", "c"]
    assert as_dict(g) == reference(["a", "b"], ["b", "c"], [2.0, 3.0])
    assert ge.as_csr(df, weight=None).weights is None
    df = pd.DataFrame({"x": [0, 1], "y": [1, 2], "w": [5.0, 1.0]})  # positional
    assert as_dict(ge.as_csr(df, directed=True)) == {(0, 1): 5.0, (1, 2): 1.0}
    df = pd.DataFrame({"src": pd.array([0, 1], dtype="Int64"), "dst": [1, 2]})
    assert ge.as_csr(df).node_ids.tolist() == [0, 1, 2]
    df = pd.DataFrame({"src": pd.array([0, None], dtype="Int64"), "dst": [1, 2]})
    with pytest.raises(ValueError, match="missing"):
        ge.as_csr(df)
    df = pd.DataFrame({"a": [0, 1], "b": [1, 2], "c": ["x", "y"]})
    with pytest.raises(TypeError, match="weight"):
        ge.as_csr(df)


def test_arrow_table():
    try:
        import pyarrow as pa
    except ImportError as e:  # also when pyarrow was built for another numpy
        pytest.skip(f"pyarrow not importable: {e}")
    t = pa.table({"src": ["a", "b"], "dst": ["b", "c"], "weight": [1.0, 2.5]})
    g = ge.as_csr(t, directed=True)
    assert g.node_ids.tolist() == ["a", "b", "c"]
    assert as_dict(g) == {("a", "b"): 1.0, ("b", "c"): 2.5}


# ----------------------------------------------------------------------------- lookups


def test_index_of_and_node_keys():
    g = ge.as_csr((np.array([5, 7]), np.array([7, 9])))
    assert g.index_of([9, 5]).tolist() == [2, 0]
    with pytest.raises(KeyError, match="node id 6"):
        g.index_of([6])
    with pytest.raises(KeyError, match="'x'"):
        g.index_of(["x"])
    s = ge.as_csr((np.array(["a"]), np.array(["b"])))
    assert s.index_of(["b"]).tolist() == [1]
    # keys depend on the id alone
    g2 = ge.as_csr((np.array([9, 100]), np.array([100, 5])))
    assert g.node_keys()[g.index_of([9])][0] == g2.node_keys()[g2.index_of([9])][0]
    assert s.node_keys().tolist() == ge.as_csr(
        (np.array(["b", "q"]), np.array(["a", "q"]))).node_keys()[[0, 1]].tolist()


def test_subgraph():
    g = ge.as_csr(nx.path_graph(5))
    sub = g.subgraph([3, 1, 2])
    assert sub.node_ids.tolist() == [3, 1, 2]
    check_invariants(sub)
    assert as_dict(sub) == {(3, 2): 1.0, (2, 3): 1.0, (1, 2): 1.0, (2, 1): 1.0}
    with pytest.raises(ValueError, match="rows"):
        g.subgraph([0, 9])


# ----------------------------------------------------------------------------- files


def write(tmp_path, name, text, gz=False):
    p = tmp_path / name
    if gz:
        with gzip.open(p, "wt") as fh:
            fh.write(text)
    else:
        p.write_text(text)
    return p


def test_edge_files(tmp_path):
    p = write(tmp_path, "g.tsv", "# comment\n\n0\t1\n  # indented comment\n1\t2\n2 0\n")
    g = ge.as_csr(p)
    assert g.n == 3 and g.num_edges == 3 and g.weights is None
    p = write(tmp_path, "g.csv", "src,dst,weight\na, b, 2.5\nb,c,1e-1\n")
    g = ge.as_csr(p, header=True, directed=True)
    assert as_dict(g) == {("a", "b"): 2.5, ("b", "c"): pytest.approx(0.1)}
    p = write(tmp_path, "g.edgelist.gz", "10 20 1\n20 30 3\n", gz=True)
    g = ge.as_csr(p)
    assert g.node_ids.tolist() == [10, 20, 30] and g.weights.tolist() == [1, 1, 3, 3]
    p = write(tmp_path, "g.txt", "x;y\ny;z\n")
    assert ge.as_csr(p, delimiter=";").node_ids.tolist() == ["x", "y", "z"]


@pytest.mark.parametrize("text, match", [
    ("0 1\n1 2 3\n", "line 2: expected 2 fields"),
    ("0 1\n1\n", "line 2: expected 2 fields"),
    ("# c\n0 1 2 4\n", "line 2: expected 2 or 3 fields"),
    ("0 1 1\n1 2 heavy\n", "line 2: weight 'heavy' is not a number"),
    ("0 1 1\n\n1 2 -1\n", "line 3: weight '-1' is not a finite non-negative"),
    ("0 1 nan\n", "line 1: weight 'nan'"),
    ("0 1 inf\n", "line 1: weight 'inf'"),
    ("src dst weight\n0 1 1\n", "line 1: weight 'weight' is not a number.*header=True"),
])
def test_malformed_edge_files(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        ge.as_csr(write(tmp_path, "bad.tsv", text))


def test_edge_file_errors(tmp_path):
    with pytest.raises(ValueError, match=r"unknown edge-list format '\.xyz'"):
        ge.as_csr(write(tmp_path, "g.xyz", "0 1\n"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ge.as_csr(tmp_path / "missing.tsv")
    with pytest.raises(ValueError, match="delimiter"):
        ge.as_csr(write(tmp_path, "g.tsv", "0 1\n"), delimiter="")


def _slow(path, **kw):
    from graphembed import graph

    return graph._slow_read(open(path, "rb").read(), str(path), kw.get("delimiter"), "#",
                            kw.get("header", False))


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(-10**12, 10**12), st.integers(0, 99),
                               st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 5))),
                     max_size=30),
       weighted=st.booleans(), sep=st.sampled_from(["\t", " ", "  ", ","]),
       eol=st.sampled_from(["\n", "\r\n"]))
def test_fast_reader_equals_line_reader(tmp_path, rows, weighted, sep, eol):
    text = "# header comment" + eol
    for u, v, x in rows:
        text += sep.join([str(u), str(v)] + ([repr(x)] if weighted else [])) + eol
    p = tmp_path / ("h.csv" if sep == "," else "h.tsv")
    p.write_bytes(text.encode())
    fast = read_edgelist(p)
    slow = _slow(p, delimiter="," if sep == "," else None)
    for a, b in zip(fast, slow):
        if b is None:
            assert a is None
        else:
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype


ID_KINDS = {
    "int": st.integers(-10**12, 10**12).map(str),
    "ascii": st.text(alphabet="abcXYZ019_-.:", min_size=1, max_size=6).filter(
        lambda t: not t.startswith("#")),
    "unicode": st.sampled_from(["ünï", "٣", "a", "5", "ß-1", "x"]),  # the line reader's ids
}


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), ids=st.sampled_from(sorted(ID_KINDS)), weighted=st.booleans(),
       sep=st.sampled_from(["\t", " ", " \t ", ",", ";", "single-space"]),
       eol=st.sampled_from(["\n", "\r\n"]), final_newline=st.booleans(),
       trailing=st.sampled_from(["", " ", "\t", "  \t "]), header=st.booleans(),
       suffix=st.sampled_from([".tsv", ".csv", ".txt", ".edgelist", ".tsv.gz"]),
       last_comment=st.booleans())
def test_edge_file_layouts_through_every_reader(tmp_path, data, ids, weighted, sep, eol,
                                                final_newline, trailing, header, suffix,
                                                last_comment):
    """Whatever the layout (final newline or not, CRLF, trailing blanks, blank lines, comments,
    header, delimiter, compression), every reader returns exactly the edges written: the compiled
    reader, the line reader, read_edgelist, and as_csr on a str or a Path, with or without
    weights. A last line without a newline is an edge like any other."""
    rows = data.draw(st.lists(st.tuples(ID_KINDS[ids], ID_KINDS[ids],
                                        st.floats(0, 1e4).map(lambda x: round(x, 3))),
                              min_size=1, max_size=12))
    if suffix == ".csv" and sep != ",":
        suffix = ".tsv"
    delimiter = {"\t": None, " ": None, " \t ": None, ",": ",", ";": ";",
                 "single-space": " "}[sep]
    if sep == "single-space":
        sep = " "
    noise = data.draw(st.lists(st.sampled_from(["", "   ", "# a comment", "  # indented"]),
                               min_size=len(rows) + 1, max_size=len(rows) + 1))
    lines = [noise[0]] + (["src" + sep + "dst" + (sep + "weight" if weighted else "")]
                          if header else [])
    for (u, v, x), extra in zip(rows, noise[1:]):
        lines.append(sep.join([u, v] + ([repr(x)] if weighted else [])) + trailing)
        if extra and data.draw(st.booleans()):
            lines.append(extra)
    if last_comment:
        lines.append("# the end")
    text = eol.join(lines) + (eol if final_newline else "")
    p = tmp_path / ("g" + suffix)
    if suffix.endswith(".gz"):
        with gzip.open(p, "wb") as fh:
            fh.write(text.encode("utf-8"))
    else:
        p.write_bytes(text.encode("utf-8"))

    src = [u for u, _, _ in rows]
    dst = [v for _, v, _ in rows]
    if ids == "int" or all(_is_int(t) for t in src + dst):
        src, dst = [int(t) for t in src], [int(t) for t in dst]
    w = [x for _, _, x in rows] if weighted else None

    def check(got):
        s, d, x = got
        assert s.tolist() == src and d.tolist() == dst
        assert s.dtype.kind == ("i" if isinstance(src[0], int) else "U")
        if w is None:
            assert x is None
        else:
            assert x.tolist() == w

    check(read_edgelist(p, delimiter=delimiter, header=header))
    check(read_edgelist(str(p), delimiter=delimiter, header=header))
    slow = graph_module._slow_read(graph_module._read_bytes(p), str(p), delimiter, "#", header)
    check(tuple(a.astype(str) if a is not None and a.dtype.kind == "S" else a for a in slow))
    fast = graph_module._fast_read(graph_module._read_bytes(p), delimiter, "#", header)
    if fast is not None:  # the compiled reader took it: it must not lose or invent a line
        check(tuple(a.astype(str) if a is not None and a.dtype.kind == "S" else a
                    for a in fast))
    arrays = (np.array(src), np.array(dst)) + ((np.array(w),) if weighted else ())
    for path in (p, str(p)):
        for directed in (True, False):
            g = ge.as_csr(path, delimiter=delimiter, header=header, directed=directed,
                          self_loops="keep")
            ref = ge.as_csr(arrays, directed=directed, self_loops="keep")
            assert g.node_ids.tolist() == ref.node_ids.tolist()
            assert as_dict(g) == as_dict(ref)
    g = ge.as_csr(p, delimiter=delimiter, header=header, weight=None, self_loops="keep")
    assert g.weights is None
    assert as_dict(g) == as_dict(ge.as_csr(arrays[:2], self_loops="keep"))


def _is_int(token):
    try:
        int(token)
    except ValueError:
        return False
    return True


def test_last_line_without_newline_is_read_by_every_path(tmp_path):
    """The plainest case of the property above, spelled out: "0\\t1\\n1\\t2" is two edges."""
    for text, path in (("0\t1\n1\t2", "int"), ("a\tb\nb\tc", "text"), ("ü\tb\nb\tc", "line"),
                       ("0\t1\r\n1\t2", "int"), ("0 1 2.5\n1 2 0.5", "int"),
                       ("a,b\nb,c", "csv")):
        p = write(tmp_path, "g.csv" if path == "csv" else "g.tsv", text)
        s, d, _ = read_edgelist(p)
        assert len(s) == len(d) == 2, (text, path)
        assert ge.as_csr(p, directed=True).num_edges == 2, (text, path)


def test_fast_reader_exact_floats(tmp_path):
    values = ["0.1", "1e-5", "3.14159", "12345678901234.5", "0.000001", "7E3", "5.", ".25",
              "1.000000000000000000001", "2.5e-30", "1e300"]
    p = write(tmp_path, "w.tsv", "".join(f"0 {k + 1} {v}\n" for k, v in enumerate(values)))
    _, _, w = read_edgelist(p)
    assert w.tolist() == [float(v) for v in values]


# ----------------------------------------------------------------------------- bad input


def test_rejected_inputs_name_what_is_accepted():
    for bad in ({0: [1]}, 42, "not-a-file-without-suffix", [(0, 1), (1, 2)], np.eye(3)):
        with pytest.raises((TypeError, ValueError, FileNotFoundError)) as info:
            ge.as_csr(bad)
        if isinstance(bad, (dict, int, list, np.ndarray)):
            assert info.type is TypeError and "Accepted inputs" in str(info.value)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"directed": "yes"}, TypeError, "directed must be True, False or None"),
    ({"self_loops": "remove"}, ValueError, "self_loops must be one of"),
    ({"duplicates": "first"}, ValueError, "duplicates must be one of"),
    ({"num_nodes": -1}, ValueError, "num_nodes must be an integer >= 0"),
    ({"num_nodes": 2}, ValueError, r"dst holds node id 2, outside 0\.\.1"),
    ({"nodes": [0, 1]}, ValueError, r"node id 2 is not in nodes=\[\.\.\.\].*add it to nodes"),
    ({"nodes": [0, 1, 1, 2]}, ValueError, "nodes must not repeat"),
    ({"nodes": [0, 1, 2], "num_nodes": 3}, ValueError, "either nodes or num_nodes"),
    ({"weight": 3}, TypeError, "weight must be"),
])
def test_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ge.as_csr((np.array([0, 1]), np.array([1, 2])), **kwargs)


@pytest.mark.parametrize("w, exc, match", [
    ([1.0, -2.0], ValueError, "non-negative, got -2.0 at edge 1"),
    ([1.0, np.nan], ValueError, "finite, got nan at edge 1"),
    ([np.inf, 1.0], ValueError, "finite, got inf at edge 0"),
    (["1", "2"], TypeError, "weights must be numbers"),
    (np.array(["1.5", 2.0], dtype=object), TypeError, "weights must be numbers"),
    ([True, False], TypeError, "weights must be numbers"),
    ([1.0], ValueError, "one entry per edge"),
])
def test_bad_weights(w, exc, match):
    with pytest.raises(exc, match=match):
        ge.as_csr((np.array([0, 1]), np.array([1, 2]), np.array(w)))


def test_bad_matrices_and_ids():
    with pytest.raises(ValueError, match=r"must be square, got shape \(2, 3\)"):
        ge.as_csr(sp.csr_array((2, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        ge.as_csr(sp.csr_array(np.array([[0, -1.0], [0, 0]])))
    with pytest.raises(ValueError, match="finite"):
        ge.as_csr(sp.csr_array(np.array([[0, np.nan], [0, 0]])))
    with pytest.raises(TypeError, match="complex"):
        ge.as_csr(sp.csr_array(np.array([[0, 1j], [0, 0]])))
    with pytest.raises(ValueError, match="nodes has 3 ids but the matrix has 2 rows"):
        ge.as_csr(sp.csr_array((2, 2)), nodes=[1, 2, 3])
    with pytest.raises(ValueError, match="num_nodes=3 but the matrix has 2 rows"):
        ge.as_csr(sp.csr_array((2, 2)), num_nodes=3)
    with pytest.raises(ValueError, match="does not fit in int64"):
        ge.as_csr((np.array([2**63 + 1], dtype=np.uint64), np.array([0], dtype=np.uint64)))
    with pytest.raises(ValueError, match="fractional node id 1.5"):
        ge.as_csr((np.array([1.5]), np.array([2.0])))
    with pytest.raises(ValueError, match="NaN"):
        ge.as_csr((np.array([np.nan]), np.array([2.0])))
    with pytest.raises(TypeError, match="booleans"):
        ge.as_csr((np.array([True]), np.array([False])))
    with pytest.raises(ValueError, match="same length"):
        ge.as_csr((np.array([0, 1]), np.array([1])))
    with pytest.raises(ValueError, match="1-D"):
        ge.as_csr((np.zeros((2, 2), dtype=int), np.zeros((2, 2), dtype=int)))
    with pytest.raises(ValueError, match=r"\(src, dst\) or \(src, dst, weight\)"):
        ge.as_csr((np.array([0]), np.array([1]), np.array([1.0]), np.array([1.0])))
    G = nx.Graph()
    G.add_edge(0, 1, weight="heavy")
    with pytest.raises(TypeError, match="edge attribute 'weight'"):
        ge.as_csr(G)
    G = nx.Graph()
    G.add_edge(0, 1, weight=-1)
    with pytest.raises(ValueError, match="non-negative"):
        ge.as_csr(G)
    with pytest.raises(ValueError, match="not a node of the graph"):
        ge.as_csr(nx.path_graph(3), nodes=[0, 1, 7])
    with pytest.raises(ValueError, match="list every node"):
        ge.as_csr(nx.path_graph(3), nodes=[0, 1])


@pytest.mark.nojit
def test_kernels_without_jit_small():
    """Small cases that the NUMBA_DISABLE_JIT CI run executes as plain Python (bounds checked)."""
    e = (np.array([0, 1, 1, 2, 2, 2, 3]), np.array([1, 0, 2, 1, 1, 2, 0]),
         np.array([1.0, 2.0, 3.0, 0.5, 0.5, 4.0, 7.0]))
    for directed, loops, dup in itertools.product([True, False], ["drop", "keep"], ["sum", "max"]):
        g = ge.as_csr(e, directed=directed, self_loops=loops, duplicates=dup)
        check_invariants(g)
        assert_matches(g, reference(*[a.tolist() for a in e], directed=directed,
                                    self_loops=loops, duplicates=dup))
    # a long row takes the merge-sort branch
    rng = np.random.default_rng(0)
    src = np.zeros(200, dtype=np.int64)
    dst = rng.integers(1, 60, 200)
    w = rng.uniform(0.5, 2, 200)
    g = ge.as_csr((src, dst, w), directed=True)
    assert_matches(g, reference(src.tolist(), dst.tolist(), w, directed=True))
    g = ge.as_csr((src, dst))
    check_invariants(g)
    assert_matches(g, reference(src.tolist(), dst.tolist(), None))
    # rows that arrive sorted (with repeats) skip the sort
    order = np.argsort(dst, kind="stable")
    g = ge.as_csr((src, dst[order], w[order]), directed=True)
    assert_matches(g, reference(src.tolist(), dst[order].tolist(), w[order], directed=True))


@pytest.mark.nojit
def test_parser_without_jit_small(tmp_path):
    p = write(tmp_path, "n.tsv", "# c\n123456789012 -5 0.25\n7 +8 1e2\n\n9\t10\t3\n")
    src, dst, w = read_edgelist(p)
    assert src.tolist() == [123456789012, 7, 9] and dst.tolist() == [-5, 8, 10]
    assert w.tolist() == [0.25, 100.0, 3.0]
    p = write(tmp_path, "s.csv", "a, 12\nbob,c d\n")
    assert [x.tolist() for x in read_edgelist(p)[:2]] == [["a", "bob"], ["12", "c d"]]


def test_compiled_reader_takes_the_files_it_can():
    from graphembed._kernels.graph import (PARSE_FALLBACK, PARSE_OK, PARSE_STRINGS,
                                           parse_edgelist)

    def status(text, delim=-1):
        return parse_edgelist(np.frombuffer(text.encode(), np.uint8), delim, ord("#"), False)[0]

    assert status("1 2\n3 4 \n") == PARSE_OK
    assert status("a 2\n3 b\n") == PARSE_STRINGS
    assert status("1,2,2.5e3\n", ord(",")) == PARSE_OK
    for text in ("1 2\n3\n", "ü 1\n", "1_0 2\n", "1 2 -1\n", "1 2 nan\n"):
        assert status(text) == PARSE_FALLBACK, text


def test_constructor_is_plain():
    g = CSRGraph(np.array([0, 1, 2]), np.array([1, 0], dtype=np.int32), None, np.array([0, 1]))
    assert g.n == 2 and g.num_edges == 1


@settings(max_examples=40, deadline=None)
@given(edges=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 80), st.integers(0, 3)),
                      min_size=30, max_size=300),
       directed=st.booleans(), duplicates=st.sampled_from(["sum", "max"]))
def test_long_rows_match_reference(edges, directed, duplicates):
    """Rows longer than the insertion-sort cut-off take the merge-sort branch."""
    src = np.array([e[0] for e in edges])
    dst = np.array([e[1] for e in edges])
    w = np.array([e[2] * 0.75 for e in edges])
    g = ge.as_csr((src, dst, w), directed=directed, duplicates=duplicates, self_loops="keep")
    check_invariants(g)
    assert_matches(g, reference(src.tolist(), dst.tolist(), w, directed=directed,
                                self_loops="keep", duplicates=duplicates))


def test_docstring_examples():
    import doctest

    import graphembed.datasets
    import graphembed.embedding
    import graphembed.graph

    for module in (graphembed.graph, graphembed.embedding, graphembed.datasets):
        assert doctest.testmod(module).failed == 0, module.__name__


TOKENS = st.one_of(
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(["a", "node_1", "x-y", "007", "+5", "1_000", "ünï", "1e5", "A.b", "٣", "_"]),
    st.text(alphabet="abcXYZ019_-.:/", min_size=1, max_size=8),
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(TOKENS, TOKENS, st.floats(0, 100).map(lambda x: round(x, 3))),
                     max_size=25),
       weighted=st.booleans(), csv=st.booleans(), header=st.booleans())
def test_fast_reader_equals_line_reader_any_ids(tmp_path, rows, weighted, csv, header):
    """Whatever the ids (integers, text, Unicode, int-like text), both readers agree."""
    sep = "," if csv else "\t"
    text = "# comment\n" + "".join(
        sep.join([u, v] + ([repr(x)] if weighted else [])) + "\n" for u, v, x in rows)
    p = tmp_path / ("h.csv" if csv else "h.tsv")
    p.write_text(text, encoding="utf-8")
    fast = read_edgelist(p, header=header)
    slow = _slow(p, delimiter=sep if csv else None, header=header)
    for a, b in zip(fast, slow):
        if b is None:
            assert a is None
        else:
            assert a.dtype == b.dtype and a.tolist() == b.tolist()
    g = ge.as_csr(p, header=header, directed=True, self_loops="keep")
    ref = ge.as_csr(tuple(x for x in slow if x is not None), directed=True, self_loops="keep")
    assert g.node_ids.tolist() == ref.node_ids.tolist()
    assert as_dict(g) == as_dict(ref)


def test_python_lists_keep_their_types():
    g = ge.as_csr(([1, "a"], ["a", 2]))
    assert g.node_ids.tolist() == [1, 2, "a"]
    assert ge.as_csr((["x", "a"], ["a", "y"])).node_ids.tolist() == ["a", "x", "y"]
    assert ge.as_csr(([3, 1], [1, 2])).node_ids.dtype == np.int64


def test_node_keys_for_every_kind_of_id():
    from graphembed.graph import node_keys

    assert node_keys(np.array([-1, 5])).tolist() == [2**64 - 1, 5]
    mixed = ge.as_csr(([2**70, -1], [3, "a"])).node_keys()
    assert mixed[:2].tolist() == [2**64 - 1, 3]  # -1 and 3 as integers
    assert len(set(mixed.tolist())) == 4
    # string keys are a fixed function of the text (BLAKE2b), the same in every process
    import hashlib
    expected = int.from_bytes(hashlib.blake2b(b"a", digest_size=8).digest(), "little")
    assert node_keys(np.array(["a"])).tolist() == [expected]


def test_same_bytes_for_any_thread_count():
    from graphembed._validation import threads

    rng = np.random.default_rng(3)
    src = rng.integers(0, 500, 20000)
    dst = (src + rng.geometric(0.01, 20000)) % 500
    w = rng.uniform(0.1, 1.0, 20000)
    results = []
    for t in (1, 2, 4):
        with threads(t):
            g = ge.as_csr((src, dst, w))
        results.append(g)
    for g in results[1:]:
        for name in ("indptr", "indices", "weights"):
            assert getattr(g, name).tobytes() == getattr(results[0], name).tobytes()


@settings(max_examples=100, deadline=None)
@given(words=st.lists(st.text(min_size=0, max_size=20).filter(lambda t: "\x00" not in t),
                      max_size=40))
def test_factorize_bytes_orders_like_strings(words):
    from graphembed.graph import _factorize_bytes

    a = np.array([w.encode("utf-8") for w in words], dtype=bytes)
    if a.dtype.itemsize == 0:
        a = a.astype("S1")
    uniq, inverse = _factorize_bytes(a)
    assert uniq.tolist() == sorted(set(words))
    assert uniq[inverse].tolist() == words


def test_third_file_column_ignored_with_weight_none(tmp_path):
    p = write(tmp_path, "temporal.tsv", "0 1 1700000000\n1 2 -5\n2 0 later\n")
    with pytest.raises(ValueError, match="line 2"):
        ge.as_csr(p)
    g = ge.as_csr(p, weight=None)
    assert g.weights is None and g.num_edges == 3


@pytest.mark.parametrize("weighted", [False, True])
def test_to_scipy_equals_the_graph_and_shares_its_indices(weighted):
    rng = np.random.default_rng(5)
    src, dst = rng.integers(0, 30, 120), rng.integers(0, 30, 120)
    w = rng.integers(1, 5, 120).astype(float) if weighted else None
    g = ge.as_csr((src, dst) if w is None else (src, dst, w), num_nodes=30)
    arcs = np.zeros((30, 30))
    for u, v, x in zip(src, dst, np.ones(120) if w is None else w):
        if u != v:
            arcs[u, v] = x if w is None else arcs[u, v] + x  # duplicates: summed (or merged)
    dense = np.maximum(arcs, arcs.T)  # symmetrised: the larger direction
    S = g.to_scipy()
    np.testing.assert_array_equal(S.toarray(), dense.astype(np.float32))
    assert S.indices.dtype == S.indptr.dtype == np.int32
    assert np.shares_memory(S.indices, g.indices)  # O(n), not a copy of the stored entries
    assert g.indptr.dtype == np.int64  # the graph itself is untouched

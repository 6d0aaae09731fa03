"""The one front door: every graph enters graphembed through :func:`as_csr`.

:func:`as_csr` turns scipy sparse arrays and matrices, networkx graphs, ``(src, dst[, weight])``
arrays, pandas / pyarrow frames and edge-list files into a :class:`CSRGraph`: compressed sparse
rows with int64 ``indptr``, sorted column indices without duplicates, an optional float32 weight
array (``None`` for unweighted graphs), and the original node ids of every row.

Canonical form
--------------
* **Rows** are nodes, in the order of ``node_ids``: for networkx graphs the order of ``G.nodes``;
  for scipy input ``0..n-1``; for edge arrays, frames and files the ``nodes`` argument if given,
  else ``0..num_nodes-1`` if ``num_nodes`` is given, else the sorted distinct ids that occur.
* **Direction.** ``directed=False`` (the default for everything but a networkx ``DiGraph``)
  symmetrises: the weight of ``{u, v}`` is the larger of the weights of ``u→v`` and ``v→u``, so an
  undirected graph listed in both directions keeps its weights. ``directed=True`` keeps arcs
  ``src → dst`` as rows ``src``.
* **Duplicates** (the same arc twice) are summed (``duplicates="sum"``, default), reduced by
  ``"max"``, or rejected (``"error"``). Unweighted input never gains weights from duplicates: its
  duplicate arcs are merged into one.
* **Self-loops** are dropped (``self_loops="drop"``, default) or kept (``"keep"``).
* **Weights** must be finite and non-negative; zero weights are dropped as non-edges. A graph
  whose weights are all 1 is stored unweighted (``weights is None``).
* **Index types:** ``indptr`` is int64; ``indices`` is int32 while the node count fits, else int64.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ._validation import check_choice, check_int

__all__ = ["CSRGraph", "as_csr", "read_edgelist"]

_ACCEPTED = (
    "a scipy.sparse array or matrix (square), a networkx Graph/DiGraph, a tuple (src, dst) or "
    "(src, dst, weight) of 1-D arrays, a pandas DataFrame or pyarrow Table whose first columns are "
    "src, dst[, weight], a path to an edge-list file (.tsv, .csv, .txt, .edgelist, optionally "
    ".gz), or a graphembed CSRGraph"
)


@dataclass(frozen=True, eq=False)
class CSRGraph:
    """A graph in canonical compressed-sparse-row form, with its node ids.

    Attributes
    ----------
    indptr : ndarray of int64, shape (n + 1,)
    indices : ndarray of int32 or int64, shape (nnz,)
        Column indices, sorted within each row, no duplicates.
    weights : ndarray of float32, shape (nnz,), or None
        ``None`` for an unweighted graph (every stored entry is 1).
    node_ids : ndarray, shape (n,)
        The caller's id of each row: int64, or str for string ids (object for other labels).
    directed : bool
        ``False`` means the stored matrix is symmetric.

    Memory is ``8 (n + 1) + (4 or 8) nnz`` bytes, plus ``4 nnz`` if weighted, plus the ids.
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray | None
    node_ids: np.ndarray
    directed: bool = False
    _keys: list = field(default_factory=list, repr=False, compare=False)

    @property
    def n(self) -> int:
        """Number of nodes."""
        return self.indptr.shape[0] - 1

    @property
    def nnz(self) -> int:
        """Number of stored entries (an undirected edge is stored twice)."""
        return int(self.indptr[-1])

    @property
    def num_edges(self) -> int:
        """Arcs if directed; undirected edges (each counted once) otherwise."""
        if self.directed:
            return self.nnz
        return self.nnz // 2

    @property
    def weighted(self) -> bool:
        return self.weights is not None

    def degrees(self) -> np.ndarray:
        """Out-degree of every node as float64: the weighted degree if weighted. O(nnz)."""
        if self.weights is None:
            return np.diff(self.indptr).astype(np.float64)
        rows = np.repeat(np.arange(self.n), np.diff(self.indptr))
        return np.bincount(rows, weights=self.weights, minlength=self.n).astype(np.float64)

    def to_scipy(self, dtype=np.float32) -> sp.csr_array:
        """The adjacency as a scipy CSR array (shares the index arrays; O(nnz) for the values)."""
        if self.weights is None:
            data = np.ones(self.nnz, dtype=dtype)
        else:
            data = self.weights.astype(dtype, copy=False)
        return sp.csr_array((data, self.indices, self.indptr), shape=(self.n, self.n))

    def node_keys(self) -> np.ndarray:
        """A uint64 key per node, from its id alone, used to seed per-node randomness.

        Integer ids map to themselves (as uint64), strings to the first 8 bytes of their BLAKE2b
        digest (stable across runs, machines and Python versions), other labels through ``str``.
        So a node's random numbers depend only on the seed and its id — not on its row, the
        graph's size or the partition it is in. O(n).
        """
        if not self._keys:
            self._keys.append(node_keys(self.node_ids))
        return self._keys[0]

    def index_of(self, ids) -> np.ndarray:
        """Row indices of the given node ids; raises KeyError naming the first unknown id."""
        ids = np.asarray(ids)
        if self.node_ids.dtype.kind in "iu" and ids.dtype.kind in "iu":
            order = np.argsort(self.node_ids, kind="stable")
            sorted_ids = self.node_ids[order]
            pos = np.searchsorted(sorted_ids, ids)
            pos = np.minimum(pos, len(sorted_ids) - 1)
            bad = sorted_ids[pos] != ids if len(sorted_ids) else np.ones(ids.shape, bool)
            if np.any(bad):
                raise KeyError(f"node id {ids[np.argmax(bad)]!r} is not in the graph")
            return order[pos].astype(np.int64)
        lookup = {v: i for i, v in enumerate(self.node_ids.tolist())}
        out = np.empty(len(ids), dtype=np.int64)
        for k, v in enumerate(ids.tolist()):
            try:
                out[k] = lookup[v]
            except KeyError:
                raise KeyError(f"node id {v!r} is not in the graph") from None
        return out

    def subgraph(self, rows) -> "CSRGraph":
        """The induced subgraph on the given row indices (kept in the given order). O(nnz)."""
        rows = np.asarray(rows, dtype=np.int64)
        sub = self.to_scipy()[rows][:, rows].tocsr()
        sub.sort_indices()
        weights = None if self.weights is None else sub.data.astype(np.float32)
        return _make(sub.indptr, sub.indices, weights, self.node_ids[rows], self.directed)

    def __repr__(self):
        kind = "directed" if self.directed else "undirected"
        w = "weighted" if self.weighted else "unweighted"
        return f"CSRGraph({self.n} nodes, {self.num_edges} edges, {kind}, {w})"


def node_keys(node_ids) -> np.ndarray:
    """uint64 seeding key of each node id (see :meth:`CSRGraph.node_keys`)."""
    node_ids = np.asarray(node_ids)
    if node_ids.dtype.kind in "iu":
        return node_ids.astype(np.int64).view(np.uint64).copy()
    out = np.empty(len(node_ids), dtype=np.uint64)
    for i, v in enumerate(node_ids.tolist()):
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            out[i] = np.uint64(np.int64(v).view(np.uint64))
            continue
        text = v if isinstance(v, str) else str(v)
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
        out[i] = np.frombuffer(digest, dtype="<u8")[0]
    return out


def _index_dtype(n):
    return np.int32 if n < 2**31 - 1 else np.int64


def _make(indptr, indices, weights, node_ids, directed):
    n = len(indptr) - 1
    indptr = np.ascontiguousarray(indptr, dtype=np.int64)
    indices = np.ascontiguousarray(indices, dtype=_index_dtype(n))
    if weights is not None:
        weights = np.ascontiguousarray(weights, dtype=np.float32)
        if weights.size and np.all(weights == 1.0):
            weights = None
    return CSRGraph(indptr, indices, weights, _clean_ids(node_ids), bool(directed))


def _clean_ids(ids):
    ids = np.asarray(ids)
    if ids.dtype.kind in "iu":
        return ids.astype(np.int64)
    if ids.dtype.kind == "U":
        return ids
    values = ids.tolist()
    if values and all(isinstance(v, str) for v in values):
        return np.array(values, dtype=str)
    if values and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.int64)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _check_weights(w, where):
    w = np.asarray(w)
    if w.dtype.kind not in "iuf" or w.dtype == np.bool_:
        raise TypeError(
            f"weights must be numbers, got dtype {w.dtype} in {where}; pass numeric weights "
            "or leave them out for an unweighted graph"
        )
    w = w.astype(np.float64, copy=False)
    bad = ~np.isfinite(w)
    if np.any(bad):
        raise ValueError(
            f"weights must be finite, got {w[np.argmax(bad)]} at entry {int(np.argmax(bad))} of "
            f"{where}; remove or replace NaN/inf weights"
        )
    neg = w < 0
    if np.any(neg):
        raise ValueError(
            f"weights must be non-negative, got {w[np.argmax(neg)]} at entry {int(np.argmax(neg))} "
            f"of {where}; graphembed needs positive edge weights (drop or shift negative ones)"
        )
    return w


def _from_coo(rows, cols, w, n, node_ids, directed, self_loops, duplicates):
    """Canonicalise arcs (rows → cols) with optional float64 weights ``w`` on n nodes."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if self_loops == "drop":
        keep = rows != cols
        if not np.all(keep):
            rows, cols = rows[keep], cols[keep]
            w = None if w is None else w[keep]
    if w is not None:
        nz = w != 0
        if not np.all(nz):
            rows, cols, w = rows[nz], cols[nz], w[nz]
    # sort by (row, col) and find duplicates
    key_order = np.lexsort((cols, rows))
    rows, cols = rows[key_order], cols[key_order]
    w = None if w is None else w[key_order]
    if len(rows):
        new = np.empty(len(rows), dtype=bool)
        new[0] = True
        np.not_equal(rows[1:], rows[:-1], out=new[1:])
        new[1:] |= cols[1:] != cols[:-1]
    else:
        new = np.ones(0, dtype=bool)
    if not np.all(new):
        if duplicates == "error":
            i = int(np.argmin(new))
            raise ValueError(
                f"duplicates='error' but the arc ({node_ids[rows[i]]!r}, {node_ids[cols[i]]!r}) "
                "occurs more than once; pass duplicates='sum' or 'max' to merge duplicates"
            )
        starts = np.flatnonzero(new)
        if w is not None:
            if duplicates == "sum":
                w = np.add.reduceat(w, starts)
            else:
                w = np.maximum.reduceat(w, starts)
        rows, cols = rows[starts], cols[starts]
    if not directed:
        # symmetrise: weight of {u, v} = max of the two directions
        r2 = np.concatenate([rows, cols])
        c2 = np.concatenate([cols, rows])
        w2 = None if w is None else np.concatenate([w, w])
        order = np.lexsort((c2, r2))
        r2, c2 = r2[order], c2[order]
        if len(r2):
            new = np.empty(len(r2), dtype=bool)
            new[0] = True
            np.not_equal(r2[1:], r2[:-1], out=new[1:])
            new[1:] |= c2[1:] != c2[:-1]
            starts = np.flatnonzero(new)
        else:
            starts = np.zeros(0, dtype=np.int64)
        if w2 is not None:
            w2 = np.maximum.reduceat(w2[order], starts) if len(starts) else w2
        rows, cols, w = r2[starts], c2[starts], w2
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return _make(indptr, cols, w, node_ids, directed)


def _ids_to_index(src, dst, nodes, num_nodes, where):
    """Map id arrays to row indices; returns (rows, cols, node_ids, n)."""
    src = np.asarray(src)
    dst = np.asarray(dst)
    if src.ndim != 1 or dst.ndim != 1 or len(src) != len(dst):
        raise ValueError(
            f"src and dst must be 1-D arrays of the same length, got shapes {src.shape} and "
            f"{dst.shape} in {where}"
        )
    if nodes is not None and num_nodes is not None:
        raise ValueError("pass either nodes or num_nodes, not both")
    if num_nodes is not None:
        num_nodes = check_int("num_nodes", num_nodes, minimum=0)
        for name, a in (("src", src), ("dst", dst)):
            if a.dtype.kind not in "iu":
                raise TypeError(
                    f"num_nodes={num_nodes} needs integer ids 0..{num_nodes - 1}, but {name} has "
                    f"dtype {a.dtype}; pass nodes=[...] for other ids"
                )
            if len(a) and (a.min() < 0 or a.max() >= num_nodes):
                bad = a[(a < 0) | (a >= num_nodes)][0]
                raise ValueError(
                    f"{name} holds node id {bad}, outside 0..{num_nodes - 1} (num_nodes="
                    f"{num_nodes}); raise num_nodes or pass nodes=[...]"
                )
        return src.astype(np.int64), dst.astype(np.int64), np.arange(num_nodes), num_nodes
    if nodes is not None:
        node_ids = _clean_ids(np.asarray(nodes))
        if len(np.unique(node_ids.astype(str) if node_ids.dtype == object else node_ids)) != len(
            node_ids
        ):
            raise ValueError("nodes must not contain duplicate ids")
        tmp = CSRGraph(np.zeros(len(node_ids) + 1, np.int64), np.zeros(0, np.int32), None, node_ids)
        try:
            rows = tmp.index_of(src)
            cols = tmp.index_of(dst)
        except KeyError as e:
            raise ValueError(
                f"{e.args[0]} of nodes=[...]; add it to nodes or drop its edges"
            ) from None
        return rows, cols, node_ids, len(node_ids)
    if src.dtype.kind in "iu" and dst.dtype.kind in "iu":
        both = np.concatenate([src.astype(np.int64), dst.astype(np.int64)])
    else:
        both = np.concatenate([src.astype(str), dst.astype(str)]) if (
            src.dtype.kind in "USO" or dst.dtype.kind in "USO"
        ) else np.concatenate([src, dst])
    node_ids, inverse = np.unique(both, return_inverse=True)
    m = len(src)
    return inverse[:m], inverse[m:], node_ids, len(node_ids)


def as_csr(
    data,
    *,
    directed=None,
    nodes=None,
    num_nodes=None,
    self_loops="drop",
    duplicates="sum",
    weight="weight",
    delimiter=None,
    comments="#",
    header=False,
) -> CSRGraph:
    """Convert any supported graph input into a canonical :class:`CSRGraph`.

    Parameters
    ----------
    data
        A scipy sparse array/matrix (square; entry (u, v) is the arc u→v), a networkx graph,
        a tuple ``(src, dst)`` or ``(src, dst, weight)`` of 1-D arrays, a pandas DataFrame or
        pyarrow Table (first two columns src, dst; a third numeric column is the weight), a path
        to an edge-list file (see :func:`read_edgelist`), or a :class:`CSRGraph`.
    directed : bool, optional
        Keep arcs as given (True) or symmetrise (False). Default: ``G.is_directed()`` for networkx
        graphs, False for everything else.
    nodes : sequence, optional
        Node ids in row order, for edge arrays / frames / files (lets isolated nodes exist).
    num_nodes : int, optional
        For integer edge arrays: the nodes are ``0..num_nodes-1``.
    self_loops : {"drop", "keep"}
    duplicates : {"sum", "max", "error"}
        What to do with an arc given more than once (weighted input only sums or maxes;
        unweighted duplicates are always merged unless ``"error"``).
    weight : str or None
        networkx edge attribute holding the weight; None ignores weights.
    delimiter, comments, header
        Edge-list file options (see :func:`read_edgelist`).

    Returns
    -------
    CSRGraph

    Notes
    -----
    Time O(nnz log nnz) (one sort of the arcs), memory O(n + nnz); never builds an n×n array.

    Examples
    --------
    >>> import numpy as np, graphembed as ge
    >>> g = ge.as_csr((np.array([0, 1, 2]), np.array([1, 2, 0])))
    >>> g.n, g.num_edges, g.indptr.tolist()
    (3, 3, [0, 2, 4, 6])
    """
    check_choice("self_loops", self_loops, ("drop", "keep"))
    check_choice("duplicates", duplicates, ("sum", "max", "error"))
    if directed is not None and not isinstance(directed, (bool, np.bool_)):
        raise TypeError(f"directed must be True, False or None, got {directed!r}")

    if isinstance(data, CSRGraph):
        if directed is None or bool(directed) == data.directed or directed:
            return data
        rows = np.repeat(np.arange(data.n), np.diff(data.indptr))
        w = None if data.weights is None else data.weights.astype(np.float64)
        return _from_coo(rows, data.indices, w, data.n, data.node_ids, False, "keep", duplicates)

    if sp.issparse(data):
        return _from_scipy(data, directed, nodes, self_loops, duplicates)

    mod = type(data).__module__.split(".")[0]
    if mod == "networkx":
        return _from_networkx(data, directed, weight, self_loops)
    if mod == "pandas" and hasattr(data, "columns"):
        cols = [data[c].to_numpy() for c in data.columns[:3]]
        return _from_columns(cols, directed, nodes, num_nodes, self_loops, duplicates, "DataFrame")
    if mod == "pyarrow" and hasattr(data, "column_names"):
        cols = [data.column(i).to_numpy() for i in range(min(3, data.num_columns))]
        return _from_columns(cols, directed, nodes, num_nodes, self_loops, duplicates, "Table")
    if isinstance(data, (str, os.PathLike)):
        src, dst, w = read_edgelist(data, delimiter=delimiter, comments=comments, header=header)
        cols = [src, dst] if w is None else [src, dst, w]
        return _from_columns(cols, directed, nodes, num_nodes, self_loops, duplicates, str(data))
    if isinstance(data, (tuple, list)) and len(data) in (2, 3):
        cols = [np.asarray(c) for c in data]
        if all(c.ndim == 1 for c in cols):
            return _from_columns(cols, directed, nodes, num_nodes, self_loops, duplicates, "edges")
    if isinstance(data, np.ndarray):
        raise TypeError(
            f"as_csr does not take a dense ndarray (got shape {data.shape}): pass "
            "scipy.sparse.csr_array(dense) for an adjacency matrix, or (arr[:, 0], arr[:, 1]) for "
            f"an edge array. Accepted inputs: {_ACCEPTED}"
        )
    raise TypeError(f"as_csr cannot read a {type(data).__name__}. Accepted inputs: {_ACCEPTED}")


def _from_columns(cols, directed, nodes, num_nodes, self_loops, duplicates, where):
    if len(cols) < 2:
        raise ValueError(f"an edge list needs at least src and dst columns, got {len(cols)} in {where}")
    w = None
    if len(cols) >= 3:
        w = _check_weights(cols[2], where)
    rows, cols_, node_ids, n = _ids_to_index(cols[0], cols[1], nodes, num_nodes, where)
    return _from_coo(rows, cols_, w, n, node_ids, bool(directed), self_loops, duplicates)


def _from_scipy(m, directed, nodes, self_loops, duplicates):
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(
            f"the adjacency matrix must be square, got shape {m.shape}; pass an n×n matrix whose "
            "entry (u, v) is the weight of u→v"
        )
    n = m.shape[0]
    if nodes is not None:
        node_ids = _clean_ids(np.asarray(nodes))
        if len(node_ids) != n:
            raise ValueError(f"nodes has {len(node_ids)} ids but the matrix has {n} rows")
    else:
        node_ids = np.arange(n)
    coo = sp.coo_array(m)
    if coo.dtype == np.bool_:
        w = np.ones(coo.nnz)
    else:
        w = _check_weights(coo.data, "the sparse matrix")
    return _from_coo(coo.row, coo.col, w, n, node_ids, bool(directed), self_loops, duplicates)


def _from_networkx(G, directed, weight, self_loops):
    import networkx as nx

    if directed is None:
        directed = G.is_directed()
    nodelist = list(G.nodes)
    n = len(nodelist)
    has_weight = weight is not None and any(weight in d for _, _, d in G.edges(data=True))
    if n == 0:
        return _make(np.zeros(1, np.int64), np.zeros(0), None, np.array([], dtype=np.int64), directed)
    m = nx.to_scipy_sparse_array(
        G, nodelist=nodelist, weight=weight if has_weight else None, format="coo", dtype=np.float64
    )
    w = _check_weights(m.data, "the networkx edge attribute " + repr(weight)) if has_weight else None
    ids = np.empty(n, dtype=object)
    ids[:] = nodelist
    return _from_coo(m.row, m.col, w, n, _clean_ids(ids), bool(directed), self_loops, "sum")


def _open_text(path):
    path = os.fspath(path)
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


_KNOWN_SUFFIXES = (".tsv", ".csv", ".txt", ".edgelist", ".edges", ".el", ".ssv")


def read_edgelist(path, *, delimiter=None, comments="#", header=False):
    """Read an edge-list file into ``(src, dst, weight_or_None)`` arrays.

    One edge per line: ``src dst [weight]``, fields separated by ``delimiter`` (default: ``,``
    for ``.csv`` files, any whitespace otherwise). Lines starting with ``comments`` and blank lines
    are skipped; ``header=True`` skips the first data line. Ids are int64 if every id is an
    integer, else strings. Files ending in ``.gz`` are decompressed. Time and memory O(lines).

    Raises ValueError naming the line number of the first malformed line.
    """
    p = os.fspath(path)
    if not os.path.exists(p):
        raise FileNotFoundError(f"edge-list file {p!r} does not exist")
    base = p[:-3] if p.endswith(".gz") else p
    suffix = os.path.splitext(base)[1].lower()
    if suffix not in _KNOWN_SUFFIXES:
        raise ValueError(
            f"unknown edge-list format {suffix or '(no suffix)'!r} for {p!r}; use one of "
            f"{', '.join(_KNOWN_SUFFIXES)} (optionally .gz), or load it yourself and pass arrays"
        )
    if delimiter is None and suffix == ".csv":
        delimiter = ","
    with _open_text(p) as fh:
        text = fh.read()
    lines = text.splitlines()
    data_lines = []
    numbers = []
    for lineno, line in enumerate(lines, start=1):
        s = line.strip()
        if not s or (comments and s.startswith(comments)):
            continue
        data_lines.append(s)
        numbers.append(lineno)
    if header and data_lines:
        data_lines, numbers = data_lines[1:], numbers[1:]
    fields = [ln.split(delimiter) if delimiter else ln.split() for ln in data_lines]
    width = len(fields[0]) if fields else 2
    for f, lineno in zip(fields, numbers):
        if len(f) not in (2, 3) or len(f) != width:
            raise ValueError(
                f"{p}, line {lineno}: expected {width if width in (2, 3) else '2 or 3'} fields "
                f"(src dst [weight]), got {len(f)}: {lines[lineno - 1]!r}; fix or comment out the line"
            )
    src = [f[0].strip() for f in fields]
    dst = [f[1].strip() for f in fields]
    try:
        s_arr = np.array(src, dtype=np.int64)
        d_arr = np.array(dst, dtype=np.int64)
    except (ValueError, OverflowError):
        s_arr = np.array(src, dtype=str)
        d_arr = np.array(dst, dtype=str)
    w_arr = None
    if width == 3:
        raw = [f[2].strip() for f in fields]
        try:
            w_arr = np.array(raw, dtype=np.float64)
        except ValueError:
            for value, lineno in zip(raw, numbers):
                try:
                    float(value)
                except ValueError:
                    raise ValueError(
                        f"{p}, line {lineno}: weight {value!r} is not a number; weights must be "
                        "finite non-negative numbers"
                    ) from None
        bad = ~np.isfinite(w_arr) | (w_arr < 0)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ValueError(
                f"{p}, line {numbers[i]}: weight {raw[i]!r} is not a finite non-negative number; "
                "fix the weight or drop the line"
            )
    return s_arr, d_arr, w_arr

"""The one front door: every graph enters graphembed through :func:`as_csr`.

:func:`as_csr` turns scipy sparse arrays and matrices, networkx graphs, ``(src, dst[, weight])``
arrays, pandas / pyarrow frames and edge-list files into a :class:`CSRGraph`: compressed sparse
rows with int64 ``indptr``, sorted column indices without duplicates, an optional float32 weight
array (``None`` for unweighted graphs), and the original node ids of every row.

Canonical form
--------------
* **Rows** are nodes, in the order of ``node_ids``: for networkx graphs the order of ``G.nodes``;
  for scipy input ``0..n-1``; for edge arrays, frames and files the ``nodes`` argument if given,
  else ``0..num_nodes-1`` if ``num_nodes`` is given, else the sorted distinct ids that occur
  (integers before strings when both occur).
* **Node ids** are kept: int64 for integers, str for strings, object for other hashable labels
  (networkx tuples, say). Integral floats become integers; NaN, fractional, boolean and
  out-of-int64 ids are rejected with a message saying what to pass instead.
* **Direction.** ``directed=False`` (the default for everything but a networkx ``DiGraph``)
  symmetrises: the weight of ``{u, v}`` is the larger of the weights of ``u→v`` and ``v→u``, so an
  undirected graph listed in both directions keeps its weights. ``directed=True`` keeps arcs
  ``src → dst`` as rows ``src``.
* **Duplicates** (the same arc twice, in the same direction) are summed (``duplicates="sum"``,
  default), reduced by ``"max"``, or rejected (``"error"``). Unweighted input never gains weights
  from duplicates: its duplicate arcs are merged into one.
* **Self-loops** are dropped (``self_loops="drop"``, the default for new input) or kept
  (``"keep"``); a :class:`CSRGraph` passed in keeps what it has unless ``self_loops="drop"``.
* **Weights** must be finite, non-negative numbers; zero weights (explicit zeros of a scipy
  matrix too) are dropped as non-edges. A graph whose weights are all 1 is stored unweighted
  (``weights is None``); boolean matrices are unweighted.
* **Index types:** ``indptr`` is int64; ``indices`` is int32 while the node count fits, else int64.
"""

from __future__ import annotations

import hashlib
import numbers
import os
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ._validation import check_choice, check_int

__all__ = ["CSRGraph", "as_csr", "read_edgelist", "node_keys"]

_ACCEPTED = (
    "a scipy.sparse array or matrix (square), a networkx graph, a tuple (src, dst) or "
    "(src, dst, weight) of 1-D arrays, a pandas DataFrame or pyarrow Table (columns src/dst "
    "[/weight], or the first two or three columns), a path to an edge-list file (.tsv, .csv, "
    ".txt, .edgelist, .edges, .el, .ssv, optionally .gz), or a graphembed CSRGraph"
)

_DUPLICATES = {"sum": 0, "max": 1, "error": 2}  # the codes of graphembed._kernels.graph


@dataclass(frozen=True, eq=False)
class CSRGraph:
    """A graph in canonical compressed-sparse-row form, with its node ids.

    Build one with :func:`as_csr`; the constructor does not check its arguments.

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

    Examples
    --------
    >>> import graphembed as ge
    >>> g = ge.as_csr((["a", "b"], ["b", "c"]))
    >>> g, g.node_ids.tolist(), g.index_of(["c"]).tolist()
    (CSRGraph(3 nodes, 2 edges, undirected, unweighted), ['a', 'b', 'c'], [2])
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray | None
    node_ids: np.ndarray
    directed: bool = False
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n(self) -> int:
        """Number of nodes."""
        return self.indptr.shape[0] - 1

    @property
    def nnz(self) -> int:
        """Number of stored entries (an undirected edge is stored twice, a self-loop once)."""
        return int(self.indptr[-1])

    @property
    def num_edges(self) -> int:
        """Arcs if directed; undirected edges (each counted once, self-loops once) otherwise."""
        if self.directed:
            return self.nnz
        loops = self.num_self_loops
        return (self.nnz - loops) // 2 + loops

    @property
    def num_self_loops(self) -> int:
        """Number of stored diagonal entries. O(nnz), cached."""
        if "loops" not in self._cache:
            rows = np.repeat(np.arange(self.n, dtype=self.indices.dtype), np.diff(self.indptr))
            self._cache["loops"] = int(np.count_nonzero(rows == self.indices))
        return self._cache["loops"]

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
        """The adjacency as a scipy CSR array.

        scipy wants one index dtype: with int32 ``indices`` (graphs under 2**31 nodes) and fewer
        than 2**31 stored entries, ``indptr`` is narrowed to int32 (O(n)) and ``indices`` shared;
        otherwise both are int64 (``indices`` copied if int32). The values are float ``dtype``
        (ones for an unweighted graph; the weights shared when already ``dtype``). O(nnz) memory
        for the values at most.
        """
        if self.weights is None:
            data = np.ones(self.nnz, dtype=dtype)
        else:
            data = self.weights.astype(dtype, copy=False)
        indptr, indices = self.indptr, self.indices
        if indices.dtype == np.int32 and self.nnz < 2**31 - 1:
            indptr = indptr.astype(np.int32)
        else:
            indices = indices.astype(np.int64, copy=False)
        return sp.csr_array((data, indices, indptr), shape=(self.n, self.n), copy=False)

    def node_keys(self) -> np.ndarray:
        """A uint64 key per node, from its id alone, used to seed per-node randomness.

        Integer ids map to themselves (as uint64, two's complement), strings to the first 8 bytes
        of their BLAKE2b digest (stable across runs, machines and Python versions), other labels
        (and integers beyond int64) through ``str``.
        So a node's random numbers depend only on the seed and its id — not on its row, the
        graph's size or the partition it is in. O(n).
        """
        if "keys" not in self._cache:
            self._cache["keys"] = node_keys(self.node_ids)
        return self._cache["keys"]

    def index_of(self, ids) -> np.ndarray:
        """Row indices (int64) of the given node ids; KeyError naming the first unknown id.

        O((n + k) log n) the first time, O(k log n) after (the sorted ids are cached).
        """
        return _lookup(self.node_ids, ids, self._cache)

    def subgraph(self, rows) -> "CSRGraph":
        """The induced subgraph on the given row indices (kept in the given order). O(nnz)."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.ndim != 1 or (len(rows) and (rows.min() < 0 or rows.max() >= self.n)):
            raise ValueError(f"rows must be 1-D row indices in 0..{self.n - 1}")
        if len(np.unique(rows)) != len(rows):
            raise ValueError("rows must not repeat a row")
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
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool) and (
            -(2**63) <= int(v) < 2**63
        ):
            out[i] = np.uint64(int(v) % 2**64)
            continue
        text = v if isinstance(v, str) else str(v)
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
        out[i] = np.frombuffer(digest, dtype="<u8")[0]
    return out


# ----------------------------------------------------------------------------- node ids

_I64_MAX = np.iinfo(np.int64).max


def _object_array(values):
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):  # element-wise: tuples must stay tuples
        out[i] = v
    return out


def _as_ids(ids, name):
    """Normalise node ids to int64, str (``<U``) or object, rejecting what cannot be an id."""
    if isinstance(ids, np.ndarray):
        a = ids
    elif isinstance(ids, (list, tuple)) and any(isinstance(v, (tuple, list)) for v in ids):
        a = _object_array(ids)
    else:
        a = np.asarray(ids)
        if (a.dtype.kind == "U" and isinstance(ids, (list, tuple))
                and not all(isinstance(v, str) for v in ids)):
            a = _object_array(list(ids))  # numpy turns [1, "a"] into ["1", "a"]
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of node ids, got shape {a.shape}")
    kind = a.dtype.kind
    if kind == "i":
        return a.astype(np.int64, copy=False)
    if kind == "u":
        if len(a) and a.max() > _I64_MAX:
            raise ValueError(
                f"{name} holds the id {a.max()}, which does not fit in int64; pass ids below "
                "2**63 or pass them as strings"
            )
        return a.astype(np.int64)
    if kind == "U":
        return a
    if kind == "S":
        return np.char.decode(a, "utf-8")
    if kind == "b":
        raise TypeError(
            f"{name} holds booleans, which cannot be node ids; pass integers or strings"
        )
    if kind == "f":
        if len(a) and not np.all(np.isfinite(a)):
            raise ValueError(
                f"{name} holds a missing (NaN) or infinite node id; drop those edges first"
            )
        if np.any(a != np.round(a)):
            bad = a[a != np.round(a)][0]
            raise ValueError(
                f"{name} holds the fractional node id {bad}; node ids must be integers or strings"
            )
        if len(a) and np.abs(a).max() >= 2.0**63:
            raise ValueError(f"{name} holds node ids beyond int64; pass them as strings")
        return a.astype(np.int64)
    if kind == "O":
        values = a.tolist()
        if all(isinstance(v, str) for v in values):
            return np.array(values, dtype=str) if values else np.array([], dtype=str)
        for v in values:
            if v is None or (isinstance(v, float) and v != v) or type(v).__name__ == "NAType":
                raise ValueError(f"{name} holds a missing node id ({v!r}); drop those edges first")
            if isinstance(v, (bool, np.bool_)):
                raise TypeError(
                    f"{name} holds the boolean {v!r}, which cannot be a node id; pass integers "
                    "or strings"
                )
        if all(isinstance(v, (int, np.integer)) for v in values):
            if all(-_I64_MAX - 1 <= int(v) <= _I64_MAX for v in values):
                return np.array(values, dtype=np.int64)
        try:
            hash(tuple(values))
        except TypeError:
            raise TypeError(f"{name} holds unhashable node ids; pass integers or strings") from None
        return _object_array(values)
    raise TypeError(
        f"{name} has dtype {a.dtype}, which cannot hold node ids; pass integers or strings"
    )


def _sort_key(v):
    # ints before strings before anything else; deterministic for any mix of hashable labels
    if isinstance(v, (int, np.integer)):
        return (0, int(v), "")
    if isinstance(v, str):
        return (1, 0, v)
    return (2, 0, type(v).__name__ + ":" + repr(v))


def _check_unique(node_ids, name):
    if node_ids.dtype == object:
        if len(set(node_ids.tolist())) != len(node_ids):
            raise ValueError(f"{name} must not repeat a node id")
        return
    s = np.sort(node_ids)
    rep = np.flatnonzero(s[1:] == s[:-1])
    if len(rep):
        raise ValueError(f"{name} must not repeat a node id, but {_show(s[rep[0]])} occurs twice")


def _lookup(node_ids, ids, cache=None, what="the graph"):
    """Row of each id in ``node_ids``; KeyError naming the first unknown id."""
    ids = _as_ids(ids, "ids")
    if node_ids.dtype != object and ids.dtype != object and (
        (node_ids.dtype.kind == "i") == (ids.dtype.kind == "i")
    ):
        key = "sorter"
        if cache is not None and key in cache:
            order, sorted_ids = cache[key]
        else:
            order = np.argsort(node_ids, kind="stable")
            sorted_ids = node_ids[order]
            if cache is not None:
                cache[key] = (order, sorted_ids)
        if not len(sorted_ids):
            if len(ids):
                raise KeyError(f"node id {ids[0].item()!r} is not in {what}")
            return np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(sorted_ids, ids)
        pos = np.minimum(pos, len(sorted_ids) - 1)
        bad = sorted_ids[pos] != ids
        if np.any(bad):
            raise KeyError(f"node id {ids[np.argmax(bad)].item()!r} is not in {what}")
        return order[pos].astype(np.int64)
    if cache is not None and "dict" in cache:
        table = cache["dict"]
    else:
        table = {v: i for i, v in enumerate(node_ids.tolist())}
        if cache is not None:
            cache["dict"] = table
    out = np.empty(len(ids), dtype=np.int64)
    for k, v in enumerate(ids.tolist()):
        try:
            out[k] = table[v]
        except (KeyError, TypeError):
            raise KeyError(f"node id {v!r} is not in {what}") from None
    return out


def _index_dtype(n):
    return np.int32 if n < 2**31 - 1 else np.int64


def _make(indptr, indices, weights, node_ids, directed):
    n = len(indptr) - 1
    indptr = np.ascontiguousarray(indptr, dtype=np.int64)
    indices = np.ascontiguousarray(indices, dtype=_index_dtype(n))
    if weights is not None:
        weights = np.ascontiguousarray(weights, dtype=np.float32)
        if np.all(weights == 1.0):
            weights = None
    return CSRGraph(indptr, indices, weights, node_ids, bool(directed))


# ----------------------------------------------------------------------------- building


def _check_weights(w, where, length=None):
    """Weights as float64, or a TypeError/ValueError naming the entry and the fix."""
    w = np.asarray(w)
    if w.dtype.kind == "O":
        values = w.tolist()
        numeric = all(
            isinstance(x, (numbers.Real, np.number)) and not isinstance(x, (bool, np.bool_))
            for x in values
        )
        w = np.array(values, dtype=np.float64) if numeric else None
    if w is None or w.dtype.kind not in "iuf" or w.ndim != 1:
        got = "a non-numeric column" if w is None else f"dtype {w.dtype}"
        raise TypeError(
            f"weights must be numbers, got {got} in {where}; pass numeric weights, or leave the "
            "weight column out (weight=None) for an unweighted graph"
        )
    if length is not None and len(w) != length:
        raise ValueError(
            f"weights must have one entry per edge ({length}), got {len(w)} in {where}"
        )
    w = w.astype(np.float64, copy=False)
    bad = ~np.isfinite(w)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(
            f"weights must be finite, got {w[i]} at edge {i} of {where}; remove or replace "
            "NaN/inf weights"
        )
    neg = w < 0
    if np.any(neg):
        i = int(np.argmax(neg))
        raise ValueError(
            f"weights must be non-negative, got {w[i]} at edge {i} of {where}; graphembed needs "
            "non-negative edge weights (drop or shift negative ones)"
        )
    return w


def _from_coo(rows, cols, w, n, node_ids, directed, self_loops, duplicates):
    """Canonicalise arcs ``rows → cols`` (row indices) with optional float64 weights ``w``."""
    from ._kernels.graph import build_csr

    rows = np.ascontiguousarray(rows, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    if w is not None:
        w = np.ascontiguousarray(w, dtype=np.float64)
    indptr, indices, weights, dup = build_csr(
        rows, cols, w, int(n), drop_loops=self_loops == "drop", symmetric=not directed,
        how=_DUPLICATES[duplicates], index_dtype=_index_dtype(n),
    )
    if dup is not None:
        r, c, mirrored = dup
        u, v = (node_ids[c], node_ids[r]) if mirrored else (node_ids[r], node_ids[c])
        raise ValueError(
            f"duplicates='error' but the arc ({_show(u)}, {_show(v)}) occurs more than once; pass "
            "duplicates='sum' or 'max' to merge repeated arcs"
        )
    return _make(indptr, indices, weights, node_ids, directed)


def _show(v):
    return repr(v.item() if isinstance(v, np.generic) else v)


def _ids_to_index(src, dst, nodes, num_nodes, where):
    """Map id arrays to row indices; returns (rows, cols, node_ids, n)."""
    if nodes is not None and num_nodes is not None:
        raise ValueError("pass either nodes or num_nodes, not both")
    if (isinstance(src, np.ndarray) and isinstance(dst, np.ndarray) and src.dtype.kind == "S"
            and dst.dtype.kind == "S" and src.ndim == dst.ndim == 1 and len(src) == len(dst)
            and nodes is None and num_nodes is None):
        # UTF-8 text ids (the compiled file reader gives these): sort the bytes, which orders
        # them like their strings, and decode only the distinct ones
        m = len(src)
        node_ids, inverse = _factorize_bytes(np.concatenate([src, dst]))
        return inverse[:m], inverse[m:], node_ids, len(node_ids)
    src = _as_ids(src, f"the source ids of {where}")
    dst = _as_ids(dst, f"the target ids of {where}")
    if len(src) != len(dst):
        raise ValueError(
            f"src and dst must have the same length, got {len(src)} and {len(dst)} in {where}"
        )
    m = len(src)
    if num_nodes is not None:
        num_nodes = check_int("num_nodes", num_nodes, minimum=0)
        for name, a in (("src", src), ("dst", dst)):
            if a.dtype.kind != "i":
                raise TypeError(
                    f"num_nodes={num_nodes} needs integer ids 0..{num_nodes - 1}, but {name} holds "
                    f"{'strings' if a.dtype.kind == 'U' else 'other labels'}; pass nodes=[...] "
                    "for other ids"
                )
            if m and (a.min() < 0 or a.max() >= num_nodes):
                bad = a[(a < 0) | (a >= num_nodes)][0]
                raise ValueError(
                    f"{name} holds node id {bad}, outside 0..{num_nodes - 1} (num_nodes="
                    f"{num_nodes}); raise num_nodes or pass nodes=[...]"
                )
        return src, dst, np.arange(num_nodes, dtype=np.int64), num_nodes
    if nodes is not None:
        node_ids = _as_ids(nodes, "nodes")
        _check_unique(node_ids, "nodes")
        cache = {}
        try:
            rows = _lookup(node_ids, src, cache, what="nodes=[...]")
            cols = _lookup(node_ids, dst, cache, what="nodes=[...]")
        except KeyError as e:
            raise ValueError(
                f"{e.args[0]} (an edge of {where} uses it); add it to nodes or drop its edges"
            ) from None
        return rows, cols, node_ids, len(node_ids)
    if src.dtype.kind == "i" and dst.dtype.kind == "i":
        return _factorize_ints(src, dst)
    if src.dtype.kind == "U" and dst.dtype.kind == "U":
        node_ids, inverse = _unique_inverse(np.concatenate([src, dst]))
        return inverse[:m], inverse[m:], node_ids, len(node_ids)
    values = src.tolist() + dst.tolist()
    node_list = sorted(set(values), key=_sort_key)
    node_ids = _as_ids(_object_array(node_list), "node ids")
    table = {v: i for i, v in enumerate(node_list)}
    index = np.fromiter((table[v] for v in values), dtype=np.int64, count=len(values))
    return index[:m], index[m:], node_ids, len(node_ids)


def _factorize_bytes(a):
    """Sorted distinct strings of the UTF-8 byte strings ``a`` (dtype S) and each one's index.

    The bytes are compared as big-endian 64-bit words (zero-padded), which orders them exactly
    like numpy orders the strings, and sorts integers instead of strings: O(m log m) word
    comparisons for m ids of at most 8 bytes, a lexicographic sort over the words otherwise.
    """
    a = np.ascontiguousarray(a)
    m, width = len(a), a.dtype.itemsize
    k = max(1, -(-width // 8))
    if width == 8 * k:
        words = a.view(">u8").reshape(m, k)
    else:
        padded = np.zeros((m, 8 * k), dtype=np.uint8)
        padded[:, :width] = a.view(np.uint8).reshape(m, width)
        words = padded.view(">u8")
    words = words.astype(np.uint64)  # native byte order sorts faster
    if k == 1:
        uniq, inverse = _unique_inverse(words[:, 0])
        uniq = uniq.reshape(-1, 1)
    else:
        order = np.lexsort(words.T[::-1])
        ordered = words[order]
        new = np.ones(m, dtype=bool)
        new[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
        inverse = np.empty(m, dtype=np.int64)
        inverse[order] = np.cumsum(new) - 1
        uniq = ordered[new]
    raw = np.ascontiguousarray(uniq.astype(">u8"))
    as_bytes = raw.view(f"S{8 * k}").ravel()
    if np.all(raw.view(np.uint8) < 128):  # ASCII: numpy's own cast, no Python per string
        return as_bytes.astype(str), inverse.reshape(-1)
    return np.char.decode(as_bytes, "utf-8"), inverse.reshape(-1)


def _factorize_ints(src, dst):
    """Sorted distinct ids and the row of every endpoint. O(m + max id) when the ids are
    non-negative and not much larger than the number of edges (a table lookup), else a sort."""
    m = len(src)
    if m == 0:
        return src, dst, np.zeros(0, dtype=np.int64), 0
    lo = min(src.min(), dst.min())
    hi = max(src.max(), dst.max())
    if lo >= 0 and hi < 2 * m + (1 << 20):
        present = np.zeros(int(hi) + 1, dtype=bool)
        present[src] = True
        present[dst] = True
        node_ids = np.flatnonzero(present).astype(np.int64)
        if len(node_ids) == hi + 1:
            return src, dst, node_ids, len(node_ids)
        remap = np.cumsum(present, dtype=np.int64) - 1
        return remap[src], remap[dst], node_ids, len(node_ids)
    node_ids, inverse = _unique_inverse(np.concatenate([src, dst]))
    return inverse[:m], inverse[m:], node_ids, len(node_ids)


def _unique_inverse(a):
    """Sorted distinct values of the 1-D array ``a`` and the index of each entry among them."""
    uniq, inverse = np.unique(a, return_inverse=True)
    return uniq, inverse.reshape(-1).astype(np.int64, copy=False)


def as_csr(
    data,
    *,
    directed=None,
    nodes=None,
    num_nodes=None,
    self_loops=None,
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
        A scipy sparse array/matrix (square; entry (u, v) is the arc u→v), a networkx graph
        (Graph, DiGraph, MultiGraph, MultiDiGraph; parallel edges merged by ``duplicates``),
        a tuple ``(src, dst)`` or ``(src, dst, weight)`` of 1-D arrays, a pandas DataFrame or
        pyarrow Table (columns named src/dst, source/target, u/v or from/to, else the first two
        columns; the weight is the column named ``weight``, else the third column), a path to an
        edge-list file (see :func:`read_edgelist`), or a :class:`CSRGraph`.
    directed : bool, optional
        Keep arcs as given (True) or symmetrise (False). Default: ``G.is_directed()`` for networkx
        graphs, the graph's own flag for a :class:`CSRGraph`, False for everything else.
    nodes : sequence, optional
        Node ids in row order: for edge arrays / frames / files (isolated nodes may be listed;
        an edge naming a node not listed is an error), for scipy input (one id per row) and for
        networkx graphs (a reordering of ``G.nodes``).
    num_nodes : int, optional
        For integer edge arrays: the nodes are ``0..num_nodes-1``.
    self_loops : {"drop", "keep"}, optional
        Default "drop", except that a :class:`CSRGraph` keeps its self-loops.
    duplicates : {"sum", "max", "error"}
        What to do with an arc given more than once in the same direction (parallel edges of a
        multigraph too). Unweighted duplicates are merged into one unless ``"error"``.
    weight : str or None
        Name of the weight (networkx edge attribute, frame column); None ignores weights (for
        edge-list files too: a third column, a timestamp say, is then not read).
    delimiter, comments, header
        Edge-list file options (see :func:`read_edgelist`).

    Returns
    -------
    CSRGraph

    Raises
    ------
    TypeError
        For input of an unsupported type (the message lists what is accepted), non-numeric
        weights or ids that cannot be node ids.
    ValueError
        For non-square matrices, negative / NaN / infinite weights, malformed edge files (with the
        line number), edges naming a node missing from ``nodes``, and bad parameter values.

    Notes
    -----
    Time O(m + n + Σ d log d) for m arcs and row lengths d: a counting sort into rows, then each
    row sorted and merged on its own (in parallel), plus O(m log m) when string ids or sparse
    integer ids must be sorted. Memory O(n + m); never builds an n×n array.

    A scipy CSR matrix that is already canonical (rows sorted, no duplicates, no self-loops
    unless kept, finite positive values, symmetric unless ``directed=True``; int32 or int64
    indices) is checked in one parallel pass over its entries and used without a copy: the
    graph shares the matrix's ``indices`` (and float32 ``data``) and writes nothing into them,
    so leave the matrix unchanged while the graph is in use (or pass a copy). Time
    O(nnz + B n log d) for B <= threads blocks of rows, memory 8 n bytes per block; values
    other than float32 are converted to float32 weights (unless all are 1), int32 ``indptr``
    to int64. Any other matrix takes the general path, with the same result either way.

    Examples
    --------
    >>> import numpy as np, graphembed as ge
    >>> g = ge.as_csr((np.array([0, 1, 2]), np.array([1, 2, 0])))
    >>> g.n, g.num_edges, g.indptr.tolist()
    (3, 3, [0, 2, 4, 6])
    >>> ge.as_csr((np.array([5, 5]), np.array([7, 7])), directed=True).indices.tolist()
    [1]
    """
    if self_loops is not None:
        check_choice("self_loops", self_loops, ("drop", "keep"))
    check_choice("duplicates", duplicates, ("sum", "max", "error"))
    if directed is not None and not isinstance(directed, (bool, np.bool_)):
        raise TypeError(f"directed must be True, False or None, got {directed!r}")
    if weight is not None and not isinstance(weight, str):
        raise TypeError(f"weight must be a column/attribute name (str) or None, got {weight!r}")

    if isinstance(data, CSRGraph):
        return _from_csrgraph(data, directed, nodes, num_nodes, self_loops)
    loops = self_loops or "drop"

    if sp.issparse(data):
        if num_nodes is not None and num_nodes != data.shape[0]:
            raise ValueError(
                f"num_nodes={num_nodes} but the matrix has {data.shape[0]} rows; leave num_nodes "
                "out for matrix input"
            )
        return _from_scipy(data, directed, nodes, loops, duplicates)

    mod = type(data).__module__.split(".")[0]
    if mod == "networkx":
        return _from_networkx(data, directed, nodes, weight, loops, duplicates)
    if mod == "pandas" and hasattr(data, "columns"):
        cols = _frame_columns(list(data.columns), weight, lambda c: data[c].to_numpy(), "DataFrame")
        return _from_columns(cols, directed, nodes, num_nodes, loops, duplicates, "the DataFrame")
    if mod == "pyarrow" and hasattr(data, "column_names"):
        cols = _frame_columns(
            list(data.column_names), weight, lambda c: data.column(c).to_numpy(), "Table"
        )
        return _from_columns(cols, directed, nodes, num_nodes, loops, duplicates, "the Table")
    if isinstance(data, (str, os.PathLike)):
        src, dst, w = _read_edgelist(data, delimiter=delimiter, comments=comments, header=header,
                                     weights=weight is not None)
        cols = [src, dst] if w is None else [src, dst, w]
        return _from_columns(cols, directed, nodes, num_nodes, loops, duplicates, os.fspath(data))
    if isinstance(data, tuple) or (
        isinstance(data, list) and data and all(isinstance(c, np.ndarray) for c in data)
    ):
        if len(data) not in (2, 3):
            raise ValueError(
                f"an edge tuple must be (src, dst) or (src, dst, weight), got {len(data)} items"
            )
        return _from_columns(list(data), directed, nodes, num_nodes, loops, duplicates, "the edges")
    if isinstance(data, list):
        raise TypeError(
            "as_csr does not take a list of edges (it is ambiguous next to [src, dst]); pass "
            "arrays: as_csr(tuple(np.asarray(edges).T)). Accepted inputs: " + _ACCEPTED
        )
    if isinstance(data, np.ndarray):
        raise TypeError(
            f"as_csr does not take a dense ndarray (got shape {data.shape}): pass "
            "scipy.sparse.csr_array(dense) for an adjacency matrix, or (arr[:, 0], arr[:, 1]) for "
            f"an edge array. Accepted inputs: {_ACCEPTED}"
        )
    raise TypeError(f"as_csr cannot read a {type(data).__name__}. Accepted inputs: {_ACCEPTED}")


def _from_csrgraph(g, directed, nodes, num_nodes, self_loops):
    if nodes is not None or num_nodes is not None:
        raise ValueError(
            "nodes/num_nodes do not apply to a CSRGraph (its nodes are fixed); use "
            "g.subgraph(g.index_of(nodes)) to select or reorder nodes"
        )
    directed = g.directed if directed is None else bool(directed)
    has_loops = self_loops == "drop" and g.num_self_loops > 0
    if directed == g.directed and not has_loops:
        return g
    if g.directed and not directed or has_loops:
        rows = np.repeat(np.arange(g.n, dtype=np.int64), np.diff(g.indptr))
        w = None if g.weights is None else g.weights.astype(np.float64)
        out = _from_coo(rows, g.indices, w, g.n, g.node_ids, directed, self_loops or "keep", "max")
        return out
    # an undirected graph read as directed: the same symmetric matrix, both arcs of every edge
    return CSRGraph(g.indptr, g.indices, g.weights, g.node_ids, True)


def _frame_columns(names, weight, column, kind):
    lower = {str(c).lower(): c for c in names}
    pair = None
    for a, b in (("src", "dst"), ("source", "target"), ("u", "v"), ("from", "to")):
        if a in lower and b in lower:
            pair = (lower[a], lower[b])
            break
    wcol = None
    if pair is None:
        if len(names) < 2:
            raise ValueError(f"an edge {kind} needs at least two columns (src, dst), got {names}")
        pair = (names[0], names[1])
        if weight is not None:
            wcol = weight if weight in names else (names[2] if len(names) >= 3 else None)
    elif weight is not None and weight in names:
        wcol = weight
    cols = [column(pair[0]), column(pair[1])]
    if wcol is not None:
        w = column(wcol)
        if np.asarray(w).dtype.kind not in "iufO":
            raise TypeError(
                f"the weight column {wcol!r} of the {kind} holds {np.asarray(w).dtype} values, not "
                "numbers; pass weight=None to ignore it, or convert it to numbers"
            )
        cols.append(w)
    return cols


def _from_columns(cols, directed, nodes, num_nodes, self_loops, duplicates, where):
    w = _check_weights(cols[2], where, len(cols[0])) if len(cols) >= 3 else None
    rows, cols_, node_ids, n = _ids_to_index(cols[0], cols[1], nodes, num_nodes, where)
    return _from_coo(rows, cols_, w, n, node_ids, bool(directed), self_loops, duplicates)


def _from_scipy(m, directed, nodes, self_loops, duplicates):
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(
            f"the adjacency matrix must be square, got shape {m.shape}; pass an n×n matrix whose "
            "entry (u, v) is the weight of u→v (for a bipartite graph, build the "
            "(n1+n2)×(n1+n2) block matrix)"
        )
    n = m.shape[0]
    if nodes is not None:
        node_ids = _as_ids(nodes, "nodes")
        if len(node_ids) != n:
            raise ValueError(
                f"nodes has {len(node_ids)} ids but the matrix has {n} rows; pass one id per row"
            )
        _check_unique(node_ids, "nodes")
    else:
        node_ids = np.arange(n, dtype=np.int64)
    fast = _canonical_csr(m, node_ids, bool(directed), self_loops) if _FAST_PATH else None
    if fast is not None:
        return fast
    coo = sp.coo_array(m)
    if coo.dtype == np.bool_:
        w = coo.data.astype(np.float64)  # explicit False entries are non-edges
    elif coo.dtype.kind == "c":
        raise TypeError(
            f"the sparse matrix has complex dtype {coo.dtype}; weights must be real numbers"
        )
    else:
        w = _check_weights(coo.data, "the sparse matrix")
    return _from_coo(coo.row, coo.col, w, n, node_ids, bool(directed), self_loops, duplicates)


_FAST_DATA = (np.float32, np.float64, np.int32, np.int64)
_FAST_PATH = True  # False: every matrix takes the general path (the benchmark's and tests' baseline)


def _canonical_csr(m, node_ids, directed, self_loops):
    """The CSRGraph of a scipy CSR matrix that is already canonical, sharing its arrays; or None.

    Canonical: int32/int64 ``indptr`` from 0 to nnz, non-decreasing; in every row, strictly
    increasing columns in 0..n-1; finite positive values (float32/64, int32/64); no diagonal
    entry unless ``self_loops="keep"``; symmetric (same pattern, same values) when undirected.
    That is checked by one parallel streaming pass
    (:func:`graphembed._kernels.graph.check_canonical`: time O(nnz), memory O(threads);
    symmetry by comparing keyed hash sums of the entries and of their mirrors, a false
    "symmetric" having probability about 2⁻⁶⁴) plus O(n) for ``indptr``. The result is then
    exactly what the general path would build, without building it: ``indices`` and float32
    ``data`` are used as they are (no copy; nothing of the matrix is written). Copies are made
    only where the canonical dtypes differ: an int32 ``indptr`` becomes int64 (O(n)), int64
    ``indices`` of a graph under 2**31 - 1 nodes become int32, integer values are read as
    float64 before the check, and values other than float32 become float32 weights (O(nnz));
    all-one values give an unweighted graph (no weight array at all).
    """
    if getattr(m, "format", None) != "csr":
        return None
    indptr, indices, data = m.indptr, m.indices, m.data
    n = m.shape[0]
    if not all(isinstance(a, np.ndarray) and a.ndim == 1 and a.flags.c_contiguous
               and a.dtype.isnative for a in (indptr, indices, data)):
        return None
    if (indptr.dtype not in (np.int32, np.int64) or indices.dtype not in (np.int32, np.int64)
            or not any(data.dtype == t for t in _FAST_DATA)):
        return None
    nnz = len(indices)
    if len(indptr) != n + 1 or len(data) != nnz or indptr[0] != 0 or indptr[-1] != nnz:
        return None
    if n > 1 and np.any(indptr[1:] < indptr[:-1]):
        return None
    from ._kernels.graph import check_canonical

    # the check is compiled for int64 indptr and float32/float64 values only (4 specialisations
    # with the two index dtypes, not 16): an int32 indptr is widened first (O(n), the result
    # needs it anyway), integer values become float64 as the general path reads them (O(nnz))
    indptr = indptr if indptr.dtype == np.int64 else indptr.astype(np.int64)
    if data.dtype.kind == "i":
        data = data.astype(np.float64)
    bits = data.view(np.uint32 if data.dtype == np.float32 else np.uint64)
    key = np.uint64(int.from_bytes(os.urandom(8), "little"))
    bad, loops, not_one = check_canonical(indptr, indices, data, bits, _blocks(indptr),
                                          not directed, self_loops == "keep", key)
    if bad:
        return None
    want = _index_dtype(n)
    indices = indices if indices.dtype == want else indices.astype(want)
    if not_one == 0:
        weights = None
    elif data.dtype == np.float32:
        weights = data
    else:  # as the general path: float64 first, then float32
        weights = data.astype(np.float32)
    g = CSRGraph(indptr, indices, weights, node_ids, directed)
    g._cache["loops"] = int(loops)
    return g


def _blocks(indptr):
    """Row blocks for :func:`check_canonical`: one per numba thread (one for small matrices), of
    about equal entry counts."""
    import numba

    n = len(indptr) - 1
    nnz = int(indptr[-1])
    count = max(1, min(numba.get_num_threads(), nnz // 65536))
    cuts = np.searchsorted(indptr, np.linspace(0, nnz, count + 1)[1:-1])
    return np.concatenate([[0], cuts, [n]]).astype(np.int64)


def _from_networkx(G, directed, nodes, weight, self_loops, duplicates):
    if directed is None:
        directed = G.is_directed()
    if nodes is None:
        nodelist = list(G.nodes)
    else:
        nodelist = list(nodes)
        unknown = [v for v in nodelist if v not in G]
        if unknown:
            raise ValueError(f"nodes names {unknown[0]!r}, which is not a node of the graph")
        if len(set(nodelist)) != len(nodelist):
            raise ValueError("nodes must not repeat a node")
        if len(nodelist) != G.number_of_nodes():
            raise ValueError(
                f"nodes lists {len(nodelist)} of the graph's {G.number_of_nodes()} nodes; list "
                "every node (use G.subgraph(nodes) to select some)"
            )
    n = len(nodelist)
    node_ids = _as_ids(_object_array(nodelist), "the networkx nodes")
    has_weight = weight is not None and any(weight in d for _, _, d in G.edges(data=True))
    if n == 0 or G.number_of_edges() == 0:
        return _make(np.zeros(n + 1, np.int64), np.zeros(0), None, node_ids, directed)
    index = {v: i for i, v in enumerate(nodelist)}
    if has_weight:
        triples = list(G.edges(data=weight, default=1))
        values = _object_array([t[2] for t in triples])
        w = _check_weights(values, f"the networkx edge attribute {weight!r}")
    else:
        triples = list(G.edges())
        w = None
    rows = np.fromiter((index[t[0]] for t in triples), dtype=np.int64, count=len(triples))
    cols = np.fromiter((index[t[1]] for t in triples), dtype=np.int64, count=len(triples))
    if not G.is_directed() and directed:
        # an undirected graph read as directed: both arcs of every edge (a self-loop once)
        off = rows != cols
        rows, cols = np.concatenate([rows, cols[off]]), np.concatenate([cols, rows[off]])
        w = None if w is None else np.concatenate([w, w[off]])
    return _from_coo(rows, cols, w, n, node_ids, bool(directed), self_loops, duplicates)


# ----------------------------------------------------------------------------- edge-list files
# the readers live in graphembed.edgelist; their names stay importable from here
from .edgelist import (  # noqa: E402,F401
    _fast_read,
    _read_bytes,
    _read_edgelist,
    _slow_read,
    read_edgelist,
)

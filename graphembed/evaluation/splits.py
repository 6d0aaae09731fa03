"""Seeded splits for the two evaluation protocols.

Node classification
    :func:`node_split` shuffles the labelled nodes with ``numpy.random.default_rng(seed)`` and
    cuts at ``floor(ratio * n)``: the first part trains, the rest tests. Repeat ``r`` of an
    evaluation uses ``seed = random_state + r``, so every method compared sees the same splits.
    :func:`validation_split` cuts a training part again (never looking at the test part).

Link prediction
    :func:`edge_split` holds out a fraction of the unique undirected edges as test positives while
    a random spanning forest always stays in the residual (training) graph, so the residual graph
    has exactly the connected components of the original. Negatives are distinct node pairs that
    are not edges of the *full* graph (no self-loops); training and test negatives are disjoint.
    The result, an :class:`EdgeSplit`, can be saved and reloaded.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .._validation import check_seed
from ..graph import CSRGraph, as_csr

__all__ = ["node_split", "validation_split", "check_ratio", "edge_split", "EdgeSplit",
           "unique_edges"]

# --------------------------------------------------------------------------- node splits


def check_ratio(name, value):
    """A ratio strictly inside (0, 1), or a ValueError naming ``name`` and the value."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    value = float(value)
    if not (0.0 < value < 1.0):
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")
    return value


def node_split(n, ratio, seed):
    """Shuffle ``range(n)`` with ``seed`` and cut it at ``floor(ratio * n)``.

    Returns ``(train, test)`` index arrays (int64). The shuffle is
    ``numpy.random.default_rng(seed).permutation(n)``. Raises ValueError if either part would be
    empty. Time and memory O(n).

    >>> train, test = node_split(10, 0.3, seed=0)
    >>> len(train), len(test), sorted(np.concatenate([train, test]).tolist()) == list(range(10))
    (3, 7, True)
    """
    ratio = check_ratio("train ratio", ratio)
    seed = check_seed("seed", seed)
    n_train = int(np.floor(ratio * n + 1e-9))
    if n_train < 1 or n_train >= n:
        raise ValueError(
            f"train ratio {ratio} of {n} labelled nodes leaves {n_train} training and "
            f"{n - n_train} test nodes; both parts need at least one node (use a ratio between "
            f"{1 / n if n else 0:.3g} and {(n - 1) / n if n else 0:.3g})"
        )
    order = np.random.default_rng(seed).permutation(n).astype(np.int64)
    return order[:n_train], order[n_train:]


def validation_split(train, fraction, seed):
    """Split a training part into (fit, validation) without any other index.

    ``train`` is the array of training indices from :func:`node_split`; it is shuffled with
    ``numpy.random.default_rng([seed, 1])`` (a stream distinct from the outer shuffle) and the
    last ``ceil(fraction * len(train))`` indices validate. Time O(len(train)).
    """
    fraction = check_ratio("validation_fraction", fraction)
    train = np.asarray(train, dtype=np.int64)
    n_val = int(np.ceil(fraction * len(train) - 1e-9))
    if n_val < 1 or n_val >= len(train):
        raise ValueError(
            f"validation_fraction {fraction} of a training part of {len(train)} nodes leaves "
            f"{len(train) - n_val} fitting and {n_val} validation nodes; both need at least one "
            "(use a larger train ratio or another validation_fraction)"
        )
    order = np.random.default_rng([check_seed("seed", seed), 1]).permutation(len(train))
    shuffled = train[order]
    return shuffled[: len(train) - n_val], shuffled[len(train) - n_val:]


# --------------------------------------------------------------------------- edge splits


def unique_edges(graph: CSRGraph):
    """The unique undirected edges ``u < v`` of ``graph`` (direction and self-loops dropped).

    Returns ``(edges, weights)``: an (m, 2) int64 array sorted by ``(u, v)`` and the float32
    weight of each edge (the larger of the two directions) or None. Time and memory O(nnz).
    """
    rows = np.repeat(np.arange(graph.n, dtype=np.int64), np.diff(graph.indptr))
    cols = graph.indices.astype(np.int64)
    w = graph.weights
    u, v = np.minimum(rows, cols), np.maximum(rows, cols)
    keep = u != v
    u, v = u[keep], v[keep]
    w = None if w is None else w[keep].astype(np.float32)
    key = u * graph.n + v
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    if w is not None:
        w = w[order]
        starts = np.flatnonzero(first)
        w = np.maximum.reduceat(w, starts) if len(starts) else w[:0]
    key = key[first]
    edges = np.stack([key // graph.n, key % graph.n], axis=1) if len(key) else np.zeros((0, 2), np.int64)
    return edges.astype(np.int64), w


def _pair_keys(pairs, n):
    pairs = np.asarray(pairs, dtype=np.int64)
    return np.minimum(pairs[:, 0], pairs[:, 1]) * n + np.maximum(pairs[:, 0], pairs[:, 1])


@dataclass(eq=False)
class EdgeSplit:
    """A link-prediction split of an undirected graph; all pairs are row indices ``u < v``.

    Attributes
    ----------
    node_ids : ndarray (n,)
        The ids of the graph's rows (the residual graph has the same rows).
    train_edges : ndarray (m_train, 2)
        Edges of the residual graph (also the training positives).
    train_weights : ndarray (m_train,) float32 or None
    test_pos, train_neg, test_neg : ndarray (k, 2)
        Held-out edges; non-edges of the full graph for training and for testing (disjoint).
    random_state, test_fraction : the parameters that made the split.

    Memory: 16 bytes per stored pair (about 4·m pairs in all).
    """

    node_ids: np.ndarray
    train_edges: np.ndarray
    train_weights: np.ndarray | None
    test_pos: np.ndarray
    train_neg: np.ndarray
    test_neg: np.ndarray
    random_state: int
    test_fraction: float
    meta: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.node_ids)

    def train_graph(self) -> CSRGraph:
        """The residual graph (every node kept, test edges removed), undirected. O(m)."""
        u, v = self.train_edges[:, 0], self.train_edges[:, 1]
        data = (u, v) if self.train_weights is None else (u, v, self.train_weights)
        g = as_csr(data, num_nodes=self.n)
        return CSRGraph(g.indptr, g.indices, g.weights, self.node_ids, False)

    def summary(self) -> dict:
        return {
            "random_state": int(self.random_state),
            "test_fraction": float(self.test_fraction),
            "nodes": int(self.n),
            "train_edges": int(len(self.train_edges)),
            "test_positives": int(len(self.test_pos)),
            "train_negatives": int(len(self.train_neg)),
            "test_negatives": int(len(self.test_neg)),
        }

    def save(self, path, *, overwrite=False):
        """Write the split to a ``.npz`` file (pairs as row indices plus the node ids)."""
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"an edge split is saved as .npz, got {os.fspath(path)!r}")
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it")
        path.parent.mkdir(parents=True, exist_ok=True)
        ids = self.node_ids
        if ids.dtype.kind not in "iuU":
            ids = np.array([str(x) for x in ids.tolist()], dtype=str)
        arrays = dict(node_ids=ids, train_edges=self.train_edges, test_pos=self.test_pos,
                      train_neg=self.train_neg, test_neg=self.test_neg,
                      meta=np.array(json.dumps({**self.summary(), **self.meta}, default=str)))
        if self.train_weights is not None:
            arrays["train_weights"] = self.train_weights
        tmp = path.with_name(f".{path.name}.tmp.npz")
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path) -> "EdgeSplit":
        """Read a split written by :meth:`save`."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"edge split file {path} does not exist")
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            return cls(
                z["node_ids"], z["train_edges"],
                z["train_weights"] if "train_weights" in z else None,
                z["test_pos"], z["train_neg"], z["test_neg"],
                int(meta["random_state"]), float(meta["test_fraction"]),
                {k: meta[k] for k in ("nodes", "edges") if k in meta},
            )

    def check_graph(self, graph: CSRGraph):
        """Raise ValueError unless this split was made from ``graph`` (same ids, test edges)."""
        if graph.n != self.n or not np.array_equal(
            np.asarray(graph.node_ids).astype(str), np.asarray(self.node_ids).astype(str)
        ):
            raise ValueError(
                f"the edge split is for a graph of {self.n} nodes with other node ids than the "
                f"given graph ({graph.n} nodes); make a new split with edge_split(graph)"
            )
        edges, _ = unique_edges(graph)
        keys = edges[:, 0] * graph.n + edges[:, 1]
        have = np.concatenate([self.train_edges, self.test_pos])
        if len(have) != len(keys) or not np.array_equal(np.sort(_pair_keys(have, graph.n)), keys):
            raise ValueError(
                "the edge split's train and test edges are not the edges of the given graph; "
                "make a new split with edge_split(graph)"
            )


def _random_spanning_forest(edges, n, rng):
    """Boolean mask of the edges of a random spanning forest (Kruskal on random weights)."""
    if len(edges) == 0:
        return np.zeros(0, dtype=bool)
    weights = 1.0 + rng.random(len(edges))  # strictly positive: scipy treats 0 as "no edge"
    m = sp.csr_array((weights, (edges[:, 0], edges[:, 1])), shape=(n, n))
    tree = sp.csgraph.minimum_spanning_tree(m).tocoo()
    t_u = np.minimum(tree.row, tree.col).astype(np.int64)
    t_v = np.maximum(tree.row, tree.col).astype(np.int64)
    return np.isin(edges[:, 0] * n + edges[:, 1], t_u * n + t_v)


def _sample_non_edges(count, n, forbidden_keys, rng):
    """``count`` distinct pairs u < v whose key u*n+v is not in sorted ``forbidden_keys``."""
    total_pairs = n * (n - 1) // 2
    available = total_pairs - len(forbidden_keys)
    if count > available:
        raise ValueError(
            f"the graph has only {available} node pairs that are not edges, but the split needs "
            f"{count} negatives (one per edge); the graph is too dense for this protocol"
        )
    if total_pairs <= 4_000_000 or count > available // 2:
        # enumerate every non-edge and draw without replacement
        iu, ju = np.triu_indices(n, k=1)
        keys = iu.astype(np.int64) * n + ju
        keys = keys[~np.isin(keys, forbidden_keys, assume_unique=True)]
        chosen = keys[rng.choice(len(keys), size=count, replace=False)]
    else:
        chosen = np.zeros(0, dtype=np.int64)
        while len(chosen) < count:
            need = count - len(chosen)
            batch = int(need * 1.3) + 64
            u = rng.integers(0, n, size=batch)
            v = rng.integers(0, n, size=batch)
            ok = u != v
            keys = np.minimum(u, v)[ok] * n + np.maximum(u, v)[ok]
            keys = keys[~np.isin(keys, forbidden_keys)]
            # keep first occurrences, in draw order, of keys not drawn before
            _, first = np.unique(keys, return_index=True)
            keys = keys[np.sort(first)]
            keys = keys[~np.isin(keys, chosen)]
            chosen = np.concatenate([chosen, keys[:need]])
    return np.stack([chosen // n, chosen % n], axis=1).astype(np.int64)


def edge_split(graph, *, test_fraction=0.5, random_state=0) -> EdgeSplit:
    """Split the edges of ``graph`` for link prediction (see the module docstring).

    Parameters
    ----------
    graph
        Anything :func:`graphembed.as_csr` accepts; treated as undirected (an edge listed in both
        directions or several times counts once; self-loops are ignored).
    test_fraction : float in (0, 1)
        Share of the unique edges held out, ``round(test_fraction * m)`` edges. At most
        ``m - (n - c)`` edges can be held out (a spanning forest stays; c = components).
    random_state : int

    Returns
    -------
    EdgeSplit
        ``test_pos`` (the held-out edges), ``train_edges`` (the rest, a superset of the forest),
        ``test_neg`` (as many non-edges of the full graph as test positives) and ``train_neg``
        (as many as training edges), all distinct, disjoint and without self-loops.

    Time O(m log m) plus the negative sampling, O(m) expected on sparse graphs; memory O(m).
    Small graphs (at most 4e6 node pairs) enumerate their non-edges: O(n²) time and memory.

    Examples
    --------
    >>> import networkx as nx
    >>> s = edge_split(nx.karate_club_graph(), test_fraction=0.3, random_state=0)
    >>> len(s.test_pos), len(s.train_edges), len(s.test_neg), len(s.train_neg)
    (23, 55, 23, 55)
    """
    test_fraction = check_ratio("test_fraction", test_fraction)
    random_state = check_seed("random_state", random_state)
    g = as_csr(graph) if not isinstance(graph, CSRGraph) else graph
    edges, weights = unique_edges(g)
    n, m = g.n, len(edges)
    rng = np.random.default_rng(random_state)
    in_forest = _random_spanning_forest(edges, n, rng)
    n_test = int(round(test_fraction * m))
    spare = np.flatnonzero(~in_forest)
    if n_test < 1 or n_test > len(spare):
        raise ValueError(
            f"cannot hold out {n_test} of the {m} edges of a graph with {n} nodes (test_fraction="
            f"{test_fraction}): a spanning forest of {int(in_forest.sum())} edges must stay in "
            f"training, so between 1 and {len(spare)} edges can be held out; the graph is too "
            "small or too sparse to split (use a larger graph or another test_fraction)"
        )
    test_idx = np.sort(rng.permutation(spare)[:n_test])
    is_test = np.zeros(m, dtype=bool)
    is_test[test_idx] = True
    edge_keys = edges[:, 0] * n + edges[:, 1]  # sorted, unique
    negatives = _sample_non_edges(m, n, edge_keys, rng)
    # negatives come in random order: the first n_test test, the rest train
    test_neg, train_neg = negatives[:n_test], negatives[n_test:]
    return EdgeSplit(
        node_ids=g.node_ids,
        train_edges=edges[~is_test],
        train_weights=None if weights is None else weights[~is_test],
        test_pos=edges[is_test],
        train_neg=train_neg,
        test_neg=test_neg,
        random_state=random_state,
        test_fraction=test_fraction,
        meta={"nodes": n, "edges": m},
    )

"""Landmark mode (IRWE methods): one basis fitted on a global sample of nodes.

Every partition computes the IRWE statistics of its owned nodes on its member subgraph; the rows
of about ``landmarks`` sampled nodes (a pure function of (seed, key), decided per node without
communication) are gathered on the driver, the identity PCA and position SVD are fitted on them
once, and every partition maps its owned rows with those maps: no alignment is needed.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_seed
from .arrow import _np, vectors_to_arrow
from .local import OWNED, member_graph
from .partitioning import node_priority


#: The IRWE split of each registered walk method (the landmark mode fits the IRWE estimator).
_IRWE_SPLITS = {"irwe": {}, "irwe_identity": {"identity_dim": "dim", "position_dim": 0},
                "irwe_position": {"identity_dim": 0, "position_dim": "dim"}}


#: Mixed into the seed of the landmark sample, so that it is independent of hash partitioning.
_LANDMARK_TAG = 0x4C414E444D41524B


def landmark_threshold(num_nodes, num_landmarks):
    """The uint64 priority bound of the landmark sample: a node is a landmark when its
    priority (:func:`landmark_mask`) is below it — about ``num_landmarks`` of ``num_nodes``
    nodes, every node when ``num_landmarks >= num_nodes``. Returned as a Python int."""
    num_nodes = check_int("num_nodes", num_nodes, minimum=1)
    num_landmarks = check_int("landmarks", num_landmarks, minimum=1)
    if num_landmarks >= num_nodes:
        return 2**64
    return int(2**64 * num_landmarks // num_nodes)


def landmark_mask(keys, threshold, seed=0):
    """True for the landmarks among ``keys``: a pure function of (seed, key), decided per node
    without any communication. O(n)."""
    seed = check_seed("seed", seed) ^ _LANDMARK_TAG
    pri = node_priority(keys, seed).view(np.uint64)
    if threshold >= 2**64:
        return np.ones(len(pri), dtype=bool)
    return pri < np.uint64(threshold)


def _irwe_model(method, dim, random_state, params):
    from ..methods import get_method
    from ..walks import IRWE

    if method not in _IRWE_SPLITS:
        raise ValueError(
            f"mode='landmarks' fits the IRWE estimator; method={method!r} is not one of "
            f"{sorted(_IRWE_SPLITS)} (use mode='aligned' for other methods)"
        )
    kwargs = {k: v for k, v in get_method(method).parse_params(params).items() if v is not None}
    for k, v in _IRWE_SPLITS[method].items():
        kwargs[k] = dim if v == "dim" else v
    return IRWE(dim, random_state=random_state, num_threads=1, **kwargs)


def landmark_halves(method, dim, params=None):
    """(has identity half, has position half) of the IRWE model behind ``method``."""
    id_dim, pos_dim = _irwe_model(method, dim, 0, params)._dims(2**62)
    return id_dim > 0, pos_dim > 0


def landmark_part(method):
    """Which IRWE output a registered walk method returns ("joint", "identity", "position")."""
    return {"irwe": "joint", "irwe_identity": "identity", "irwe_position": "position"}[method]


def landmark_statistics(arcs, members, *, method, dim, random_state, params=None,
                        landmark_ids, halo_arcs=2.0):
    """Per partition: IRWE statistics of its owned nodes on its member subgraph.

    ``members`` as for :func:`embed_subgraph`; ``landmark_ids`` the sorted global ids of the
    landmarks; ``halo_arcs`` the halo-arc budget of :func:`member_graph`. Rows: the owned
    nodes. Returns ``(ids, F, M)``: global ids (sorted), identity features (or None) and the
    PPMI rows as CSR whose columns are landmark indices (contexts that are not landmarks
    dropped; the PPMI itself is computed with the subgraph's marginals). Time: IRWE's
    statistics on the subgraph (walks from every member); memory O(rows · F + nnz(rows' PPMI)
    + the subgraph): ``owned_statistics`` below keeps only the owned rows' co-occurrences.
    """
    import scipy.sparse as sp

    def owned_statistics(model, g, rows):
        """``model.statistics(g, rows)`` (an :class:`graphembed.walks.IRWE`) without the
        co-occurrence rows of the other nodes: the same walks from every node of ``g``, but only
        the pairs that involve a node of ``rows`` are kept, and the marginals (each node's pair
        count, the total) are counted on the fly. The counts are integers, exact in float64, so
        the PPMI rows are bit for bit those of ``model.statistics``; memory O(nnz of the rows' PPMI
        + n + one block of pairs) instead of the nonzeros of the whole co-occurrence matrix, which
        grow with the halo (every walk from a halo node adds its pairs). Time: the same walks.
        """
        import scipy.sparse as sp

        from .._validation import check_float, threads
        from ..walks import IRWE, _blocks, _k, _ppmi_rows, _Sampler, _sub_seed

        rows = np.asarray(rows, dtype=np.int64)
        id_dim, pos_dim = model._dims(2**62)
        if not pos_dim:
            return model.statistics(g, rows)
        F = None
        if id_dim:  # the identity half alone: the same walks and seeds as model.statistics
            params = {**model.get_params(), "dim": id_dim, "identity_dim": id_dim,
                      "position_dim": 0}
            F, _ = IRWE(**params).statistics(g, rows)
        seed = check_seed("random_state", model.random_state)
        sampler = _Sampler(g, model.p, model.q, None, _sub_seed(seed, 2))
        window = check_int("window", model.window, minimum=1)
        walk_length = check_int("walk_length", model.walk_length, minimum=1)
        walks_per_node = check_int("walks_per_node", model.walks_per_node, minimum=1)
        negative = check_float("negative", model.negative, minimum=0, strict_min=True)
        n = sampler.graph.n
        local = np.full(n, -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        block_size = max(1, (1 << 22) // (walk_length * min(window, walk_length)))
        marginal = np.zeros(n, dtype=np.float64)
        counts = sp.csr_array((len(rows), n), dtype=np.float64)
        for block in _blocks(sampler, walks_per_node * n, walk_length, block_size,
                             model.num_threads):
            with threads(model.num_threads):
                r, c = _k.window_pairs(block.walks, block.lengths, window)
            r, c = r.astype(np.int64), c.astype(np.int64)
            marginal += np.bincount(r, minlength=n) + np.bincount(c, minlength=n)
            a, b = local[r] >= 0, local[c] >= 0  # the pair counts for both its nodes' rows
            part = sp.coo_array((np.ones(int(a.sum() + b.sum())),
                                 (np.concatenate([local[r[a]], local[c[b]]]),
                                  np.concatenate([c[a], r[b]]))), shape=(len(rows), n)).tocsr()
            part.sum_duplicates()
            counts = counts + part
        M = _ppmi_rows(counts, marginal[rows], marginal, float(marginal.sum()), negative)
        return F, M

    ids, roles, g = member_graph(arcs, members, halo_arcs=halo_arcs)
    rows = np.flatnonzero(roles == OWNED)
    model = _irwe_model(method, dim, random_state, params)
    if len(rows) == 0 or g.nnz == 0:
        return ids[rows], None, None
    F, M = owned_statistics(model, g, rows)
    if M is not None:
        M = M.tocoo()
        col_ids = ids[M.col]
        at = np.searchsorted(landmark_ids, col_ids)
        ok = (at < len(landmark_ids)) & (landmark_ids[np.minimum(at, len(landmark_ids) - 1)]
                                         == col_ids)
        M = sp.csr_array((M.data[ok], (M.row[ok], at[ok])),
                         shape=(len(rows), len(landmark_ids)))
    return ids[rows], F, M


def landmark_rows(piece, landmark_ids):
    """The landmarks' rows of a :func:`landmark_statistics` result (what a partition ships to
    the driver)."""
    ids, F, M = piece
    sel = np.flatnonzero(np.isin(ids, landmark_ids))
    return ids[sel], None if F is None else F[sel], None if M is None else M[sel]


def fit_landmarks(pieces, *, method, dim, random_state, params=None):
    """Driver: fit the IRWE maps on the landmarks' statistics gathered from every partition.

    ``pieces``: :func:`landmark_rows` of every partition's :func:`landmark_statistics`.
    Returns the fitted estimator (identity PCA and position SVD in the landmark basis); every
    partition then embeds its owned nodes with ``transform_statistics``, in one basis, with no
    alignment. Memory O(L·F + nnz of the landmark PPMI block); time that of the PCA and SVD.
    """
    import scipy.sparse as sp

    pieces = [p for p in pieces if len(p[0])]
    model = _irwe_model(method, dim, random_state, params)
    Fs = [p[1] for p in pieces if p[1] is not None]
    Ms = [p[2] for p in pieces if p[2] is not None]
    F = np.vstack(Fs) if Fs else None
    M = sp.vstack(Ms).tocsr() if Ms else None
    count = int(sum(len(p[0]) for p in pieces))
    if (F is None and M is None) or count < dim:
        raise ValueError(
            f"the landmark fit got statistics for {count} landmark nodes, fewer than dim={dim}; "
            "sample more landmarks (landmarks= / --landmarks, at least a few times dim) or "
            "lower dim"
        )
    model.fit_statistics(F, M)
    model.landmarks_ = count
    return model


LANDMARK_SCHEMA = "node long, f array<double>, cols array<int>, vals array<double>"


def landmark_batches(batches, *, threshold, seed):
    """``mapInArrow`` body: ``node, key`` rows -> ``node`` of the landmarks among them."""
    import pyarrow as pa

    for batch in batches:
        keep = landmark_mask(_np(batch, "key", np.int64), threshold, seed)
        yield pa.RecordBatch.from_pydict({"node": pa.array(_np(batch, "node", np.int64)[keep])})


def landmark_rows_table(arcs, members, *, method, dim, random_state, params=None,
                        landmark_ids, halo_arcs=2.0):
    """Per partition (Spark): the landmarks' statistics among its owned nodes, as Arrow
    ``node, f, cols, vals`` (identity features; the PPMI row's landmark columns and values)."""
    import pyarrow as pa

    ids, F, M = landmark_rows(landmark_statistics(
        arcs, members, method=method, dim=dim, random_state=random_state, params=params,
        landmark_ids=landmark_ids, halo_arcs=halo_arcs), landmark_ids)
    m = len(ids)
    width = 0 if F is None else F.shape[1]
    f_off = np.arange(m + 1, dtype=np.int32) * width
    f_val = np.zeros(0) if F is None else np.ascontiguousarray(F, dtype=np.float64).ravel()
    m_off = np.zeros(m + 1, np.int32) if M is None else M.indptr.astype(np.int32)
    cols = np.zeros(0, np.int32) if M is None else M.indices.astype(np.int32)
    vals = np.zeros(0) if M is None else M.data.astype(np.float64)
    return pa.table({"node": pa.array(ids, pa.int64()),
                     "f": pa.ListArray.from_arrays(pa.array(f_off), pa.array(f_val)),
                     "cols": pa.ListArray.from_arrays(pa.array(m_off), pa.array(cols)),
                     "vals": pa.ListArray.from_arrays(pa.array(m_off), pa.array(vals))})


def landmark_piece_from_table(table, *, num_landmarks, has_identity, has_position):
    """Driver: a :func:`landmark_rows_table` result (all partitions') back to ``(ids, F, M)``."""
    import pyarrow.compute as pc
    import scipy.sparse as sp

    if has_identity:  # rows of partitions without edges carry no statistics
        table = table.filter(pc.greater(pc.list_value_length(table.column("f")), 0))
    ids = _np(table, "node", np.int64)
    F = M = None
    if has_identity:
        f = table.column("f").combine_chunks()
        F = np.asarray(f.flatten(), dtype=np.float64).reshape(len(ids), -1)
    if has_position:
        cols = table.column("cols").combine_chunks()
        vals = table.column("vals").combine_chunks()
        indptr = np.asarray(cols.offsets, dtype=np.int64)
        M = sp.csr_array((np.asarray(vals.values, dtype=np.float64),
                          np.asarray(cols.values, dtype=np.int64), indptr),
                         shape=(len(ids), num_landmarks))
    return ids, F, M


def landmark_embed_table(arcs, members, *, method, dim, random_state, params=None,
                         landmark_ids, model, halo_arcs=2.0):
    """Per partition (Spark): its owned nodes embedded with the landmark-fitted ``model`` (an
    IRWE estimator or a Spark broadcast of one). Returns ``part, node, role, vec``."""
    import pyarrow as pa

    model = getattr(model, "value", model)
    ids, F, M = landmark_statistics(arcs, members, method=method, dim=dim,
                                    random_state=random_state, params=params,
                                    landmark_ids=landmark_ids, halo_arcs=halo_arcs)
    X = np.zeros((len(ids), dim), dtype=np.float32)
    if len(ids) and (F is not None or M is not None):
        X[:] = model.transform_statistics(F, M, part=landmark_part(method))
    part = members.column("part")[0].as_py() if members.num_rows else 0
    return pa.table({"part": pa.array(np.full(len(ids), part, np.int32)), "node": ids,
                     "role": pa.array(np.zeros(len(ids), np.int32)),
                     "vec": vectors_to_arrow(X)})

"""Exact distributed FastRP: settings resolved on the driver, the initial random rows, one
propagation step streamed through a task one Arrow batch at a time, and the standardisation
and degree channel (from column and log-degree moments reduced across partitions).

Each step is ``N_i = A·N_{i-1}``, ``E += α_i·norm(N_i)``. A task reads its partition's owned and
ghost vectors and its arcs sorted by target key and accumulates them in the float32 order of
graphembed.fastrp, so the result matches one machine's to the bit before standardisation while
the task holds two owned x dim buffers, never its ghost rows. (The Spark job lays the arcs down
once and streams only vectors through each step: :mod:`.fastrp_merge`; the one-stream step here
is its reference in the tests.)
"""

from __future__ import annotations

import numpy as np

from .. import _finish
from .._validation import check_choice, check_float, check_int, check_seed, threads
from .arrow import _chunk, _list_buffers, _np, part_runs, vectors_from_arrow, vectors_to_arrow


def fastrp_settings(params=None, *, dim=128, random_state=0, num_nodes=None, directed=False):
    """FastRP parameters resolved once on the driver: graphembed.fastrp's defaults updated with
    ``params`` (text or values, parsed by the method registry), sparsity "sqrt" made a number
    from the *global* node count. Raises ValueError naming an unusable parameter."""
    import importlib

    F = importlib.import_module("graphembed.fastrp")
    from ..methods import get_method

    given = {k: v for k, v in get_method("fastrp").parse_params(params).items() if v is not None}
    unsupported = {"features", "feature_ratio", "projection"} & set(given)
    if unsupported:
        raise ValueError(
            f"distributed FastRP does not take {sorted(unsupported)}; drop them (node features "
            "and user projections are single-machine options of graphembed.fastrp)"
        )
    direction = given.pop("direction", "out")
    if directed and direction != "out":
        raise ValueError(
            f"distributed FastRP propagates along out-arcs only, got direction={direction!r}; "
            "symmetrise the graph (clean without --directed) for 'both'"
        )
    s = given.get("sparsity", F.DEFAULT_SPARSITY)
    if isinstance(s, str):
        if num_nodes is None:
            raise ValueError("sparsity='sqrt' needs the global node count")
        s = F._resolve_sparsity(s, int(num_nodes))
    out = {
        "dim": check_int("dim", dim, minimum=1),
        "random_state": check_seed("random_state", random_state),
        "iteration_weights": F._check_iteration_weights(
            given.get("iteration_weights", F.DEFAULT_ITERATION_WEIGHTS)),
        "normalization_strength": check_float(
            "normalization_strength",
            given.get("normalization_strength", F.DEFAULT_NORMALIZATION_STRENGTH)),
        "sparsity": F._check_sparsity_number(s),
        "transition": check_choice("transition", given.get("transition", "mean"),
                                   ("mean", "sum")),
        "normalize": bool(given.get("normalize", True)),
        "standardize": bool(given.get("standardize", True)),
        "self_influence": check_float("self_influence", given.get("self_influence", 0.0)),
        "degree_share": check_float("degree_share",
                                    given.get("degree_share", F.DEFAULT_DEGREE_SHARE),
                                    minimum=0.0, maximum=1.0),
    }
    return out


def _add_normalized(E, X, alpha, normalize, block=8192):
    """``E += alpha · rownorm(X)`` exactly as graphembed.fastrp accumulates (float32 E), a block
    of rows at a time (temporaries of ``block`` rows, not of ``X``'s size)."""
    if alpha == 0.0:
        return
    for a in range(0, len(X), block):
        x = X[a:a + block]
        if normalize:
            x64 = x.astype(np.float64)
            sq = np.einsum("ij,ij->i", x64, x64)
            f = np.zeros(len(x), dtype=np.float32)
            nz = sq > 0
            f[nz] = (alpha / np.sqrt(sq[nz])).astype(np.float32)
        else:
            f = np.full(len(x), np.float32(alpha), dtype=np.float32)
        E[a:a + block] += f[:, None] * x


def _initial_rows(keys, degree, settings):
    """``N_0`` rows: each node's random row (from its key alone) times ``degree^β``."""
    from ..fastrp import random_rows

    P = random_rows(np.asarray(keys, np.int64).view(np.uint64), settings["dim"],
                    sparsity=settings["sparsity"], random_state=settings["random_state"])
    L = np.zeros(len(degree), dtype=np.float32)
    nz = degree > 0
    L[nz] = np.power(degree[nz], settings["normalization_strength"])
    P *= L[:, None]
    return P


def fastrp_initial(nodes, *, settings):
    """Per partition: ``N_0 = L·R`` and ``E = α_0·norm(N_0)`` for owned nodes.

    ``nodes``: Arrow table ``part, li, node, key, degree`` (``li``: the node's row among its
    partition's owned nodes, 0..owned−1). Returns :data:`FASTRP_STATE_SCHEMA` (``P`` the vector
    that propagates next). Time O(rows · dim).
    """
    import pyarrow as pa

    P = _initial_rows(_np(nodes, "key", np.int64), _np(nodes, "degree", np.float64), settings)
    E = np.zeros_like(P)
    _add_normalized(E, P, settings["self_influence"], settings["normalize"])
    return pa.table({
        "part": nodes.column("part"), "li": nodes.column("li"), "node": nodes.column("node"),
        "key": nodes.column("key"), "degree": nodes.column("degree"), "P": vectors_to_arrow(P),
        "E": vectors_to_arrow(E),
    })


FASTRP_STATE_SCHEMA = ("part int, li int, node long, key long, degree double, P array<float>, "
                       "E array<float>")


#: Row kinds of a propagation stream: a node's vector, an arc into it.
VECTOR, ARC = 0, 1


#: Columns of a propagation stream (:func:`fastrp_stream_step`), none null except P and E.
FASTRP_STREAM_COLUMNS = ("part", "ukey", "kind", "li", "w", "node", "key", "degree", "P", "E")


def stream_batch_rows(dim, target_bytes=32 << 20):
    """Rows per Arrow batch of a propagation stream: about ``target_bytes`` of vectors, so a
    task holds one bounded batch whatever the size of its partition."""
    return max(1024, int(target_bytes) // (4 * int(dim)))


def stream_sort_key(keys):
    """int64 whose signed order is the unsigned order of the uint64 ``keys`` (key XOR 2⁶³):
    sorting a stream by it lists neighbours in graphembed.fastrp's summation order."""
    k = np.asarray(keys).astype(np.int64, copy=False).view(np.uint64)
    return (k ^ np.uint64(1 << 63)).view(np.int64)


def fastrp_stream_table(state, ghosts, arcs):
    """One partition's propagation stream as one sorted Arrow table (in-process runs, benchmarks;
    Spark builds the same rows with a union and ``sortWithinPartitions``).

    ``state``: the owned rows (:data:`FASTRP_STATE_SCHEMA`); ``ghosts``: ``node, key, P`` of the
    ghost rows, each once; ``arcs``: ``part, si, dkey[, weight]`` (source row, target key).
    Time O((rows + arcs) log), memory that of the stream.
    """
    import pyarrow as pa

    n_own, n_gh, m = state.num_rows, ghosts.num_rows, arcs.num_rows
    part = _np(state, "part", np.int32)[:1] if n_own else _np(arcs, "part", np.int32)[:1]
    p = int(part[0]) if len(part) else 0
    keys = np.concatenate([_np(state, "key", np.int64), _np(ghosts, "key", np.int64),
                           _np(arcs, "dkey", np.int64)])
    kind = np.concatenate([np.full(n_own + n_gh, VECTOR, np.int32), np.full(m, ARC, np.int32)])
    li = np.concatenate([_np(state, "li", np.int32), np.full(n_gh, -1, np.int32),
                         _np(arcs, "si", np.int32)])
    w = np.ones(n_own + n_gh + m, np.float32)
    if "weight" in arcs.column_names:
        w[n_own + n_gh:] = _np(arcs, "weight", np.float32)
    node = np.concatenate([_np(state, "node", np.int64), _np(ghosts, "node", np.int64),
                           np.zeros(m, np.int64)])
    degree = np.concatenate([_np(state, "degree", np.float64), np.zeros(n_gh + m)])
    ukey = stream_sort_key(keys)
    list_null = pa.nulls(m, pa.list_(pa.float32()))
    P = pa.concat_arrays([_chunk(state.column("P")), _chunk(ghosts.column("P")), list_null])
    E = pa.concat_arrays([_chunk(state.column("E")),
                          pa.nulls(n_gh + m, pa.list_(pa.float32()))])
    order = np.lexsort((kind, ukey))
    table = pa.table({"part": np.full(len(keys), p, np.int32), "ukey": ukey, "kind": kind,
                      "li": li, "w": w, "node": node, "key": keys, "degree": degree,
                      "P": P, "E": E})
    return table.take(pa.array(order))


def fastrp_stream_step(batches, *, settings, step, owned_counts, weighted=False):
    """``mapInArrow`` body of one propagation step: ``N_i = A·N_{i-1}``, ``E += α_i·norm(N_i)``.

    ``batches``: a task's propagation stream (:data:`FASTRP_STREAM_COLUMNS`) sorted by
    ``(part, ukey, kind)``: for every node an owned partition reads (its own nodes and its ghosts,
    each once) a vector row, then the arcs of that partition into the node. Each owned row sums
    its neighbours by increasing key with the float32 operations of graphembed.fastrp, so the
    result matches one machine's to the bit before standardisation.
    ``owned_counts``: {part: number of owned nodes}. ``weighted``: use the arcs' ``w``.

    Yields the owned nodes' new state (:data:`FASTRP_STATE_SCHEMA`), one batch per partition.
    Time O(arcs·dim + rows·dim). Memory O(owned·dim) per partition — two owned × dim float32
    buffers and one input batch: ghost rows and arcs stream through and are never held, so a
    task's memory does not grow with its ghosts (the graph's size), only with its owned rows.
    """
    import pyarrow as pa

    from .._kernels.fastrp import stream_accumulate
    from ..fastrp import _inverse

    dim = settings["dim"]
    alpha = settings["iteration_weights"][step - 1]
    cur = np.zeros(dim, np.float32)
    cur_key = np.zeros(2, np.int64)
    st = None

    def start(p):
        if p not in owned_counts:
            raise ValueError(f"partition {p} is in the stream but not in owned_counts")
        n = int(owned_counts[p])
        cur_key[1] = 0
        return {"part": p, "acc": np.zeros((n, dim), np.float32),
                "E": np.zeros((n, dim), np.float32), "node": np.zeros(n, np.int64),
                "key": np.zeros(n, np.int64), "degree": np.zeros(n), "seen": 0}

    def finish(st):
        n = len(st["node"])
        if st["seen"] != n:
            raise ValueError(f"partition {st['part']}: {st['seen']} owned vector rows in the "
                             f"stream, owned_counts says {n}")
        N = st["acc"]
        if settings["transition"] == "mean":
            N *= _inverse(st["degree"])[:, None]
        E = st["E"]
        _add_normalized(E, N, alpha, settings["normalize"])
        return pa.RecordBatch.from_arrays(
            [pa.array(np.full(n, st["part"], np.int32)), pa.array(np.arange(n, dtype=np.int32)),
             pa.array(st["node"]), pa.array(st["key"]), pa.array(st["degree"]),
             vectors_to_arrow(N), vectors_to_arrow(E)],
            names=["part", "li", "node", "key", "degree", "P", "E"])

    for batch in batches:
        if batch.num_rows == 0:
            continue
        missing = [c for c in FASTRP_STREAM_COLUMNS if c not in batch.schema.names]
        if missing:
            raise ValueError(f"the propagation stream lacks the columns {missing}; build it with "
                             "the columns of FASTRP_STREAM_COLUMNS (see fastrp_stream_table)")
        for p, piece in part_runs(batch):
            if st is None or st["part"] != p:
                if st is not None:
                    yield finish(st)
                st = start(p)
            kind = _np(piece, "kind", np.int32)
            li = _np(piece, "li", np.int32)
            own = (kind == VECTOR) & (li >= 0)
            n = len(st["node"])
            bad = ((li < 0) | (li >= n)) & (kind == ARC) | own & (li >= n)
            if bad.any():
                raise ValueError(f"partition {p}: row index {li[bad][0]} outside its "
                                 f"{n} owned rows")
            idx = li[own]
            st["node"][idx] = _np(piece, "node", np.int64)[own]
            st["key"][idx] = _np(piece, "key", np.int64)[own]
            st["degree"][idx] = _np(piece, "degree", np.float64)[own]
            st["seen"] += int(own.sum())
            p_off, p_val = _list_buffers(piece.column("P"))
            e_off, e_val = _list_buffers(piece.column("E"))
            vec = kind == VECTOR
            if np.any(np.diff(p_off)[vec] != dim) or np.any(np.diff(e_off)[own] != dim):
                raise ValueError(f"partition {p}: a vector row's P or E does not have "
                                 f"dim = {dim} values")
            ukey = _np(piece, "ukey", np.int64)
            miss = stream_accumulate(ukey, kind, li, _np(piece, "w", np.float32), bool(weighted),
                                     p_off, p_val, e_off, e_val, cur, cur_key, st["acc"], st["E"])
            if miss >= 0:
                raise ValueError(
                    f"partition {p}: an arc into the node of sort key {ukey[miss]} comes "
                    "before any vector row of that node; the stream must hold every ghost "
                    "once and be sorted by (part, ukey, kind)")
    if st is not None:
        yield finish(st)


def vectors_to_binary(X):
    """A (m, d) float32 array as an Arrow ``binary`` column, one value of ``4·d`` bytes (the
    row's float32 values) per row. Time and memory O(m·d) (one copy)."""
    import pyarrow as pa

    X = np.ascontiguousarray(X, dtype="<f4")
    m, d = X.shape
    offsets = np.arange(0, (m + 1) * 4 * d, 4 * d, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), m, [None, pa.py_buffer(offsets),
                                                  pa.py_buffer(X.reshape(-1).view(np.uint8))])


def _binary_buffers(column):
    """(offsets int64, values float32) of an Arrow binary column of float32 vectors, offsets
    counted in floats into the values (nulls have length 0); no copy of the values."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    wide = pa.types.is_large_binary(column.type)
    if not (wide or pa.types.is_binary(column.type)):
        raise ValueError(f"a vector column of the stream must be binary, got {column.type}")
    buffers = column.buffers()
    off = np.frombuffer(buffers[1], dtype=np.int64 if wide else np.int32)
    off = off[column.offset:column.offset + len(column) + 1].astype(np.int64)
    if np.any(off % 4):
        raise ValueError("a binary vector's length is not a whole number of float32 values")
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else \
        np.zeros(0, np.uint8)
    return off // 4, data[:len(data) // 4 * 4].view("<f4")


def vectors_from_binary(column, dim):
    """An Arrow binary column of float32 vectors (no nulls, each ``dim`` values) as (m, dim)."""
    off, vals = _binary_buffers(column)
    m = len(off) - 1
    if np.any(np.diff(off) != dim):
        raise ValueError(f"vectors must all have {dim} float32 values")
    return vals[off[0]:off[0] + m * dim].reshape(m, dim) if m else np.zeros((0, dim), np.float32)


def _vectors(column, dim):
    """A vector column as (m, dim) float32, whether ``array<float>`` or float32 binary."""
    import pyarrow as pa

    if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
        return vectors_from_binary(column, dim)
    return vectors_from_arrow(column, dim)


def column_moments(table, *, dim, center=None, column="E"):
    """Per partition: float64 column sums of ``E − center`` and of squares over rows of degree
    > 0, and the same two sums of their ``log degree`` (about ``center``'s last entry, the
    degree channel's statistics).

    ``center``: None (first pass) or dim + 1 values (the column means, then the mean log
    degree). ``column``: the vectors' column. Returns a one-row table ``count, sums, squares,
    ld_sum, ld_squares``. O(rows·dim).
    """
    import pyarrow as pa

    E = _vectors(table.column(column), dim).astype(np.float64)
    deg = _np(table, "degree", np.float64)
    keep = deg > 0
    E, ld = E[keep], np.log(deg[keep])
    if center is not None:
        center = np.asarray(center, dtype=np.float64)
        E -= center[:dim]
        ld = ld - center[dim]
    return pa.table({
        "count": pa.array([int(keep.sum())], pa.int64()),
        "sums": pa.array([E.sum(axis=0).tolist()], pa.list_(pa.float64())),
        "squares": pa.array([(E * E).sum(axis=0).tolist()], pa.list_(pa.float64())),
        "ld_sum": pa.array([float(ld.sum())], pa.float64()),
        "ld_squares": pa.array([float((ld * ld).sum())], pa.float64()),
        "ld_min": pa.array([float(ld.min()) if len(ld) else np.inf], pa.float64()),
        "ld_max": pa.array([float(ld.max()) if len(ld) else -np.inf], pa.float64()),
    })


MOMENTS_SCHEMA = ("count long, sums array<double>, squares array<double>, ld_sum double, "
                  "ld_squares double, ld_min double, ld_max double")


def moments_batches(batches, *, dim, center=None, column="E"):
    """``mapInArrow`` body: :func:`column_moments` of every batch (to be summed)."""
    import pyarrow as pa

    for batch in batches:
        yield from column_moments(pa.Table.from_batches([batch]), dim=dim, center=center,
                                  column=column).to_batches()


def standardize_scale(count, sums, squares_about_mean):
    """(mean, scale) from reduced moments, as graphembed.fastrp computes them."""
    dim = len(sums)
    if count == 0:
        return np.zeros(dim), np.ones(dim)
    mean = np.asarray(sums, dtype=np.float64) / count
    scale = np.sqrt(np.asarray(squares_about_mean, dtype=np.float64) / count)
    scale[~(scale > 0)] = 1.0
    return mean, scale


def finish_parameters(moments, *, settings):
    """``(mean, scale, channel)`` for :func:`finish_batches` from the two passes of moments.

    ``moments(center)`` returns the per-partition rows of :func:`column_moments` (dicts) for a
    center (None, then the means); they are added in the order given. Returns (None, None,
    None) when neither standardisation nor the degree channel needs them (no pass is run).
    """
    dim, standardize = settings["dim"], settings["standardize"]
    if not (standardize or settings["degree_share"]):
        return None, None, None
    first = moments(None)
    count = sum(int(r["count"]) for r in first)
    sums = np.sum([np.asarray(r["sums"], np.float64) for r in first], axis=0)
    ld_sum = float(sum(r["ld_sum"] for r in first))
    center = np.append(sums / count, ld_sum / count) if count else np.zeros(dim + 1)
    second = moments(center.tolist())
    squares = np.sum([np.asarray(r["squares"], np.float64) for r in second], axis=0)
    ld_squares = float(sum(r["ld_squares"] for r in second))
    ld_range = max(r["ld_max"] for r in first) - min(r["ld_min"] for r in first) if count else 0.0
    var = squares / count if count else np.zeros(dim)
    mean = scale = None
    if standardize:
        mean, scale = standardize_scale(count, sums, squares)
    channel = _finish.channel(settings["degree_share"], dim, settings["random_state"], count,
                              ld_sum, ld_squares, _finish.total_variance(var, standardize),
                              ld_range)
    return mean, scale, channel


def finish_batches(batches, *, dim, mean=None, scale=None, channel=None, column="E"):
    """``mapInArrow`` body: state rows -> ``node, embedding`` (standardised if mean is given,
    then the degree channel ``channel`` of :func:`finish_parameters` added); ``column``: the
    vectors' column."""
    import pyarrow as pa

    for batch in batches:
        E = _vectors(batch.column(column), dim)
        if mean is not None:
            keep = _np(batch, "degree", np.float64) > 0
            inv = 1.0 / np.asarray(scale, dtype=np.float64)
            E = E.copy()
            E[keep] = ((E[keep].astype(np.float64) - mean) * inv).astype(np.float32)
        if channel is not None:
            with threads(1):  # a Spark task: one core
                E = _finish.add(E.copy() if mean is None else E, _np(batch, "degree", np.float64),
                                channel)
        yield pa.RecordBatch.from_arrays([batch.column("node"), vectors_to_arrow(E)],
                                         names=["node", "embedding"])

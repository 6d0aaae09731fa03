"""Exact distributed spectral embedding: graphembed.spectral's iteration, one task per partition.

:func:`graphembed.spectral` is Chebyshev-filtered subspace iteration: sparse products of the
operator ``S = D_r^{-1/2}(A + α·11ᵀ/n)D_r^{-1/2}`` with an n × b block, three-term recurrences
that only combine a node's own rows, and, once per round, the ``b × b`` matrices ``XᵀX`` and
``Xᵀ(S·X)`` whose small eigenproblem (Rayleigh–Ritz) gives the ``b × b`` map of the next block.
All of it distributes without approximation:

* a **product** is one exchange of boundary rows through files, as exact FastRP's steps
  (:mod:`.fastrp_exchange`): the partition reads its owned rows and its ghosts merged by key,
  streams them past its arc file — whose weights are the entries ``w·d_u^{-1/2}·d_v^{-1/2}`` of
  the normalised adjacency, in float32 as on one machine — and writes the next block's rows per
  destination;
* the **rank-one regularisation** needs ``Σ_v d_v^{-1/2} X_v`` (length b): every task returns its
  partition's sum, the driver adds them and hands the total to the next product;
* the **Gram matrices** are sums over partitions of ``b × b`` blocks the tasks return; the driver
  solves the small eigenproblem (:func:`graphembed.spectral._ritz`, the same code) and the next
  product's tasks apply its ``b × b`` map to every row they read, ghosts included, so the
  rotated block is never written;
* the canonical column signs are a sum of cubes, reduced the same way.

Row operations are those of one machine in float32 (neighbours in key order, the same
recurrence); only the order of the global sums differs (partitions in order, not fixed row
chunks; the rotation by blocks of rows of another size), so the result equals
:func:`graphembed.spectral` up to that rounding, carried through the rounds: 1e-6 to 1e-4 on the
unit rows (6e-6 on karate at 4 partitions, 1.2e-4 at worst on 10⁶ R-MAT edges, whose many
near-repeated eigenvalues let directions turn within their span), eigenvalues to 1e-7. When
``b`` reaches n the block spans the whole space and a nearly singular Gram matrix loses
directions below a relative floor, which the two sums can choose differently: there the two
agree less. Rerun or retried with the same partitioning, the job gives the same bytes (each
task's BLAS runs on one thread).

Each stage's body is a ``mapInArrow`` function of one partition's owned rows; the product stages
yield the sections they wrote (:data:`SPECTRAL_INDEX_SCHEMA`, exact FastRP's index); every stage
writes its partition's float64 sums to a small file of its own (:func:`write_stats`), which the
driver adds in partition order (:func:`read_stats`) — so the driver holds one ``b × b`` block at
a time, however many partitions there are.
"""

from __future__ import annotations

import numpy as np

from .arrow import vectors_to_arrow
from .fastrp_exchange import (
    ExchangeLayout,
    _accumulate,
    batch_parts,
    owned_partitions,
    read_owned,
    _fanout_chunks,
    _index_batch,
    _read_file,
    _vector_batch_rows,
    _write_file,
    read_merged,
    write_vectors,
)
from .fastrp_merge import _ArcCursor
from .fastrp_stream import stream_sort_key, vectors_from_binary, vectors_to_binary

#: A product stage's output: the sections it wrote (as exact FastRP's steps).
SPECTRAL_INDEX_SCHEMA = "src int, dest int, offset long, rows long, file_bytes long"

#: What the last stage yields.
SPECTRAL_OUTPUT_SCHEMA = "node long, embedding array<float>"
#: What :func:`spectral_finish` yields: the rows and each node's degree (the degree channel's).
SPECTRAL_FINISH_SCHEMA = "node long, embedding array<float>, degree double"

_BLOCK_ROWS = 8192  # rows per float32 block of the Gram sums, as graphembed.spectral


def spectral_settings(params=None, *, dim=128, random_state=0, num_nodes):
    """graphembed.spectral's defaults updated with ``params`` (text or values, parsed by the
    method registry) and resolved for a graph of ``num_nodes`` nodes: ``b`` columns, ``ratio``
    α/n. Raises ValueError naming an unusable parameter before any work starts."""
    import importlib

    from .._validation import check_float, check_int, check_seed
    from ..methods import get_method

    S = importlib.import_module("graphembed.spectral")
    given = {k: v for k, v in get_method("spectral").parse_params(params).items()
             if v is not None}
    unknown = set(given) - {"eigenvalue_power", "regularization", "rounds", "degree",
                            "oversampling", "normalize", "degree_share"}
    if unknown:
        raise ValueError(f"distributed spectral does not take {sorted(unknown)}; drop them")
    n = int(num_nodes)
    dim = check_int("dim", dim, minimum=1)
    if dim > n - 1:
        raise ValueError(f"dim must be at most n - 1 = {n - 1} for a graph of {n} nodes (the "
                         f"trivial leading eigenvector is dropped), got dim={dim}; lower dim")
    oversampling = check_int("oversampling", given.get("oversampling", S.DEFAULT_OVERSAMPLING),
                             minimum=0)
    alpha = check_float("regularization", given.get("regularization", S.DEFAULT_REGULARIZATION),
                        minimum=0.0)
    return {
        "dim": dim, "n": n, "b": min(dim + 1 + oversampling, n),
        "random_state": check_seed("random_state", random_state),
        "eigenvalue_power": check_float(
            "eigenvalue_power", given.get("eigenvalue_power", S.DEFAULT_EIGENVALUE_POWER),
            minimum=0.0),
        "alpha": alpha, "ratio": alpha / n,
        "rounds": check_int("rounds", given.get("rounds", S.DEFAULT_ROUNDS), minimum=1),
        "degree": check_int("degree", given.get("degree", S.DEFAULT_DEGREE), minimum=1),
        "normalize": bool(given.get("normalize", True)),
        "degree_share": check_float("degree_share",
                                    given.get("degree_share", S.DEFAULT_DEGREE_SHARE),
                                    minimum=0.0, maximum=1.0),
    }


def inverse_sqrt_degrees(degree, alpha):
    """``d_r^{-1/2}`` as graphembed.spectral rounds it: float64, then float32 (0 where
    ``deg + α`` is 0)."""
    dr = np.asarray(degree, np.float64) + alpha
    out = np.zeros(len(dr), np.float32)
    out[dr > 0] = (1.0 / np.sqrt(dr[dr > 0])).astype(np.float32)
    return out


class SpectralLayout(ExchangeLayout):
    """Where a job's spectral files live (picklable): exact FastRP's ``owned/`` (each
    partition's ``node, ukey, degree`` in row order) and ``vec{s}/`` (here the block product
    ``s`` reads, in sections per destination), plus ``own{s}/`` (the owned rows of the block
    product ``s − 1`` read: the recurrence's ``T_{k−2}`` for product ``s``) and each stage's
    sums."""

    def previous(self, stage):
        return f"{self.directory}/own{int(stage)}"

    def stats(self, name):
        """Where stage ``name`` (e.g. ``product3``) writes its partitions' sums."""
        return f"{self.directory}/stats-{name}"


def write_stats(directory, part, values):
    """Partition ``part``'s float64 sums, one Parquet row (exact FastRP's file writer: a
    temporary name renamed at the end, so a retried task rewrites the same file and a reader
    never sees half of one)."""
    import pyarrow as pa

    _write_file(directory, part, [pa.table({"sums": pa.array(
        [np.ascontiguousarray(values, "<f8").tobytes()], pa.binary())})])


def read_stats(directory, parts, length):
    """The sums of every partition in ``parts`` added in increasing partition order (the
    driver's reduction; one partition's array held at a time). Raises ValueError when a file is
    missing or not ``length`` values (a task that did not run, or a stale directory)."""
    total = None
    for p in sorted(int(q) for q in parts):
        batch = next(iter(_read_file(directory, p, rows=1, batch_rows=1)))
        v = np.frombuffer(batch.column("sums")[0].as_py(), "<f8")
        if len(v) != length:
            raise ValueError(f"partition {p}: its sums under {directory} hold {len(v)} values, "
                             f"{length} expected (a stale file)")
        total = v.copy() if total is None else total + v
    return total


def _weighted_sum(w, X):
    """``Σ_u w[u]·X[u]`` in float64, blocks of rows at a time (no n × b float64 copy)."""
    out = np.zeros(X.shape[1], np.float64)
    for lo in range(0, len(X), _BLOCK_ROWS):
        out += w[lo:lo + _BLOCK_ROWS].astype(np.float64) @ \
            X[lo:lo + _BLOCK_ROWS].astype(np.float64)
    return out


def _cube_sum(X):
    """Column sums of ``X³`` in float64 (as graphembed.spectral's kernel: x·x·x), by blocks."""
    out = np.zeros(X.shape[1], np.float64)
    for lo in range(0, len(X), _BLOCK_ROWS):
        x = X[lo:lo + _BLOCK_ROWS].astype(np.float64)
        out += (x * x * x).sum(axis=0)
    return out


def _one_blas_thread():
    """Single-threaded BLAS inside a task (graphembed.spectral's own guard): a task's products and
    sums then round the same way whatever cores its executor has."""
    from ..spectral import _blas_single

    return _blas_single()


def spectral_initial(batches, *, settings, layout, fanout, batch_rows=None):
    """``mapInArrow`` body before the products: for each partition in ``batches`` (its owned
    rows ``part, li, node, key, degree``, any order), the start block's rows — random signs
    ``±1/sqrt(n)`` from ``(random_state, key)`` alone, as graphembed.spectral draws them —
    written to ``owned/`` and ``vec1/``; yields the sections and writes ``Σ d^{-1/2}·X`` to
    ``stats-initial/``. Time O((n + f)·b); memory one owned × b float32 buffer."""
    import pyarrow as pa

    from .._kernels.fastrp import fill_signs

    b_cols = settings["b"]
    rows_out = int(batch_rows or _vector_batch_rows(b_cols))
    for p, node, key, degree in owned_partitions(batches):
        n = len(node)
        ukey = stream_sort_key(key)
        X = np.empty((n, b_cols), np.float32)
        fill_signs(key.view(np.uint64), np.uint64(settings["random_state"]), 1.0, X,
                   np.float32(1.0 / np.sqrt(settings["n"])))
        dih = inverse_sqrt_degrees(degree, settings["alpha"])
        _write_file(layout.owned(), p, [pa.table({"node": node, "ukey": ukey, "degree": degree})])
        index = write_vectors(layout.vectors(1), p, X, ukey, _fanout_chunks(fanout, p),
                              rows_per_chunk=rows_out)
        write_stats(layout.stats("initial"), p, _weighted_sum(dih, X))
        yield _index_batch(index)


def _read_block(layout, stage, p, n, sources, b_cols, rotate, rows_out, *, arcs=None,
                acc=None):
    """The block product ``stage`` reads, merged by key and rotated by ``rotate`` (b × b or
    None): with ``arcs``, accumulates ``Σ_arcs w·V[target]`` into ``acc`` as the rows stream;
    returns the owned rows ``V`` (n × b)."""
    V = np.zeros((n, b_cols), np.float32)
    seen = [0]
    M = None if rotate is None else np.asarray(rotate, np.float32)

    def rows():
        for ukey, li, P in read_merged(layout.vectors(stage), p, sources, b_cols,
                                       chunk_rows=rows_out):
            if M is not None:
                P = P @ M
            own = li >= 0
            if np.any(li >= n):
                raise ValueError(f"partition {p}: row index {int(li.max())} outside its {n} "
                                 "owned rows")
            V[li[own]] = P[own]
            seen[0] += int(own.sum())
            yield ukey, li, P

    if arcs is None:
        for _ in rows():
            pass
    else:
        _accumulate(p, rows(), n, _ArcCursor(arcs(p), p, n), acc, True)
    if seen[0] != n:
        raise ValueError(f"partition {p}: {seen[0]} owned vector rows came, it owns {n}")
    return V


def _gram(X, Y):
    """``XᵀY`` in float64 from float32 products over fixed blocks of rows, as
    graphembed.spectral reduces it."""
    G = np.zeros((X.shape[1], Y.shape[1]), np.float64)
    for lo in range(0, len(X), _BLOCK_ROWS):
        G += X[lo:lo + _BLOCK_ROWS].T @ Y[lo:lo + _BLOCK_ROWS]
    return G


def spectral_step(batches, *, settings, stage, layout, index, owned_counts, arcs, fanout,
                  a, bb, g, t, rotate=None, ritz=False, keep_previous=True, batch_rows=None):
    """``mapInArrow`` body of product ``stage``: for each partition in ``batches`` (``part``),
    ``out = a·(S·V) + bb·V + g·T`` on its owned rows, where ``V`` is the block ``vec{stage}/``
    holds (owned rows and ghosts, merged by key, :func:`read_merged`) times ``rotate``, ``S·V``
    the sum over the partition's arcs (weights of the normalised adjacency) plus
    ``d^{-1/2}·t`` (``t`` = (α/n)·Σ d^{-1/2} V, from the driver), and ``T`` the owned rows the
    previous product read (``own{stage}/``, only when ``g`` ≠ 0).

    Writes ``vec{stage+1}/`` (``out`` for the next product), ``own{stage+1}/`` (``V``, when
    ``keep_previous``: the next product's ``T``) and ``Σ d^{-1/2}·out`` to
    ``stats-product{stage}/``, and yields the sections; with ``ritz`` it writes only its sums —
    ``Σ d^{-1/2}·V``, ``VᵀV`` and ``Vᵀout`` (``out`` = S·V: Rayleigh–Ritz) — to
    ``stats-ritz{stage}/``. Float32 operations in the order of graphembed.spectral's kernel. Time
    O((arcs + rows read)·b + n·b² with ``rotate`` or ``ritz``); memory two owned × b float32
    buffers (the block read and the accumulator that becomes ``out``), two chunks of rows read,
    one batch of arcs and float64 blocks of 8,192 rows."""
    import pyarrow as pa

    b_cols = settings["b"]
    rows_out = int(batch_rows or _vector_batch_rows(b_cols))
    if hasattr(index, "value"):
        index = index.value
    a32, b32, g32 = np.float32(a), np.float32(bb), np.float32(g)
    t32 = np.asarray(t, np.float32)
    for p in batch_parts(batches):
        if p not in owned_counts:
            raise ValueError(f"partition {p} is not in owned_counts")
        n = int(owned_counts[p])
        _, ukey, degree = read_owned(layout, p, n)
        dih = inverse_sqrt_degrees(degree, settings["alpha"])
        out = np.zeros((n, b_cols), np.float32)
        with _one_blas_thread():
            V = _read_block(layout, stage, p, n, index.get(p, []), b_cols, rotate, rows_out,
                            arcs=arcs, acc=out)
            # out = a·(acc + d^{-1/2}·t) + bb·V (+ g·T below), the kernel's order, in place
            for lo in range(0, n, _BLOCK_ROWS):
                hi = min(n, lo + _BLOCK_ROWS)
                blk = out[lo:hi]
                blk += dih[lo:hi, None] * t32[None, :]
                blk *= a32
                blk += b32 * V[lo:hi]
            if g32 != 0:
                r = 0
                for batch in _read_file(layout.previous(stage), p, rows=n, batch_rows=rows_out):
                    x = vectors_from_binary(batch.column("V"), b_cols)
                    out[r:r + len(x)] += g32 * x
                    r += len(x)
            if ritz:
                write_stats(layout.stats(f"ritz{stage}"), p, np.concatenate(
                    [_weighted_sum(dih, V), _gram(V, V).ravel(), _gram(V, out).ravel()]))
                continue
            if keep_previous:
                _write_file(layout.previous(stage + 1), p,
                            (pa.table({"V": vectors_to_binary(V[r:r + rows_out])})
                             for r in range(0, n, rows_out)))
            del V
            index_out = write_vectors(layout.vectors(stage + 1), p, out, ukey,
                                      _fanout_chunks(fanout, p), rows_per_chunk=rows_out)
            write_stats(layout.stats(f"product{stage}"), p, _weighted_sum(dih, out))
        yield _index_batch(index_out)


def _own_sources(index, p):
    return [s for s in index.get(p, []) if s[0] == p]


def spectral_signs(batches, *, settings, stage, layout, index, owned_counts, rotate,
                   batch_rows=None):
    """``mapInArrow`` body: writes the column sums of cubes of the final block's owned rows
    (``vec{stage}/`` times ``rotate``; their signs fix each column's sign) to
    ``stats-signs/``; yields nothing. Reads the partition's own section only. Time O(n·b²);
    memory one owned × b float32 buffer and float64 blocks of 8,192 rows."""
    b_cols = settings["b"]
    rows_out = int(batch_rows or _vector_batch_rows(b_cols))
    if hasattr(index, "value"):
        index = index.value
    for p in batch_parts(batches):
        n = int(owned_counts[p])
        with _one_blas_thread():
            X = _read_block(layout, stage, p, n, _own_sources(index, p), b_cols, rotate,
                            rows_out)
        write_stats(layout.stats("signs"), p, _cube_sum(X))
    return iter(())


def spectral_finish(batches, *, settings, stage, layout, index, owned_counts, rotate,
                    col_scale, batch_rows=None):
    """``mapInArrow`` body of the last stage: the owned rows' embedding
    ``rownorm(d^{-1/2}·X[:, 1:dim+1]·col_scale)`` (``col_scale``: eigenvalue weights times
    signs, float32), with each node's degree, yielded as :data:`SPECTRAL_FINISH_SCHEMA`. Time
    O(n·b²); memory one owned × b float32 buffer and the n × dim result."""
    import pyarrow as pa

    b_cols, dim = settings["b"], settings["dim"]
    rows_out = int(batch_rows or _vector_batch_rows(b_cols))
    if hasattr(index, "value"):
        index = index.value
    scale = np.asarray(col_scale, np.float32)
    for p in batch_parts(batches):
        n = int(owned_counts[p])
        node, _, degree = read_owned(layout, p, n)
        dih = inverse_sqrt_degrees(degree, settings["alpha"])
        with _one_blas_thread():
            X = _read_block(layout, stage, p, n, _own_sources(index, p), b_cols, rotate,
                            rows_out)
        E = dih[:, None] * X[:, 1:dim + 1] * scale[None, :]
        del X
        if settings["normalize"]:
            for lo in range(0, n, _BLOCK_ROWS):
                blk = E[lo:lo + _BLOCK_ROWS]
                sq = (blk.astype(np.float64) ** 2).sum(axis=1)
                f = np.zeros(len(blk), np.float32)
                f[sq > 0] = (1.0 / np.sqrt(sq[sq > 0])).astype(np.float32)
                blk *= f[:, None]
        for r in range(0, n, rows_out):
            yield pa.RecordBatch.from_arrays(
                [pa.array(node[r:r + rows_out]), vectors_to_arrow(E[r:r + rows_out]),
                 pa.array(np.asarray(degree[r:r + rows_out], np.float64))],
                names=["node", "embedding", "degree"])

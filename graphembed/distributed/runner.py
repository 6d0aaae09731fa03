"""The in-process runner: the Spark jobs' dataflow run partition by partition in one process,
with the same adapters (tests, benchmarks, and graphs that fit one machine but should be checked
against a partitioned run).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_int
from .arrow import _np, vectors_from_arrow, vectors_to_arrow
from .distne import distne_partition
from .fastrp_exchange import ExchangeLayout, exchange_initial, exchange_step, index_by_dest
from .fastrp_merge import PartFileReader, write_arc_files, write_fanout_files
from .fastrp_stream import (
    column_moments,
    fastrp_initial,
    fastrp_settings,
    finish_batches,
    finish_parameters,
    stream_sort_key,
)
from .landmarks import (
    fit_landmarks,
    landmark_mask,
    landmark_part,
    landmark_rows,
    landmark_statistics,
    landmark_threshold,
)
from .local import OWNED, budgeted_member_arcs, ghost_pairs, halo_members
from .partitioning import border_mask, node_priority
from .subgraph import align_to_targets, anchor_rotations, embed_subgraph, reference_partition


def _graph_tables(graph, parts):
    """Arrow tables of a CSRGraph split by ``parts``: nodes and arcs (with ``part``)."""
    import pyarrow as pa

    ids = np.arange(graph.n, dtype=np.int64)  # rows stand for node ids inside the runner
    parts = np.asarray(parts, dtype=np.int32)
    deg = graph.degrees()
    nodes = pa.table({"part": parts, "node": ids, "key": graph.node_keys().view(np.int64),
                      "degree": deg})
    src = np.repeat(ids, np.diff(graph.indptr))
    arcs = {"part": parts[src], "src": src, "dst": graph.indices.astype(np.int64)}
    if graph.weights is not None:
        arcs["weight"] = graph.weights
    return nodes, pa.table(arcs)


def _split(table, parts_col="part"):
    """{part: sub-table} (rows keep their order)."""
    p = _np(table, parts_col, np.int64)
    out = {}
    for q in np.unique(p):
        out[int(q)] = table.filter(np.asarray(p == q))
    return out


def fastrp_partitioned(graph, parts, *, dim=128, random_state=0, params=None, batch_rows=1000):
    """FastRP computed partition by partition with one boundary exchange per step, in-process.

    The dataflow and the adapters of ``spark_jobs/embed.py``, with its files in a temporary
    directory: random rows from the global keys, each partition's arcs written once sorted by
    target key (:func:`write_arc_files`) with its fan-out (:func:`write_fanout_files`), each step
    one call of :func:`exchange_step` per partition (vectors read from the files the previous
    step wrote, ``batch_rows`` rows per row group and per read batch, so that runs and arcs
    straddle batch boundaries), column moments reduced across partitions for the final
    standardisation. Equals :func:`graphembed.fastrp` up to float rounding (to the bit before
    standardisation). Returns (E float32 (n, dim) in row order, stats dict with the number of
    vectors exchanged). Time O(k·(nnz + ghosts)·dim), memory O(n·dim) (one process) and
    O(k·(n + ghosts)·dim) bytes of temporary files.

    >>> import networkx as nx, graphembed as ge
    >>> g = ge.as_csr(nx.karate_club_graph())
    >>> E, _ = fastrp_partitioned(g, np.arange(34) % 3, dim=8)
    >>> bool(np.allclose(E, ge.fastrp(g, dim=8), atol=1e-5))
    True
    """
    import tempfile

    import pyarrow as pa

    from ..graph import as_csr

    g = as_csr(graph)
    settings = fastrp_settings(params, dim=dim, random_state=random_state, num_nodes=g.n,
                               directed=g.directed)
    nodes, arcs = _graph_tables(g, parts)
    parts = _np(nodes, "part", np.int64)
    keys = _np(nodes, "key", np.int64)
    # li: a node's row among its partition's owned nodes, numbered in key order as the Spark job
    # numbers them (so a fan-out sorted by (destination, row) is in the order the steps send it)
    order = np.lexsort((stream_sort_key(keys), parts))
    first = np.searchsorted(parts[order], parts[order], side="left")
    li = np.empty(g.n, np.int32)
    li[order] = np.arange(g.n) - first
    nodes = nodes.append_column("li", pa.array(li))
    src, dst = _np(arcs, "src"), _np(arcs, "dst")
    g_node, g_part = ghost_pairs(_np(arcs, "part"), dst, parts[dst])
    owned_counts = {int(p): int(c) for p, c in zip(*np.unique(parts, return_counts=True))}
    ukey = stream_sort_key(keys)
    w = _np(arcs, "weight", np.float32) if g.weights is not None else np.ones(len(src), np.float32)
    k = len(settings["iteration_weights"])
    exchanged = 0
    with tempfile.TemporaryDirectory(prefix="graphembed-fastrp-") as work:
        # laid down once: each partition's arcs sorted by target key, and its fan-out (which
        # owned rows which other partition holds as ghosts), as the Spark job writes them
        arc_rows = pa.table({"part": _np(arcs, "part", np.int32), "ukey": ukey[dst],
                             "si": li[src], "w": w})
        arc_counts = {int(p): int(c) for p, c in zip(*np.unique(_np(arcs, "part"),
                                                                  return_counts=True))}
        for t in _split(arc_rows).values():
            list(write_arc_files(t.to_batches(), directory=f"{work}/arcs"))
        fan_counts = {}
        for t in _split(pa.table({"part": parts[g_node].astype(np.int32), "li": li[g_node],
                                  "dest": g_part.astype(np.int32)})).values():
            for b in write_fanout_files(t.to_batches(), directory=f"{work}/fanout"):
                fan_counts.update(zip(_np(b, "part").tolist(), _np(b, "rows").tolist()))
        arc_reader = PartFileReader(f"{work}/arcs", arc_counts, batch_rows)
        fan_reader = PartFileReader(f"{work}/fanout", fan_counts, batch_rows)
        layout = ExchangeLayout(f"{work}/exchange")
        index = []
        if k == 0:
            state = {p: fastrp_initial(t, settings=settings) for p, t in _split(nodes).items()}
        else:
            for t in _split(nodes.select(["part", "li", "node", "key", "degree"])).values():
                for b in exchange_initial(t.to_batches(), settings=settings, layout=layout,
                                          fanout=fan_reader, batch_rows=batch_rows):
                    index += pa.Table.from_batches([b]).to_pylist()
        for step in range(1, k + 1):
            last = step == k
            exchanged += sum(r["rows"] for r in index if r["src"] != r["dest"])
            by_dest, out = index_by_dest(index), []
            for p in owned_counts:
                out += list(exchange_step(
                    [pa.record_batch({"part": pa.array([p], pa.int32())})], settings=settings,
                    step=step, layout=layout, index=by_dest, owned_counts=owned_counts,
                    arcs=arc_reader, fanout=None if last else fan_reader,
                    weighted=g.weights is not None, last=last, batch_rows=batch_rows))
            if last:
                state = _split(pa.Table.from_batches(out))
            else:
                index = pa.Table.from_batches(out).to_pylist()
    everything = pa.concat_tables(list(state.values()))
    mean, scale, channel = finish_parameters(
        lambda center: [column_moments(t, dim=dim, center=center).to_pylist()[0]
                        for t in state.values()], settings=settings)
    out = np.zeros((g.n, dim), dtype=np.float32)
    for batch in finish_batches(everything.to_batches(), dim=dim, mean=mean, scale=scale,
                                channel=channel):
        out[_np(batch, "node")] = vectors_from_arrow(batch.column("embedding"), dim)
    return out, {"vectors_exchanged": int(exchanged), "steps": len(settings["iteration_weights"])}


def embed_partitioned(graph, parts, *, method, dim=128, random_state=0, params=None,
                      mode="aligned", halo_hops=1, halo_cap=64, anchors=64, align_iterations=2,
                      border_dim=None, smooth_steps=3, landmarks=100_000, halo_arcs=2.0):
    """A walk/orbit-family embedding computed partition by partition, in-process.

    The dataflow of ``spark_jobs/embed.py`` for methods other than FastRP, with the same
    adapters. ``mode``:

    * ``"aligned"``: every partition embeds its owned nodes with their halo (``halo_hops``) and
      ``anchors`` replicated top-degree nodes; partitions are rotated onto a reference partition
      by orthogonal Procrustes — first on the anchors, then ``align_iterations`` rounds on all
      shared nodes (each halo/anchor copy against its owner's rotated vector).
    * ``"distne"``: DistNE-style: each partition's internal embedding (owned nodes only,
      ``dim - border_dim`` columns) beside a border-level embedding (``border_dim`` columns,
      default ``dim // 2``) of the border subgraph, which interior nodes get by
      :func:`smooth_border`.
    * ``"landmarks"`` (IRWE methods): one basis for all partitions. Every partition computes
      the IRWE statistics (identity features, PPMI rows) of its owned nodes on its member
      subgraph; the rows of about ``landmarks`` sampled nodes (a pure function of (seed, id))
      are gathered, the identity PCA and the position SVD are fitted on them once, and every
      partition maps its owned rows with those maps. With every node a landmark and one
      partition this is the single-machine IRWE.
    * ``"none"``: owned rows of independent per-partition embeddings with halos, unaligned.

    ``halo_arcs``: the halo-arc budget of the member subgraphs (:func:`budgeted_member_arcs`,
    then each task's :func:`member_graph`; None: every arc between members).

    Returns (E float32 (n, dim) in row order, stats). Time: the method's on every member set,
    plus O(P·d³) for the rotations (landmarks: plus the fit on the landmark rows).
    """
    from ..graph import as_csr

    check_choice("mode", mode, ("aligned", "distne", "landmarks", "none"))
    g = as_csr(graph)
    if g.directed:
        g = as_csr(g, directed=False)
    parts = np.asarray(parts, dtype=np.int64)
    nodes, arcs = _graph_tables(g, parts)
    keys = g.node_keys().view(np.int64)
    src, dst = _np(arcs, "src"), _np(arcs, "dst")

    def subgraph_table(rows, roles, p, d, sent=None):
        import pyarrow as pa

        mem = pa.table({"part": np.full(len(rows), p, np.int32), "node": rows, "key": keys[rows],
                        "role": roles})
        a = arcs.filter(np.isin(src, rows)) if sent is None else arcs.take(sent)
        return embed_subgraph(a, mem, method=method, dim=d, random_state=random_state,
                              params=params, halo_arcs=None if sent is None else halo_arcs)

    E = np.zeros((g.n, dim), dtype=np.float32)
    stats = {"mode": mode, "partitions": int(len(np.unique(parts)))}
    if mode == "distne":
        d_b = dim // 2 if border_dim is None else check_int("border_dim", border_dim, minimum=0,
                                                             maximum=dim)
        d_i = dim - d_b
        border = border_mask(g.indptr, g.indices, parts)
        stats["border_nodes"] = int(border.sum())
        Bvec = np.zeros((g.n, d_b), dtype=np.float32)
        if border.any() and d_b:
            b_rows = np.flatnonzero(border)
            t = subgraph_table(b_rows, np.zeros(len(b_rows), np.int32), 0, d_b)
            Bvec[_np(t, "node")] = vectors_from_arrow(t.column("vec"), d_b)
        import pyarrow as pa

        for p in np.unique(parts):
            rows = np.flatnonzero(parts == p)
            sel = np.isin(src, rows) & np.isin(dst, rows)
            table = pa.table({"part": np.full(len(rows), p, np.int32), "node": rows,
                              "key": keys[rows], "border": border[rows],
                              "bvec": vectors_to_arrow(Bvec[rows])})
            t = distne_partition(arcs.filter(sel), table, method=method, dim_internal=d_i,
                                 dim_border=d_b, random_state=random_state, params=params,
                                 smooth_steps=smooth_steps)
            E[_np(t, "node")] = vectors_from_arrow(t.column("vec"), dim)
        return E, stats
    members = halo_members(g, parts, hops=halo_hops, cap=halo_cap,
                           anchors=0 if mode == "landmarks" else anchors, seed=random_state)
    # what each partition's task receives, as the Spark job sends it
    sent = budgeted_member_arcs(src, dst, node_priority(keys), members, halo_arcs)
    if mode == "landmarks":
        import pyarrow as pa

        lm = np.flatnonzero(landmark_mask(keys, landmark_threshold(g.n, landmarks),
                                          random_state))
        tabs = {}
        for p, (rows, roles) in members.items():
            tabs[p] = (arcs.take(sent[p]),
                       pa.table({"part": np.full(len(rows), p, np.int32), "node": rows,
                                 "key": keys[rows], "role": roles}))
        kw = dict(method=method, dim=dim, random_state=random_state, params=params)
        pieces = [landmark_statistics(a, m, landmark_ids=lm, halo_arcs=halo_arcs, **kw)
                  for a, m in tabs.values()]
        model = fit_landmarks([landmark_rows(x, lm) for x in pieces], **kw)
        for ids, F, M in pieces:
            if len(ids) and (F is not None or M is not None):
                E[ids] = model.transform_statistics(F, M, part=landmark_part(method))
        stats["landmarks"] = int(len(lm))
        stats["members"] = int(sum(len(r) for r, _ in members.values()))
        return E, stats
    tables = {p: subgraph_table(rows, roles, p, dim, sent[p])
              for p, (rows, roles) in members.items()}
    vecs = {p: (_np(t, "node"), _np(t, "role"), vectors_from_arrow(t.column("vec"), dim))
            for p, t in tables.items()}
    rot = {p: np.eye(dim) for p in vecs}
    if mode == "aligned" and len(vecs) > 1:
        sizes = {p: int((r == OWNED).sum()) for p, (_, r, _) in vecs.items()}
        ref = reference_partition(sizes)
        deg = np.diff(g.indptr)
        pri = node_priority(g.node_keys(), random_state)
        anchor_set = set(np.lexsort((pri, -deg))[:anchors].tolist()) if anchors else set()
        av = {}
        for p, (ids, roles, X) in vecs.items():
            sel = np.array([i in anchor_set for i in ids.tolist()], dtype=bool)
            av[p] = (ids[sel], X[sel].astype(np.float64))
        if anchor_set:
            rot = anchor_rotations(av, ref)
        for _ in range(align_iterations):
            owner_vec = np.zeros((g.n, dim))
            for p, (ids, roles, X) in vecs.items():
                own = roles == OWNED
                owner_vec[ids[own]] = X[own] @ rot[p]
            new = {}
            for p, (ids, roles, X) in vecs.items():
                if p == ref:
                    new[p] = np.eye(dim)
                    continue
                shared = roles != OWNED
                new[p] = align_to_targets(X[shared].astype(np.float64).T @ owner_vec[ids[shared]],
                                          dim) if shared.any() else rot[p]
            rot = new
        stats["reference"] = ref
    for p, (ids, roles, X) in vecs.items():
        own = roles == OWNED
        E[ids[own]] = (X[own].astype(np.float64) @ rot[p]).astype(np.float32)
    stats["members"] = int(sum(len(v[0]) for v in vecs.values()))
    return E, stats

"""Why aligned per-partition IRWE embeddings lose accuracy: how far apart two runs can be.

    python bench/spark/irwe_stability.py [--partitions 4] [--dim 128]

On BlogCatalog, every comparison is the relative residual ``|A·Q − B| / |B|`` after the best
orthogonal map ``Q`` (Procrustes) from embedding A to embedding B — 0 means "the same up to a
rotation", which is all that aligning partitions can undo:

* each hash partition's embedding of its owned nodes (1-hop halo and anchors, as
  ``graphembed.distributed.embed_partitioned`` computes it) against the single-machine
  embedding of the same nodes, per half (identity, position) and joint;
* the baseline, in the same run: the single-machine embedding with seed 1 against seed 0;
* the position half taken apart: one PPMI matrix decomposed with two SVD seeds (at the
  library's n_iter = 7 and at 30), and two walk samples decomposed with the same SVD seed.

Writes bench/spark/results/irwe_stability.json and .md.
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def residual(A, B):
    from graphembed.distributed import procrustes

    Q = procrustes(A, B)
    return float(np.linalg.norm(A @ Q - B) / np.linalg.norm(B))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--dim", type=int, default=128)
    args = ap.parse_args()

    import pyarrow as pa
    from sklearn.utils.extmath import randomized_svd

    from graphembed import datasets
    from graphembed import distributed as D
    from graphembed.methods import embed, versions
    from graphembed.walks import cooccurrence, ppmi

    g = datasets.load("blogcatalog").graph
    d, h = args.dim, args.dim // 2
    halves = {"joint": slice(0, d), "identity": slice(0, h), "position": slice(h, d)}
    rows = []

    def add(what, A, B, **extra):
        for name, cols in halves.items() if A.shape[1] == d else (("position", slice(None)),):
            rows.append({"comparison": what, "half": name, "residual": residual(A[:, cols],
                                                                             B[:, cols]),
                         **extra})
            print(json.dumps(rows[-1]), flush=True)

    t0 = time.perf_counter()
    E0 = embed(g, "irwe", dim=d, random_state=0).vectors.astype(np.float64)
    single_s = time.perf_counter() - t0
    E1 = embed(g, "irwe", dim=d, random_state=1).vectors.astype(np.float64)
    add("single machine, seed 1 vs seed 0 (baseline)", E1, E0)

    parts = D.hash_partition(g.node_keys(), args.partitions, seed=0)
    members = D.halo_members(g, parts, hops=1, anchors=d, seed=0)
    _, arcs = D._graph_tables(g, parts)
    keys = g.node_keys().view(np.int64)
    src = D._np(arcs, "src")
    for p, (member_rows, roles) in members.items():
        mem = pa.table({"part": np.full(len(member_rows), p, np.int32), "node": member_rows,
                        "key": keys[member_rows], "role": roles})
        t = D.embed_subgraph(arcs.filter(np.isin(src, member_rows)), mem, method="irwe", dim=d,
                             random_state=0)
        ids = D._np(t, "node")
        X = D.vectors_from_arrow(t.column("vec"), d).astype(np.float64)
        own = D._np(t, "role") == 0
        add(f"partition {p} of {args.partitions} (owned nodes) vs single machine", X[own],
            E0[ids[own]], members=len(member_rows), owned=int(own.sum()))

    C0 = cooccurrence(g, window=2, walk_length=80, walks_per_node=20, random_state=5)
    C1 = cooccurrence(g, window=2, walk_length=80, walks_per_node=20, random_state=6)
    M0, M1 = ppmi(C0), ppmi(C1)

    def position(M, n_iter, seed):
        U, S, _ = randomized_svd(M, n_components=h, n_oversamples=20, n_iter=n_iter,
                                 random_state=seed)
        return U * np.sqrt(S), S

    spectra = {}
    for n_iter in (7, 30):
        a, S = position(M0, n_iter, 0)
        b, _ = position(M0, n_iter, 1)
        c, _ = position(M1, n_iter, 0)
        spectra[n_iter] = S.tolist()
        add(f"position: same walks, SVD seed 1 vs 0, n_iter {n_iter}", b, a, n_iter=n_iter)
        add(f"position: walk sample 1 vs 0, same SVD seed, n_iter {n_iter}", c, a,
            n_iter=n_iter)

    out = {"benchmark": "irwe_stability", "dataset": "blogcatalog", "dim": d,
           "partitions": args.partitions, "single_machine_seconds": single_s, "rows": rows,
           "position_singular_values": spectra,
           "threads": os.environ.get("NUMBA_NUM_THREADS"),
           "machine": f"{platform.machine()}, {os.cpu_count()} cores", "versions": versions()}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "irwe_stability.json").write_text(json.dumps(out, indent=2))
    lines = ["| comparison | half | relative residual after the best rotation |", "|---|---|---:|"]
    lines += [f"| {r['comparison']} | {r['half']} | {r['residual']:.3f} |" for r in rows]
    S = np.array(spectra[30])
    lines += ["", f"Position spectrum (n_iter 30): singular values {h - 4}–{h} = "
              + ", ".join(f"{x:.1f}" for x in S[-4:]) + f"; first {S[0]:.1f}."]
    (HERE / "results" / "irwe_stability.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

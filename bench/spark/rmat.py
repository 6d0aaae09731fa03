"""R-MAT edge lists streamed to Parquet in chunks, and R-MAT restricted to an id block.

    python bench/spark/rmat.py --edges 1e7 --out bench/results/tmp/rmat-1e7 [--scale S]

R-MAT (Chakrabarti, Zhan & Faloutsos 2004) with (a, b, c, d) = (0.57, 0.19, 0.19, 0.05), the
Graph500 setting: every edge picks one quadrant per level, independently, over ``scale`` levels
(2**scale node ids, default edge factor 16). Chunks of 2**22 edges are drawn from a generator
seeded by (seed, chunk index) and written as they come, so memory stays flat whatever the size,
and any chunk can be regenerated alone.

:func:`block_edges` draws only the edges whose source lies in an id block with a fixed k-bit
prefix — exactly the edges the full process would put there: the number of such edges is
Binomial(E, Π P(prefix bit)), and for each the first k levels pick the destination bit from the
quadrant probabilities conditional on the fixed source bit, the remaining levels freely. That is
how bench/spark/task_cost.py cuts real-size partitions out of a 10⁹-edge graph without
generating the other 10⁹ edges.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np

A, B, C, D = 0.57, 0.19, 0.19, 0.05
CHUNK = 1 << 22


def rmat_chunk(m, scale, rng, fixed_src_bits=()):
    """m R-MAT edges (src, dst int64). ``fixed_src_bits``: the top source bits, given."""
    src = np.zeros(m, dtype=np.int64)
    dst = np.zeros(m, dtype=np.int64)
    for level in range(scale):
        u = rng.random(m)
        if level < len(fixed_src_bits):
            s = np.full(m, fixed_src_bits[level], dtype=np.int64)
            p_dst1 = B / (A + B) if fixed_src_bits[level] == 0 else D / (C + D)
            t = (u < p_dst1).astype(np.int64)
        else:
            # quadrant: [0, A) -> (0,0), [A, A+B) -> (0,1), [A+B, A+B+C) -> (1,0), else (1,1)
            s = (u >= A + B).astype(np.int64)
            t = (((u >= A) & (u < A + B)) | (u >= A + B + C)).astype(np.int64)
        src = (src << 1) | s
        dst = (dst << 1) | t
    return src, dst


def write_rmat(edges, out, *, scale=None, seed=0):
    """Stream ``edges`` R-MAT edges to ``out/part-*.parquet``. Returns (scale, files, seconds)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    edges = int(edges)
    if scale is None:
        scale = max(1, int(round(np.log2(edges / 16))))
    os.makedirs(out, exist_ok=True)
    t0 = time.perf_counter()
    written, k, files = 0, 0, 0
    writer = None
    per_file = 8 * CHUNK
    in_file = 0
    while written < edges:
        m = min(CHUNK, edges - written)
        rng = np.random.default_rng([seed, k])
        src, dst = rmat_chunk(m, scale, rng)
        table = pa.table({"src": src, "dst": dst})
        if writer is None or in_file >= per_file:
            if writer is not None:
                writer.close()
            writer = pq.ParquetWriter(os.path.join(out, f"part-{files:05d}.parquet"),
                                      table.schema, compression="zstd")
            files += 1
            in_file = 0
        writer.write_table(table)
        in_file += m
        written += m
        k += 1
    if writer is not None:
        writer.close()
    return scale, files, time.perf_counter() - t0


def block_edges(total_edges, scale, prefix_bits, *, seed=0, undirected=True):
    """Arcs of the id block ``prefix_bits`` (top bits of the source) of an R-MAT graph.

    Returns (src, dst) of every arc whose source is in the block: the edges drawn with their
    source there, plus (if ``undirected``) the reverse of those drawn with their destination there
    and their source elsewhere — the rows of one partition of the symmetrised graph.
    """
    rng = np.random.default_rng([seed, 1 << 40, *prefix_bits])
    p_src = np.prod([(A + B) if b == 0 else (C + D) for b in prefix_bits])
    m = rng.binomial(int(total_edges), p_src)
    src, dst = [], []
    for start in range(0, m, CHUNK):
        s, t = rmat_chunk(min(CHUNK, m - start), scale, rng, prefix_bits)
        src.append(s)
        dst.append(t)
    if undirected:
        # edges whose destination is in the block: P(dst bit) per level = A+C or B+D;
        # conditional source bit: P(src=1 | dst=0) = C/(A+C), P(src=1 | dst=1) = D/(B+D)
        p_dst = np.prod([(A + C) if b == 0 else (B + D) for b in prefix_bits])
        m2 = rng.binomial(int(total_edges), p_dst)
        k = len(prefix_bits)
        for start in range(0, m2, CHUNK):
            mm = min(CHUNK, m2 - start)
            s = np.zeros(mm, np.int64)
            t = np.zeros(mm, np.int64)
            for level in range(scale):
                u = rng.random(mm)
                if level < k:
                    tb = np.full(mm, prefix_bits[level], np.int64)
                    p1 = C / (A + C) if prefix_bits[level] == 0 else D / (B + D)
                    sb = (u < p1).astype(np.int64)
                else:
                    sb = (u >= A + B).astype(np.int64)
                    tb = (((u >= A) & (u < A + B)) | (u >= A + B + C)).astype(np.int64)
                s = (s << 1) | sb
                t = (t << 1) | tb
            outside = (s >> (scale - k)) != int("".join(map(str, prefix_bits)), 2)
            src.append(t[outside])  # reversed: the block node is the source of the arc
            dst.append(s[outside])
    src = np.concatenate(src) if src else np.zeros(0, np.int64)
    dst = np.concatenate(dst) if dst else np.zeros(0, np.int64)
    return src, dst


def sized_graphs(sizes, data, arcs_per_task):
    """``(tag, edges, path, partitions)`` for each size of a comma list (``1e6,1e7``) whose R-MAT
    folder ``data/rmat-TAG`` exists (the others are reported and skipped), with partitions of
    about ``arcs_per_task`` arcs (2 per undirected edge)."""
    for tag in sizes.split(","):
        edges = int(float(tag))
        path = Path(data) / f"rmat-{tag}"
        if not path.exists():
            print(f"skip {tag}: generate it with bench/spark/rmat.py --edges {tag} --out {path}")
            continue
        yield tag, edges, path, max(1, int(round(2 * edges / arcs_per_task)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edges", type=float, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--scale", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    scale, files, seconds = write_rmat(args.edges, args.out, scale=args.scale, seed=args.seed)
    size = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"{int(args.edges)} edges, scale {scale}, {files} files, {size / 1e6:.0f} MB, "
          f"{seconds:.1f} s")


if __name__ == "__main__":
    main()

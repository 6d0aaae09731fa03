"""Per-partition adapters for the Spark layer (``spark_jobs/``), and an in-process runner.

Spark moves data; this package computes. Every function here takes plain arrays or Arrow tables
for *one* partition and returns arrays or Arrow tables, calling the same graphembed functions that
run on one machine — there is no second implementation of any algorithm. The package never
imports pyspark: ``spark_jobs/`` wraps these functions in ``applyInArrow`` / ``mapInArrow``, and
:func:`fastrp_partitioned` and :func:`embed_partitioned` run the very same dataflow in one process
(tests, benchmarks, and graphs that fit one machine but should be checked against a partitioned
run).

Modules, one concern each (imports only point down this list):

* :mod:`.partitioning` — node priorities, hash partitioning, DistNE-style locality growth.
* :mod:`.arrow` — vectors to and from Arrow list columns; small ``mapInArrow`` bodies.
* :mod:`.local` — a partition's local CSR, its ghost table, halos and member subgraphs.
* :mod:`.fastrp_stream` — exact FastRP: initial rows, streamed propagation steps,
  standardisation and degree channel.
* :mod:`.fastrp_merge` — the files exact FastRP lays down once per partition: its arcs sorted
  by target key and its fan-out; the cursor that walks the arcs as vectors stream past.
* :mod:`.fastrp_exchange` — exact FastRP steps that exchange vectors through per-partition files
  and merge them with the arc files by key (what the Spark job runs).
* :mod:`.spectral_exchange` — exact spectral embedding: graphembed.spectral's products through
  the same exchange files, its ``b × b`` sums reduced per partition.
* :mod:`.subgraph` — walk/orbit methods on a member subgraph; Procrustes alignment.
* :mod:`.distne` — DistNE border levels: internal embedding beside a smoothed border embedding.
* :mod:`.landmarks` — IRWE landmark mode: one basis fitted on a global sample of nodes.
* :mod:`.runner` — the whole dataflow partition by partition in one process.

Every name is re-exported here, so ``from graphembed import distributed as D; D.fastrp_initial``
keeps working whichever module a function lives in.

Vocabulary
----------
* A **partition** owns a set of nodes and holds every arc leaving them (``src`` owned).
* A **ghost** of partition ``p`` is a node owned elsewhere that an arc of ``p`` points to. The
  ghost table ``(node, part)`` lists each (ghost, partition) pair once, so a boundary vector is
  shipped once per partition that needs it, never once per arc.
* The **halo** of ``p`` is the set of nodes within 1 hop (2 hops for orbit counts, capped per hub)
  of its owned nodes; **anchors** are a few global nodes (top degree) replicated everywhere.
* A node's **key** is the uint64 that seeds its randomness (:meth:`CSRGraph.node_keys`): its id for
  integer ids, a hash of the original string for string ids. Keys travel with mapped ids, so a node
  draws the same random numbers on every partition and on one machine.
"""

from __future__ import annotations

from .partitioning import (  # noqa: F401
    _GOLDEN,
    _M1,
    _M2,
    _mix64,
    node_priority,
    hash_partition,
    arc_cap_for,
    _seed_count,
    grow_partitions,
    border_mask,
    locality_partition,
    _induced,
)
from .arrow import (  # noqa: F401
    vectors_to_arrow,
    vectors_from_arrow,
    _np,
    _chunk,
    _list_buffers,
    table_batches,
    part_runs,
    keys_batches,
    partition_batches,
    priority_batches,
)
from .local import (  # noqa: F401
    OWNED,
    HALO,
    ANCHOR,
    local_csr,
    ghost_pairs,
    halo_members,
    member_graph,
    halo_arc_levels,
    halo_level_cut,
    budgeted_member_arcs,
)
from .fastrp_stream import (  # noqa: F401
    fastrp_settings,
    vectors_to_binary,
    _binary_buffers,
    vectors_from_binary,
    _vectors,
    _initial_rows,
    _add_normalized,
    fastrp_initial,
    FASTRP_STATE_SCHEMA,
    VECTOR,
    ARC,
    FASTRP_STREAM_COLUMNS,
    stream_batch_rows,
    stream_sort_key,
    fastrp_stream_table,
    fastrp_stream_step,
    column_moments,
    MOMENTS_SCHEMA,
    moments_batches,
    standardize_scale,
    finish_parameters,
    finish_batches,
)
from .fastrp_merge import (  # noqa: F401
    ARC_INPUT_COLUMNS,
    TARGETS_SCHEMA,
    PART_FILES_SCHEMA,
    _filesystem,
    part_file,
    _open_input,
    _PartFiles,
    _arc_file_schema,
    _fanout_file_schema,
    write_arc_files,
    write_fanout_files,
    PartFileReader,
    _ArcCursor,
    FASTRP_FINAL_SCHEMA,
)
from .fastrp_exchange import (  # noqa: F401
    EXCHANGE_INDEX_SCHEMA,
    ExchangeLayout,
    VECTOR_MAGIC,
    _HEADER_BYTES,
    _KEY_ROW_BYTES,
    _NOT_WRITTEN,
    _write_file,
    _read_file,
    vector_file,
    _open_vectors,
    _VectorFile,
    _KEY_BLOCK,
    _key_blocks,
    _sections,
    _accumulate,
    _unmatched,
    _fanout_chunks,
    _vector_batch_rows,
    _index_batch,
    owned_partitions,
    batch_parts,
    read_owned,
    read_merged,
    write_vectors,
    exchange_initial,
    exchange_step,
    index_by_dest,
)
from .spectral_exchange import (  # noqa: F401
    SPECTRAL_INDEX_SCHEMA,
    SPECTRAL_OUTPUT_SCHEMA,
    SPECTRAL_FINISH_SCHEMA,
    SpectralLayout,
    spectral_settings,
    inverse_sqrt_degrees,
    write_stats,
    read_stats,
    spectral_initial,
    spectral_step,
    spectral_signs,
    spectral_finish,
    _BLOCK_ROWS,
    _gram,
    _own_sources,
    _read_block,
    _weighted_sum,
    _cube_sum,
    _one_blas_thread,
)
from .subgraph import (  # noqa: F401
    SUBGRAPH_SCHEMA,
    embed_subgraph,
    procrustes,
    align_to_targets,
    cross_covariance,
    CROSS_SCHEMA,
    rotate_batches,
    reference_partition,
    anchor_rotations,
)
from .distne import (  # noqa: F401
    smooth_border,
    distne_partition,
)
from .landmarks import (  # noqa: F401
    _IRWE_SPLITS,
    _LANDMARK_TAG,
    landmark_threshold,
    landmark_mask,
    _irwe_model,
    landmark_halves,
    landmark_part,
    landmark_statistics,
    landmark_rows,
    fit_landmarks,
    LANDMARK_SCHEMA,
    landmark_batches,
    landmark_rows_table,
    landmark_piece_from_table,
    landmark_embed_table,
)
from .runner import (  # noqa: F401
    _graph_tables,
    _split,
    fastrp_partitioned,
    embed_partitioned,
)

__all__ = [
    "node_priority",
    "hash_partition",
    "arc_cap_for",
    "grow_partitions",
    "border_mask",
    "locality_partition",
    "vectors_to_arrow",
    "vectors_from_arrow",
    "table_batches",
    "part_runs",
    "keys_batches",
    "partition_batches",
    "priority_batches",
    "OWNED",
    "HALO",
    "ANCHOR",
    "local_csr",
    "ghost_pairs",
    "halo_members",
    "member_graph",
    "halo_arc_levels",
    "halo_level_cut",
    "budgeted_member_arcs",
    "fastrp_settings",
    "fastrp_initial",
    "FASTRP_STATE_SCHEMA",
    "VECTOR",
    "ARC",
    "FASTRP_STREAM_COLUMNS",
    "stream_batch_rows",
    "stream_sort_key",
    "fastrp_stream_table",
    "fastrp_stream_step",
    "ARC_INPUT_COLUMNS",
    "TARGETS_SCHEMA",
    "PART_FILES_SCHEMA",
    "part_file",
    "write_arc_files",
    "write_fanout_files",
    "PartFileReader",
    "vectors_to_binary",
    "FASTRP_FINAL_SCHEMA",
    "vectors_from_binary",
    "EXCHANGE_INDEX_SCHEMA",
    "ExchangeLayout",
    "read_merged",
    "vector_file",
    "VECTOR_MAGIC",
    "write_vectors",
    "exchange_initial",
    "exchange_step",
    "index_by_dest",
    "owned_partitions",
    "batch_parts",
    "read_owned",
    "SPECTRAL_INDEX_SCHEMA",
    "SPECTRAL_OUTPUT_SCHEMA",
    "SPECTRAL_FINISH_SCHEMA",
    "SpectralLayout",
    "spectral_settings",
    "inverse_sqrt_degrees",
    "write_stats",
    "read_stats",
    "spectral_initial",
    "spectral_step",
    "spectral_signs",
    "spectral_finish",
    "column_moments",
    "MOMENTS_SCHEMA",
    "moments_batches",
    "standardize_scale",
    "finish_parameters",
    "finish_batches",
    "SUBGRAPH_SCHEMA",
    "embed_subgraph",
    "procrustes",
    "align_to_targets",
    "cross_covariance",
    "CROSS_SCHEMA",
    "rotate_batches",
    "reference_partition",
    "anchor_rotations",
    "smooth_border",
    "distne_partition",
    "landmark_threshold",
    "landmark_mask",
    "landmark_halves",
    "landmark_part",
    "landmark_statistics",
    "landmark_rows",
    "fit_landmarks",
    "LANDMARK_SCHEMA",
    "landmark_batches",
    "landmark_rows_table",
    "landmark_piece_from_table",
    "landmark_embed_table",
    "fastrp_partitioned",
    "embed_partitioned",
]

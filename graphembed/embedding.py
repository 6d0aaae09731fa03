"""Embeddings that travel with their node ids.

An :class:`Embedding` is ``node_ids`` (n,), ``vectors`` (n, dim) float32 and a ``meta`` dict
(method, parameters, seed, versions). Files written by :meth:`Embedding.save` always carry the
ids, are written atomically (a temporary file renamed into place, so a failure never leaves a
half-written file) and never overwrite an existing file unless ``overwrite=True``.

Formats, chosen by the file suffix:

* ``.npz`` — ``node_ids``, ``vectors`` and ``meta`` (JSON) in one compressed archive;
* ``.npy`` — the vectors; ids in ``<stem>.ids.npy`` and meta in ``<stem>.meta.json`` beside it;
* ``.parquet`` — columns ``node_id`` and ``embedding`` (list<float32>), meta in the schema
  metadata (needs pyarrow: ``pip install graphembed[parquet]``);
* ``.txt`` / ``.emb`` / ``.w2v`` — word2vec text: a ``n dim`` header, then ``id v1 … vdim``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["Embedding"]

_FORMATS = {".npz": "npz", ".npy": "npy", ".parquet": "parquet", ".txt": "word2vec",
            ".emb": "word2vec", ".w2v": "word2vec"}


def _format_of(path, fmt):
    if fmt is not None:
        if fmt not in set(_FORMATS.values()):
            raise ValueError(
                f"format must be one of npz, npy, parquet, word2vec, got {fmt!r}"
            )
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(
            f"cannot tell the embedding format of {os.fspath(path)!r} from its suffix "
            f"{suffix or '(none)'!r}; use one of {', '.join(_FORMATS)} or pass format=..."
        )
    return _FORMATS[suffix]


def _atomic_write(path: Path, write):
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _ids_for_file(ids):
    ids = np.asarray(ids)
    if ids.dtype.kind in "iuU":
        return ids
    return np.array([str(v) for v in ids.tolist()], dtype=str)


class Embedding:
    """Node vectors with their node ids and a record of how they were made.

    Parameters
    ----------
    node_ids : array-like, shape (n,)
    vectors : array-like, shape (n, dim); stored as C-contiguous float32
    meta : dict, optional (JSON-serialisable)

    Memory: the vectors (4·n·dim bytes) plus the ids.

    Examples
    --------
    >>> import numpy as np
    >>> e = Embedding([10, 20], np.eye(2), {"method": "identity"})
    >>> e[20].tolist()
    [0.0, 1.0]
    """

    def __init__(self, node_ids, vectors, meta=None):
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D (n, dim), got shape {vectors.shape}")
        node_ids = np.asarray(node_ids)
        if node_ids.ndim != 1 or len(node_ids) != vectors.shape[0]:
            raise ValueError(
                f"node_ids must be 1-D with one id per row of vectors ({vectors.shape[0]}), got "
                f"shape {node_ids.shape}"
            )
        self.node_ids = node_ids
        self.vectors = vectors
        self.meta = dict(meta or {})
        self._index = None

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def __len__(self):
        return self.vectors.shape[0]

    def __repr__(self):
        method = self.meta.get("method", "?")
        return f"Embedding({len(self)} nodes, dim {self.dim}, method={method!r})"

    def __getitem__(self, node_id):
        """The vector of one node id (O(1) after an O(n) index build)."""
        if self._index is None:
            self._index = {v: i for i, v in enumerate(self.node_ids.tolist())}
        try:
            return self.vectors[self._index[node_id]]
        except KeyError:
            raise KeyError(f"node id {node_id!r} is not in this embedding") from None

    def reorder(self, node_ids) -> "Embedding":
        """The embedding with rows in the order of ``node_ids`` (KeyError on an unknown id)."""
        from .graph import CSRGraph

        g = CSRGraph(np.zeros(len(self) + 1, np.int64), np.zeros(0, np.int32), None, self.node_ids)
        rows = g.index_of(np.asarray(node_ids))
        return Embedding(np.asarray(node_ids), self.vectors[rows], self.meta)

    # ------------------------------------------------------------------ files
    def save(self, path, *, format=None, overwrite=False):
        """Write the embedding with its ids (see the module docstring for the formats).

        Raises FileExistsError unless ``overwrite=True`` when the file exists. Time and memory
        O(n·dim).
        """
        path = Path(path)
        fmt = _format_of(path, format)
        targets = [path]
        if fmt == "npy":
            targets += [path.with_suffix(".ids.npy"), path.with_suffix(".meta.json")]
        if not overwrite:
            for t in targets:
                if t.exists():
                    raise FileExistsError(
                        f"{t} already exists; pass overwrite=True (CLI: --overwrite) to replace it"
                    )
        ids = _ids_for_file(self.node_ids)
        meta_json = json.dumps(self.meta, sort_keys=True, default=str)
        if fmt == "npz":
            def write(tmp):
                with open(tmp, "wb") as fh:
                    np.savez_compressed(fh, node_ids=ids, vectors=self.vectors,
                                        meta=np.array(meta_json))
            _atomic_write(path, write)
        elif fmt == "npy":
            def write_ids(tmp):
                with open(tmp, "wb") as fh:
                    np.save(fh, ids)
            def write_vec(tmp):
                with open(tmp, "wb") as fh:
                    np.save(fh, self.vectors)
            _atomic_write(targets[1], write_ids)
            _atomic_write(targets[2], lambda tmp: Path(tmp).write_text(meta_json))
            _atomic_write(path, write_vec)
        elif fmt == "parquet":
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError:  # pragma: no cover - depends on the environment
                raise ImportError(
                    "writing Parquet needs pyarrow: pip install 'graphembed[parquet]'"
                ) from None
            flat = pa.array(self.vectors.reshape(-1))
            vec = pa.FixedSizeListArray.from_arrays(flat, self.dim) if self.dim else flat
            table = pa.table({"node_id": pa.array(ids), "embedding": vec})
            table = table.replace_schema_metadata({"graphembed": meta_json})
            _atomic_write(path, lambda tmp: pq.write_table(table, tmp))
        else:
            def write(tmp):
                with open(tmp, "w", encoding="utf-8") as fh:
                    fh.write(f"{len(self)} {self.dim}\n")
                    for node, row in zip(ids.tolist(), self.vectors):
                        label = str(node)
                        if any(c.isspace() for c in label):
                            raise ValueError(
                                f"node id {label!r} contains white space, which word2vec text "
                                "cannot hold; save as .npz or .parquet instead"
                            )
                        fh.write(label + " " + " ".join(repr(float(x)) for x in row) + "\n")
            _atomic_write(path, write)
        return path

    @classmethod
    def load(cls, path, *, format=None) -> "Embedding":
        """Read an embedding written by :meth:`save` (or any word2vec text file)."""
        path = Path(path)
        fmt = _format_of(path, format)
        if not path.exists():
            raise FileNotFoundError(f"embedding file {path} does not exist")
        if fmt == "npz":
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"])) if "meta" in z else {}
                return cls(z["node_ids"], z["vectors"], meta)
        if fmt == "npy":
            vectors = np.load(path, allow_pickle=False)
            ids_path = path.with_suffix(".ids.npy")
            ids = np.load(ids_path, allow_pickle=False) if ids_path.exists() else np.arange(len(vectors))
            meta_path = path.with_suffix(".meta.json")
            meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
            return cls(ids, vectors, meta)
        if fmt == "parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path)
            md = table.schema.metadata or {}
            meta = json.loads(md.get(b"graphembed", b"{}"))
            ids = table.column("node_id").to_numpy(zero_copy_only=False)
            col = table.column("embedding").combine_chunks()
            flat = col.flatten().to_numpy(zero_copy_only=False)
            vectors = flat.reshape(len(ids), -1) if len(ids) else np.zeros((0, 0), np.float32)
            return cls(ids, vectors, meta)
        with open(path, encoding="utf-8") as fh:
            header = fh.readline().split()
            if len(header) != 2:
                raise ValueError(f"{path}, line 1: expected a word2vec header 'n dim', got {header}")
            n, dim = int(header[0]), int(header[1])
            ids, rows = [], np.empty((n, dim), dtype=np.float32)
            for k, line in enumerate(fh):
                parts = line.split()
                if len(parts) != dim + 1 or k >= n:
                    raise ValueError(
                        f"{path}, line {k + 2}: expected an id and {dim} numbers, got {len(parts)} fields"
                    )
                ids.append(parts[0])
                rows[k] = np.asarray(parts[1:], dtype=np.float32)
        try:
            id_arr = np.array(ids, dtype=np.int64)
        except ValueError:
            id_arr = np.array(ids, dtype=str)
        return cls(id_arr, rows[: len(ids)], {})

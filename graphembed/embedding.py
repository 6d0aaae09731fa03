"""Embeddings that travel with their node ids.

An :class:`Embedding` is ``node_ids`` (n,), ``vectors`` (n, dim) float32 and a ``meta`` dict
(method, parameters, seed, versions). Files written by :meth:`Embedding.save` always carry the
ids, are written atomically (to a temporary file in the same folder that is then linked or
renamed into place, so a failure never leaves a half-written file) and never replace an existing
file unless ``overwrite=True``.

Formats, chosen by the file suffix (or ``format=``):

* ``.npz`` — ``node_ids``, ``vectors`` and ``meta`` (JSON) in one compressed archive;
* ``.npy`` — the vectors; ids in ``<stem>.ids.npy`` and meta in ``<stem>.meta.json`` beside it;
* ``.parquet`` — columns ``node_id`` (int64 or string) and ``embedding``
  (fixed_size_list<float32>), meta as JSON in the schema metadata under ``graphembed``; files
  whose vector column is a list column named ``embedding`` or ``vector`` (Spark's
  ``array<float>``) load too. Needs pyarrow (``pip install graphembed[parquet]``);
* ``.txt`` / ``.emb`` / ``.w2v`` — word2vec text: a ``n dim`` header, then ``id v1 … vdim`` per
  line (9 significant digits, exact for float32). Ids come back as integers when every id is
  written as a canonical integer, else as strings; ids with white space cannot be written;
  meta is not stored.

Integer ids are stored as int64, string ids as strings; other labels (tuples, say) are written
as their ``str``.
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
                f"format must be one of 'npz', 'npy', 'parquet', 'word2vec', got {fmt!r}"
            )
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(
            f"cannot tell the embedding format of {os.fspath(path)!r} from its suffix "
            f"{suffix or '(none)'!r}; use one of {', '.join(_FORMATS)} or pass format=..."
        )
    return _FORMATS[suffix]


def _exists_message(path):
    return f"{path} already exists; pass overwrite=True (CLI: --overwrite) to replace it"


def _temp_beside(path: Path) -> str:
    """A new empty file next to ``path``, with the permissions a plain open() would give."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return tmp


def _publish(tmp: str, path: Path, overwrite: bool):
    """Move the finished ``tmp`` onto ``path`` in one step; never replace unless ``overwrite``."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic, and fails if path exists (even if it appeared just now)
    except FileExistsError:
        raise FileExistsError(_exists_message(path)) from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise FileExistsError(_exists_message(path)) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _atomic_write(items, overwrite):
    """``items`` is a list of (path, write) with ``write(tmp_path)`` producing the file's bytes.

    Every file is written to a temporary file first; only when all are complete are they moved
    into place. On any failure the temporary files are removed and no target is touched.
    """
    temps = []
    try:
        for path, write in items:
            tmp = _temp_beside(path)
            temps.append(tmp)
            write(tmp)
        for (path, _), tmp in zip(items, temps):
            _publish(tmp, path, overwrite)
    finally:
        for tmp in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _ids_for_file(ids):
    ids = np.asarray(ids)
    if ids.dtype.kind in "iU":
        return ids
    if ids.dtype.kind == "u":
        return ids.astype(np.int64)
    return np.array([str(v) for v in ids.tolist()], dtype=str)


def _normalise_ids(node_ids):
    from .graph import _as_ids, _check_unique

    ids = _as_ids(node_ids, "node_ids")
    _check_unique(ids, "node_ids")
    return ids


class Embedding:
    """Node vectors with their node ids and a record of how they were made.

    Parameters
    ----------
    node_ids : array-like, shape (n,)
        Distinct ids: integers (stored int64), strings, or other hashable labels.
    vectors : array-like, shape (n, dim); stored as C-contiguous float32
    meta : dict, optional (JSON-serialisable; other values are written as their ``str``)

    Memory: the vectors (4·n·dim bytes) plus the ids.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> e = Embedding([10, 20], np.eye(2), {"method": "identity"})
    >>> e[20].tolist()
    [0.0, 1.0]
    >>> path = e.save(os.path.join(tempfile.mkdtemp(), "e.npz"))
    >>> Embedding.load(path).node_ids.tolist()
    [10, 20]
    """

    def __init__(self, node_ids, vectors, meta=None):
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D (n, dim), got shape {vectors.shape}")
        node_ids = _normalise_ids(node_ids)
        if len(node_ids) != vectors.shape[0]:
            raise ValueError(
                f"node_ids must hold one id per row of vectors ({vectors.shape[0]}), got "
                f"{len(node_ids)}"
            )
        if meta is not None and not isinstance(meta, dict):
            raise TypeError(f"meta must be a dict or None, got {type(meta).__name__}")
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
        key = node_id.item() if isinstance(node_id, np.generic) else node_id
        try:
            return self.vectors[self._index[key]]
        except (KeyError, TypeError):
            raise KeyError(f"node id {node_id!r} is not in this embedding") from None

    def reorder(self, node_ids) -> "Embedding":
        """The embedding with rows in the order of ``node_ids`` (KeyError on an unknown id).

        ``node_ids`` may list a subset. O((n + k) log n).
        """
        from .graph import _lookup

        ids = _normalise_ids(node_ids)
        rows = _lookup(self.node_ids, ids, what="this embedding")
        return Embedding(ids, self.vectors[rows], self.meta)

    # ------------------------------------------------------------------ files
    def save(self, path, *, format=None, overwrite=False):
        """Write the embedding with its ids (see the module docstring for the formats).

        Raises FileExistsError unless ``overwrite=True`` when a target file exists (for
        ``.npy``: the vectors, ids or meta file). Missing parent folders are created. Time and
        memory O(n·dim). Returns the path written.
        """
        path = Path(path)
        fmt = _format_of(path, format)
        targets = [path]
        if fmt == "npy":
            targets += [_sidecar(path, ".ids.npy"), _sidecar(path, ".meta.json")]
        if not overwrite:
            for t in targets:
                if t.exists():
                    raise FileExistsError(_exists_message(t))
        ids = _ids_for_file(self.node_ids)
        meta_json = json.dumps(self.meta, sort_keys=True, default=str)
        if fmt == "npz":
            def write(tmp):
                with open(tmp, "wb") as fh:
                    np.savez_compressed(fh, node_ids=ids, vectors=self.vectors,
                                        meta=np.array(meta_json))
            _atomic_write([(path, write)], overwrite)
        elif fmt == "npy":
            def saver(array):
                def write(tmp):
                    with open(tmp, "wb") as fh:
                        np.save(fh, array, allow_pickle=False)
                return write

            def write_meta(tmp):
                Path(tmp).write_text(meta_json, encoding="utf-8")
            _atomic_write([(targets[1], saver(ids)), (targets[2], write_meta),
                           (path, saver(self.vectors))], overwrite)
        elif fmt == "parquet":
            pa, pq = _pyarrow()
            flat = pa.array(self.vectors.reshape(-1), type=pa.float32())
            vec = pa.FixedSizeListArray.from_arrays(flat, self.dim)
            table = pa.table({"node_id": pa.array(ids), "embedding": vec})
            table = table.replace_schema_metadata({"graphembed": meta_json})
            _atomic_write([(path, lambda tmp: pq.write_table(table, tmp))], overwrite)
        else:
            labels = [str(v) for v in ids.tolist()]
            for label in labels:
                if not label or any(c.isspace() for c in label):
                    raise ValueError(
                        f"node id {label!r} is empty or contains white space, which word2vec "
                        "text cannot hold; save as .npz or .parquet instead"
                    )
            row_format = " ".join(["%.9g"] * self.dim)

            def write(tmp):
                with open(tmp, "w", encoding="utf-8") as fh:
                    fh.write(f"{len(self)} {self.dim}\n")
                    for label, row in zip(labels, self.vectors.tolist()):
                        fh.write(label + (" " + row_format % tuple(row) if self.dim else "") + "\n")
            _atomic_write([(path, write)], overwrite)
        return path

    @classmethod
    def load(cls, path, *, format=None) -> "Embedding":
        """Read an embedding written by :meth:`save` (or any word2vec text file).

        Time and memory O(n·dim). Raises ValueError naming the line of a malformed word2vec file.
        """
        path = Path(path)
        fmt = _format_of(path, format)
        if not path.exists():
            raise FileNotFoundError(f"embedding file {path} does not exist")
        if fmt == "npz":
            import zipfile

            if not zipfile.is_zipfile(path):
                raise ValueError(f"{path} is not an .npz archive (not a zip file); save "
                                 "embeddings with Embedding.save or `graphembed embed`")
            with np.load(path, allow_pickle=False) as z:
                for key in ("node_ids", "vectors"):
                    if key not in z:
                        raise ValueError(f"{path} is not an embedding archive: no {key!r} array")
                meta = json.loads(str(z["meta"])) if "meta" in z else {}
                return cls(z["node_ids"], z["vectors"], meta)
        if fmt == "npy":
            vectors = np.load(path, allow_pickle=False)
            ids_path = _sidecar(path, ".ids.npy")
            if ids_path.exists():
                ids = np.load(ids_path, allow_pickle=False)
            else:
                ids = np.arange(len(vectors))
            meta_path = _sidecar(path, ".meta.json")
            meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
            return cls(ids, vectors, meta)
        if fmt == "parquet":
            return _load_parquet(cls, path)
        return _load_word2vec(cls, path)


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name[: -len(path.suffix)] + suffix if path.suffix else
                          path.name + suffix)


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"Parquet files need pyarrow ({e}); pip install 'graphembed[parquet]'"
        ) from None
    return pa, pq


def _load_parquet(cls, path):
    pa, pq = _pyarrow()
    table = pq.read_table(path)
    names = table.column_names
    vec_name = next((c for c in ("embedding", "vector") if c in names), None)
    if "node_id" not in names or vec_name is None:
        raise ValueError(
            f"{path}: expected columns node_id and embedding (or vector), got {names}"
        )
    md = table.schema.metadata or {}
    meta = json.loads(md.get(b"graphembed", b"{}"))
    ids = table.column("node_id").to_numpy()
    col = table.column(vec_name).combine_chunks()
    n = len(ids)
    if col.null_count:
        raise ValueError(f"{path}: column {vec_name} has missing vectors")
    if pa.types.is_fixed_size_list(col.type):
        dim = col.type.list_size
    else:
        lengths = col.value_lengths().to_numpy(zero_copy_only=False)
        dim = int(lengths[0]) if n else 0
        if n and np.any(lengths != dim):
            raise ValueError(f"{path}: the vectors have different lengths")
    flat = col.flatten().to_numpy(zero_copy_only=False)
    return cls(ids, flat.reshape(n, dim), meta)


def _load_word2vec(cls, path):
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().split()
        try:
            n, dim = int(header[0]), int(header[1])
            if len(header) != 2 or n < 0 or dim < 0:
                raise ValueError
        except (ValueError, IndexError):
            raise ValueError(
                f"{path}, line 1: expected a word2vec header 'n dim', got {' '.join(header)!r}"
            ) from None
        ids, rows = [], np.empty((n, dim), dtype=np.float32)
        k = 0
        for lineno, line in enumerate(fh, start=2):
            parts = line.split()
            if not parts:
                continue
            if k >= n:
                raise ValueError(f"{path}, line {lineno}: more vectors than the {n} in the header")
            if len(parts) != dim + 1:
                raise ValueError(
                    f"{path}, line {lineno}: expected an id and {dim} numbers, got "
                    f"{len(parts)} fields"
                )
            try:
                rows[k] = np.asarray(parts[1:], dtype=np.float64)
            except ValueError:
                raise ValueError(f"{path}, line {lineno}: a vector entry is not a number") from None
            ids.append(parts[0])
            k += 1
    if k != n:
        raise ValueError(f"{path}: the header says {n} vectors, the file holds {k}")
    if all(_is_canonical_int(t) for t in ids):
        id_arr = np.array([int(t) for t in ids], dtype=np.int64)
    else:
        id_arr = np.array(ids, dtype=str)
    return cls(id_arr, rows, {})


def _is_canonical_int(text):
    try:
        value = int(text)
    except ValueError:
        return False
    return str(value) == text and -(2**63) <= value < 2**63

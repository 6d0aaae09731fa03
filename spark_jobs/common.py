"""Shared plumbing of the Spark jobs: the session, reading edge lists, atomic output, metadata.

Nothing here computes on graphs: per-partition work is done by :mod:`graphembed.distributed`,
called through ``applyInArrow`` / ``mapInArrow``. Functions of the ``spark_jobs`` modules that
run on executors are pickled by value (see :func:`session`), so executors need graphembed
installed but not this folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import uuid

DEFAULT_CONF = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # an Arrow batch is one partition's slice of a table; keep them large
    "spark.sql.execution.arrow.maxRecordsPerBatch": "1000000",
    "spark.sql.adaptive.enabled": "true",
}


def session(app_name="graphembed", master=None, conf=None, *, verbose=False):
    """The active SparkSession, created if needed with graphembed's defaults.

    ``master`` and ``conf`` apply only when a session is created (``spark-submit`` usually sets
    them). Python workers use this interpreter unless ``PYSPARK_PYTHON`` says otherwise. A session
    created here logs Spark's own messages at WARN (``verbose``: INFO) through ``spark.log.level``,
    which the SparkContext applies as it starts: ``spark-submit`` alone logs at INFO, some 2,700
    lines for a 34-node graph; three start-up lines (Spark, OS and Java versions) come before.
    """
    from pyspark import SparkContext, cloudpickle
    from pyspark.sql import SparkSession

    import spark_jobs

    cloudpickle.register_pickle_by_value(spark_jobs)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    settings = {**DEFAULT_CONF, **(conf or {})}
    if SparkContext._active_spark_context is None:
        settings["spark.log.level"] = "INFO" if verbose else "WARN"
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def log(message):
    print(f"[graphembed {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ file system
def _fs(spark, path):
    jvm = spark.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    return hpath.getFileSystem(conf), hpath


def exists(spark, path):
    fs, p = _fs(spark, path)
    return bool(fs.exists(p))


def check_input(spark, path, option="--edges", what="an existing path"):
    """FileNotFoundError naming ``option``, ``path`` and ``what`` to give unless some file
    matches ``path`` (a path or a Hadoop glob): the check before any work, instead of Spark's
    PATH_NOT_FOUND trace."""
    fs, p = _fs(spark, path)
    matches = fs.globStatus(p)
    if matches is None or len(matches) == 0:
        raise FileNotFoundError(
            f"{option} {path}: no such file or directory (looked for {qualify(spark, path)}); "
            f"give {what}")


#: What ``--edges`` should name (with the recipe that makes the README example's file).
EDGES_HINT = ("an edge list, Parquet or text (python spark_jobs/example_edges.py --out "
              "edges.parquet writes a bundled data set's)")


def check_output(spark, out, *, overwrite=False, option="--out"):
    """FileExistsError naming ``out`` and the fix when it exists and ``overwrite`` is not set:
    the check before any work (:func:`atomic_output` checks again when it publishes)."""
    if not overwrite and exists(spark, out.rstrip("/")):
        raise FileExistsError(
            f"{option} {out} already exists; pass --overwrite to replace it or choose another "
            f"{option}")


def delete(spark, path):
    fs, p = _fs(spark, path)
    if fs.exists(p):
        fs.delete(p, True)


def write_text(spark, path, text):
    fs, p = _fs(spark, path)
    out = fs.create(p, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def read_text(spark, path):
    fs, p = _fs(spark, path)
    if not fs.exists(p):
        raise FileNotFoundError(f"{path} does not exist")
    stream = fs.open(p)
    try:
        return spark.sparkContext._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
    finally:
        stream.close()


def qualify(spark, path):
    """The path made absolute (a bare local path becomes file:/...)."""
    fs, p = _fs(spark, path)
    return str(fs.makeQualified(p).toString())


@contextlib.contextmanager
def atomic_output(spark, out, *, overwrite=False):
    """Write a job's output so that a failed job leaves nothing that looks complete.

    Yields a temporary sibling directory ``.<name>.tmp-<uuid>``; the caller writes everything
    there, ``_meta.json`` last (:func:`write_meta`). On success the directory is renamed to
    ``out`` (an atomic rename on HDFS and local file systems). On failure it is deleted, and ``out``
    is untouched. ``out`` must not exist unless ``overwrite``.
    """
    check_output(spark, out, overwrite=overwrite)
    out = qualify(spark, out.rstrip("/"))
    parent, name = out.rsplit("/", 1)
    tmp = f"{parent}/.{name}.tmp-{uuid.uuid4().hex[:12]}"
    try:
        yield tmp
        if not exists(spark, tmp + "/_meta.json"):
            raise RuntimeError(f"internal error: {tmp} has no _meta.json; output not published")
        if exists(spark, out):
            delete(spark, out)
        fs, src = _fs(spark, tmp)
        _, dst = _fs(spark, out)
        if not fs.rename(src, dst):
            raise OSError(f"could not rename {tmp} to {out}")
    finally:
        delete(spark, tmp)


def write_read(df, path):
    """Write ``df`` as Parquet at ``path`` and read it back: a materialised stage, computed once
    however often it is read after."""
    df.write.parquet(path)
    return df.sparkSession.read.parquet(path)


def write_meta(spark, directory, meta):
    """Write ``_meta.json`` (sorted keys) into ``directory``; call it last."""
    from graphembed.methods import versions

    import pyspark

    meta = dict(meta)
    meta.setdefault("versions", {**versions(), "pyspark": pyspark.__version__})
    write_text(spark, directory + "/_meta.json", json.dumps(meta, indent=2, sort_keys=True,
                                                           default=str))


def read_meta(spark, directory):
    return json.loads(read_text(spark, directory.rstrip("/") + "/_meta.json"))


# ------------------------------------------------------------------------------ edge input
def read_edges(spark, path, *, fmt="auto", src="src", dst="dst", weight=None, delimiter=None,
               comment="#"):
    """Read an edge list as a DataFrame ``src, dst[, weight]`` (ids kept as they are).

    ``fmt``: ``parquet``, ``text`` or ``auto`` (Parquet if the path ends in .parquet or is a
    directory of Parquet files, text otherwise). Text: one arc per line, fields separated by
    ``delimiter`` (default any white space), ``comment`` lines skipped; a third field is the
    weight. Parquet: columns ``src``/``dst`` (or the first two columns), ``weight`` if present or
    named.
    """
    from pyspark.sql import functions as F

    check_input(spark, path, "--edges", EDGES_HINT)
    if fmt == "auto":
        fmt = "parquet" if _looks_parquet(spark, path) else "text"
    if fmt not in ("parquet", "text"):
        raise ValueError(f"--format must be parquet, text or auto, got {fmt!r}")
    if fmt == "parquet":
        df = spark.read.parquet(path)
        cols = df.columns
        s = src if src in cols else cols[0]
        d = dst if dst in cols else cols[1]
        out = df.select(F.col(s).alias("src"), F.col(d).alias("dst"))
        w = weight if weight else ("weight" if "weight" in cols else None)
        if w:
            out = df.select(F.col(s).alias("src"), F.col(d).alias("dst"),
                            F.col(w).cast("double").alias("weight"))
        return out
    lines = spark.read.text(path)
    line = F.trim(F.col("value"))
    lines = lines.where((F.length(line) > 0) & ~line.startswith(comment))
    sep = r"\s+" if delimiter is None else _regex_escape(delimiter)
    parts = F.split(line, sep)
    df = lines.select(parts.alias("p"))
    first = df.limit(1).collect()
    if not first:
        raise ValueError(f"edge list {path} has no edges")
    nfields = len(first[0][0])
    if nfields < 2:
        raise ValueError(
            f"edge list {path}: expected 'src dst [weight]' per line, got {first[0][0]!r}; "
            "pass --delimiter if fields are not separated by white space"
        )
    cols = [F.col("p")[0].alias("src"), F.col("p")[1].alias("dst")]
    if nfields >= 3:
        # try_cast: a weight that is not a number becomes null, which clean's weight check
        # reports with its edge (a cast would fail inside Spark under ANSI mode)
        cols.append(F.col("p")[2].try_cast("double").alias("weight"))
    out = df.select(*cols)
    # integer ids when every id parses as one
    probe = out.select(
        F.sum((F.col("src").try_cast("long").isNull() | F.col("dst").try_cast("long").isNull())
              .cast("long")).alias("bad")).collect()[0]["bad"]
    if not probe:
        out = out.withColumn("src", F.col("src").cast("long")).withColumn(
            "dst", F.col("dst").cast("long"))
    return out


def _regex_escape(text):
    import re

    return re.escape(text)


def _looks_parquet(spark, path):
    if path.rstrip("/").endswith(".parquet"):
        return True
    fs, p = _fs(spark, path)
    if not fs.exists(p):  # a glob: read as text unless it names .parquet files
        return False
    if fs.getFileStatus(p).isDirectory():
        for status in fs.listStatus(p):
            if status.getPath().getName().endswith(".parquet"):
                return True
    return False


def add_input_arguments(parser):
    parser.add_argument("--format", default="auto", choices=("auto", "parquet", "text"),
                        help="edge list format (default: by file name)")
    parser.add_argument("--delimiter", default=None,
                        help="text field separator (default: any white space)")
    parser.add_argument("--src-col", default="src")
    parser.add_argument("--dst-col", default="dst")
    parser.add_argument("--weight-col", default=None)
    parser.add_argument("--directed", action="store_true",
                        help="keep arcs as given (default: symmetrise)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    add_session_arguments(parser)


def add_session_arguments(parser):
    parser.add_argument("--master", default=None,
                        help="Spark master when not set by spark-submit (e.g. local[*])")
    parser.add_argument("--verbose", action="store_true",
                        help="Spark's own INFO logging and full tracebacks (default: Spark logs at "
                        "WARN and an error is one line)")


#: Errors that are the user's to fix: reported on one line, without a traceback.
USER_ERRORS = (ValueError, TypeError, FileExistsError, FileNotFoundError, PermissionError)


@contextlib.contextmanager
def user_errors(prog, *, verbose=False):
    """Report a user's error as one line ``PROG: error: MESSAGE`` on stderr and exit with status 2
    (argparse's), instead of a Python traceback or Spark's Java one: a bad value, a missing input,
    an existing output, an AnalysisException (its first line, e.g. a missing column). Other
    exceptions (bugs) keep their traceback, and so does everything with ``verbose``."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - filtered below
        if verbose or not _is_user_error(exc):
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def _is_user_error(exc):
    if isinstance(exc, USER_ERRORS):
        return True
    try:
        from pyspark.errors import AnalysisException
    except ImportError:  # pragma: no cover - pyspark is there whenever a job runs
        return False
    return isinstance(exc, AnalysisException)


def parse_params(items):
    """``["name=value", ...]`` -> dict; ValueError naming a malformed item."""
    out = {}
    for item in items or ():
        if "=" not in item:
            raise ValueError(f"-p/--param expects name=value, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip().replace("-", "_")] = v.strip()
    return out

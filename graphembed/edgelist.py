"""Edge-list files: :func:`read_edgelist` and the two readers behind it.

A compiled reader (:func:`graphembed._kernels.graph.parse_edgelist`) parses the whole file in
one pass when every line is ``src dst [weight]`` with one-byte separators; anything else goes
to the line reader, which reads the same files (and the rest) line by line and names the line
number of the first malformed line. :func:`graphembed.as_csr` reads paths through here.
"""

from __future__ import annotations

import gzip
import io
import os

import numpy as np

def _open_text(path):
    path = os.fspath(path)
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def _read_bytes(path):
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        return fh.read()


_KNOWN_SUFFIXES = (".tsv", ".csv", ".txt", ".edgelist", ".edges", ".el", ".ssv")


def read_edgelist(path, *, delimiter=None, comments="#", header=False):
    """Read an edge-list file into ``(src, dst, weight_or_None)`` arrays.

    One edge per line: ``src dst [weight]``, fields separated by ``delimiter`` (default: ``,``
    for ``.csv`` files, runs of blanks otherwise). Lines whose first non-blank character starts
    ``comments`` and blank lines are skipped; ``header=True`` skips the first data line. Every
    data line must have the same number of fields, 2 or 3. Ids are int64 if every id is an
    integer, else strings. Weights must be finite non-negative numbers. Files ending in ``.gz``
    are decompressed.

    A compiled reader handles integer ids and plain ASCII text ids (hundreds of MB/s); files it
    cannot read exactly (Unicode ids, unusual number formats, errors) go to a line-by-line reader
    that gives the same result, or the error message with its line number. Time and memory
    O(file size).

    Raises ValueError naming the line number of the first malformed line.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "g.tsv")
    >>> _ = open(path, "w").write("# a comment\\n0\\t1\\t2.5\\n1\\t2\\t1\\n")
    >>> src, dst, w = read_edgelist(path)
    >>> src.tolist(), dst.tolist(), w.tolist()
    ([0, 1], [1, 2], [2.5, 1.0])
    """
    src, dst, w = _read_edgelist(path, delimiter=delimiter, comments=comments, header=header)
    if src.dtype.kind == "S":  # printable ASCII: a plain cast
        src, dst = src.astype(str), dst.astype(str)
    return src, dst, w


def _read_edgelist(path, *, delimiter, comments, header, weights=True):
    """:func:`read_edgelist`, except that text ids may come back as ASCII bytes (dtype S)."""
    p = os.fspath(path)
    if not os.path.exists(p):
        raise FileNotFoundError(f"edge-list file {p!r} does not exist")
    if os.path.isdir(p):
        raise IsADirectoryError(f"{p!r} is a directory; pass an edge-list file")
    base = p[:-3] if p.endswith(".gz") else p
    suffix = os.path.splitext(base)[1].lower()
    if suffix not in _KNOWN_SUFFIXES:
        raise ValueError(
            f"unknown edge-list format {suffix or '(no suffix)'!r} for {p!r}; use one of "
            f"{', '.join(_KNOWN_SUFFIXES)} (optionally .gz), or load it yourself and pass arrays"
        )
    if delimiter is None and suffix == ".csv":
        delimiter = ","
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) == 0):
        raise ValueError(f"delimiter must be a non-empty string or None, got {delimiter!r}")
    if comments is not None and not isinstance(comments, str):
        raise TypeError(f"comments must be a string or None, got {comments!r}")
    raw = _read_bytes(p)
    fast = _fast_read(raw, delimiter, comments, header)
    if fast is not None:
        return fast if weights else (fast[0], fast[1], None)
    return _slow_read(raw, p, delimiter, comments, header, weights)


def _single_byte(text):
    if text is None or text == "":
        return -1
    if len(text) == 1 and ord(text) < 128:
        return ord(text)
    return None


def _fast_read(raw, delimiter, comments, header):
    """The compiled reader: int64 ids, or text ids as ASCII bytes; None if it cannot decide."""
    from ._kernels.graph import PARSE_OK, PARSE_STRINGS, gather_tokens, parse_edgelist

    d = _single_byte(delimiter)
    c = _single_byte(comments)
    if d is None or c is None:
        return None
    if delimiter is not None and delimiter.isspace() and delimiter != "\t":
        return None  # a single-space delimiter keeps empty fields: the line reader decides
    buf = np.frombuffer(raw, dtype=np.uint8)
    status, src, dst, spans, w, width = parse_edgelist(buf, d, c, bool(header))
    w = w if width == 3 else None
    if status == PARSE_OK:
        return src, dst, w
    if status != PARSE_STRINGS:
        return None
    ids = []
    for column in (0, 2):
        longest = int((spans[:, column + 1] - spans[:, column]).max())
        if longest * len(spans) > 4 * len(raw) + (1 << 20):
            return None  # a few very long ids: padding would waste memory
        tokens = gather_tokens(buf, spans, column, longest)
        ids.append(tokens.view(f"S{longest}").ravel())
    return ids[0], ids[1], w


def _slow_read(raw, p, delimiter, comments, header, weights=True):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ValueError(f"{p}, line {line}: not UTF-8 text ({e.reason})") from None
    lines = text.split("\n")
    data_lines = []
    numbers = []
    for lineno, line in enumerate(lines, start=1):
        s = line.strip()
        if not s or (comments and s.startswith(comments)):
            continue
        data_lines.append(s)
        numbers.append(lineno)
    if header and data_lines:
        data_lines, numbers = data_lines[1:], numbers[1:]
    fields = [
        [x.strip() for x in ln.split(delimiter)] if delimiter else ln.split() for ln in data_lines
    ]
    width = len(fields[0]) if fields else 2
    hint = "" if header else " (if the first line is a header, pass header=True / --header)"
    for f, lineno in zip(fields, numbers):
        if len(f) not in (2, 3) or len(f) != width:
            want = width if width in (2, 3) else "2 or 3"
            sep = "blanks" if delimiter is None else repr(delimiter)
            raise ValueError(
                f"{p}, line {lineno}: expected {want} fields (src dst [weight]) separated by "
                f"{sep}, got {len(f)}: {lines[lineno - 1].rstrip()!r}; fix or comment out the "
                "line, or pass the file's delimiter"
            )
        if not f[0] or not f[1]:
            raise ValueError(f"{p}, line {lineno}: empty node id; fix or comment out the line")
    src = [f[0] for f in fields]
    dst = [f[1] for f in fields]
    try:
        s_arr = np.array(src, dtype=np.int64)
        d_arr = np.array(dst, dtype=np.int64)
    except (ValueError, OverflowError):
        s_arr = np.array(src, dtype=str)
        d_arr = np.array(dst, dtype=str)
    w_arr = None
    if width == 3 and weights:
        w_arr = np.empty(len(fields), dtype=np.float64)
        for k, (f, lineno) in enumerate(zip(fields, numbers)):
            try:
                x = float(f[2])
            except ValueError:
                extra = hint if k == 0 else ""
                raise ValueError(
                    f"{p}, line {lineno}: weight {f[2]!r} is not a number; weights must be "
                    f"finite non-negative numbers{extra}"
                ) from None
            if not np.isfinite(x) or x < 0:
                raise ValueError(
                    f"{p}, line {lineno}: weight {f[2]!r} is not a finite non-negative number; "
                    "fix the weight or drop the line"
                )
            w_arr[k] = x
    return s_arr, d_arr, w_arr

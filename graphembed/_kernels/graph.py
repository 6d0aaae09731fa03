"""Kernels behind :func:`graphembed.as_csr`: building a canonical CSR from arcs, parsing edge lists.

``build_csr`` is a counting sort: count the entries of every row, scatter each arc into its row,
then sort and merge each row on its own (in parallel over rows). Time O(m + n + Σ d log d) with
d the row lengths, memory O(m + n); no global sort of the arcs.
"""

import numpy as np
from numba import njit, prange


# merge rules for arcs given more than once
DUP_SUM = 0
DUP_MAX = 1
DUP_ERROR = 2

# parse_edgelist status codes (anything but OK sends the caller to its careful, slow reader)
PARSE_OK = 0
PARSE_FALLBACK = 1
PARSE_STRINGS = 2

_SMALL_ROW = 24  # rows up to this length are insertion-sorted; longer ones use numpy sorts


@njit(cache=True)
def _row_starts(rows, cols, w, n, weighted, drop_loops, symmetric):
    """indptr of the scattered (unmerged) entries: one per kept arc, two if symmetrised."""
    counts = np.zeros(n + 1, dtype=np.int64)
    for e in range(rows.shape[0]):
        r = rows[e]
        c = cols[e]
        if r == c and drop_loops:
            continue
        if weighted and w[e] == 0.0:
            continue
        counts[r + 1] += 1
        if symmetric and r != c:
            counts[c + 1] += 1
    for i in range(n):
        counts[i + 1] += counts[i]
    return counts


@njit(cache=True)
def _scatter(rows, cols, w, starts, weighted, drop_loops, symmetric, keys, vals):
    """Write every kept arc into its row: key = column (times 2 plus the direction bit if
    symmetrised: 0 for an arc r→c as given, 1 for the mirror of an arc c→r)."""
    n = starts.shape[0] - 1
    pos = starts[:n].copy()
    shift = 1 if symmetric else 0
    for e in range(rows.shape[0]):
        r = rows[e]
        c = cols[e]
        if r == c and drop_loops:
            continue
        x = w[e] if weighted else 1.0
        if weighted and x == 0.0:
            continue
        p = pos[r]
        keys[p] = c << shift
        if weighted:
            vals[p] = x
        pos[r] = p + 1
        if symmetric and r != c:
            p = pos[c]
            keys[p] = (r << 1) | 1
            if weighted:
                vals[p] = x
            pos[c] = p + 1


@njit(cache=True, inline="always")
def _merge(a, b, how):
    if how == DUP_MAX:
        return a if a >= b else b
    return a + b


@njit(cache=True)
def _sort_row(keys, vals, lo, hi, weighted):
    """Stable sort of keys[lo:hi] (carrying vals along)."""
    length = hi - lo
    if length > _SMALL_ROW:
        ordered = True
        for i in range(lo + 1, hi):
            if keys[i] < keys[i - 1]:
                ordered = False
                break
        if ordered:  # rows of a sorted edge list arrive sorted
            return
    if length <= _SMALL_ROW:
        for i in range(lo + 1, hi):
            k = keys[i]
            v = vals[i] if weighted else 0.0
            j = i - 1
            while j >= lo and keys[j] > k:
                keys[j + 1] = keys[j]
                if weighted:
                    vals[j + 1] = vals[j]
                j -= 1
            keys[j + 1] = k
            if weighted:
                vals[j + 1] = v
        return
    if not weighted:
        keys[lo:hi].sort()
        return
    order = np.argsort(keys[lo:hi], kind="mergesort")
    k_copy = keys[lo:hi].copy()
    v_copy = vals[lo:hi].copy()
    for i in range(length):
        keys[lo + i] = k_copy[order[i]]
        vals[lo + i] = v_copy[order[i]]


@njit(cache=True, parallel=True)
def _merge_rows(keys, vals, starts, weighted, symmetric, how, lengths, dup_col):
    """Sort each row, merge repeated columns in place; lengths[r] = distinct columns of row r.

    dup_col[r] = 2 * column + direction of the first arc of row r that occurs more than once
    (-1 if none), for ``duplicates="error"``.
    """
    n = starts.shape[0] - 1
    shift = 1 if symmetric else 0
    for r in prange(n):
        lo = starts[r]
        hi = starts[r + 1]
        _sort_row(keys, vals, lo, hi, weighted)
        out = lo
        i = lo
        first_dup = -1
        while i < hi:
            col = keys[i] >> shift
            # aggregate each direction separately; directions combine by max
            best = 0.0
            j = i
            while j < hi and (keys[j] >> shift) == col:
                key = keys[j]
                acc = vals[j] if weighted else 1.0
                k = j + 1
                while k < hi and keys[k] == key:
                    if first_dup < 0:
                        first_dup = key if symmetric else key << 1
                    if weighted:
                        acc = _merge(acc, vals[k], how)
                    k += 1
                if acc > best:
                    best = acc
                j = k
            keys[out] = col
            if weighted:
                vals[out] = best
            out += 1
            i = j
        lengths[r] = out - lo
        dup_col[r] = first_dup


@njit(cache=True, parallel=True)
def _compact(keys, vals, starts, indptr, weighted, indices, weights):
    n = starts.shape[0] - 1
    for r in prange(n):
        src = starts[r]
        dst = indptr[r]
        for t in range(indptr[r + 1] - dst):
            indices[dst + t] = keys[src + t]
            if weighted:
                weights[dst + t] = vals[src + t]


def build_csr(rows, cols, w, n, *, drop_loops, symmetric, how, index_dtype):
    """Canonical CSR arrays from arcs ``rows[e] → cols[e]`` (int64, in 0..n-1).

    ``w`` is a float64 weight per arc or None (unweighted). Arcs of weight 0 and, if
    ``drop_loops``, self-loops are skipped; an arc given more than once is merged by ``how``
    (DUP_SUM or DUP_MAX; DUP_ERROR merges by sum and reports it). If ``symmetric``, every arc
    also counts as its mirror, and the two directions of a pair combine by max.

    Returns ``(indptr int64, indices index_dtype, weights float32 or None, dup)`` where ``dup`` is
    None or ``(row, col, mirrored)`` of the first repeated arc (smallest row). Time
    O(m + n + Σ d log d), memory 4 or 8 bytes per scattered entry (twice the arcs if symmetric),
    plus 8 if weighted, plus the output.
    """
    weighted = w is not None
    wv = w if weighted else np.zeros(0, dtype=np.float64)
    starts = _row_starts(rows, cols, wv, n, weighted, drop_loops, symmetric)
    total = int(starts[-1])
    # a key is 2 * column + direction: int32 while that fits (half the memory traffic)
    keys = np.empty(total, dtype=np.int32 if 2 * n + 1 < 2**31 else np.int64)
    vals = np.empty(total if weighted else 0, dtype=np.float64)
    _scatter(rows, cols, wv, starts, weighted, drop_loops, symmetric, keys, vals)
    lengths = np.empty(n, dtype=np.int64)
    dup_col = np.empty(n, dtype=np.int64)
    _merge_rows(keys, vals, starts, weighted, symmetric, how if how != DUP_ERROR else DUP_SUM,
                lengths, dup_col)
    dup = None
    if how == DUP_ERROR and n:
        bad = np.flatnonzero(dup_col >= 0)
        if len(bad):
            r = int(bad[0])
            key = int(dup_col[r])
            dup = (r, key >> 1, bool(key & 1))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    nnz = int(indptr[-1])
    indices = np.empty(nnz, dtype=index_dtype)
    weights = np.empty(nnz if weighted else 0, dtype=np.float32)
    _compact(keys, vals, starts, indptr, weighted, indices, weights)
    return indptr, indices, (weights if weighted else None), dup


# ----------------------------------------------------------------------------- edge-list files

_POW10 = np.array([10.0 ** k for k in range(23)])  # exact in float64


@njit(cache=True, inline="always")
def _is_space(b):
    return b == 32 or b == 9 or b == 13 or b == 11 or b == 12


@njit(cache=True)
def _parse_int(buf, lo, hi):
    """(ok, value) for an optionally signed decimal integer of at most 18 digits."""
    if lo >= hi:
        return False, 0
    neg = False
    if buf[lo] == 45 or buf[lo] == 43:  # - +
        neg = buf[lo] == 45
        lo += 1
    if lo >= hi or hi - lo > 18:
        return False, 0
    v = 0
    for i in range(lo, hi):
        d = np.int64(buf[i]) - 48  # int64: plain uint8 arithmetic would wrap
        if d < 0 or d > 9:
            return False, 0
        v = v * 10 + d
    return True, -v if neg else v


@njit(cache=True)
def _parse_float(buf, lo, hi, pow10):
    """(ok, value) for a decimal number that float64 can represent exactly after one rounding:
    at most 15 significant digits and a decimal exponent within ±22 (Clinger's fast path), so
    the result equals Python's ``float()``. Anything else (inf, nan, long mantissas) is not ok."""
    if lo >= hi:
        return False, 0.0
    neg = False
    if buf[lo] == 45 or buf[lo] == 43:
        neg = buf[lo] == 45
        lo += 1
    mant = 0
    digits = 0
    exp10 = 0
    seen_digit = False
    seen_dot = False
    i = lo
    while i < hi:
        b = np.int64(buf[i])
        if b == 46:  # .
            if seen_dot:
                return False, 0.0
            seen_dot = True
        elif 48 <= b <= 57:
            seen_digit = True
            if mant == 0 and b == 48:
                if seen_dot:
                    exp10 -= 1  # leading zero after the point
            else:
                digits += 1
                if digits > 15:
                    return False, 0.0
                mant = mant * 10 + (b - 48)
                if seen_dot:
                    exp10 -= 1
        elif b == 101 or b == 69:  # e E
            break
        else:
            return False, 0.0
        i += 1
    if not seen_digit:
        return False, 0.0
    if i < hi:  # exponent
        ok, e = _parse_int(buf, i + 1, hi)
        if not ok or e > 400 or e < -400:
            return False, 0.0
        exp10 += e
    value = float(mant)
    if mant != 0:
        if exp10 > 22 or exp10 < -22:
            return False, 0.0
        if exp10 >= 0:
            value = value * pow10[exp10]
        else:
            value = value / pow10[-exp10]
    return True, -value if neg else value


@njit(cache=True)
def _token_kind(buf, lo, hi):
    """How Python would read a token: 0, surely text (printable ASCII with a character outside
    0-9 + - _, which int() rejects); 1, printable ASCII that int() might accept; 2, anything with
    non-ASCII or control bytes (Unicode digits and spaces: left to the careful reader)."""
    text = False
    for i in range(lo, hi):
        b = buf[i]
        if b >= 128 or (b < 32 and not _is_space(b)):
            return 2
        if not (48 <= b <= 57 or b == 43 or b == 45 or b == 95 or _is_space(b)):
            text = True
    return 0 if text else 1


@njit(cache=True)
def parse_edgelist(buf, delim, comment, skip_header):
    """Parse ``src dst [weight]`` lines from the bytes ``buf``.

    ``delim`` is a byte value, or -1 for runs of blanks; ``comment`` a byte value that starts a
    comment line, or -1. Returns ``(status, src, dst, spans, weights, width)``:

    * PARSE_OK: every id is an integer; ``src``, ``dst`` hold them (int64);
    * PARSE_STRINGS: some id is certainly not an integer, so all ids are text: ``spans[e]`` holds
      the byte ranges ``(src_lo, src_hi, dst_lo, dst_hi)`` of edge e's ids (printable ASCII);
    * PARSE_FALLBACK: anything this fast path does not decide exactly (unusual numbers, Unicode,
      negative weights, malformed lines); the caller then uses its line-by-line reader, which
      also words the error messages.

    Time and memory O(bytes).
    """
    nbytes = buf.shape[0]
    max_lines = 1
    for i in range(nbytes):
        if buf[i] == 10:
            max_lines += 1
    src = np.empty(max_lines, dtype=np.int64)
    dst = np.empty(max_lines, dtype=np.int64)
    spans = np.empty((max_lines, 4), dtype=np.int64)
    wts = np.empty(max_lines, dtype=np.float64)
    starts = np.empty(3, dtype=np.int64)
    ends = np.empty(3, dtype=np.int64)
    width = 0
    m = 0
    all_int = True
    text_seen = False
    header_left = skip_header
    pos = 0
    fallback = (PARSE_FALLBACK, src[:0], dst[:0], spans[:0], wts[:0], 0)
    while pos < nbytes:
        eol = pos
        while eol < nbytes and buf[eol] != 10:
            eol += 1
        lo = pos
        hi = eol
        pos = eol + 1
        while lo < hi and _is_space(buf[lo]):
            lo += 1
        while hi > lo and _is_space(buf[hi - 1]):
            hi -= 1
        if lo == hi or (comment >= 0 and buf[lo] == comment):
            continue
        if header_left:
            header_left = False
            continue
        # split into fields
        nf = 0
        i = lo
        if delim < 0:
            while i < hi:
                while i < hi and _is_space(buf[i]):
                    i += 1
                if i >= hi:
                    break
                if nf == 3:
                    return fallback
                starts[nf] = i
                while i < hi and not _is_space(buf[i]):
                    i += 1
                ends[nf] = i
                nf += 1
        else:
            f_lo = lo
            while True:
                j = f_lo
                while j < hi and buf[j] != delim:
                    j += 1
                if nf == 3:
                    return fallback
                a = f_lo
                b = j
                while a < b and _is_space(buf[a]):
                    a += 1
                while b > a and _is_space(buf[b - 1]):
                    b -= 1
                starts[nf] = a
                ends[nf] = b
                nf += 1
                if j >= hi:
                    break
                f_lo = j + 1
        if width == 0:
            width = nf
        if nf != width or nf < 2:
            return fallback
        for f in range(2):
            a = starts[f]
            b = ends[f]
            if a == b:
                return fallback
            spans[m, 2 * f] = a
            spans[m, 2 * f + 1] = b
            if all_int:
                ok, v = _parse_int(buf, a, b)
                if ok:
                    if f == 0:
                        src[m] = v
                    else:
                        dst[m] = v
                    continue
                all_int = False
            kind = _token_kind(buf, a, b)
            if kind == 2:
                return fallback
            if kind == 0:
                text_seen = True
        if width == 3:
            ok, x = _parse_float(buf, starts[2], ends[2], _POW10)
            if not ok or x < 0.0:
                return fallback
            wts[m] = x
        m += 1
    if width == 0:
        width = 2
    w_out = wts[:m if width == 3 else 0]
    if all_int:
        return PARSE_OK, src[:m], dst[:m], spans[:0], w_out, width
    if not text_seen:
        return fallback
    return PARSE_STRINGS, src[:0], dst[:0], spans[:m], w_out, width


@njit(cache=True, parallel=True)
def gather_tokens(buf, spans, column, width):
    """The tokens ``buf[spans[e, column]:spans[e, column + 1]]`` as rows of a zero-padded
    (m, width) byte matrix (view it as dtype ``S{width}``)."""
    m = spans.shape[0]
    out = np.zeros((m, width), dtype=np.uint8)
    for e in prange(m):
        lo = spans[e, column]
        for t in range(spans[e, column + 1] - lo):
            out[e, t] = buf[lo + t]
    return out


# ----------------------------------------------------------------------------- canonical input


@njit(inline="always")
def _mix(z):
    """splitmix64's finaliser: a bijection of uint64 whose outputs look independent."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(inline="always")
def _entry_hash(i, j, bits, key):
    return _mix(_mix(_mix(i ^ key) + j) + bits)


@njit(cache=True, parallel=True)
def check_canonical(indptr, indices, data, bits, bounds, symmetric, allow_loops, key):
    """Whether a CSR matrix is already in :func:`graphembed.as_csr`'s canonical form.

    ``indptr`` (int64) must already be known non-decreasing from 0 to ``len(indices)`` (the
    caller checks it in O(n)); ``bits`` is ``data`` viewed as unsigned integers of its width.
    The rows are split into the blocks ``bounds[t] .. bounds[t + 1]``, checked in parallel, each
    in one sequential pass over its entries: every row's columns strictly increase (sorted, no
    duplicates) and lie in 0..n-1; every value is finite and positive; no diagonal entry unless
    ``allow_loops``. If ``symmetric``, the matrix must equal its transpose: the set of its
    off-diagonal entries (i, j, value) must equal the set of (j, i, value). Both sets are
    summed under a hash keyed by ``key`` (a random 64-bit key drawn per call: three rounds of
    splitmix64's finaliser over i, j and the value's bits), and the two sums compared. Equal
    sets give equal sums; different sets give equal sums with probability about 2⁻⁶⁴ for a key
    the input could not know — no memory is needed, and unlike matching every entry with its
    mirror (random accesses, a cache miss or two per entry) the pass only streams.

    Time O(nnz) (one streaming pass), memory O(B) for B blocks. Nothing is written.

    Returns ``(bad, loops, not_one)``: the number of rows that break a rule (0: canonical; 1 is
    added when the matrix is not symmetric), the number of diagonal entries, and the number of
    values that are not 1 once rounded to float32.
    """
    n = indptr.shape[0] - 1
    nblocks = bounds.shape[0] - 1
    forward = np.zeros(nblocks, dtype=np.uint64)
    mirrored = np.zeros(nblocks, dtype=np.uint64)
    bad = 0
    loops = 0
    not_one = 0
    for t in prange(nblocks):
        f = np.uint64(0)
        r = np.uint64(0)
        for i in range(bounds[t], bounds[t + 1]):
            prev = -1
            ui = np.uint64(i)
            for p in range(indptr[i], indptr[i + 1]):
                j = np.int64(indices[p])
                x = data[p]
                if j <= prev or j >= n or not (x > 0) or not (x < np.inf):
                    bad += 1
                    break
                prev = j
                if np.float32(np.float64(x)) != np.float32(1.0):
                    not_one += 1
                if j == i:
                    loops += 1
                    if not allow_loops:
                        bad += 1
                        break
                elif symmetric:
                    uj = np.uint64(j)
                    v = np.uint64(bits[p])
                    f += _entry_hash(ui, uj, v, key)
                    r += _entry_hash(uj, ui, v, key)
        forward[t] = f
        mirrored[t] = r
    if symmetric and forward.sum() != mirrored.sum():
        bad += 1
    return bad, loops, not_one

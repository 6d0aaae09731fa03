"""One-vs-rest L2 logistic regression, every label of a training part solved at once.

The problem is liblinear's (scikit-learn's ``LogisticRegression(solver="liblinear", C=C)``, one
fit per label): for label j with targets ``s_ij = ±1`` and the features augmented by a constant
column of value 1 (``intercept_scaling=1``; liblinear regularises that intercept weight too),

    minimise  f_j(w) = ½‖w‖² + C · Σ_i log(1 + exp(−s_ij · x̃_i·w))      (w = [coef, intercept]).

Each f_j is strongly convex with modulus 1 (the ½‖w‖² term), so ``‖w − w*‖ ≤ ‖∇f_j(w)‖``: the
gradient norm at the returned point bounds the distance to the optimum.

Method: a truncated Newton method (Newton–CG with a backtracking line search), where the
gradients of all labels are one matrix product ``Xᵀ R`` and a Hessian-vector product of all
labels is two (``Xᵀ (D ∘ (X V))``), so the work is a few BLAS calls per step instead of one
liblinear loop per label. Two changes of variables make the conjugate gradients short without
changing the optimum:

* the augmented features are rotated onto the eigenvectors of ``X̃ᵀX̃`` (an orthogonal change of
  basis leaves ``½‖w‖²`` and every margin unchanged, so the optimum only rotates with it);
* the conjugate gradients are preconditioned per label by the exact Hessian block of the
  ``block`` leading directions and the Hessian diagonal elsewhere.

The Hessian-vector products run in float32 by default (they only steer the step; the gradient,
the line search and the stopping test are float64, so the optimum reached is float64's); when a
Newton step fails to shrink a gradient by 10 % (an ill-conditioned Hessian that float32 cannot
steer), the remaining steps use float64 products.
Measured alternatives (``bench/logreg_solvers.py``, BlogCatalog dim 512, 39 labels): warm
starts from a smaller ratio's optimum are 3–4× slower than starting at zero (the sharper start
makes the early Hessians ill-conditioned), and L-BFGS-B on all labels is still 2.7e-3 above the
optimum after 300 iterations, 4× the time Newton-CG needs to converge.
The stopping test is liblinear's, ``‖∇f_j‖ ≤ tol · max(min(pos, neg), 1) / n · ‖∇f_j(0)‖``, with
``tol = 1e-6`` by default where scikit-learn passes liblinear ``tol = 1e-4``.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["fit_ovr_logreg", "DEFAULT_TOL", "DEFAULT_BLOCK"]

#: Default relative stopping tolerance (liblinear's criterion; scikit-learn's default is 1e-4).
DEFAULT_TOL = 1e-6
#: Leading eigen-directions preconditioned by their exact per-label Hessian block.
DEFAULT_BLOCK = 64
_ETA = 0.1  # largest CG forcing term (liblinear's TRON uses 0.1)
_ARMIJO = 1e-4
_STALL = 0.9  # a Newton step that shrinks some gradient by less than this: float64 products


class LogRegConvergenceWarning(UserWarning):
    """A label's fit stopped at ``max_iter`` Newton steps before meeting its tolerance."""


def _expit_neg(m):
    """1 / (1 + exp(m)), stable for any sign of m."""
    out = np.exp(-np.abs(m))
    pos = m > 0
    # m > 0: exp(-m) / (1 + exp(-m)); m <= 0: 1 / (1 + exp(m))
    return np.where(pos, out / (1.0 + out), 1.0 / (1.0 + out))


def _log1pexp_neg(m):
    """log(1 + exp(-m)), stable."""
    return np.logaddexp(0.0, -m)


def fit_ovr_logreg(X, Y, C, *, tol=DEFAULT_TOL, max_iter=100, block=DEFAULT_BLOCK,
                   hessian_dtype=np.float32, init=None):
    """Fit one L2 logistic regression per column of ``Y``, all columns together.

    Parameters
    ----------
    X : ndarray (n, d)
        Features (float32 or float64; computed in float64). Finite values only.
    Y : array (n, L) of bool / 0-1
        Column j is the binary target of label j.
    C : float > 0
        Inverse regularisation, as scikit-learn's ``C``.
    tol : float > 0
        Relative gradient tolerance (liblinear's criterion, see the module docstring).
    max_iter : int >= 1
        Newton steps at most (a LogRegConvergenceWarning names the labels that did not meet
        ``tol``).
    block : int >= 0
        Leading rotated directions preconditioned by their exact per-label Hessian block.
    hessian_dtype : numpy float dtype
        Precision of the Hessian-vector products (float32 default, or float64).
    init : None or (coef (d, L), intercept (L,))
        Starting point (default zero, as liblinear). The optimum does not depend on it; the
        stopping test still measures against ‖∇f_j(0)‖. Entries of constant columns are ignored.

    Returns
    -------
    coef : ndarray (d, L) float64
    intercept : ndarray (L,) float64
        A column with one class only is not fitted: coef 0 and intercept +inf (all positive)
        or -inf (all negative), so it ranks above or below every fitted label.
    info : dict
        ``newton_steps`` (per label), ``gradient_norm`` (final ‖∇f_j‖, a bound on the distance
        to the optimum), ``cg_steps`` (total, all labels), ``converged`` (bool per label),
        ``hessian_switched`` (float32 products stalled and float64 took over).

    Cost: time O(n·d² + d³) for the rotation, then per Newton step O(n·d·L) for the gradient and
    O(n·block²·L + block³·L) for the preconditioner, plus O(n·d·L) per conjugate-gradient step;
    memory O(n·d): the rotated features in float64 and, in ``hessian_dtype``, a copy and its
    square (16·n·(d+1) bytes with float32), plus O(n·L + block²·L).

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> coef, b, info = fit_ovr_logreg(X, np.array([[0], [0], [1], [1]]), C=10.0)
    >>> bool(coef[0, 0] > 0), bool(info["converged"].all())
    (True, True)
    """
    X = np.asarray(X)
    Y = np.asarray(Y)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0] or X.shape[0] == 0:
        raise ValueError(
            f"X must be (n, d) and Y (n, L) with the same n >= 1, got {X.shape} and {Y.shape}")
    if not np.isfinite(X).all():
        raise ValueError("X has NaN or infinite values; fix the features before fitting")
    if not (np.isfinite(C) and C > 0):
        raise ValueError(f"C must be a positive number, got {C!r}")
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter!r}")
    if int(block) < 0:
        raise ValueError(f"block must be >= 0, got {block!r}")
    hessian_dtype = np.dtype(hessian_dtype)
    if hessian_dtype not in (np.float32, np.float64):
        raise ValueError(f"hessian_dtype must be float32 or float64, got {hessian_dtype}")
    C = float(C)
    Yb = Y.astype(bool)
    n, d = X.shape
    L = Yb.shape[1]
    pos = Yb.sum(axis=0)
    coef = np.zeros((d, L))
    intercept = np.zeros(L)
    info = {"newton_steps": np.zeros(L, np.int64), "gradient_norm": np.zeros(L),
            "cg_steps": 0, "converged": np.ones(L, bool), "hessian_switched": False}
    constant = (pos == 0) | (pos == n)
    intercept[constant] = np.where(pos[constant] == n, np.inf, -np.inf)
    fit = np.flatnonzero(~constant)
    if len(fit) == 0:
        return coef, intercept, info

    # augmented features, rotated onto the eigenvectors of X̃ᵀX̃ (largest first)
    Xa = np.empty((n, d + 1))
    Xa[:, :d] = X
    Xa[:, d] = 1.0
    _, V = np.linalg.eigh(Xa.T @ Xa)
    V = np.ascontiguousarray(V[:, ::-1])
    Xr = Xa @ V
    del Xa
    Xh = Xr if hessian_dtype == np.float64 else Xr.astype(hessian_dtype)
    Xh2 = Xh * Xh
    B = min(int(block), d + 1)
    Xb = Xh[:, :B]

    S = np.where(Yb[:, fit], 1.0, -1.0)
    k_all = len(fit)
    p = pos[fit]
    scale = np.maximum(np.minimum(p, n - p), 1) / n
    if init is None:
        W = np.zeros((d + 1, k_all))
        Z = np.zeros((n, k_all))
        g0 = None
    else:
        c0, b0 = (np.asarray(a, dtype=np.float64) for a in init)
        if c0.shape != (d, L) or b0.shape != (L,) or not (np.isfinite(c0[:, fit]).all()
                                                          and np.isfinite(b0[fit]).all()):
            raise ValueError(f"init must be finite (coef ({d}, {L}), intercept ({L},)), got "
                             f"shapes {c0.shape} and {b0.shape}")
        W = V.T @ np.vstack([c0[:, fit], b0[fit][None, :]])
        Z = Xr @ W
        g0 = np.linalg.norm(Xr.T @ (-0.5 * C * S), axis=0)   # ‖∇f(0)‖, as liblinear
        tolerance = tol * scale * g0
    steps = np.zeros(k_all, np.int64)
    gnorm = np.zeros(k_all)
    act = np.arange(k_all)
    cg_total = 0
    for it in range(int(max_iter) + 1):
        # gradient of the active labels (float64)
        m = S[:, act] * Z[:, act]
        sig = _expit_neg(m)                       # 1 − σ(margin)
        Ga = W[:, act] + Xr.T @ (-C * sig * S[:, act])
        gn = np.linalg.norm(Ga, axis=0)
        if it and Xh is not Xr and (gn > _STALL * gnorm[act]).any():
            # float32 products no longer steer well (ill-conditioned Hessian): float64 from now
            Xh, hessian_dtype = Xr, np.dtype(np.float64)
            Xh2, Xb = Xr * Xr, Xr[:, :B]
            info["hessian_switched"] = True
        gnorm[act] = gn
        if g0 is None:
            g0 = gn.copy()                         # at w = 0, as liblinear's ‖∇f(0)‖
            tolerance = tol * scale * g0
        going = gn > tolerance[act]
        act, Ga, m, sig, gn = act[going], Ga[:, going], m[:, going], sig[:, going], gn[going]
        if len(act) == 0 or it == int(max_iter):
            break
        k = len(act)
        steps[act] += 1

        # Newton direction by preconditioned CG on the active labels
        Dw = (C * sig * (1.0 - sig)).astype(hessian_dtype)
        M = 1.0 + Xh2.T @ Dw                      # Hessian diagonal
        if B:
            blocks = np.empty((k, B, B), hessian_dtype)
            for j in range(k):
                blocks[j] = (Xb * Dw[:, j:j + 1]).T @ Xb
            blocks += np.eye(B, dtype=hessian_dtype)
            inv = np.linalg.inv(blocks)

        def precondition(R, cols, M=M):
            out = R / M[:, cols]
            if B:
                out[:B] = np.matmul(inv[cols], R[:B].T[:, :, None])[:, :, 0].T
            return out

        cols = np.arange(k)
        cg_tol = np.minimum(_ETA, np.sqrt(gn / g0[act])) * gn
        P_out = np.zeros((d + 1, k))
        P = np.zeros((d + 1, k), hessian_dtype)
        R = (-Ga).astype(hessian_dtype)
        Zp = precondition(R, cols)
        Dd = Zp.copy()
        rz = np.einsum("ij,ij->j", R, Zp)
        Dk = Dw
        for _ in range(d + 1):
            XD = Xh @ Dd
            HD = Dd + Xh.T @ (Dk * XD)
            cg_total += len(cols)
            alpha = rz / np.einsum("ij,ij->j", Dd, HD)
            P += alpha * Dd
            R -= alpha * HD
            done = np.linalg.norm(R, axis=0) <= cg_tol
            if done.any():
                P_out[:, cols[done]] = P[:, done]
                keep = ~done
                if not keep.any():
                    break
                cols, P, R, Dd = cols[keep], P[:, keep], R[:, keep], Dd[:, keep]
                Dk = np.ascontiguousarray(Dk[:, keep])
                rz, cg_tol = rz[keep], cg_tol[keep]
            Zp = precondition(R, cols)
            rz_new = np.einsum("ij,ij->j", R, Zp)
            Dd = Zp + (rz_new / rz) * Dd
            rz = rz_new
        else:
            P_out[:, cols] = P
        P = P_out

        # backtracking line search per label (float64 margins, no further products with X)
        XP = Xr @ P
        Sa = S[:, act]
        Wa = W[:, act]
        f0 = 0.5 * np.einsum("ij,ij->j", Wa, Wa) + C * _log1pexp_neg(m).sum(axis=0)
        slope = np.einsum("ij,ij->j", Ga, P)
        t = np.ones(k)
        todo = np.ones(k, bool)
        SXP = Sa * XP
        for _ in range(40):
            Wt = Wa + t * P
            mt = m + t * SXP
            ft = 0.5 * np.einsum("ij,ij->j", Wt, Wt) + C * _log1pexp_neg(mt).sum(axis=0)
            ok = ft <= f0 + _ARMIJO * t * slope
            # near the optimum the decrease drowns in the rounding of f: then accept a step
            # where the directional derivative has shrunk (computed without rounding trouble)
            faint = np.abs(t * slope) <= 1e-10 * (np.abs(f0) + 1.0)
            if faint.any():
                dphi = np.einsum("ij,ij->j", Wt, P) - C * np.einsum("ij,ij->j", SXP,
                                                                     _expit_neg(mt))
                ok |= faint & (np.abs(dphi) <= 0.5 * np.abs(slope))
            todo &= ~ok
            if not todo.any():
                break
            t = np.where(todo, 0.5 * t, t)
        t = np.where(todo, 0.0, t)                # no decrease found: keep the point
        W[:, act] = Wa + t * P
        Z[:, act] += t * XP                       # margins of the new point (float64)
        if not t.any():
            break
    Wf = V @ W
    coef[:, fit] = Wf[:d]
    intercept[fit] = Wf[d]
    info["newton_steps"][fit] = steps
    info["gradient_norm"][fit] = gnorm
    info["cg_steps"] = int(cg_total)
    converged = np.ones(k_all, bool)
    converged[act] = False
    info["converged"][fit] = converged
    if len(act):
        warnings.warn(
            f"logistic regression: {len(act)} of {L} labels did not reach tol={tol:g} within "
            f"max_iter={max_iter} Newton steps (largest gradient norm {gnorm[act].max():.3g}); "
            "raise max_iter or tol", LogRegConvergenceWarning, stacklevel=2)
    return coef, intercept, info

"""Fits the rational approximation tanh(x) ~ x*P(x^2)/Q(x^2) used by assembly/kernels.ts.

Minimises the maximum relative error on [0, CLAMP] by Lawson-reweighted linearised least squares (Loeb's method:
weights 1/Q_prev), in float64, then reports the error of the float32 evaluation the kernels perform.
Run: python3 scripts/fit-tanh.py   (numpy). The coefficients are pasted into assembly/kernels.ts by hand.
"""
import numpy as np

CLAMP = 9.0
NP, NQ = 5, 4  # coefficients of P (a0..a4) and of Q (1, b1..b3)

x = np.concatenate([np.linspace(1e-6, 1, 4000), np.linspace(1, CLAMP, 8000)])
t = np.tanh(x)
s = x * x
lawson = np.ones_like(x)
q_prev = np.ones_like(x)
for it in range(300):
    # residual x P(s) - t Q(s), Q = 1 + b1 s + ...; unknowns a0..a_{NP-1}, b1..b_{NQ-1}
    A = np.hstack([np.stack([x * s**k for k in range(NP)], 1), np.stack([-t * s**k for k in range(1, NQ)], 1)])
    rhs = t.copy()
    w = np.sqrt(lawson) / (q_prev * t)
    coef, *_ = np.linalg.lstsq(A * w[:, None], rhs * w, rcond=None)
    a, b = coef[:NP], np.concatenate([[1.0], coef[NP:]])
    P = sum(a[k] * s**k for k in range(NP))
    Q = sum(b[k] * s**k for k in range(NQ))
    q_prev = Q
    err = np.abs(x * P / Q - t) / t
    lawson *= err / err.sum() * len(err)
    lawson /= lawson.sum()

def eval32(xs):
    xs = np.minimum(np.abs(xs.astype(np.float32)), np.float32(CLAMP))
    s = xs * xs
    P = np.float32(a[-1])
    for k in range(NP - 2, -1, -1):
        P = np.float32(a[k]) + s * P
    Q = np.float32(b[-1])
    for k in range(NQ - 2, -1, -1):
        Q = np.float32(b[k]) + s * Q
    return (xs * P / Q).astype(np.float32)

grid = np.linspace(0, 12, 2_000_001).astype(np.float32)
approx = eval32(grid)
exact = np.tanh(grid.astype(np.float64))
print("P:", ", ".join(repr(float(np.float32(v))) for v in a))
print("Q:", ", ".join(repr(float(np.float32(v))) for v in b))
print("max relative error (float64 fit):", np.max(err))
print("max abs error (float32 evaluation):", np.max(np.abs(approx - exact)))
small = grid < 1
print("max rel error |x|<1 (float32):", np.max(np.abs(approx[small][1:] - exact[small][1:]) / exact[small][1:]))
print("max value:", approx.max())

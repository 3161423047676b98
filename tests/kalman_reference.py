"""The exact answers for linear-Gaussian state-space models, for tests to compare with.

``x_0 ~ N(0, 1)``, ``x_t = rho x_{t-1} + N(0, 1)``, and ``K`` observations
``y_{t,k} = x_t + N(0, r)`` per step: the Kalman filter gives the log
evidence, the Rauch-Tung-Striebel smoother the smoothed means and sds.
"""
import numpy as np

#: K observations a step: the row y[0] before the scan, the rows y[t] inside it
MULTI = """
model multi(T: Nat, K: Nat) {
    x[0] ~ Normal(0, 1)
    for k in range(K) {
        y[0, k] ~ Normal(x[0], 0.5)
    }
    for t in range(1, T) {
        x[t] ~ Normal(0.9 * x[t-1], 1)
        for k in range(K) {
            y[t, k] ~ Normal(x[t], 0.5)
        }
    }
}
"""

#: two scans in sequence, a latent between them and an observation after them
TWO = """
model two(T: Nat) {
    x[0] ~ Normal(0, 1)
    y[0] ~ Normal(x[0], 0.5)
    for t in range(1, T) {
        x[t] ~ Normal(0.9 * x[t-1], 1)
        y[t] ~ Normal(x[t], 0.5)
    }
    s ~ Normal(0, 1)
    z[0] ~ Normal(0, 1)
    w[0] ~ Normal(z[0], 0.5)
    for t in range(1, T) {
        z[t] ~ Normal(0.5 * z[t-1], 1)
        w[t] ~ Normal(z[t], 0.5)
    }
    v ~ Normal(s, 1)
}
"""



def kalman(ys, rho: float, r: float = 0.25):
    """``(log p(y), smoothed means, smoothed sds)``; ``ys`` of shape (T,) or (T, K).

    The K observations of a step tell about ``x_t`` what their mean does
    (variance ``r / K``); the rest of their density does not involve ``x``:
    ``Σ_k (y_k - x)² = Σ_k (y_k - ȳ)² + K (ȳ - x)²``.
    """
    ys = np.asarray(ys, dtype=float).reshape(len(ys), -1)
    k_obs = ys.shape[1]
    ybar, spread = ys.mean(1), ((ys - ys.mean(1, keepdims=True)) ** 2).sum(1)
    logz = float(np.sum(-0.5 * (k_obs - 1) * np.log(2 * np.pi * r) - 0.5 * np.log(k_obs)
                        - spread / (2 * r)))
    r_bar = r / k_obs
    m, p, ms, ps, preds = 0.0, 1.0, [], [], []
    for t, y in enumerate(ybar):
        if t:
            m, p = rho * m, rho * rho * p + 1
        preds.append((m, p))
        s = p + r_bar
        logz += -0.5 * (np.log(2 * np.pi * s) + (y - m) ** 2 / s)
        gain = p / s
        m, p = m + gain * (y - m), (1 - gain) * p
        ms.append(m), ps.append(p)
    sm, sp = [ms[-1]], [ps[-1]]
    for t in range(len(ybar) - 2, -1, -1):
        g = ps[t] * rho / preds[t + 1][1]
        sm.insert(0, ms[t] + g * (sm[0] - preds[t + 1][0]))
        sp.insert(0, ps[t] + g * g * (sp[0] - preds[t + 1][1]))
    return logz, np.array(sm), np.sqrt(np.array(sp))

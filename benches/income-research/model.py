"""Numpy re-implementation of crates/core/src/income.rs (today's model) plus variants."""
import numpy as np
from scipy.special import ndtr, ndtri

L0 = 12645.11          # embedded reference poverty line (fixed point of today's model)
NAT0 = 21075.19

def fit_lognormal(m, p, L, min_p=0.005, max_p=0.95, min_s=0.1, max_s=1.5, fb=0.5):
    """Vectorised IncomeModel::fit: returns mu, sigma, clamped flag (NaN where no fit)."""
    m = np.asarray(m, float); p = np.asarray(p, float)
    ok = np.isfinite(m) & (m > 0) & np.isfinite(p)
    pc = np.clip(np.where(ok, p, 0.5), min_p, max_p)
    z = ndtri(pc)
    with np.errstate(invalid='ignore', divide='ignore'):
        disc = z*z + 2*np.log(np.where(ok, m, 1.0)/L)
        root = np.where(disc >= 0, z + np.sqrt(np.maximum(disc, 0)), np.nan)
    exact = root > 0
    sigma = np.where(exact, root, fb)
    clamped = ~exact | (pc != p)
    bounded = np.clip(sigma, min_s, max_s)
    clamped |= bounded != sigma
    with np.errstate(invalid='ignore', divide='ignore'):
        mu = np.where(clamped, np.log(np.where(ok, m, 1.0)) - bounded**2/2, np.log(L) - z*sigma)
    mu = np.where(ok, mu, np.nan); s = np.where(ok, bounded, np.nan)
    return mu, s, clamped & ok

def mix_cdf(t, w, mu, s):
    """population-weighted share below e^t (t scalar or array broadcast over rows)."""
    return np.sum(w * ndtr((t - mu)/s)) / np.sum(w)

def mix_quantile(w, mu, s, q=0.5, iters=60):
    ok = np.isfinite(mu) & (w > 0)
    w, mu, s = w[ok], mu[ok], s[ok]
    if w.sum() <= 0: return np.nan
    lo, hi = mu.min() - 6*s.max(), mu.max() + 6*s.max()
    for _ in range(iters):
        mid = 0.5*(lo+hi)
        if mix_cdf(mid, w, mu, s) > q: hi = mid
        else: lo = mid
    return np.exp(0.5*(lo+hi))

def group_quantiles(groups, w, mu, s, qs=(0.1, 0.5, 0.9), iters=50):
    """quantiles of the mixture for every group label (vectorised bisection over groups)."""
    ok = np.isfinite(mu) & (w > 0) & (groups >= 0)
    g, w, mu, s = groups[ok], w[ok], mu[ok], s[ok]
    G = groups.max() + 1
    W = np.bincount(g, w, G)
    out = {}
    for q in qs:
        lo = np.full(G, 5.0); hi = np.full(G, 13.0)
        for _ in range(iters):
            mid = 0.5*(lo+hi)
            c = np.bincount(g, w*ndtr((mid[g]-mu)/s), G) / np.where(W > 0, W, 1)
            big = c > q
            hi = np.where(big, mid, hi); lo = np.where(big, lo, mid)
        out[q] = np.where(W > 0, np.exp(0.5*(lo+hi)), np.nan)
    return out

def group_share_below(groups, w, mu, s, x):
    ok = np.isfinite(mu) & (w > 0) & (groups >= 0)
    g = groups[ok]; G = groups.max()+1
    W = np.bincount(g, w[ok], G)
    return np.bincount(g, w[ok]*ndtr((np.log(x)-mu[ok])/s[ok]), G)/np.where(W > 0, W, 1)

"""Income-model variants. Each returns per-square (a, b, cdf) over the national arrays."""
import numpy as np
from scipy.special import ndtri
from evaluate import *

# Published figures used:
#  ERFS 2019 individual poverty rates by household type, 60 % line (INSEE chiffres-clés 3566846):
#   single persons 20.6 (<65) / 15.9 (>=65, with single parents); single-parent 32.8; couples without
#   children 7.2, with children 12.8; other households 25.1; all 14.6.
RHO = dict(one=18.5, fmp=32.8, big=25.0, other=9.5)
SIZE = dict(fmp=2.5, big=5.4)       # census-order sizes of single-parent and 5+ households

def ind_poor_share(rho=RHO, size=SIZE):
    n1, nf, n5 = G['men_1ind'], G['men_fmp'], G['men_5ind']
    no = np.maximum(men - n1 - nf - n5, 0.0)
    so = np.where(no > 0, (ind - n1 - size['fmp']*nf - size['big']*n5)/np.where(no > 0, no, 1), 2.0)
    so = np.clip(so, 1.5, 4.5)
    wsum = rho['one']*n1 + rho['fmp']*nf + rho['big']*n5 + rho['other']*no
    ssum = rho['one']*n1 + rho['fmp']*nf*size['fmp'] + rho['big']*n5*size['big'] + rho['other']*no*so
    with np.errstate(invalid='ignore', divide='ignore'):
        poor_size = np.where(wsum > 0, ssum/wsum, ind/np.where(men > 0, men, 1))
        mean_size = ind/np.where(men > 0, men, 1)
        k = poor_size/mean_size
    return np.clip(P*k, 0, 1), k

def today(L=L0):
    a, b, _ = fit_lognormal(M, P, L); return a, b, cdf_ln

def uniform_scale(c, L=L0):
    a, b, _ = fit_lognormal(M, np.clip(P*c, 0, 1), L); return a, b, cdf_ln

def households(rho=RHO, size=SIZE, L=L0, norm=None):
    pi, k = ind_poor_share(rho, size)
    if norm is not None: pi = np.clip(pi*norm, 0, 1)
    a, b, _ = fit_lognormal(M, pi, L); return a, b, cdf_ln

def km_imputed(L=L0, base_p=None):
    """imputed squares take the moments of their 1 km cell (all its squares)."""
    p_use = P if base_p is None else base_p
    key = G['n1']*10**8 + G['e1']
    _, inv = np.unique(key, return_inverse=True)
    S = lambda v: np.bincount(inv, np.where(HAS, v, 0))[inv]
    m1 = S(G['ind_snv'])/S(ind)
    p1 = S(p_use*men)/S(men)
    imp = G['i_est_200'] == 1
    a, b, _ = fit_lognormal(np.where(imp, m1, M), np.where(imp & HAS, p1, p_use), L); return a, b, cdf_ln

def loglogistic(L=L0, p_in=None, min_p=0.005, max_p=0.95):
    """Fisk: F(x)=1/(1+(x/alpha)^-beta); mean = alpha*(pi/beta)/sin(pi/beta). Fit mean and share below L."""
    p = np.clip(P if p_in is None else p_in, min_p, max_p)
    r = np.log(M/L)                    # ln(m/L) = ln((1-p)/p)/beta + ln((pi/beta)/sin(pi/beta))
    lo = np.full(len(p), 1.05); hi = np.full(len(p), 60.0)
    lp = np.log((1-p)/p)
    f = lambda bt: lp/bt + np.log((np.pi/bt)/np.sin(np.pi/bt)) - r
    # f decreasing in beta for lp>0; use bisection on sign
    for _ in range(60):
        mid = 0.5*(lo+hi); v = f(mid)
        up = v > 0          # too large -> increase beta
        lo = np.where(up, mid, lo); hi = np.where(up, hi, mid)
    beta = 0.5*(lo+hi)
    ok = np.isfinite(r) & (np.abs(f(beta)) < 1e-6)
    # fallback: keep the mean with beta=3.5 (sigma-equivalent ~0.5)
    beta = np.where(ok, beta, 3.5)
    la = np.where(ok, np.log(L) + lp/beta, np.log(M) - np.log((np.pi/beta)/np.sin(np.pi/beta)))
    la = np.where(HAS, la, np.nan)
    return la, beta, cdf_ll

def shifted(floor, L=L0, p_in=None):
    """X = floor + lognormal: fit the log-normal on (m - floor, L - floor)."""
    p = P if p_in is None else p_in
    mu, s, _ = fit_lognormal(np.maximum(M - floor, 1.0), p, L - floor)
    # store as a transformed family: cdf(t) = Phi((ln(e^t - floor) - mu)/s)
    def cdf(t, a, b, f=floor):
        x = np.exp(t) - f
        return np.where(x > 0, ndtr((np.log(np.maximum(x, 1e-9)) - a)/b), 0.0)
    return mu, s, cdf

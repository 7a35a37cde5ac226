"""How big are the differences against noise? Paired bootstraps: HG over quartiers (sd of ln ratio on Q2),
Nord over communes (F1 at equal flagged residents); and residents whose flag changes."""
import numpy as np, pandas as pd
from variants import *
rng = np.random.default_rng(1)
w = ind[NI]
com = np.array([s[:5] for s in G['lcog'][NI]]); _, cinv = np.unique(com, return_inverse=True); C = cinv.max()+1
def per_com(f):
    return (np.bincount(cinv, w*(f & OFF), C), np.bincount(cinv, w*(f & ~OFF), C), np.bincount(cinv, w*(~f & OFF), C))
pi, _ = ind_poor_share()
base = today(); rb = evaluate('b', *base); xb = rb.pop('_x'); tgt = prf(xb, 1.32)[4]; fb = xb < k_for(xb, tgt)
PUBq = PUB.disp_q2.values
def q2(a, b, c):
    return group_q(HGG, ind, a, b, c, (0.5,))[0.5]
qb = q2(*base); okq = ~np.isnan(qb)
B = 2000
idxq = rng.integers(0, okq.sum(), (B, okq.sum())); idxc = rng.integers(0, C, (B, C))
cb = per_com(fb)
for name, v in [('Va2 households', households()), ('Va3 households renorm', households(norm=1.0521)), ('Vb km', km_imputed()), ('Vc1 loglogistic', loglogistic()), ('Vc3 shifted 5000', shifted(5000.)), ('Va2+Vb', km_imputed(base_p=pi))]:
    r = evaluate(name, *v); x = r.pop('_x'); f = x < k_for(x, tgt)
    qv = q2(*v)
    lb = np.log(qb[okq]/PUBq[okq]); lv = np.log(qv[okq]/PUBq[okq])
    d_sd = lv[idxq].std(1, ddof=1) - lb[idxq].std(1, ddof=1)
    cv = per_com(f)
    def F1(c, ii): tp, fp, fn = (a[ii].sum(1) for a in c); return 2*tp/(2*tp+fp+fn)
    d_f1 = F1(cv, idxc) - F1(cb, idxc)
    changed = w[f != fb].sum()
    print('%-24s d_sd_q2 %+.4f [%+.4f,%+.4f]  d_F1 %+.4f [%+.4f,%+.4f]  residents whose flag changes %d' % (
        name, lv.std(ddof=1)-lb.std(ddof=1), *np.percentile(d_sd, [2.5, 97.5]), F1(cv, np.arange(C)[None])[0]-F1(cb, np.arange(C)[None])[0], *np.percentile(d_f1, [2.5, 97.5]), changed), flush=True)

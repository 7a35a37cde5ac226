import numpy as np
from variants import *
pi, k = ind_poor_share()
hg = HGG >= 0
w = ind
def wm(mask, v): return np.nansum(w[mask]*v[mask])/w[mask & np.isfinite(v)].sum()
print('k mean: HG quartiers %.3f, Nord official %.3f, Nord other %.3f' % (wm(hg, k), wm(np.isin(np.arange(len(k)), NI[OFF]), k), wm(np.isin(np.arange(len(k)), NI[~OFF]), k)))
print('k percentiles over squares with ind>0:', np.nanpercentile(k[HAS], [1, 10, 50, 90, 99]))
print('HG quartiers: p_h %.3f p_i %.3f, fmp share %.3f 5+ %.3f 1ind %.3f' % (
  np.nansum(men[hg]*P[hg])/men[hg].sum(), wm(hg, pi), G['men_fmp'][hg].sum()/men[hg].sum(), G['men_5ind'][hg].sum()/men[hg].sum(), G['men_1ind'][hg].sum()/men[hg].sum()))
for rho in [dict(one=15.9, fmp=32.8, big=35.0, other=9.5), dict(one=20.6, fmp=32.8, big=25.0, other=7.2), dict(one=18.5, fmp=40.0, big=35.0, other=9.5)]:
    a, b, c = households(rho=rho); r = evaluate('s', a, b, c); x = r.pop('_x')
    base = evaluate('b', *today()); xb = base.pop('_x'); tgt = prf(xb, 1.32)[4]
    print(rho, 'sd_q2 %.4f rho_q2 %.3f sd_d1 %.4f d9d1 %.3f pov_bias %.2f pov_sd %.2f F1 %.4f' % (r['sd_q2'], r['rho_q2'], r['sd_d1'], r['d9d1_est'], r['pov_bias'], r['pov_sd'], prf(x, k_for(x, tgt))[2]))

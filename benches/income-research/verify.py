import numpy as np, time
from data import G, ref, units
from model import *
u = np.load('met_unit.npy')
ind, men = G['ind'], G['men']
has = (ind > 0) & (men > 0)
m = np.where(has, G['ind_snv']/np.where(ind>0, ind, 1), np.nan)
p = np.where(has, G['men_pauv']/np.where(men>0, men, 1), np.nan)
mu, s, cl = fit_lognormal(m, p, L0)
t=time.time(); nat = mix_quantile(ind, mu, s); print('national', nat, ref['national_median'], time.time()-t)
t=time.time(); q = group_quantiles(u, ind, mu, s, qs=(0.5,), iters=45); print(time.time()-t)
med = q[0.5]
errs = []
for code, r in ref['units'].items():
    i = units.index(code)
    errs.append(med[i]/r['median']-1)
errs = np.abs(errs); print('UU medians vs ref: max rel err', errs.max(), 'n', len(errs))
print('national household poor share', np.nansum(G['men_pauv'][has])/men[has].sum(), 'individual-weighted', np.nansum((ind*p)[has])/ind[has].sum())

"""National least-squares fit of household sizes by type: ind - men_1ind = s_f*fmp + s_5*men_5ind + s_o*other."""
import numpy as np
from data import G
ok = (G['i_est_200'] == 0) & (G['men'] > 0)
n1, nf, n5, men, ind = (G[k][ok] for k in ('men_1ind', 'men_fmp', 'men_5ind', 'men', 'ind'))
no = np.maximum(men - n1 - nf - n5, 0)
X = np.column_stack([nf, n5, no]); y = ind - n1
coef, *_ = np.linalg.lstsq(X, y, rcond=None)
print('sizes fmp, 5+, other:', coef)
print('national shares: 1ind %.3f fmp %.3f 5ind %.3f' % (G['men_1ind'].sum()/G['men'].sum(), G['men_fmp'].sum()/G['men'].sum(), G['men_5ind'].sum()/G['men'].sum()), 'mean size', G['ind'].sum()/G['men'].sum())

"""Shifted log-normal: scan the floor; national D1/Q2 and poverty intensity vs ERFS 2019 published
(D1 11 660 / Q2 22 040 = 0.529; D9/D1 = 3.42; intensity 19.7 % i.e. median of the poor = 0.803 L)."""
import numpy as np
from variants import *
allg = np.where(HAS, 0, -1)
for fl in [0, 2000, 3000, 4000, 5000, 6000, 7000]:
    a, b, cdf = shifted(float(fl)) if fl else today()
    q = group_q(allg, ind, a, b, cdf, (0.1, 0.5, 0.9), iters=40)
    pov = group_below(allg, ind, a, b, cdf, L0)[0]
    qp = group_q(allg, ind, a, b, cdf, (pov/2,), iters=40)[pov/2][0]
    print(fl, 'D1/Q2 %.3f D9/D1 %.3f D9/Q2 %.3f intensity %.3f' % (q[0.1][0]/q[0.5][0], q[0.9][0]/q[0.1][0], q[0.9][0]/q[0.5][0], 1 - qp/L0), flush=True)

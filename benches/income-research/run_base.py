import numpy as np
from evaluate import *
a, b, cl = fit_lognormal(M, P, L0)
r = evaluate('today', a, b, cdf_ln)
x = r.pop('_x')
print({k: round(v, 4) for k, v in r.items()})
print('today flags at 1.32:', prf(x, 1.32))

"""Check the numpy model reproduces median_est of /tmp/nord0/candidates.csv (squares whose centre is inside each candidate)."""
import numpy as np, json, shapely, pandas as pd
from shapely.geometry import shape
from shapely import contains_xy
from pyproj import Transformer
from evaluate import *
a, b, _ = fit_lognormal(M, P, L0)
tr = Transformer.from_crs(4326, 3035, always_xy=True)
gj = json.load(open('/tmp/nord0/candidates.geojson'))
cx = G['e'][NI] + 100.0; cy = G['n'][NI] + 100.0
errs = []
for f in gj['features']:
    poly = shapely.transform(shape(f['geometry']), lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
    inside = NI[contains_xy(poly, cx, cy)]
    g = np.zeros(len(inside), np.int64)
    m = group_q(g, ind[inside], a[inside], b[inside], cdf_ln, (0.5,), iters=60)[0.5][0]
    errs.append(m - f['properties']['median_est'])
errs = np.array(errs); print(len(errs), 'max |diff| €', np.abs(errs).max(), 'median', np.median(np.abs(errs)))

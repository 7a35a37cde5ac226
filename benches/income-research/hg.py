"""Haute-Garonne yardstick: squares whose centre lies inside each official 2015 quartier."""
import numpy as np, json, pandas as pd
from shapely.geometry import shape, Point
from shapely.ops import transform
from shapely import contains_xy
from pyproj import Transformer
from data import G
tr = Transformer.from_crs(4326, 3035, always_xy=True)
gj = json.load(open('/work/shared/data/qpv-official/qp2015_haute_garonne.geojson'))
pub = pd.read_csv('/work/shared/data/qpv-official/qp2015_haute_garonne.csv').set_index('code_qp')
cx = G['e'] + 100.0; cy = G['n'] + 100.0
codes, members = [], []
for f in gj['features']:
    poly = transform(lambda x, y, z=None: tr.transform(x, y), shape(f['geometry']))
    minx, miny, maxx, maxy = poly.bounds
    cand = np.nonzero((cx >= minx) & (cx <= maxx) & (cy >= miny) & (cy <= maxy))[0]
    inside = cand[contains_xy(poly, cx[cand], cy[cand])]
    codes.append(f['properties']['code_qp']); members.append(inside)
groups = np.full(len(cx), -1, np.int64)
for k, idx in enumerate(members): groups[idx] = k
pub = pub.loc[codes]
np.save('/tmp/income-research/hg_groups.npy', groups)
pub.to_csv('/tmp/income-research/hg_pub.csv')
for c, idx in zip(codes, members):
    print(c, len(idx), round(G['ind'][idx].sum()), pub.loc[c, 'pop_mun'], 'imputed share', round((G['ind'][idx]*G['i_est_200'][idx]).sum()/G['ind'][idx].sum(), 2))

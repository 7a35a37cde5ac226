"""Nord: index of dep59 squares in the national arrays, official 2024 squares (centre inside)."""
import numpy as np, pandas as pd, json
from shapely.geometry import shape
from shapely import contains_xy
from pyproj import Transformer
import shapely
from data import G
d = pd.read_csv('/work/shared/data/filosofi2019/carreaux_200m_dep59.csv', usecols=['idcar_200m', 'ind'])
ids = d.idcar_200m.str.extract(r'N(\d+)E(\d+)').astype(np.int64)
key = G['n'] * 10**8 + G['e']
order = np.argsort(key)
k59 = ids[0].values * 10**8 + ids[1].values
pos = np.searchsorted(key[order], k59)
idx = order[pos]
assert (key[idx] == k59).all()
assert np.allclose(G['ind'][idx], d.ind.values)
tr = Transformer.from_crs(4326, 3035, always_xy=True)
gj = json.load(open('/work/shared/data/qpv-official/qpv2024_nord.geojson'))
cx = G['e'][idx] + 100.0; cy = G['n'][idx] + 100.0
official = np.zeros(len(idx), bool)
for f in gj['features']:
    poly = shapely.transform(shape(f['geometry']), lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
    official |= contains_xy(poly, cx, cy)
np.save('nord_idx.npy', idx); np.save('nord_official.npy', official)
print(len(idx), official.sum(), G['ind'][idx][official].sum())

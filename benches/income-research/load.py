"""Load the national Filosofi 2019 grid once into /tmp/income-research/met.npz (numeric columns + lcog_geo)."""
import numpy as np, pandas as pd, time
t=time.time()
df = pd.read_csv('/tmp/qpv-bench-met.csv', dtype={'lcog_geo': str, 'idcar_200m': str, 'idcar_1km': str}, usecols=lambda c: c not in ('idcar_nat',))
print('read', time.time()-t, len(df))
ids = df.idcar_200m.str.extract(r'N(\d+)E(\d+)').astype(np.int64)
k1 = df.idcar_1km.str.extract(r'N(\d+)E(\d+)').astype(np.int64)
out = {'n': ids[0].values, 'e': ids[1].values, 'n1': k1[0].values, 'e1': k1[1].values}
for c in df.columns:
    if c in ('idcar_200m','idcar_1km','lcog_geo'): continue
    out[c] = df[c].values.astype(np.float64)
out['lcog'] = df.lcog_geo.values.astype(str)
np.savez('/tmp/income-research/met.npz', **out)
print('done', time.time()-t)

"""Closing and opening tried on the split candidates of a Nord run (issue 20): run
`qpv run --grid carreaux_200m_dep59.csv --close 0 --calibration-factor 1.31 --out /tmp/nd` first;
needs nord_official.npy from nord_prep.py. Prints population-weighted P / R / F1 per variant."""
import numpy as np, pandas as pd, json, shapely
from shapely.geometry import shape, Polygon, MultiPolygon
from shapely import contains_xy
from pyproj import Transformer
d = pd.read_csv('/work/shared/data/filosofi2019/carreaux_200m_dep59.csv', usecols=['idcar_200m','ind'])
ids = d.idcar_200m.str.extract(r'N(\d+)E(\d+)').astype(np.int64)
N_, E_ = ids[0].values, ids[1].values
ind = d.ind.values
off = np.load('/tmp/income-research/nord_official.npy')
tr = Transformer.from_crs(4326, 3035, always_xy=True)
cx, cy = E_+100.0, N_+100.0
gj = json.load(open('/tmp/nd/candidates.geojson'))
polys=[shapely.transform(shape(f['geometry']), lambda c: np.column_stack(tr.transform(c[:,0],c[:,1]))) for f in gj['features']]
def member(fill):
    lab = np.full(len(ind), -1)
    for k,p in enumerate(polys):
        if fill:
            geoms = p.geoms if isinstance(p, MultiPolygon) else [p]
            p = MultiPolygon([Polygon(g.exterior) for g in geoms])
        lab[contains_xy(p, cx, cy) & (lab<0)] = k
    return lab
def f1(lab):
    c = lab>=0
    tp = ind[c&off].sum(); P = tp/ind[c].sum(); R = tp/ind[off].sum()
    return f"P {P:.3f} R {R:.3f} F1 {2*P*R/(P+R):.3f} inh {ind[c].sum():.0f}"
key = {(n//200, e//200): i for i,(n,e) in enumerate(zip(N_,E_))}
def close(lab, k):
    out = lab.copy()
    for i in np.where(lab<0)[0]:
        n,e = N_[i]//200, E_[i]//200
        labs=[lab[key[(n+a,e+b)]] for a in (-1,0,1) for b in (-1,0,1) if (a,b)!=(0,0) and (n+a,e+b) in key]
        labs=[l for l in labs if l>=0]
        if labs:
            v,cnt = np.unique(labs, return_counts=True)
            if cnt.max()>=k: out[i]=v[cnt.argmax()]
    return out
def opening(lab, k):
    out = lab.copy()
    for i in np.where(lab>=0)[0]:
        n,e = N_[i]//200, E_[i]//200
        same=sum(1 for a in (-1,0,1) for b in (-1,0,1) if (a,b)!=(0,0) and (n+a,e+b) in key and lab[key[(n+a,e+b)]]==lab[i])
        if same<k: out[i]=-1
    return out
base = member(False); print('base', f1(base))
filled = member(True); print('fill inhabited holes', f1(filled))
for k in (3,4,5,6): print('close', k, f1(close(base,k)), '| fill+close', f1(close(filled,k)))
for k in (1,2,3): print('open', k, f1(opening(base,k)))

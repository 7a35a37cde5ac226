"""Robustness: HG with squares weighted by the share of their area inside each quartier (includes QP031018)."""
import numpy as np, json, shapely
from shapely.geometry import shape, box
from pyproj import Transformer
from scipy.stats import spearmanr
from variants import *
tr = Transformer.from_crs(4326, 3035, always_xy=True)
gj = json.load(open('/work/shared/data/qpv-official/qp2015_haute_garonne.geojson'))
rows = []
for k, f in enumerate(gj['features']):
    poly = shapely.transform(shape(f['geometry']), lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
    x0, y0, x1, y1 = poly.bounds
    cand = np.nonzero((G['e'] + 200 > x0) & (G['e'] < x1) & (G['n'] + 200 > y0) & (G['n'] < y1))[0]
    for i in cand:
        s = box(G['e'][i], G['n'][i], G['e'][i]+200, G['n'][i]+200).intersection(poly).area/40000
        if s > 0: rows.append((k, i, s))
gk = np.array([r[0] for r in rows]); gi = np.array([r[1] for r in rows]); gs = np.array([r[2] for r in rows])
codes = [f['properties']['code_qp'] for f in gj['features']]
pub = pd.read_csv('/work/shared/data/qpv-official/qp2015_haute_garonne.csv').set_index('code_qp').loc[codes]
for name, (a, b, c) in [('V0', today()), ('Va2', households()), ('Va3', households(norm=1.0521)), ('Vc1 loglogistic', loglogistic()), ('Vc3 shifted5000', shifted(5000.))]:
    q = group_q(gk, ind[gi]*gs, a[gi], b[gi], c, (0.1, 0.5, 0.9))
    pov = group_below(gk, ind[gi]*gs, a[gi], b[gi], c, L0)
    l = np.log(q[0.5]/pub.disp_q2.values); l1 = np.log(q[0.1]/pub.disp_d1.values); l9 = np.log(q[0.9]/pub.disp_d9.values)
    dd = np.log((q[0.9]/q[0.1])/(pub.disp_d9.values/pub.disp_d1.values))
    dp = 100*pov - pub.tp60.values
    print('%-16s n=%d ratio %.3f sd_q2 %.4f rho %.3f sd_d1 %.4f sd_d9 %.4f D9/D1 %.2f (pub %.2f) sd %.4f pov bias %.2f sd %.2f rho_pov %.3f' % (
        name, len(q[0.5]), np.exp(l.mean()), l.std(ddof=1), spearmanr(q[0.5], pub.disp_q2).correlation, l1.std(ddof=1), l9.std(ddof=1),
        (q[0.9]/q[0.1]).mean(), (pub.disp_d9/pub.disp_d1).mean(), dd.std(ddof=1), dp.mean(), dp.std(ddof=1), spearmanr(pov, pub.tp60).correlation))

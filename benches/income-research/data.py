"""Shared data: national grid arrays, UU placement (as crates/core/src/places.rs), Nord grid, official perimeters."""
import numpy as np, pandas as pd, json, gzip
G = dict(np.load('/tmp/income-research/met.npz', allow_pickle=True))
N = len(G['ind'])

def municipality(c):
    if c[:2] in ('75', '69', '13'):
        try: n = int(c)
        except ValueError: return c
        if 75101 <= n <= 75120: return '75056'
        if 69381 <= n <= 69389: return '69123'
        if 13201 <= n <= 13216: return '13055'
    return c

com = pd.read_csv('/work/main/crates/grid/data/communes_2021_uu2020.csv.gz', dtype=str)
com['in_uu'] = ~com.UU2020.str.endswith('000')
units = sorted(com.loc[com.in_uu, 'UU2020'].unique())
unit_index = {u: i for i, u in enumerate(units)}
pop_uu = com[com.in_uu].groupby('UU2020').POP_UU2020.first().astype(float)
unit_pop = np.array([pop_uu.get(u, 0.0) for u in units])
unit_of_commune = {r.CODGEO: (unit_index[r.UU2020] if r.in_uu else -1) for r in com.itertuples()}

def place(lcogs):
    cache = {}
    out = np.empty(len(lcogs), np.int64)
    for i, s in enumerate(lcogs):
        r = cache.get(s)
        if r is None:
            codes = [municipality(s[k:k+5]) for k in range(0, len(s), 5)]
            known = [unit_of_commune[c] for c in codes if c in unit_of_commune]
            if not known: r = -1
            elif len(known) == 1: r = known[0]
            else:
                votes = {}
                for u in known: votes[u] = votes.get(u, 0) + 1
                popf = lambda u: -1.0 if u < 0 else unit_pop[u]
                r = max(votes.items(), key=lambda kv: (kv[1], popf(kv[0]), -kv[0]))[0]
            cache[s] = r
        out[i] = r
    return out

ref = json.load(open('/work/main/crates/grid/data/medians_filosofi2019.json'))

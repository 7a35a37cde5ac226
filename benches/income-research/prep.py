import numpy as np, time
t=time.time()
from data import G, place
u = place(G['lcog'])
np.save('/tmp/income-research/met_unit.npy', u)
print(time.time()-t, (u>=0).sum())

"""The same job done the way a skilled analyst does it in Python, for comparison.

polars read of the needed columns, numpy log-normal fit per square (same formulas,
clamps and reference medians as qpv), thresholds per urban unit, shapely 2 boxes for
the flagged squares + coverage_union_all, geopandas spatial join for the population
of each part, filter >= 1 000 inhabitants, reprojection and GeoJSON export.

Simplifications against qpv (they make the peer's job *easier*, not harder): a
square takes the urban unit of its first commune; parts are those of the union of
all flagged squares (side contacts only, across urban units, no hole filling); the
pooled-median re-test is skipped (every part of flagged squares passes it anyway).

usage: python qpv_peer.py GRID.csv COMMUNES.csv.gz MEDIANS.json OUT.geojson
"""
import json
import sys

import geopandas as gpd
import numpy as np
import polars as pl
import shapely
from scipy.special import ndtri

grid_path, communes_path, medians_path, out_path = sys.argv[1:5]
FACTOR = 1.32

df = pl.read_csv(
    grid_path,
    columns=["idcar_200m", "lcog_geo", "ind", "men", "men_pauv", "ind_snv"],
    schema_overrides={"lcog_geo": pl.Utf8},
)
df = df.with_columns(
    pl.col("idcar_200m").str.extract(r"N(\d+)", 1).cast(pl.Int64).alias("n"),
    pl.col("idcar_200m").str.extract(r"E(\d+)", 1).cast(pl.Int64).alias("e"),
    pl.col("lcog_geo").str.slice(0, 5).alias("codgeo"),
)
communes = pl.read_csv(communes_path, infer_schema=False).select(
    pl.col("CODGEO").alias("codgeo"), pl.col("UU2020").alias("uu"), pl.col("POP_UU2020").cast(pl.Float64).alias("uu_pop")
)
df = df.join(communes, on="codgeo", how="left")

ref = json.load(open(medians_path))
line, national = ref["poverty_line"], ref["national_median"]
uu_median = pl.DataFrame(
    {"uu": list(ref["units"].keys()), "uu_median": [u["median"] for u in ref["units"].values()]}
)
df = df.join(uu_median, on="uu", how="left")

ind = df["ind"].to_numpy()
men = df["men"].to_numpy()
mean = df["ind_snv"].to_numpy() / np.where(ind > 0, ind, np.nan)
share = np.clip(df["men_pauv"].to_numpy() / np.where(men > 0, men, np.nan), 0.005, 0.95)
z = ndtri(share)
disc = z * z + 2 * np.log(mean / line)
sigma = z + np.sqrt(np.where(disc >= 0, disc, np.nan))
ok = (disc >= 0) & (sigma > 0) & (sigma >= 0.1) & (sigma <= 1.5)
sigma_b = np.clip(np.where(ok, sigma, 0.5), 0.1, 1.5)
median = np.where(ok, line * np.exp(-z * sigma), mean * np.exp(-sigma_b * sigma_b / 2))

uu_pop = df["uu_pop"].fill_null(0).to_numpy()
rounded = np.ceil((uu_pop - 1e-6) / 100) * 100
w = np.where(rounded >= 5_000_000, 0.3, 0.7)
legal = np.ceil((0.6 * (w * national + (1 - w) * df["uu_median"].fill_null(np.nan).to_numpy()) - 1e-6) / 100) * 100
flag = (rounded >= 10_000) & (median < legal * FACTOR)

e = df["e"].to_numpy()[flag]
n = df["n"].to_numpy()[flag]
boxes = shapely.box(e, n, e + 200, n + 200)
union = shapely.coverage_union_all(boxes)
parts = gpd.GeoDataFrame(geometry=shapely.get_parts(union), crs=3035)
points = gpd.GeoDataFrame({"ind": ind[flag]}, geometry=shapely.points(e + 100, n + 100), crs=3035)
joined = gpd.sjoin(points, parts, predicate="within")
population = joined.groupby("index_right")["ind"].sum()
parts["inhabitants"] = population.reindex(parts.index).fillna(0).to_numpy()
candidates = parts[parts["inhabitants"] >= 1000].to_crs(4326)
candidates.to_file(out_path, driver="GeoJSON")
print(f"{len(candidates)} candidates, {candidates['inhabitants'].sum():.0f} inhabitants", file=sys.stderr)

#!/usr/bin/env python3
"""Makes `drawn_perimeters_l93.*`: perimeters "drawn by hand" for the tests of `qpv check`
and `qpv adjust`, as a négociateur would send them: a Lambert-93 shapefile (.prj, UTF-8
.cpg), off the 200 m lattice, with accented names.

    qpv run --crs EPSG:3035 --out c3035        # the CAPH candidates, in the grid's CRS
    python3 data-samples/make_drawn_perimeters.py c3035/candidates.geojson data-samples/carreaux_200m_caph.csv

Needs GDAL's ogr2ogr (Debian's gdal-bin) for the projection to Lambert-93. Perimeters:

- DEN-01 "Denain – Faubourg Duchâteau": the Denain candidate moved by (+37 m, −23 m): it
  cuts squares on every side; meets the rule.
- DOU-01 "Cité Émile-Zola": one square inside the Douchy candidate, 30 m off the
  lattice: too few inhabitants.
- RAI-01 "Deux-Rives (Raismes, Wallers)": the Raismes and Wallers candidates as one
  perimeter: two parts.
- UU-01 "Entre deux unités urbaines": 4 × 4 squares around a place where inhabited squares
  of Saint-Amand-les-Eaux (59402) touch those of another urban unit.
"""

import csv
import gzip
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
COMMUNES = os.path.join(HERE, "..", "crates", "grid", "data", "communes_2021_uu2020.csv.gz")


def shift(geometry, dx, dy):
    def ring(r):
        return [[x + dx, y + dy] for x, y in r]

    if geometry["type"] == "Polygon":
        return [[ring(r) for r in geometry["coordinates"]]]
    return [[ring(r) for r in p] for p in geometry["coordinates"]]


def rectangle(x0, y0, x1, y1):
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


def urban_units():
    with gzip.open(COMMUNES, "rt", encoding="utf-8") as f:
        return {r["CODGEO"]: r["UU2020"] for r in csv.DictReader(f)}


def squares(grid_csv, uu_of):
    """Inhabited squares: (x, y) of the lower-left corner (m, EPSG:3035) → urban unit."""
    out = {}
    with open(grid_csv, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            sid = r["idcar_200m"]
            n = int(sid[sid.index("mN") + 2 : sid.rindex("E")])
            e = int(sid[sid.rindex("E") + 1 :])
            codes = [r["lcog_geo"][i : i + 5] for i in range(0, len(r["lcog_geo"]), 5)]
            units = [uu_of.get(c) for c in codes if uu_of.get(c)]
            if units and float(r["ind"]) > 0:
                out[(e, n)] = (max(set(units), key=units.count), float(r["ind"]))
    return out


def boundary_block(cells):
    """The 4 × 4 squares (25 m off the lattice) around a place where Saint-Amand-les-Eaux
    (59402) meets another urban unit, holding the most squares of the lesser of the two."""
    best = None
    for (x, y), (unit, _) in sorted(cells.items()):
        if unit != "59402":
            continue
        for dx, dy in [(200, 0), (0, 200), (-200, 0), (0, -200)]:
            other = cells.get((x + dx, y + dy))
            if not other or other[0] == "59402" or other[0].endswith("000"):
                continue
            x0, y0 = min(x, x + dx) - 200, min(y, y + dy) - 200
            block = [cells.get((x0 + i * 200, y0 + j * 200)) for i in range(4) for j in range(4)]
            counts = [sum(1 for b in block if b and b[0] == u) for u in ("59402", other[0])]
            people = sum(b[1] for b in block if b)
            score = (min(counts), people)
            if best is None or score > best[0]:
                best = (score, x0 + 25, y0 + 25)
    if best is None:
        raise SystemExit("no square of 59402 touches another urban unit")
    _, x0, y0 = best
    return rectangle(x0, y0, x0 + 800, y0 + 800)


def main(candidates_path, grid_csv, out_stem):
    candidates = {f["properties"]["id"]: f["geometry"] for f in json.load(open(candidates_path))["features"]}
    douchy = candidates["59701-02"]["coordinates"][0]
    xs, ys = [p[0] for p in douchy], [p[1] for p in douchy]
    # One square from the middle of the Douchy candidate's bounding box, 30 m off.
    cx, cy = (min(xs) + max(xs)) / 2 // 200 * 200 + 30, (min(ys) + max(ys)) / 2 // 200 * 200 + 30
    features = [
        ("DEN-01", "Denain – Faubourg Duchâteau", shift(candidates["59701-01"], 37, -23)),
        ("DOU-01", "Cité Émile-Zola", [rectangle(cx, cy, cx + 200, cy + 200)]),
        (
            "RAI-01",
            "Deux-Rives (Raismes, Wallers)",
            shift(candidates["59701-04"], 11, 9) + shift(candidates["59701-06"], 11, 9),
        ),
        ("UU-01", "Entre deux unités urbaines", [boundary_block(squares(grid_csv, urban_units()))]),
    ]
    collection = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3035"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"code_qp": code, "nom_qp": name},
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            }
            for code, name, polygons in features
        ],
    }
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "drawn.geojson")
        with open(source, "w", encoding="utf-8") as f:
            json.dump(collection, f, ensure_ascii=False)
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            if os.path.exists(f"{out_stem}.{ext}"):
                os.remove(f"{out_stem}.{ext}")
        subprocess.run(
            ["ogr2ogr", "-f", "ESRI Shapefile", "-s_srs", "EPSG:3035", "-t_srs", "EPSG:2154",
             "-lco", "ENCODING=UTF-8", "-nlt", "MULTIPOLYGON", f"{out_stem}.shp", source],
            check=True,
        )


if __name__ == "__main__":
    stem = sys.argv[3] if len(sys.argv) > 3 else os.path.join(HERE, "drawn_perimeters_l93")
    main(sys.argv[1], sys.argv[2], stem)

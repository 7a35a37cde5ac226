#!/usr/bin/env python3
"""Makes `buildings_cite_bdtopo.geojson`: a small layer of building footprints in the
schema of IGN's BD TOPO `batiment` layer (cleabs, nature, usage_1, usage_2,
etat_de_l_objet, nombre_de_logements, nombre_d_etages, hauteur), for the tests of
`qpv check --buildings`.

    python3 data-samples/make_buildings_sample.py

The buildings are NOT IGN's: they are placed by this script around "Cité Émile-Zola"
(DOU-01 of `drawn_perimeters_l93.shp`, a 200 m square drawn 30 m off the square whose
south-west corner is E 3 850 800, N 3 042 000 in EPSG:3035), in the four squares the
cité touches, with the dwellings the 200 m grid gives each square (`men_coll` flats,
`men_mais` houses of `carreaux_200m_caph.csv`): the cité's own 204 flats in four bars
inside its line, every other building outside it. Real BD TOPO footprints of Douchy-
les-Mines would give other figures; the layer exercises the format and the method.
Coordinates in EPSG:3035 (the file says so in its `crs` member).
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
X0, Y0 = 3_850_800, 3_042_000  # the cité's own square; the cité is [X0+30, X0+230] x [Y0+30, Y0+230]


def rect(x0, y0, x1, y1):
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


def building(n, geometry, dwellings, floors, use="Résidentiel"):
    return {
        "type": "Feature",
        "properties": {
            "cleabs": f"BATIMENT{n:016d}",
            "nature": "Indifférenciée",
            "usage_1": use,
            "usage_2": None,
            "etat_de_l_objet": "En service",
            "nombre_de_logements": dwellings,
            "nombre_d_etages": floors,
            "hauteur": 3.0 * floors,
        },
        "geometry": {"type": "Polygon", "coordinates": geometry},
    }


def houses(count, x0, y0, x1, y1):
    """`count` detached houses of 10 m x 10 m on a row-major grid inside the box."""
    out = []
    x, y = x0, y0
    for _ in range(count):
        out.append(rect(x, y, x + 10, y + 10))
        x += 14
        if x + 10 > x1:
            x, y = x0, y + 14
        assert y + 10 <= y1, "the box is too small for the houses"
    return out


def main():
    items = []  # (geometry, dwellings, floors)
    # The cité's square: 204 flats in four bars inside the line, 9 houses south of it.
    for k in range(4):
        items.append((rect(X0 + 50, Y0 + 45 + 38 * k, X0 + 190, Y0 + 63 + 38 * k), 51, 4))
    items += [(g, 1, 1) for g in houses(9, X0 + 5, Y0 + 3, X0 + 200, Y0 + 27)]
    # North (E X0, N Y0+200): 66 houses and a flat, north of the cité's 30 m strip.
    items += [(g, 1, 1) for g in houses(66, X0 + 5, Y0 + 245, X0 + 195, Y0 + 395)]
    items.append((rect(X0 + 40, Y0 + 380, X0 + 60, Y0 + 395), 1, 2))
    # East (E X0+200, N Y0): 213 flats in bars and 49 houses, east of the 30 m strip.
    for k in range(3):
        items.append((rect(X0 + 260, Y0 + 15 + 30 * k, X0 + 390, Y0 + 30 + 30 * k), 71, 5))
    items += [(g, 1, 1) for g in houses(49, X0 + 240, Y0 + 105, X0 + 398, Y0 + 198)]
    # North-east (E X0+200, N Y0+200): 96 flats and 68 houses, off the cité's corner.
    items += [(rect(X0 + 240 + 30 * k, Y0 + 250, X0 + 258 + 30 * k, Y0 + 390), 48, 4) for k in range(2)]
    items += [(g, 1, 1) for g in houses(68, X0 + 300, Y0 + 205, X0 + 398, Y0 + 398)]
    features = [building(n + 1, g, d, f) for n, (g, d, f) in enumerate(items)]
    # A school and a shop: buildings where nobody lives, left out by qpv.
    features.append(building(len(features) + 1, rect(X0 + 5, Y0 + 120, X0 + 25, Y0 + 180), 0, 2, "Enseignement"))
    features.append(building(len(features) + 1, rect(X0 + 205, Y0 + 205, X0 + 225, Y0 + 225), 0, 1, "Commercial et services"))
    collection = {
        "type": "FeatureCollection",
        "name": "batiment",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3035"}},
        "features": features,
    }
    out = os.path.join(HERE, "buildings_cite_bdtopo.geojson")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(collection, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out}: {len(features)} buildings")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Loads qpv's layers and their QML styles in QGIS itself (PyQGIS, headless).

    /usr/bin/python3 scripts/check-qgis-styles.py DIR GPKG LAYER:RENDERER [LAYER:RENDERER ...]

For each LAYER, opens DIR/LAYER.geojson, DIR/LAYER.shp (when present) and the layer of
DIR/GPKG; applies DIR/LAYER.qml; then opens the GeoPackage layer again and loads its
default style from the `layer_styles` table, as QGIS does when a user adds the layer.
Each must load, give the expected renderer type (graduatedSymbol, categorizedSymbol,
singleSymbol) and draw every feature (a class no value falls in draws nothing). Needs Debian's python3-qgis (apt-get install --no-install-recommends
python3-qgis qgis-providers). Prints one line per check; exits 1 on the first failure.
"""
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, "/usr/share/qgis/python")
from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsExpressionContextUtils,
    QgsRenderContext,
    QgsVectorLayer,
)


def check(source, name, qml, expected):
    layer = QgsVectorLayer(source, name, "ogr")
    if not layer.isValid():
        sys.exit(f"{source}: QGIS cannot open it")
    if qml is None:
        message, ok = layer.loadDefaultStyle()
    else:
        message, ok = layer.loadNamedStyle(qml)
    kind = layer.renderer().type()
    drawn = drawn_features(layer)
    print(f"{source}: {drawn} of {layer.featureCount()} features drawn, {layer.crs().authid()}, style {'ok' if ok else message}, {kind}")
    if not ok or kind != expected:
        sys.exit(f"{source}: expected a {expected} style, got {kind} ({message})")
    if drawn != layer.featureCount():
        sys.exit(f"{source}: the style draws {drawn} of {layer.featureCount()} features")


def drawn_features(layer):
    """How many features the style gives a symbol (a category or class that no value
    matches draws nothing)."""
    renderer = layer.renderer().clone()
    context = QgsRenderContext()
    # As QGIS renders: with the layer's scopes, so that expression classes evaluate.
    context.expressionContext().appendScopes(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    renderer.startRender(context, layer.fields())
    drawn = 0
    for feature in layer.getFeatures():
        # QGIS's render loop sets the feature in the context before asking for a symbol.
        context.expressionContext().setFeature(feature)
        drawn += renderer.symbolForFeature(feature, context) is not None
    renderer.stopRender(context)
    return drawn


def main():
    folder, gpkg, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
    app = QgsApplication([], False)
    app.initQgis()
    print(f"QGIS {Qgis.QGIS_VERSION}")
    for item in wanted:
        name, expected = item.split(":")
        qml = os.path.join(folder, f"{name}.qml")
        for ext in ("geojson", "shp"):
            path = os.path.join(folder, f"{name}.{ext}")
            if os.path.exists(path):
                check(path, name, qml, expected)
        package = f"{os.path.join(folder, gpkg)}|layername={name}"
        check(package, name, qml, expected)
        check(package, name, None, expected)
    app.exitQgis()


main()

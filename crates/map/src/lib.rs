/*!
Maps of `qpv`: what the candidates, a perimeter file or a comparison look like, drawn
in the grid's CRS. [`svg`] draws a [`MapScene`] with a scale bar, a north arrow, a
legend and labels kept apart; [`png()`] rasterises that SVG with `resvg` (system fonts);
[`html`] wraps it in a self-contained page (no network) to pan, zoom and click.
[`svg_on_paper`] draws the same map for a width in points on paper, its text, symbols,
legend and scale bar sized to read there ([`Paper`]), and [`MapScene::focus`] sets apart
the perimeter a map is about. [`atlas`] lays out A4 pages around such maps (a cover,
then a page per perimeter) and turns them into one PDF with `krilla-svg`, on the same
`usvg`, and one HTML page.
[`palette`] holds every colour they draw with, and those of the `qpv serve` page.

What makes a map read at every scale is optional, and a scene without it draws as
before: [`MapScene::inhabited`] (a light population-density background, summed into
cells about a pixel wide), [`MapScene::places`] (names chosen and sized by importance
for the map's metres per pixel: see [`LOCAL_MAX_METRES_PER_PX`]) and
[`MapScene::inhabitants`] (perimeters under [`SYMBOL_PX`] drawn as circles sized by
them).

[`content`] fills the parts of a scene from a run (`qpv-core`) and perimeter files
(`qpv-layers`): the candidates or a file's perimeters as features, the squares by
median, the schools, the density background and the places to name.

# Example

One perimeter of 1 km² and one square coloured by its estimated median.

```
use geo_types::{Rect, coord};
use qpv_map::{FeatureClass, MapFeature, MapScene, MapSquare, svg};

let square = Rect::new(coord! { x: 3_850_000.0, y: 3_035_000.0 }, coord! { x: 3_851_000.0, y: 3_036_000.0 });
let scene = MapScene {
    title: "Denain".into(),
    note: "estimates".into(),
    square_size: 200.0,
    squares: vec![MapSquare { x: 3_850_000.0, y: 3_035_000.0, median: 11_000.0 }],
    features: vec![MapFeature {
        geometry: geo_types::MultiPolygon(vec![square.to_polygon()]),
        class: FeatureClass::Perimeter(Some(1_200.0)),
        label: "59701-01".into(),
        info: vec![("inhabitants".into(), "1 234".into())],
    }],
    ..MapScene::default()
};
let drawing = svg(&scene)?;
assert!(drawing.starts_with("<svg") && drawing.contains("59701-01"));
# Ok::<(), Box<dyn std::error::Error>>(())
```
*/
#![deny(missing_docs)]

pub mod atlas;
pub mod content;
mod density;
mod draw;
mod legend;
pub mod palette;
mod places;

pub use density::InhabitedSquare;
pub use draw::{
    FeatureClass, MapFeature, MapPoint, MapScene, MapSquare, Paper, SYMBOL_PX, html, png, svg, svg_on_paper,
};
pub use legend::scale_length;
pub use palette::{DENSITY_CLASSES, MEDIAN_CLASSES};
pub use places::{LOCAL_MAX_METRES_PER_PX, MapPlace, PlaceKind, REGIONAL_MAX_METRES_PER_PX};

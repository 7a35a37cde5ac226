//! Maps to look at: an SVG (and its PNG, rasterised by `resvg`) with a scale bar, a
//! legend and commune labels, and a self-contained HTML page (everything inlined, no
//! network) where a user pans, zooms and clicks a perimeter to see its figures.
//!
//! Everything is drawn in the grid's CRS, which is metric and equal-area (EPSG:3035 in
//! metropolitan France): distances on the scale bar are true to within the projection's
//! scale error (under 0.1 % over a département).

use crate::density::{self, InhabitedSquare};
use crate::palette::{self, DENSITY_CLASSES, MEDIAN_CLASSES, PERIMETER_FILLS, PERIMETER_INK, PLACE_INK};
use crate::places::{self, MapPlace, Scale};
use geo::{BoundingRect, InteriorPoint};
use geo_types::{Coord, LineString, MultiPolygon};
use qpv_grid::IoError;
use std::fmt::Write as _;

/// How a feature is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FeatureClass {
    /// A candidate (or other perimeter), by margin below the threshold (€), if known.
    Perimeter(Option<f64>),
    /// A comparison piece in both sets.
    Kept,
    /// A comparison piece only in the other set.
    Added,
    /// A comparison piece only in the reference set.
    Removed,
}

/// A polygon feature of the map.
#[derive(Debug, Clone)]
pub struct MapFeature {
    /// Geometry in the grid's CRS.
    pub geometry: MultiPolygon<f64>,
    /// How it is drawn.
    pub class: FeatureClass,
    /// Its label (an id), drawn at an interior point.
    pub label: String,
    /// Figures shown when it is clicked in the HTML page.
    pub info: Vec<(String, String)>,
}

/// A point (a school).
#[derive(Debug, Clone)]
pub struct MapPoint {
    /// Position in the grid's CRS.
    pub x: f64,
    /// Position in the grid's CRS.
    pub y: f64,
    /// Name shown on click and in the title tooltip.
    pub label: String,
    /// Category (e.g. `REP+`, `REP`); `REP+` is drawn darker.
    pub category: String,
}

/// A square coloured by its estimated median.
#[derive(Debug, Clone, Copy)]
pub struct MapSquare {
    /// South-west corner in the grid's CRS.
    pub x: f64,
    /// South-west corner in the grid's CRS.
    pub y: f64,
    /// Estimated median niveau de vie, €.
    pub median: f64,
}

/// Everything a map shows.
#[derive(Debug, Clone, Default)]
pub struct MapScene {
    /// Title.
    pub title: String,
    /// Source and caveat line.
    pub note: String,
    /// Square side (m), for [`MapScene::squares`].
    pub square_size: f64,
    /// Squares by estimated median (optional layer).
    pub squares: Vec<MapSquare>,
    /// Polygons.
    pub features: Vec<MapFeature>,
    /// Points.
    pub points: Vec<MapPoint>,
    /// Commune names at their residents' centre, most important first: a label that
    /// would overlap one already placed is left out.
    pub labels: Vec<(f64, f64, String)>,
    /// Inhabited squares (side [`MapScene::square_size`]), drawn beneath everything as a
    /// light population-density layer, summed into cells about a pixel wide (empty: no
    /// background).
    pub inhabited: Vec<InhabitedSquare>,
    /// Named places (urban units, communes), shown by importance according to the map's
    /// scale (see [`LOCAL_MAX_METRES_PER_PX`](crate::LOCAL_MAX_METRES_PER_PX)), before
    /// [`MapScene::labels`].
    pub places: Vec<MapPlace>,
    /// Inhabitants of each feature, by index in [`MapScene::features`]. A perimeter whose
    /// drawing would be under [`SYMBOL_PX`] pixels across and whose inhabitants are known
    /// is drawn as a circle of area proportional to them (empty: every feature outlined).
    pub inhabitants: Vec<f64>,
}

/// A perimeter narrower and lower than this on the map (pixels) is drawn as a symbol,
/// when its inhabitants are known: under a few pixels its outline is a speck.
pub const SYMBOL_PX: f64 = 6.0;

/// Radius (px) of the symbol of a perimeter of 1 000 inhabitants; the area grows with
/// the inhabitants, the radius kept between 2 and 16 px.
const SYMBOL_R_1000: f64 = 2.2;

/// The radius of the symbol of `inhabitants`.
fn symbol_radius(inhabitants: f64) -> f64 {
    (SYMBOL_R_1000 * (inhabitants / 1_000.0).sqrt()).clamp(2.0, 16.0)
}

const WIDTH: f64 = 1200.0;
const PAD: f64 = 20.0;
const HEADER: f64 = 56.0;

/// Screen transform of a scene.
pub(crate) struct Frame {
    pub(crate) min: Coord<f64>,
    pub(crate) max: Coord<f64>,
    /// Pixels per metre.
    pub(crate) k: f64,
    /// Bottom of the map area (the legend and scale bar are below it).
    bottom: f64,
    height: f64,
}

impl Frame {
    /// The frame of exactly `min`–`max`, with no footer.
    #[cfg(test)]
    pub(crate) fn new(min: Coord<f64>, max: Coord<f64>) -> Frame {
        let k = (WIDTH - 2.0 * PAD) / (max.x - min.x);
        let bottom = (max.y - min.y) * k + 2.0 * PAD + HEADER;
        Frame { min, max, k, bottom, height: bottom }
    }

    /// Metres per pixel: what decides the scale of labels and of the background's cells.
    pub(crate) fn metres_per_px(&self) -> f64 {
        1.0 / self.k
    }

    /// The frame of what a scene draws; its height is set once the legend is known.
    fn of(scene: &MapScene) -> Option<Frame> {
        let mut rects = scene.features.iter().filter_map(|f| f.geometry.bounding_rect());
        let first = rects.next()?;
        let (mut min, mut max) = (first.min(), first.max());
        for r in rects {
            min = Coord { x: min.x.min(r.min().x), y: min.y.min(r.min().y) };
            max = Coord { x: max.x.max(r.max().x), y: max.y.max(r.max().y) };
        }
        for p in &scene.points {
            min = Coord { x: min.x.min(p.x), y: min.y.min(p.y) };
            max = Coord { x: max.x.max(p.x), y: max.y.max(p.y) };
        }
        // A margin of 8 % (at least 500 m) around what is drawn.
        let m = ((max.x - min.x).max(max.y - min.y) * 0.08).max(500.0);
        let (min, max) = (Coord { x: min.x - m, y: min.y - m }, Coord { x: max.x + m, y: max.y + m });
        let k = (WIDTH - 2.0 * PAD) / (max.x - min.x);
        let bottom = (max.y - min.y) * k + 2.0 * PAD + HEADER;
        Some(Frame { min, max, k, bottom, height: bottom })
    }

    pub(crate) fn x(&self, x: f64) -> f64 {
        PAD + (x - self.min.x) * self.k
    }

    pub(crate) fn y(&self, y: f64) -> f64 {
        HEADER + PAD + (self.max.y - y) * self.k
    }

    pub(crate) fn inside(&self, x: f64, y: f64) -> bool {
        x >= self.min.x && x <= self.max.x && y >= self.min.y && y <= self.max.y
    }

    fn path(&self, mp: &MultiPolygon<f64>) -> String {
        let mut d = String::new();
        let mut ring = |ls: &LineString<f64>| {
            for (i, c) in ls.0.iter().enumerate() {
                let _ = write!(d, "{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, self.x(c.x), self.y(c.y));
            }
            d.push('Z');
        };
        for p in &mp.0 {
            ring(p.exterior());
            p.interiors().iter().for_each(&mut ring);
        }
        d
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn perimeter_fill(margin: Option<f64>) -> &'static str {
    let classes = qpv_layers::styles::MARGIN_CLASSES;
    match margin {
        None => palette::PERIMETER_FILL_UNKNOWN,
        Some(m) => classes.iter().position(|c| m < c.1).map_or(PERIMETER_FILLS[3], |k| PERIMETER_FILLS[k]),
    }
}

fn fill_of(class: FeatureClass) -> (&'static str, &'static str) {
    match class {
        FeatureClass::Perimeter(m) => (perimeter_fill(m), palette::PERIMETER_LINE),
        FeatureClass::Kept => palette::KEPT,
        FeatureClass::Added => palette::ADDED,
        FeatureClass::Removed => palette::REMOVED,
    }
}

/// A scale bar length: 1, 2 or 5 × 10ⁿ metres, about a fifth of the map's width.
pub fn scale_length(map_width_m: f64) -> f64 {
    let target = map_width_m / 5.0;
    let base = 10f64.powf(target.log10().floor());
    [5.0, 2.0, 1.0].into_iter().map(|f| f * base).find(|l| *l <= target).unwrap_or(base)
}

fn distance_label(m: f64) -> String {
    if m >= 1000.0 { format!("{} km", m / 1000.0) } else { format!("{m} m") }
}

/// The map as SVG.
pub fn svg(scene: &MapScene) -> Result<String, IoError> {
    let mut f = Frame::of(scene)
        .ok_or_else(|| IoError::Encode { what: "map", message: "nothing to draw: no perimeter".into() })?;
    let symbols = symbols(scene, &f);
    let mut map = String::new();
    let background = density::draw(&mut map, &scene.inhabited, scene.square_size, &f);
    squares(&mut map, scene, &f);
    features(&mut map, scene, &f, !scene.squares.is_empty(), &symbols);
    let (ids, placed_names) = place_labels(scene, &f, &symbols);
    id_texts(&mut map, &ids);
    points(&mut map, scene, &f);
    names(&mut map, &placed_names);
    let entries = legend_entries(scene, background, symbols.iter().any(Option::is_some));
    f.height = f.bottom + entries.len().div_ceil(2) as f64 * 18.0 + 24.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h:.0}" viewBox="0 0 {w} {h:.0}" font-family="DejaVu Sans, Arial, sans-serif">"#,
        w = WIDTH,
        h = f.height
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r##"<clipPath id="frame"><rect x="0" y="{HEADER}" width="{WIDTH}" height="{:.0}"/></clipPath><g id="map" clip-path="url(#frame)">"##,
        f.bottom - HEADER
    );
    s.push_str(&map);
    let _ = writeln!(s, "</g>");
    header(&mut s, scene);
    scale_bar(&mut s, &f);
    legend(&mut s, &entries, &f);
    s.push_str("</svg>\n");
    Ok(s)
}

fn squares(s: &mut String, scene: &MapScene, f: &Frame) {
    if scene.squares.is_empty() {
        return;
    }
    let side = scene.square_size * f.k;
    let _ = writeln!(s, r#"<g id="squares" opacity="0.75">"#);
    for q in scene.squares.iter().filter(|q| f.inside(q.x, q.y)) {
        let color = palette::median_colour(q.median);
        let _ = writeln!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="{side:.1}" height="{side:.1}" fill="{color}"/>"#,
            f.x(q.x),
            f.y(q.y + scene.square_size)
        );
    }
    s.push_str("</g>\n");
}

/// Boxes of the labels drawn so far (x0, y0, x1, y1 in pixels), to keep labels apart.
#[derive(Default)]
pub(crate) struct Placed(pub(crate) Vec<[f64; 4]>);

/// Whether two boxes (x0, y0, x1, y1) overlap.
pub(crate) fn overlap(b: &[f64; 4], o: &[f64; 4]) -> bool {
    b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]
}

impl Placed {
    /// Half the width of a text (an estimate: 0.6 em a character) and a margin.
    pub(crate) fn half_width(text: &str, size: f64) -> f64 {
        text.chars().count() as f64 * size * 0.6 / 2.0 + 2.0
    }

    /// The box of a text centred on `x` with its baseline at `y`.
    pub(crate) fn text_box(x: f64, y: f64, text: &str, size: f64) -> [f64; 4] {
        let w = Placed::half_width(text, size);
        [x - w, y - size, x + w, y + 3.0]
    }

    /// Whether a box overlaps one already taken.
    pub(crate) fn overlaps(&self, b: &[f64; 4]) -> bool {
        self.0.iter().any(|o| overlap(b, o))
    }

    /// Reserves the box of a text centred on `(x, y)` unless it overlaps one already taken.
    pub(crate) fn take(&mut self, x: f64, y: f64, text: &str, size: f64) -> bool {
        let b = Placed::text_box(x, y, text, size);
        if self.overlaps(&b) {
            return false;
        }
        self.0.push(b);
        true
    }
}

/// For each feature, the radius of its symbol, or `None` when it is outlined. Only
/// perimeters become symbols (a comparison's pieces are often slivers, which a circle
/// would misrepresent), when their inhabitants are known and their bounding box is under
/// [`SYMBOL_PX`] on both sides.
fn symbols(scene: &MapScene, f: &Frame) -> Vec<Option<f64>> {
    scene
        .features
        .iter()
        .enumerate()
        .map(|(k, feat)| {
            let inhabitants = scene.inhabitants.get(k).copied().filter(|n| n.is_finite() && *n > 0.0)?;
            let r = feat.geometry.bounding_rect()?;
            let small = r.width().max(r.height()) * f.k < SYMBOL_PX;
            (matches!(feat.class, FeatureClass::Perimeter(_)) && small).then(|| symbol_radius(inhabitants))
        })
        .collect()
}

/// The centre of a feature's bounding box (where its symbol goes).
fn centre(feat: &MapFeature) -> Option<Coord<f64>> {
    feat.geometry.bounding_rect().map(|r| r.center())
}

/// A feature's tooltip: its label and figures.
fn title(feat: &MapFeature) -> String {
    let info: Vec<String> = feat.info.iter().map(|(a, b)| format!("{}: {}", escape(a), escape(b))).collect();
    format!("{}&#10;{}", escape(&feat.label), info.join("&#10;"))
}

/// Perimeters: filled, or over squares outlined in their colour with a light fill (so
/// that the squares beneath stay readable); the small ones as symbols, largest first so
/// that none hides a smaller one, over their true outline (seen when zooming the page).
fn features(s: &mut String, scene: &MapScene, f: &Frame, over_squares: bool, symbols: &[Option<f64>]) {
    let _ = writeln!(s, r#"<g id="perimeters">"#);
    for (k, feat) in scene.features.iter().enumerate().filter(|(k, _)| symbols[*k].is_none()) {
        let (fill, stroke) = fill_of(feat.class);
        let (opacity, stroke, width) =
            if over_squares { ("0.12", fill, "3") } else { ("0.65", stroke, "1.2") };
        let _ = writeln!(
            s,
            r#"<path class="feature" data-k="{k}" d="{}" fill="{fill}" fill-opacity="{opacity}" fill-rule="evenodd" stroke="{stroke}" stroke-width="{width}" stroke-linejoin="round"><title>{}</title></path>"#,
            f.path(&feat.geometry),
            title(feat)
        );
    }
    let mut small: Vec<(usize, f64)> =
        symbols.iter().enumerate().filter_map(|(k, r)| Some((k, (*r)?))).collect();
    small.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    for &(k, r) in &small {
        let feat = &scene.features[k];
        let Some(c) = centre(feat) else { continue };
        let _ = writeln!(
            s,
            r##"<circle class="feature" data-k="{k}" cx="{:.1}" cy="{:.1}" r="{r:.1}" fill="{}" fill-opacity="0.85" stroke="#ffffff" stroke-width="0.8"><title>{}</title></circle>"##,
            f.x(c.x),
            f.y(c.y),
            fill_of(feat.class).0,
            title(feat)
        );
    }
    if !small.is_empty() {
        let _ = write!(s, r##"<path d=""##);
        for &(k, _) in &small {
            s.push_str(&f.path(&scene.features[k].geometry));
        }
        let _ = writeln!(
            s,
            r##"" fill="none" stroke="{PERIMETER_INK}" stroke-width="0.4" stroke-opacity="0.5" pointer-events="none"/>"##
        );
    }
}

/// The perimeter ids placed: at an interior point of an outline, below a symbol.
fn id_labels<'a>(
    scene: &'a MapScene,
    f: &Frame,
    symbols: &[Option<f64>],
    placed: &mut Placed,
) -> Vec<(f64, f64, &'a str)> {
    let mut out = Vec::new();
    for (feat, symbol) in scene.features.iter().zip(symbols).filter(|(x, _)| !x.label.is_empty()) {
        let at = match symbol {
            Some(r) => centre(feat).map(|c| (f.x(c.x), f.y(c.y) + r + 12.0)),
            None => feat.geometry.interior_point().map(|p| (f.x(p.x()), f.y(p.y()))),
        };
        if let Some((x, y)) = at
            && placed.take(x, y, &feat.label, 11.0)
        {
            out.push((x, y, feat.label.as_str()));
        }
    }
    out
}

fn id_texts(s: &mut String, ids: &[(f64, f64, &str)]) {
    for (x, y, label) in ids {
        let _ = writeln!(
            s,
            r##"<text x="{x:.1}" y="{y:.1}" font-size="11" font-weight="bold" text-anchor="middle" fill="{PERIMETER_INK}" stroke="#ffffff" stroke-width="3" paint-order="stroke" pointer-events="none">{}</text>"##,
            escape(label)
        );
    }
    s.push_str("</g>\n");
}

fn points(s: &mut String, scene: &MapScene, f: &Frame) {
    if scene.points.is_empty() {
        return;
    }
    let _ = writeln!(s, r#"<g id="schools">"#);
    for p in scene.points.iter().filter(|p| f.inside(p.x, p.y)) {
        let fill = if p.category.contains('+') { palette::REP_PLUS } else { palette::REP };
        let _ = writeln!(
            s,
            r##"<circle cx="{:.1}" cy="{:.1}" r="5" fill="{fill}" stroke="#ffffff" stroke-width="1.5"><title>{} ({})</title></circle>"##,
            f.x(p.x),
            f.y(p.y),
            escape(&p.label),
            escape(&p.category)
        );
    }
    s.push_str("</g>\n");
}

/// Names placed, in the order of importance of the map's scale: at local scale the
/// perimeter ids first, then places; at regional and national scale the places first,
/// then the ids where there is room around the symbols; then [`MapScene::labels`].
fn place_labels<'a>(
    scene: &'a MapScene,
    f: &Frame,
    symbols: &[Option<f64>],
) -> (Vec<(f64, f64, &'a str)>, Vec<places::Label<'a>>) {
    let scale = Scale::of(f.metres_per_px());
    let mut placed = Placed::default();
    let boxes: Vec<[f64; 4]> = scene
        .features
        .iter()
        .zip(symbols)
        .filter_map(|(feat, r)| {
            let (r, c) = ((*r)?, centre(feat)?);
            let (x, y) = (f.x(c.x), f.y(c.y));
            Some([x - r, y - r, x + r, y + r])
        })
        .collect();
    let (ids, mut names) = if scale == Scale::Local {
        placed.0.extend(&boxes);
        let ids = id_labels(scene, f, symbols, &mut placed);
        (ids, places::place(&scene.places, scale, f, &mut placed, &[]))
    } else {
        // Names first, moved off the symbols where they can be; then the ids around them.
        let names = places::place(&scene.places, scale, f, &mut placed, &boxes);
        placed.0.extend(&boxes);
        (id_labels(scene, f, symbols, &mut placed), names)
    };
    let local = places::Style { size: 13.0, bold: false, italic: true };
    for (x, y, name) in scene.labels.iter().filter(|(x, y, _)| f.inside(*x, *y)) {
        if placed.take(f.x(*x), f.y(*y), name, 13.0) {
            names.push(places::Label { x: f.x(*x), y: f.y(*y), text: name, style: local });
        }
    }
    (ids, names)
}

fn names(s: &mut String, names: &[places::Label]) {
    let _ = writeln!(s, r#"<g id="communes" pointer-events="none">"#);
    for l in names {
        let weight = if l.style.bold { r#" font-weight="bold""# } else { "" };
        let italic = if l.style.italic { r#" font-style="italic""# } else { "" };
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="{}"{weight}{italic} text-anchor="middle" fill="{PLACE_INK}" stroke="#ffffff" stroke-width="3.5" paint-order="stroke">{}</text>"##,
            l.x,
            l.y,
            l.style.size,
            escape(l.text)
        );
    }
    s.push_str("</g>\n");
}

fn header(s: &mut String, scene: &MapScene) {
    let _ = writeln!(
        s,
        r##"<rect width="{WIDTH}" height="{HEADER}" fill="#ffffff" opacity="0.92"/><text x="{PAD}" y="26" font-size="20" font-weight="bold" fill="#111111">{}</text><text x="{PAD}" y="46" font-size="12" fill="#444444">{}</text>"##,
        escape(&scene.title),
        escape(&scene.note)
    );
}

fn scale_bar(s: &mut String, f: &Frame) {
    let length = scale_length(f.max.x - f.min.x);
    let px = length * f.k;
    let (x0, y0) = (WIDTH - PAD - px - 10.0, f.bottom + 30.0);
    let _ = writeln!(
        s,
        r##"<g id="scale"><rect x="{:.1}" y="{:.1}" width="{:.1}" height="34" fill="#ffffff" opacity="0.85"/><rect x="{x0:.1}" y="{y0:.1}" width="{:.1}" height="6" fill="#ffffff" stroke="#000000"/><rect x="{x0:.1}" y="{y0:.1}" width="{:.1}" height="6" fill="#000000"/><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{}</text><text x="{x0:.1}" y="{:.1}" font-size="12" text-anchor="middle">0</text></g>"##,
        x0 - 14.0,
        y0 - 20.0,
        px + 28.0,
        px,
        px / 2.0,
        x0 + px,
        y0 - 5.0,
        distance_label(length),
        y0 - 5.0
    );
    // North arrow.
    let (nx, ny) = (WIDTH - PAD - 16.0, HEADER + PAD + 10.0);
    let _ = writeln!(
        s,
        r##"<g id="north"><path d="M{nx},{ny} l-8,22 l8,-6 l8,6 z" fill="#000000"/><text x="{nx}" y="{:.0}" font-size="12" text-anchor="middle">N</text></g>"##,
        ny + 36.0
    );
}

/// What a legend entry shows beside its text.
enum Key {
    /// A filled box.
    Box(&'static str),
    /// A dot (a school).
    Dot(&'static str),
    /// The background's classes side by side.
    Ramp,
    /// Two perimeter symbols, of 1 000 and 10 000 inhabitants.
    Circles,
}

fn legend_entries(scene: &MapScene, background: bool, symbols: bool) -> Vec<(String, Key)> {
    let mut entries: Vec<(String, Key)> = Vec::new();
    let has = |c: fn(&FeatureClass) -> bool| scene.features.iter().any(|x| c(&x.class));
    if has(|c| matches!(c, FeatureClass::Perimeter(_))) {
        for (k, (_, _, _, label)) in qpv_layers::styles::MARGIN_CLASSES.iter().enumerate() {
            entries.push((format!("perimeter, median {label}"), Key::Box(PERIMETER_FILLS[k])));
        }
    }
    if symbols {
        entries.push(("small perimeter: 1 000, 10 000 inhabitants (circle area)".into(), Key::Circles));
    }
    for (class, label) in [
        (FeatureClass::Kept, "in both sets (kept)"),
        (FeatureClass::Added, "only in the other set (added)"),
        (FeatureClass::Removed, "only in the reference (removed)"),
    ] {
        if scene.features.iter().any(|x| x.class == class) {
            entries.push((label.to_owned(), Key::Box(fill_of(class).0)));
        }
    }
    if !scene.squares.is_empty() {
        let mut lower = 0.0;
        for (upper, color) in MEDIAN_CLASSES {
            let label = if upper.is_finite() {
                format!("square median {}–{} €", qpv_grid::thousands(lower), qpv_grid::thousands(upper))
            } else {
                format!("square median ≥ {} €", qpv_grid::thousands(lower))
            };
            entries.push((label, Key::Box(color)));
            lower = upper;
        }
    }
    if !scene.points.is_empty() {
        entries.push(("REP+ collège".into(), Key::Dot(palette::REP_PLUS)));
        entries.push(("REP collège".into(), Key::Dot(palette::REP)));
    }
    if background {
        let bounds: Vec<String> = DENSITY_CLASSES
            .iter()
            .take(DENSITY_CLASSES.len() - 1)
            .map(|c| qpv_grid::thousands(c.0))
            .collect();
        entries.push((format!("inhabitants per km² ({})", bounds.join(", ")), Key::Ramp));
    }
    entries
}

/// The legend, in two columns below the map.
fn legend(s: &mut String, entries: &[(String, Key)], f: &Frame) {
    let rows = entries.len().div_ceil(2);
    let _ = writeln!(
        s,
        r##"<g id="legend"><line x1="0" y1="{b:.1}" x2="{WIDTH}" y2="{b:.1}" stroke="#999999"/>"##,
        b = f.bottom
    );
    for (k, (label, key)) in entries.iter().enumerate() {
        let x0 = PAD + (k / rows) as f64 * 380.0;
        let y = f.bottom + 10.0 + (k % rows) as f64 * 18.0;
        let mut text_x = x0 + 32.0;
        match key {
            Key::Dot(color) => {
                let _ = write!(
                    s,
                    r##"<circle cx="{:.1}" cy="{:.1}" r="5" fill="{color}" stroke="#ffffff"/>"##,
                    x0 + 16.0,
                    y + 7.0
                );
            }
            Key::Box(color) => {
                let _ = write!(
                    s,
                    r##"<rect x="{:.1}" y="{y:.1}" width="16" height="13" fill="{color}" stroke="#555555"/>"##,
                    x0 + 8.0
                );
            }
            Key::Ramp => {
                for (j, (_, color)) in DENSITY_CLASSES.iter().enumerate() {
                    let _ = write!(
                        s,
                        r##"<rect x="{:.1}" y="{y:.1}" width="12" height="13" fill="{color}" stroke="#888888" stroke-width="0.5"/>"##,
                        x0 + 8.0 + 12.0 * j as f64
                    );
                }
                text_x = x0 + 8.0 + 12.0 * DENSITY_CLASSES.len() as f64 + 8.0;
            }
            Key::Circles => {
                let (small, large) = (symbol_radius(1_000.0), symbol_radius(10_000.0));
                let _ = write!(
                    s,
                    r##"<circle cx="{:.1}" cy="{:.1}" r="{small:.1}" fill="#fc6a4a" stroke="#ffffff" stroke-width="0.8"/><circle cx="{:.1}" cy="{:.1}" r="{large:.1}" fill="#fc6a4a" stroke="#ffffff" stroke-width="0.8"/>"##,
                    x0 + 8.0 + small,
                    y + 7.0,
                    x0 + 8.0 + 2.0 * small + 3.0 + large,
                    y + 7.0
                );
                text_x = x0 + 8.0 + 2.0 * (small + large) + 3.0 + 8.0;
            }
        }
        let _ = writeln!(
            s,
            r#"<text x="{text_x:.1}" y="{:.1}" font-size="12">{}</text>"#,
            y + 11.0,
            escape(label)
        );
    }
    s.push_str("</g>\n");
}

/// Rasterises an SVG to PNG with the system fonts (labels need at least one font, such
/// as Debian's fonts-dejavu-core; without fonts the PNG has no text and a warning says so).
pub fn png(svg: &str) -> Result<(Vec<u8>, bool), IoError> {
    use resvg::{tiny_skia, usvg};
    let enc = |m: String| IoError::Encode { what: "PNG map", message: m };
    let mut options = usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    let fonts = !options.fontdb.is_empty();
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| enc(e.to_string()))?;
    let size = tree.size().to_int_size();
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| enc("empty map".into()))?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    // The map is drawn on an opaque white rectangle: without the alpha channel the PNG is
    // 5 % smaller (national map: 413 KB against 435 KB), for the same encoding time.
    let opaque = pixmap.pixels().iter().all(|p| p.alpha() == 255);
    let (color, data) = if opaque {
        (png::ColorType::Rgb, pixmap.pixels().iter().flat_map(|p| [p.red(), p.green(), p.blue()]).collect())
    } else {
        (png::ColorType::Rgba, pixmap.take_demultiplied())
    };
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, size.width(), size.height());
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| enc(e.to_string()))?;
        writer.write_image_data(&data).map_err(|e| enc(e.to_string()))?;
    }
    Ok((bytes, fonts))
}

/// A self-contained HTML page: the SVG inlined, figures as JSON, a few lines of script
/// to pan (drag), zoom (wheel, buttons) and show a perimeter's figures on click.
pub fn html(scene: &MapScene, svg: &str) -> String {
    let info: Vec<serde_json::Value> = scene
        .features
        .iter()
        .map(|f| {
            let mut m = serde_json::Map::new();
            m.insert("id".into(), f.label.clone().into());
            for (k, v) in &f.info {
                m.insert(k.clone(), v.clone().into());
            }
            serde_json::Value::Object(m)
        })
        .collect();
    let data = serde_json::to_string(&info).unwrap_or_default().replace("</", "<\\/");
    format!(
        r#"<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ margin: 0; font-family: "DejaVu Sans", Arial, sans-serif; display: flex; height: 100vh; }}
#view {{ flex: 1; overflow: hidden; cursor: grab; background: #f4f4f4; }}
#view svg {{ width: 100%; height: 100%; }}
#panel {{ width: 300px; padding: 12px; border-left: 1px solid #ccc; overflow: auto; font-size: 13px; }}
#panel table {{ border-collapse: collapse; }} #panel td {{ padding: 2px 6px; border-bottom: 1px solid #eee; }}
.feature:hover {{ stroke-width: 3; }} .selected {{ stroke: #0000ff !important; stroke-width: 3 !important; }}
button {{ margin: 2px; }}
</style></head><body>
<div id="view">{svg}</div>
<div id="panel"><h3>{title}</h3><p>{note}</p><p><button id="zin">+</button><button id="zout">−</button><button id="reset">reset</button></p>
<p>Drag to pan, wheel to zoom, click a perimeter for its figures (or open the page as map.html#ID).</p><div id="info"></div></div>
<script>
const data = {data};
const svg = document.querySelector('#view svg');
const full = svg.viewBox.baseVal; const home = [full.x, full.y, full.width, full.height];
let vb = home.slice();
function apply() {{ svg.setAttribute('viewBox', vb.join(' ')); }}
function zoom(f, cx, cy) {{ const nw = vb[2] * f, nh = vb[3] * f; vb = [cx - (cx - vb[0]) * f, cy - (cy - vb[1]) * f, nw, nh]; apply(); }}
function toMap(e) {{ const r = svg.getBoundingClientRect(); const s = Math.max(vb[2] / r.width, vb[3] / r.height);
  const ox = (r.width * s - vb[2]) / 2, oy = (r.height * s - vb[3]) / 2;
  return [vb[0] - ox + (e.clientX - r.left) * s, vb[1] - oy + (e.clientY - r.top) * s, s]; }}
svg.addEventListener('wheel', e => {{ e.preventDefault(); const [x, y] = toMap(e); zoom(e.deltaY > 0 ? 1.25 : 0.8, x, y); }});
let drag = null;
svg.addEventListener('mousedown', e => {{ drag = [e.clientX, e.clientY, vb.slice(), toMap(e)[2]]; }});
window.addEventListener('mousemove', e => {{ if (!drag) return; const [x0, y0, v, s] = drag;
  vb = [v[0] - (e.clientX - x0) * s, v[1] - (e.clientY - y0) * s, v[2], v[3]]; apply(); }});
window.addEventListener('mouseup', () => {{ drag = null; }});
document.getElementById('zin').onclick = () => zoom(0.8, vb[0] + vb[2] / 2, vb[1] + vb[3] / 2);
document.getElementById('zout').onclick = () => zoom(1.25, vb[0] + vb[2] / 2, vb[1] + vb[3] / 2);
document.getElementById('reset').onclick = () => {{ vb = home.slice(); apply(); }};
function show(k) {{ const d = data[k]; document.querySelectorAll('.selected').forEach(p => p.classList.remove('selected'));
  document.querySelector('.feature[data-k="' + k + '"]').classList.add('selected');
  const rows = Object.entries(d).map(([a, b]) => '<tr><td>' + a + '</td><td>' + String(b).replace(/</g, '&lt;') + '</td></tr>').join('');
  document.getElementById('info').innerHTML = '<table>' + rows + '</table>'; }}
document.querySelectorAll('.feature').forEach(p => p.addEventListener('click', e => {{ e.stopPropagation(); show(+p.dataset.k); }}));
// map.html#59701-01 opens with that perimeter selected (a link to share, and how the
// screenshot script checks the click handler).
const wanted = decodeURIComponent(location.hash.slice(1));
if (wanted) {{ const k = data.findIndex(d => d.id === wanted); if (k >= 0) show(k); }}
</script></body></html>
"#,
        title = escape(&scene.title),
        note = escape(&scene.note),
        svg = svg,
        data = data
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Rect, coord};

    pub(super) fn scene() -> MapScene {
        let square = |x: f64, y: f64, s: f64| {
            MultiPolygon(vec![Rect::new(coord! { x: x, y: y }, coord! { x: x + s, y: y + s }).to_polygon()])
        };
        MapScene {
            title: "Quartiers <test>".into(),
            note: "estimates".into(),
            square_size: 200.0,
            squares: vec![MapSquare { x: 3_850_000.0, y: 3_035_000.0, median: 11_000.0 }],
            features: vec![
                MapFeature {
                    geometry: square(3_850_000.0, 3_035_000.0, 1000.0),
                    class: FeatureClass::Perimeter(Some(1200.0)),
                    label: "59701-01".into(),
                    info: vec![("inhabitants".into(), "1 234".into())],
                },
                MapFeature {
                    geometry: square(3_852_000.0, 3_036_000.0, 600.0),
                    class: FeatureClass::Added,
                    label: String::new(),
                    info: vec![],
                },
            ],
            points: vec![MapPoint {
                x: 3_850_500.0,
                y: 3_035_500.0,
                label: "Collège Villars".into(),
                category: "REP+".into(),
            }],
            labels: vec![(3_850_500.0, 3_035_400.0, "Denain".into())],
            ..MapScene::default()
        }
    }

    #[test]
    fn overlapping_labels_are_left_out() {
        let mut p = Placed::default();
        assert!(p.take(100.0, 100.0, "Denain", 13.0));
        assert!(!p.take(110.0, 102.0, "Lourches", 13.0));
        assert!(p.take(100.0, 130.0, "Lourches", 13.0));
    }

    #[test]
    fn scale_bar_lengths_are_round() {
        assert_eq!(scale_length(10_000.0), 2_000.0);
        assert_eq!(scale_length(30_000.0), 5_000.0);
        assert_eq!(scale_length(4_000.0), 500.0);
        assert_eq!(distance_label(2_000.0), "2 km");
    }

    #[test]
    fn the_svg_has_every_layer_a_scale_bar_and_a_legend() {
        let s = svg(&scene()).unwrap();
        assert_eq!(s.matches(r#"class="feature""#).count(), 2);
        for needle in [
            "id=\"scale\"",
            "id=\"legend\"",
            "id=\"north\"",
            ">Denain<",
            "Collège Villars",
            "Quartiers &lt;test&gt;",
            "59701-01",
            "#b2182b",
            "only in the other set",
        ] {
            assert!(s.contains(needle), "{needle}");
        }
        assert!(svg(&MapScene::default()).is_err());
    }

    #[test]
    fn the_png_is_drawn_and_the_html_needs_no_network() {
        let s = svg(&scene()).unwrap();
        let (png, _fonts) = png(&s).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let h = html(&scene(), &s);
        assert!(h.contains("<svg") && h.contains("const data = [{\"id\":\"59701-01\""));
        let external = h.matches("http").count();
        assert_eq!(external, h.matches("http://www.w3.org/2000/svg").count(), "only the SVG namespace");
        assert!(!h.contains("<link") && !h.contains("src="));
    }

    fn perimeter(x: f64, y: f64, side: f64, class: FeatureClass) -> MapFeature {
        MapFeature {
            geometry: MultiPolygon(vec![
                Rect::new(coord! { x: x, y: y }, coord! { x: x + side, y: y + side }).to_polygon(),
            ]),
            class,
            label: "00851-01".into(),
            info: vec![],
        }
    }

    #[test]
    fn a_perimeter_of_a_few_pixels_becomes_a_symbol_and_a_large_one_stays_outlined() {
        // 1 000 m per pixel: a 1 km perimeter is a pixel, a 20 km one is 20 pixels.
        let f =
            Frame::new(coord! { x: 3_000_000.0, y: 2_000_000.0 }, coord! { x: 4_160_000.0, y: 3_160_000.0 });
        let margin = FeatureClass::Perimeter(Some(900.0));
        let scene = MapScene {
            features: vec![
                perimeter(3_500_000.0, 2_500_000.0, 1_000.0, margin),
                perimeter(3_600_000.0, 2_500_000.0, 20_000.0, margin),
                perimeter(3_700_000.0, 2_500_000.0, 1_000.0, FeatureClass::Added),
                perimeter(3_800_000.0, 2_500_000.0, 1_000.0, margin),
                perimeter(3_900_000.0, 2_500_000.0, 1_000.0, margin),
            ],
            // The fourth's inhabitants are unknown (NaN), the fifth has none listed.
            inhabitants: vec![4_000.0, 30_000.0, 4_000.0, f64::NAN],
            ..MapScene::default()
        };
        let r = symbols(&scene, &f);
        assert_eq!(r, vec![Some(symbol_radius(4_000.0)), None, None, None, None]);
        // At local scale (10 m per pixel) the same 1 km perimeter is 100 px: outlined.
        let local =
            Frame::new(coord! { x: 3_490_000.0, y: 2_490_000.0 }, coord! { x: 3_501_600.0, y: 2_501_600.0 });
        assert_eq!(symbols(&scene, &local)[0], None);
        // Without inhabitants (a scene as before), nothing is a symbol.
        let before = MapScene { inhabitants: vec![], ..scene.clone() };
        assert!(symbols(&before, &f).iter().all(Option::is_none));
        // Drawn: one clickable circle, four clickable outlines, and the symbol's legend.
        let drawing = svg(&scene).unwrap();
        assert_eq!(drawing.matches(r#"<circle class="feature" data-k="0""#).count(), 1);
        assert_eq!(drawing.matches(r#"class="feature""#).count(), 5);
        assert!(drawing.contains("small perimeter: 1 000, 10 000 inhabitants"));
        assert!(!svg(&before).unwrap().contains("small perimeter"));
    }

    #[test]
    fn symbol_areas_follow_inhabitants_within_bounds() {
        let area = |n: f64| symbol_radius(n).powi(2);
        assert!(
            (area(10_000.0) / area(2_500.0) - 4.0).abs() < 1e-9,
            "four times the people, four times the area"
        );
        assert_eq!(symbol_radius(1_000.0), SYMBOL_R_1000);
        assert_eq!(symbol_radius(10.0), 2.0, "never a dot too small to see");
        assert_eq!(symbol_radius(1e7), 16.0, "nor a disc covering a region");
    }

    #[test]
    fn the_background_and_names_by_importance_are_drawn_only_when_given() {
        let mut scene = scene();
        scene.inhabited = vec![InhabitedSquare { x: 3_850_000.0, y: 3_035_000.0, inhabitants: 150.0 }];
        scene.places = vec![MapPlace {
            x: 3_851_500.0,
            y: 3_036_500.0,
            name: "Lourches".into(),
            kind: places::PlaceKind::Commune,
            population: 3_800.0,
        }];
        let s = svg(&scene).unwrap();
        assert!(s.contains(r#"<g id="density""#) && s.contains("inhabitants per km²"));
        assert!(s.contains(">Lourches<") && s.contains(">Denain<"), "places, then the labels as before");
        let plain = svg(&super::tests::scene()).unwrap();
        assert!(!plain.contains("density") && !plain.contains("inhabitants per km²"));
        // The page selects a symbol like a path.
        assert!(html(&scene, &s).contains(".feature[data-k="));
    }
}

//! Maps to look at: an SVG (and its PNG, rasterised by `resvg`) with a scale bar, a
//! legend and commune labels, and a self-contained HTML page (everything inlined, no
//! network) where a user pans, zooms and clicks a perimeter to see its figures.
//!
//! Everything is drawn in the grid's CRS, which is metric and equal-area (EPSG:3035 in
//! metropolitan France): distances on the scale bar are true to within the projection's
//! scale error (under 0.1 % over a département).

use crate::density::{self, InhabitedSquare};
use crate::legend::{header, legend, legend_entries, legend_height, scale_bar};
use crate::palette::{self, FOCUS_LINE, PERIMETER_FILLS, PERIMETER_INK, PLACE_INK};
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
    /// The feature the map is about (index in [`MapScene::features`]): drawn unfilled
    /// with a dark outline on a white casing, the other perimeters lighter and dashed, so
    /// that it stands out in greyscale too (`None`: every feature alike).
    pub focus: Option<usize>,
}

/// A map drawn for paper: how wide it is printed and its smallest text there. Text,
/// halos, symbols, the legend and the scale bar grow on the 1 200 px canvas so that the
/// smallest text comes out at `min_text_pt`; lines are given their width in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paper {
    /// Width of the map on paper, points (1/72 inch).
    pub width_pt: f64,
    /// Size of its smallest text on paper, points.
    pub min_text_pt: f64,
}

/// A perimeter narrower and lower than this on the map (pixels) is drawn as a symbol,
/// when its inhabitants are known: under a few pixels its outline is a speck.
pub const SYMBOL_PX: f64 = 6.0;

/// Radius (px) of the symbol of a perimeter of 1 000 inhabitants; the area grows with
/// the inhabitants, the radius kept between 2 and 16 px.
const SYMBOL_R_1000: f64 = 2.2;

/// The radius of the symbol of `inhabitants`.
pub(crate) fn symbol_radius(inhabitants: f64) -> f64 {
    (SYMBOL_R_1000 * (inhabitants / 1_000.0).sqrt()).clamp(2.0, 16.0)
}

pub(crate) const WIDTH: f64 = 1200.0;
pub(crate) const PAD: f64 = 20.0;
pub(crate) const HEADER: f64 = 56.0;
/// The smallest text of a map on screen (perimeter ids), px: what [`Paper::min_text_pt`]
/// sets.
pub(crate) const SMALLEST_TEXT: f64 = 11.0;
/// Height of the header on paper, where it holds the title only (the legend says what
/// the note does, and the page says the rest).
const PAPER_HEADER: f64 = 26.0;

/// Screen transform of a scene.
pub(crate) struct Frame {
    pub(crate) min: Coord<f64>,
    pub(crate) max: Coord<f64>,
    /// Pixels per metre.
    pub(crate) k: f64,
    /// Bottom of the map area (the legend and scale bar are below it).
    pub(crate) bottom: f64,
    height: f64,
    /// Size of text, halos, symbols, legend and scale bar against the screen's: 1 on
    /// screen.
    pub(crate) m: f64,
    /// Canvas pixels per point when drawn for paper.
    pub(crate) paper: Option<f64>,
}

impl Frame {
    /// The frame of exactly `min`–`max`, with no footer.
    #[cfg(test)]
    pub(crate) fn new(min: Coord<f64>, max: Coord<f64>) -> Frame {
        let k = (WIDTH - 2.0 * PAD) / (max.x - min.x);
        let bottom = (max.y - min.y) * k + 2.0 * PAD + HEADER;
        Frame { min, max, k, bottom, height: bottom, m: 1.0, paper: None }
    }

    /// Metres per pixel: what decides the scale of labels and of the background's cells.
    pub(crate) fn metres_per_px(&self) -> f64 {
        1.0 / self.k
    }

    /// The frame of what a scene draws; its height is set once the legend is known.
    fn of(scene: &MapScene, paper: Option<Paper>) -> Option<Frame> {
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
        let px_per_pt = paper.map(|p| WIDTH / p.width_pt);
        let m = paper.map_or(1.0, |p| p.min_text_pt * WIDTH / p.width_pt / SMALLEST_TEXT);
        let header = if paper.is_some() { PAPER_HEADER } else { HEADER };
        let bottom = (max.y - min.y) * k + 2.0 * PAD + header * m;
        Some(Frame { min, max, k, bottom, height: bottom, m, paper: px_per_pt })
    }

    /// Height of the header (title and note; on paper the title only), px.
    pub(crate) fn header(&self) -> f64 {
        if self.paper.is_some() { PAPER_HEADER * self.m } else { HEADER * self.m }
    }

    /// A line `screen` px wide on screen, `paper` points wide on paper.
    pub(crate) fn line(&self, screen: f64, paper: f64) -> f64 {
        self.paper.map_or(screen, |u| paper * u)
    }

    pub(crate) fn x(&self, x: f64) -> f64 {
        PAD + (x - self.min.x) * self.k
    }

    pub(crate) fn y(&self, y: f64) -> f64 {
        self.header() + PAD + (self.max.y - y) * self.k
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

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn perimeter_fill(margin: Option<f64>) -> &'static str {
    let classes = qpv_layers::styles::MARGIN_CLASSES;
    match margin {
        None => palette::PERIMETER_FILL_UNKNOWN,
        Some(m) => classes.iter().position(|c| m < c.1).map_or(PERIMETER_FILLS[3], |k| PERIMETER_FILLS[k]),
    }
}

pub(crate) fn fill_of(class: FeatureClass) -> (&'static str, &'static str) {
    match class {
        FeatureClass::Perimeter(m) => (perimeter_fill(m), palette::PERIMETER_LINE),
        FeatureClass::Kept => palette::KEPT,
        FeatureClass::Added => palette::ADDED,
        FeatureClass::Removed => palette::REMOVED,
    }
}

/// The map as SVG.
pub fn svg(scene: &MapScene) -> Result<String, IoError> {
    draw(scene, None)
}

/// The map as SVG for paper: its `width` and `height` in points, text and lines sized
/// for them (see [`Paper`]).
pub fn svg_on_paper(scene: &MapScene, paper: Paper) -> Result<String, IoError> {
    draw(scene, Some(paper))
}

fn draw(scene: &MapScene, paper: Option<Paper>) -> Result<String, IoError> {
    let mut f = Frame::of(scene, paper)
        .ok_or_else(|| IoError::Encode { what: "map", message: "nothing to draw: no perimeter".into() })?;
    let symbols = symbols(scene, &f);
    let mut map = String::new();
    let background = density::draw(&mut map, &scene.inhabited, scene.square_size, &f);
    squares(&mut map, scene, &f);
    features(&mut map, scene, &f, !scene.squares.is_empty(), &symbols);
    let (ids, placed_names) = place_labels(scene, &f, &symbols);
    id_texts(&mut map, &ids, &f);
    points(&mut map, scene, &f);
    names(&mut map, &placed_names, &f);
    let entries = legend_entries(scene, background, symbols.iter().any(Option::is_some), paper.is_some());
    f.height = f.bottom + legend_height(&f, &entries);
    let mut s = String::new();
    let (w, h) = match paper {
        // On paper, in points: the same viewBox, printed at the width it is sized for.
        Some(p) => (format!("{:.2}", p.width_pt), format!("{:.2}", f.height.round() * p.width_pt / WIDTH)),
        None => (WIDTH.to_string(), format!("{:.0}", f.height)),
    };
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {vw} {vh:.0}" font-family="DejaVu Sans, Arial, sans-serif">"#,
        vw = WIDTH,
        vh = f.height
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r##"<clipPath id="frame"><rect x="0" y="{}" width="{WIDTH}" height="{:.0}"/></clipPath><g id="map" clip-path="url(#frame)">"##,
        f.header(),
        f.bottom - f.header()
    );
    s.push_str(&map);
    let _ = writeln!(s, "</g>");
    header(&mut s, scene, &f);
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
            let small = r.width().max(r.height()) * f.k < SYMBOL_PX * f.m;
            (matches!(feat.class, FeatureClass::Perimeter(_)) && small)
                .then(|| symbol_radius(inhabitants) * f.m)
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
    let focus = scene.focus.filter(|k| *k < scene.features.len());
    for (k, feat) in scene.features.iter().enumerate().filter(|(k, _)| symbols[*k].is_none()) {
        let (fill, stroke) = fill_of(feat.class);
        let (opacity, stroke, width) =
            if over_squares { ("0.12", fill, f.line(3.0, 1.2)) } else { ("0.65", stroke, f.line(1.2, 0.6)) };
        let d = f.path(&feat.geometry);
        if focus == Some(k) {
            // Unfilled, so that its squares read as they are; dark on a white casing.
            let (casing, width) = (f.line(6.0, 3.2), f.line(3.0, 1.6));
            let _ = writeln!(
                s,
                r##"<path d="{d}" fill="none" stroke="#ffffff" stroke-width="{casing}" stroke-linejoin="round"/><path class="feature" data-k="{k}" d="{d}" fill="none" stroke="{FOCUS_LINE}" stroke-width="{width}" stroke-linejoin="round"><title>{}</title></path>"##,
                title(feat)
            );
            continue;
        }
        let dash = match focus {
            Some(_) => format!(r#" stroke-dasharray="{} {}""#, 4.0 * width, 2.0 * width),
            None => String::new(),
        };
        let width = if focus.is_some() { width * 0.75 } else { width };
        let _ = writeln!(
            s,
            r#"<path class="feature" data-k="{k}" d="{d}" fill="{fill}" fill-opacity="{opacity}" fill-rule="evenodd" stroke="{stroke}" stroke-width="{width}" stroke-linejoin="round"{dash}><title>{}</title></path>"#,
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
            Some(r) => centre(feat).map(|c| (f.x(c.x), f.y(c.y) + r + 12.0 * f.m)),
            None => feat.geometry.interior_point().map(|p| (f.x(p.x()), f.y(p.y()))),
        };
        if let Some((x, y)) = at
            && placed.take(x, y, &feat.label, SMALLEST_TEXT * f.m)
        {
            out.push((x, y, feat.label.as_str()));
        }
    }
    out
}

fn id_texts(s: &mut String, ids: &[(f64, f64, &str)], f: &Frame) {
    for (x, y, label) in ids {
        let _ = writeln!(
            s,
            r##"<text x="{x:.1}" y="{y:.1}" font-size="{}" font-weight="bold" text-anchor="middle" fill="{PERIMETER_INK}" stroke="#ffffff" stroke-width="{}" paint-order="stroke" pointer-events="none">{}</text>"##,
            SMALLEST_TEXT * f.m,
            3.0 * f.m,
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
            r##"<circle cx="{:.1}" cy="{:.1}" r="{}" fill="{fill}" stroke="#ffffff" stroke-width="{}"><title>{} ({})</title></circle>"##,
            f.x(p.x),
            f.y(p.y),
            5.0 * f.m,
            1.5 * f.m,
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
    let local = places::Style { size: 13.0 * f.m, bold: false, italic: true };
    for (x, y, name) in scene.labels.iter().filter(|(x, y, _)| f.inside(*x, *y)) {
        if placed.take(f.x(*x), f.y(*y), name, local.size) {
            names.push(places::Label { x: f.x(*x), y: f.y(*y), text: name, style: local });
        }
    }
    (ids, names)
}

fn names(s: &mut String, names: &[places::Label], f: &Frame) {
    let _ = writeln!(s, r#"<g id="communes" pointer-events="none">"#);
    for l in names {
        let weight = if l.style.bold { r#" font-weight="bold""# } else { "" };
        let italic = if l.style.italic { r#" font-style="italic""# } else { "" };
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="{}"{weight}{italic} text-anchor="middle" fill="{PLACE_INK}" stroke="#ffffff" stroke-width="{}" paint-order="stroke">{}</text>"##,
            l.x,
            l.y,
            l.style.size,
            3.5 * f.m,
            escape(l.text)
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

    /// Every `font-size` of an SVG, in its own units.
    fn font_sizes(svg: &str) -> Vec<f64> {
        svg.split(r#"font-size=""#).skip(1).filter_map(|t| t.split('"').next()?.parse().ok()).collect()
    }

    #[test]
    fn on_paper_the_smallest_text_is_the_size_asked_whatever_the_width() {
        let scene = MapScene { focus: Some(0), ..scene() };
        for width_pt in [150.0, 327.0, 543.0] {
            let s = svg_on_paper(&scene, Paper { width_pt, min_text_pt: 7.2 }).unwrap();
            assert!(s.contains(&format!(r#"width="{width_pt:.2}""#)), "printed at its width");
            let printed: Vec<f64> = font_sizes(&s).iter().map(|px| px * width_pt / WIDTH).collect();
            let smallest = printed.iter().copied().fold(f64::INFINITY, f64::min);
            assert!((smallest - 7.2).abs() < 1e-9, "{width_pt} pt wide: {printed:?}");
            // The same map on screen keeps its 11 px ids, whatever the paper asks.
            assert!(font_sizes(&svg(&scene).unwrap()).iter().all(|px| *px >= 11.0));
        }
        // A narrow map: one legend column, its long entries wrapped within the map, numbers
        // kept whole; classes as ramps, a line each.
        let entry = ">square median, € (12 000, 15 000, 18 000, 21 000, 25 000)<";
        let narrow = svg_on_paper(&scene, Paper { width_pt: 150.0, min_text_pt: 7.2 }).unwrap();
        assert!(!narrow.contains(entry) && narrow.contains(">(12 000, 15 000,<"), "wrapped at a word");
        assert!(!narrow.contains(">000"), "not inside a number");
        let wide = svg_on_paper(&scene, Paper { width_pt: 543.0, min_text_pt: 7.2 }).unwrap();
        assert!(wide.contains(entry) && !wide.contains("square median 0–12 000 €"), "one line when it fits");
        assert!(svg(&scene).unwrap().contains(">square median 0–12 000 €<"), "on screen a line a class");
    }

    #[test]
    fn the_focus_is_outlined_dark_and_unfilled_the_others_dashed() {
        let plain = svg(&scene()).unwrap();
        let dark = format!(r#"stroke="{FOCUS_LINE}""#);
        assert!(!plain.contains(&dark) && !plain.contains("stroke-dasharray"), "no focus, as before");
        let s = svg_on_paper(
            &MapScene { focus: Some(0), ..scene() },
            Paper { width_pt: 300.0, min_text_pt: 7.2 },
        )
        .unwrap();
        let focus = s.lines().find(|l| l.contains(r#"data-k="0""#)).unwrap();
        assert!(focus.contains(&format!(r#"fill="none" stroke="{FOCUS_LINE}""#)), "{focus}");
        // 1.6 pt on paper: 1.6 × 1 200 / 300 px.
        assert!(focus.contains(r#"stroke-width="6.4""#), "{focus}");
        let other = s.lines().find(|l| l.contains(r#"data-k="1""#)).unwrap();
        assert!(other.contains("stroke-dasharray") && !other.contains(&dark), "{other}");
        // A focus past the features is no focus.
        assert!(!svg(&MapScene { focus: Some(9), ..scene() }).unwrap().contains(&dark));
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

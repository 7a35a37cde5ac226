//! Maps to look at: an SVG (and its PNG, rasterised by `resvg`) with a scale bar, a
//! legend and commune labels, and a self-contained HTML page (everything inlined, no
//! network) where a user pans, zooms and clicks a perimeter to see its figures.
//!
//! Everything is drawn in the grid's CRS, which is metric and equal-area (EPSG:3035 in
//! metropolitan France): distances on the scale bar are true to within the projection's
//! scale error (under 0.1 % over a département).

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
}

/// Classes of estimated median for squares: upper bound (€) and colour.
pub const MEDIAN_CLASSES: [(f64, &str); 6] = [
    (12_000.0, "#b2182b"),
    (15_000.0, "#ef8a62"),
    (18_000.0, "#fddbc7"),
    (21_000.0, "#d1e5f0"),
    (25_000.0, "#67a9cf"),
    (f64::INFINITY, "#2166ac"),
];

const WIDTH: f64 = 1200.0;
const PAD: f64 = 20.0;
const HEADER: f64 = 56.0;

/// Screen transform of a scene.
struct Frame {
    min: Coord<f64>,
    max: Coord<f64>,
    k: f64,
    /// Bottom of the map area (the legend and scale bar are below it).
    bottom: f64,
    height: f64,
}

impl Frame {
    fn of(scene: &MapScene, footer: f64) -> Option<Frame> {
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
        Some(Frame { min, max, k, bottom, height: bottom + footer })
    }

    fn x(&self, x: f64) -> f64 {
        PAD + (x - self.min.x) * self.k
    }

    fn y(&self, y: f64) -> f64 {
        HEADER + PAD + (self.max.y - y) * self.k
    }

    fn inside(&self, x: f64, y: f64) -> bool {
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
    let colors = ["#fcbba1", "#fc6a4a", "#de2d26", "#a50f15"];
    match margin {
        None => "#fc6a4a",
        Some(m) => classes.iter().position(|c| m < c.1).map_or(colors[3], |k| colors[k]),
    }
}

fn fill_of(class: FeatureClass) -> (&'static str, &'static str) {
    match class {
        FeatureClass::Perimeter(m) => (perimeter_fill(m), "#67000d"),
        FeatureClass::Kept => ("#bdbdbd", "#525252"),
        FeatureClass::Added => ("#31a354", "#00441b"),
        FeatureClass::Removed => ("#de2d26", "#67000d"),
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
    let entries = legend_entries(scene);
    let footer = entries.len().div_ceil(2) as f64 * 18.0 + 24.0;
    let f = Frame::of(scene, footer)
        .ok_or_else(|| IoError::Encode { what: "map", message: "nothing to draw: no perimeter".into() })?;
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
    let mut placed = Placed::default();
    squares(&mut s, scene, &f);
    features(&mut s, scene, &f, !scene.squares.is_empty(), &mut placed);
    points(&mut s, scene, &f);
    labels(&mut s, scene, &f, &mut placed);
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
        let color = MEDIAN_CLASSES.iter().find(|c| q.median < c.0).map_or("#2166ac", |c| c.1);
        let _ = writeln!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="{side:.1}" height="{side:.1}" fill="{color}"/>"#,
            f.x(q.x),
            f.y(q.y + scene.square_size)
        );
    }
    s.push_str("</g>\n");
}

/// Perimeters: filled, or over squares outlined in their colour with a light fill (so
/// that the squares beneath stay readable).
/// Boxes of the labels drawn so far (x0, y0, x1, y1 in pixels), to keep labels apart.
#[derive(Default)]
struct Placed(Vec<[f64; 4]>);

impl Placed {
    /// Reserves the box of a text centred on `(x, y)` unless it overlaps one already taken.
    fn take(&mut self, x: f64, y: f64, text: &str, size: f64) -> bool {
        let w = text.chars().count() as f64 * size * 0.6 / 2.0 + 2.0;
        let b = [x - w, y - size, x + w, y + 3.0];
        if self.0.iter().any(|o| b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]) {
            return false;
        }
        self.0.push(b);
        true
    }
}

fn features(s: &mut String, scene: &MapScene, f: &Frame, over_squares: bool, placed: &mut Placed) {
    let _ = writeln!(s, r#"<g id="perimeters">"#);
    for (k, feat) in scene.features.iter().enumerate() {
        let (fill, stroke) = fill_of(feat.class);
        let (opacity, stroke, width) =
            if over_squares { ("0.12", fill, "3") } else { ("0.65", stroke, "1.2") };
        let info: Vec<String> =
            feat.info.iter().map(|(a, b)| format!("{}: {}", escape(a), escape(b))).collect();
        let _ = writeln!(
            s,
            r#"<path class="feature" data-k="{k}" d="{}" fill="{fill}" fill-opacity="{opacity}" fill-rule="evenodd" stroke="{stroke}" stroke-width="{width}" stroke-linejoin="round"><title>{}&#10;{}</title></path>"#,
            f.path(&feat.geometry),
            escape(&feat.label),
            info.join("&#10;")
        );
    }
    for feat in scene.features.iter().filter(|x| !x.label.is_empty()) {
        if let Some(p) = feat.geometry.interior_point()
            && placed.take(f.x(p.x()), f.y(p.y()), &feat.label, 11.0)
        {
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" font-weight="bold" text-anchor="middle" fill="#3b0008" stroke="#ffffff" stroke-width="3" paint-order="stroke" pointer-events="none">{}</text>"##,
                f.x(p.x()),
                f.y(p.y()),
                escape(&feat.label)
            );
        }
    }
    s.push_str("</g>\n");
}

fn points(s: &mut String, scene: &MapScene, f: &Frame) {
    if scene.points.is_empty() {
        return;
    }
    let _ = writeln!(s, r#"<g id="schools">"#);
    for p in scene.points.iter().filter(|p| f.inside(p.x, p.y)) {
        let fill = if p.category.contains('+') { "#08306b" } else { "#4292c6" };
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

fn labels(s: &mut String, scene: &MapScene, f: &Frame, placed: &mut Placed) {
    let _ = writeln!(s, r#"<g id="communes" pointer-events="none">"#);
    for (x, y, name) in scene.labels.iter().filter(|(x, y, _)| f.inside(*x, *y)) {
        if !placed.take(f.x(*x), f.y(*y), name, 13.0) {
            continue;
        }
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="13" font-style="italic" text-anchor="middle" fill="#252525" stroke="#ffffff" stroke-width="3.5" paint-order="stroke">{}</text>"##,
            f.x(*x),
            f.y(*y),
            escape(name)
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

fn legend_entries(scene: &MapScene) -> Vec<(String, &'static str, bool)> {
    let mut entries: Vec<(String, &'static str, bool)> = Vec::new();
    let has = |c: fn(&FeatureClass) -> bool| scene.features.iter().any(|x| c(&x.class));
    if has(|c| matches!(c, FeatureClass::Perimeter(_))) {
        let colors = ["#fcbba1", "#fc6a4a", "#de2d26", "#a50f15"];
        for (k, (_, _, _, label)) in qpv_layers::styles::MARGIN_CLASSES.iter().enumerate() {
            entries.push((format!("perimeter, median {label}"), colors[k], false));
        }
    }
    for (class, label) in [
        (FeatureClass::Kept, "in both sets (kept)"),
        (FeatureClass::Added, "only in the other set (added)"),
        (FeatureClass::Removed, "only in the reference (removed)"),
    ] {
        if scene.features.iter().any(|x| x.class == class) {
            entries.push((label.to_owned(), fill_of(class).0, false));
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
            entries.push((label, color, false));
            lower = upper;
        }
    }
    if !scene.points.is_empty() {
        entries.push(("REP+ collège".into(), "#08306b", true));
        entries.push(("REP collège".into(), "#4292c6", true));
    }
    entries
}

/// The legend, in two columns below the map.
fn legend(s: &mut String, entries: &[(String, &str, bool)], f: &Frame) {
    let rows = entries.len().div_ceil(2);
    let _ = writeln!(
        s,
        r##"<g id="legend"><line x1="0" y1="{b:.1}" x2="{WIDTH}" y2="{b:.1}" stroke="#999999"/>"##,
        b = f.bottom
    );
    for (k, (label, color, dot)) in entries.iter().enumerate() {
        let x0 = PAD + (k / rows) as f64 * 380.0;
        let y = f.bottom + 10.0 + (k % rows) as f64 * 18.0;
        if *dot {
            let _ = write!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="5" fill="{color}" stroke="#ffffff"/>"##,
                x0 + 16.0,
                y + 7.0
            );
        } else {
            let _ = write!(
                s,
                r##"<rect x="{:.1}" y="{y:.1}" width="16" height="13" fill="{color}" stroke="#555555"/>"##,
                x0 + 8.0
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="12">{}</text>"#,
            x0 + 32.0,
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
    Ok((pixmap.encode_png().map_err(|e| enc(e.to_string()))?, fonts))
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
path.feature:hover {{ stroke-width: 3; }} .selected {{ stroke: #0000ff !important; stroke-width: 3 !important; }}
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
  document.querySelector('path[data-k="' + k + '"]').classList.add('selected');
  const rows = Object.entries(d).map(([a, b]) => '<tr><td>' + a + '</td><td>' + String(b).replace(/</g, '&lt;') + '</td></tr>').join('');
  document.getElementById('info').innerHTML = '<table>' + rows + '</table>'; }}
document.querySelectorAll('path.feature').forEach(p => p.addEventListener('click', e => {{ e.stopPropagation(); show(+p.dataset.k); }}));
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

    fn scene() -> MapScene {
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
}

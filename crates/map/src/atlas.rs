//! The atlas: a cover (map of every perimeter and a summary table) and one A4 page per
//! perimeter (its map, figures, the decree's criteria, key indicators beside its urban
//! unit and France, the standing notes), each page one SVG. The same SVG pages become the
//! PDF (through `krilla-svg`, on the `usvg` that also draws the PNG maps: text stays text,
//! fonts subset and embedded) and the HTML page for the screen.
//!
//! This module lays out what the caller computed; it decides no figure. Maps come from
//! [`crate::svg`] and are placed as nested `<svg>` elements, so the map code stays the
//! one that draws every map.

use crate::draw::MapFeature;
use geo::{BooleanOps, BoundingRect, Intersects};
use geo_types::{Coord, MultiPolygon, Rect};
use qpv_core::verdict::State;
use qpv_grid::{IoError, thousands};
use resvg::usvg::fontdb;
use std::fmt::Write as _;

/// A4 portrait, in PDF points (1/72 inch): page SVGs are drawn in these units, which
/// the PDF keeps as they are.
pub const PAGE_WIDTH: f64 = 595.28;
/// A4 portrait height, points.
pub const PAGE_HEIGHT: f64 = 841.89;
const MARGIN: f64 = 26.0;
const FONT: &str = "DejaVu Sans, Arial, sans-serif";
const INK: &str = "#1a1a1a";
const GREY: &str = "#5a5a5a";
const RULE_LINE: &str = "#c8c8c8";
const MET: &str = "#1a7f37";
const FAILED: &str = "#b42318";
const UNDECIDED: &str = "#b54708";

/// The colour, mark and word of a verdict's state.
fn look(state: State) -> (&'static str, &'static str, &'static str) {
    match state {
        State::Meets => (MET, "✓", "met"),
        State::Fails => (FAILED, "✗", "not met"),
        State::Undecided => (UNDECIDED, "?", "undecided"),
    }
}

/// Everything the atlas shows, computed by the caller.
#[derive(Debug, Clone, Default)]
pub struct Atlas {
    /// Title of the cover (and of the PDF).
    pub title: String,
    /// The line under the cover's title: what was read and how many perimeters.
    pub subtitle: String,
    /// The cover's map ([`crate::svg`] of every perimeter).
    pub cover_map: String,
    /// Statements above the summary table (how many meet the rule…).
    pub cover_lines: Vec<String>,
    /// One row per perimeter page, in page order.
    pub summary: Vec<SummaryRow>,
    /// The perimeter pages.
    pub pages: Vec<PerimeterPage>,
    /// Standing notes at the foot of every page: estimates, sources, date, settings.
    pub notes: Vec<String>,
    /// The line at the top of every perimeter page.
    pub running_head: String,
    /// The day the atlas was made.
    pub date: Day,
    /// The program that made it (`qpv 0.1.0`), for the PDF's metadata.
    pub creator: String,
}

/// A calendar day (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Day {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
}

impl Day {
    /// The UTC day of a Unix time (seconds since 1970-01-01), by the civil-from-days
    /// algorithm (proleptic Gregorian calendar).
    pub fn from_unix(seconds: i64) -> Day {
        let days = seconds.div_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Day { year, month, day }
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A row of the cover's summary table.
#[derive(Debug, Clone)]
pub struct SummaryRow {
    /// Perimeter id.
    pub id: String,
    /// Its name or communes.
    pub place: String,
    /// Inhabitants.
    pub inhabitants: f64,
    /// Estimated median, €.
    pub median: Option<f64>,
    /// Threshold minus median, €.
    pub margin: Option<f64>,
    /// Whether it meets the rule, fails it, or cannot be decided from the public grid.
    pub verdict: State,
}

/// One criterion of the decree, with the figure behind it.
#[derive(Debug, Clone)]
pub struct Criterion {
    /// What the decree asks (`at least 1 000 inhabitants`).
    pub rule: String,
    /// The perimeter's figure.
    pub figure: String,
    /// Met, not met, undecided, or `None` where it does not apply.
    pub state: Option<State>,
}

/// How an indicator's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A count (inhabitants).
    Count,
    /// Euros.
    Euros,
    /// A share, written as a percentage and drawn in the bar chart.
    Share,
}

/// One key indicator: the perimeter, its urban unit and France.
#[derive(Debug, Clone)]
pub struct IndicatorLine {
    /// Its label.
    pub label: String,
    /// Perimeter, urban unit, France (NaN where unknown).
    pub values: [f64; 3],
    /// How it is written.
    pub kind: Kind,
}

/// A perimeter's page.
#[derive(Debug, Clone, Default)]
pub struct PerimeterPage {
    /// Its id.
    pub id: String,
    /// Its name or communes, beside the id in the title.
    pub name: String,
    /// The line under the title (urban unit).
    pub subtitle: String,
    /// Whether it meets the rule, fails it, or cannot be decided from the public grid.
    pub verdict: State,
    /// Why not, when it does not (failing criteria, then undecided ones).
    pub problems: Vec<String>,
    /// Its map ([`crate::svg`] zoomed on it).
    pub map: String,
    /// Lines under the map: what else it shows.
    pub caption: Vec<String>,
    /// Figures: label and value.
    pub figures: Vec<(String, String)>,
    /// The decree's criteria.
    pub criteria: Vec<Criterion>,
    /// Names of the three indicator columns: perimeter, urban unit, France.
    pub indicator_columns: [String; 3],
    /// Key indicators.
    pub indicators: Vec<IndicatorLine>,
}

/// The window a perimeter's map shows: its box widened by `share` of its larger side on
/// every side, and by at least `min_m` metres, so that its neighbourhood is in view.
pub fn window_around(geometry: &MultiPolygon<f64>, share: f64, min_m: f64) -> Option<Rect<f64>> {
    let r = geometry.bounding_rect()?;
    let m = (r.width().max(r.height()) * share).max(min_m);
    Some(Rect::new(
        Coord { x: r.min().x - m, y: r.min().y - m },
        Coord { x: r.max().x + m, y: r.max().y + m },
    ))
}

/// `features` cut to `window` (those outside left out): a map fits its extent to what it
/// is given, so a neighbour reaching far away must not pull the page's map out to it.
pub fn clip_to<'a>(features: impl IntoIterator<Item = &'a MapFeature>, window: Rect<f64>) -> Vec<MapFeature> {
    let frame = MultiPolygon(vec![window.to_polygon()]);
    features
        .into_iter()
        .filter(|f| f.geometry.bounding_rect().is_some_and(|b| b.intersects(&window)))
        .filter_map(|f| {
            let inside = f.geometry.bounding_rect().is_some_and(|b| {
                b.min().x >= window.min().x
                    && b.min().y >= window.min().y
                    && b.max().x <= window.max().x
                    && b.max().y <= window.max().y
            });
            let geometry = if inside { f.geometry.clone() } else { f.geometry.intersection(&frame) };
            (!geometry.0.is_empty()).then(|| MapFeature { geometry, ..f.clone() })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Text measure and SVG helpers.

/// Width of a character of DejaVu Sans, in ems (its advance widths, grouped): enough to
/// wrap lines and fit columns without the font at hand.
fn em(c: char) -> f64 {
    match c {
        ' ' => 0.3179,
        'i' | 'j' | 'l' | '|' | '\'' | '!' | '.' | ',' | ':' | ';' => 0.29,
        'I' | 'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '-' => 0.40,
        'm' | 'M' | 'W' | 'w' | '%' => 0.92,
        '–' | '—' => 0.6,
        '0'..='9' | '€' | '≥' | '<' | '>' | '+' | '=' => 0.636,
        c if c.is_uppercase() => 0.72,
        _ => 0.61,
    }
}

/// Estimated width of `text` at `size` points.
fn width(text: &str, size: f64, bold: bool) -> f64 {
    let w: f64 = text.chars().map(em).sum::<f64>() * size;
    if bold { w * 1.1 } else { w }
}

/// `text` cut to fit `max` points, ending with `…` when cut.
fn fit(text: &str, size: f64, bold: bool, max: f64) -> String {
    if width(text, size, bold) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        if width(&out, size, bold) + (em(c) + 0.7) * size > max {
            break;
        }
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

/// `text` wrapped into lines of at most `max` points, words kept whole (a word longer
/// than a line is cut).
fn wrap(text: &str, size: f64, bold: bool, max: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
        if width(&candidate, size, bold) <= max || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::take(&mut line));
            line = word.to_owned();
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| fit(&l, size, bold, max)).collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Text options.
#[derive(Clone, Copy)]
struct Style {
    size: f64,
    bold: bool,
    fill: &'static str,
    anchor: &'static str,
    italic: bool,
}

const fn style(size: f64) -> Style {
    Style { size, bold: false, fill: INK, anchor: "start", italic: false }
}

impl Style {
    const fn bold(self) -> Style {
        Style { bold: true, ..self }
    }
    const fn fill(self, fill: &'static str) -> Style {
        Style { fill, ..self }
    }
    const fn end(self) -> Style {
        Style { anchor: "end", ..self }
    }
    const fn middle(self) -> Style {
        Style { anchor: "middle", ..self }
    }
    const fn italic(self) -> Style {
        Style { italic: true, ..self }
    }
}

/// A page being drawn.
struct Page {
    s: String,
}

impl Page {
    fn new() -> Page {
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_WIDTH}" height="{PAGE_HEIGHT}" viewBox="0 0 {PAGE_WIDTH} {PAGE_HEIGHT}" font-family="{FONT}">"#
        );
        let _ = writeln!(s, r##"<rect width="{PAGE_WIDTH}" height="{PAGE_HEIGHT}" fill="#ffffff"/>"##);
        Page { s }
    }

    fn text(&mut self, x: f64, y: f64, st: Style, text: &str) {
        let _ = writeln!(
            self.s,
            r#"<text x="{x:.2}" y="{y:.2}" font-size="{}" fill="{}" text-anchor="{}"{}{}>{}</text>"#,
            st.size,
            st.fill,
            st.anchor,
            if st.bold { r#" font-weight="bold""# } else { "" },
            if st.italic { r#" font-style="italic""# } else { "" },
            escape(text)
        );
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str) {
        let _ =
            writeln!(self.s, r#"<rect x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}" fill="{fill}"/>"#);
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, w: f64) {
        let _ = writeln!(
            self.s,
            r#"<line x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" stroke="{stroke}" stroke-width="{w}"/>"#
        );
    }

    /// A section heading with a rule under it; returns the y below it.
    fn heading(&mut self, x: f64, y: f64, w: f64, text: &str) -> f64 {
        self.text(x, y, style(9.0).bold(), text);
        self.line(x, y + 3.0, x + w, y + 3.0, RULE_LINE, 0.6);
        y + 13.0
    }

    fn finish(mut self) -> String {
        self.s.push_str("</svg>\n");
        self.s
    }
}

/// Places a map drawn by [`crate::svg`] in the box (x, y, max_w, max_h), as large as
/// fits, centred across; returns the height it takes.
fn embed_map(page: &mut Page, map: &str, x: f64, y: f64, max_w: f64, max_h: f64) -> Result<f64, IoError> {
    let bad =
        |m: &str| IoError::Encode { what: "atlas page", message: format!("the map is not an SVG: {m}") };
    let start = map.find("<svg").ok_or_else(|| bad("no <svg> element"))?;
    let open_end = start + map[start..].find('>').ok_or_else(|| bad("unclosed <svg> tag"))?;
    let close = map.rfind("</svg>").ok_or_else(|| bad("no </svg>"))?;
    let attributes = attributes(&map[start + 4..open_end]);
    let view_box = attributes
        .iter()
        .find(|(k, _)| k == "viewBox")
        .map(|(_, v)| v.split_whitespace().filter_map(|n| n.parse::<f64>().ok()).collect::<Vec<f64>>())
        .filter(|v| v.len() == 4 && v[2] > 0.0 && v[3] > 0.0)
        .ok_or_else(|| bad("no viewBox"))?;
    let (vw, vh) = (view_box[2], view_box[3]);
    let scale = (max_w / vw).min(max_h / vh);
    let (w, h) = (vw * scale, vh * scale);
    let x = x + (max_w - w) / 2.0;
    let kept: String = attributes
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "x" | "y" | "width" | "height" | "xmlns"))
        .map(|(k, v)| format!(r#" {k}="{v}""#))
        .collect();
    let _ = writeln!(page.s, r#"<svg x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}"{kept}>"#);
    page.s.push_str(&map[open_end + 1..close]);
    page.s.push_str("</svg>\n");
    // A thin frame around the map.
    let _ = writeln!(
        page.s,
        r#"<rect x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}" fill="none" stroke="{RULE_LINE}" stroke-width="0.6"/>"#
    );
    Ok(h)
}

/// The `name="value"` attributes of a tag's inside.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = tag;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq].trim().to_owned();
        let after = rest[eq + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else { break };
        let Some(end) = after[1..].find(quote) else { break };
        out.push((name, after[1..1 + end].to_owned()));
        rest = &after[end + 2..];
    }
    out
}

fn euros(x: f64) -> String {
    if x.is_finite() { format!("{} €", thousands(x)) } else { "–".into() }
}

fn percent(x: f64) -> String {
    if x.is_finite() { format!("{:.1} %", 100.0 * x) } else { "–".into() }
}

fn value(line: &IndicatorLine, k: usize) -> String {
    let x = line.values[k];
    match line.kind {
        _ if !x.is_finite() => "–".into(),
        Kind::Count => thousands(x),
        Kind::Euros => euros(x),
        Kind::Share => percent(x),
    }
}

/// Size and leading of the standing notes, points.
const NOTE_SIZE: f64 = 5.6;
const NOTE_LEADING: f64 = 6.8;

/// The notes at the foot of a page; returns nothing, drawn upwards from the bottom margin.
fn footer(page: &mut Page, notes: &[String], number: usize, pages: usize) {
    let w = PAGE_WIDTH - 2.0 * MARGIN;
    let lines: Vec<String> = notes.iter().flat_map(|n| wrap(n, NOTE_SIZE, false, w)).collect();
    let mut y = PAGE_HEIGHT - MARGIN - (lines.len() as f64 - 1.0) * NOTE_LEADING;
    page.line(MARGIN, y - 8.0, PAGE_WIDTH - MARGIN, y - 8.0, RULE_LINE, 0.6);
    for l in &lines {
        page.text(MARGIN, y, style(NOTE_SIZE).fill(GREY), l);
        y += NOTE_LEADING;
    }
    page.text(PAGE_WIDTH - MARGIN, MARGIN - 8.0, style(7.0).fill(GREY).end(), &format!("{number} / {pages}"));
}

/// Height the footer takes above the bottom margin.
fn footer_height(notes: &[String]) -> f64 {
    let w = PAGE_WIDTH - 2.0 * MARGIN;
    let lines: usize = notes.iter().map(|n| wrap(n, NOTE_SIZE, false, w).len()).sum();
    lines as f64 * NOTE_LEADING + 10.0
}

// ---------------------------------------------------------------------------------------
// Pages.

/// Every page as SVG: the cover, then one page per perimeter.
pub fn page_svgs(atlas: &Atlas) -> Result<Vec<String>, IoError> {
    let total = atlas.pages.len() + 1;
    let mut out = Vec::with_capacity(total);
    out.push(cover(atlas, total)?);
    for (k, p) in atlas.pages.iter().enumerate() {
        out.push(perimeter_page(atlas, p, k + 2, total)?);
    }
    Ok(out)
}

/// Leading of the summary table: one column, several columns.
const ROW_ONE: f64 = 9.4;
const ROW_MANY: f64 = 8.2;

/// The summary table's columns for `n` rows beside a map of aspect `vw / vh` in `room`
/// points of height: the fewest columns (1 to 3) that leave the map within 15 % of its
/// widest, with the rows per column, the leading and the map's height; `None` when even three columns
/// leave the map less than 40 % of the room.
fn cover_layout(n: usize, room: f64, vw: f64, vh: f64) -> Option<(usize, usize, f64, f64)> {
    let mut best: Option<(usize, usize, f64, f64, f64)> = None;
    for columns in 1..=3 {
        let row = if columns == 1 { ROW_ONE } else { ROW_MANY };
        let per_column = n.div_ceil(columns).max(1);
        let map_h = room - (per_column as f64 * row + 14.0);
        if map_h < 0.4 * room {
            continue;
        }
        let map_w = (PAGE_WIDTH - 2.0 * MARGIN).min(map_h * vw / vh);
        // More (and so narrower: three leave out the median and the verdict) columns
        // only for a map wider by more than 15 %.
        if best.is_none_or(|b| map_w > b.4 * 1.15) {
            best = Some((columns, per_column, row, map_h, map_w));
        }
    }
    best.map(|(c, p, r, h, _)| (c, p, r, h))
}

fn cover(atlas: &Atlas, total: usize) -> Result<String, IoError> {
    let mut page = Page::new();
    let w = PAGE_WIDTH - 2.0 * MARGIN;
    let mut y = MARGIN + 16.0;
    for line in wrap(&atlas.title, 17.0, true, w) {
        page.text(MARGIN, y, style(17.0).bold(), &line);
        y += 20.0;
    }
    for line in wrap(&atlas.subtitle, 8.5, false, w) {
        page.text(MARGIN, y, style(8.5).fill(GREY), &line);
        y += 11.0;
    }
    y += 4.0;
    let bottom = PAGE_HEIGHT - MARGIN - footer_height(&atlas.notes);
    let statements: Vec<String> = atlas.cover_lines.iter().flat_map(|l| wrap(l, 8.0, false, w)).collect();
    let text_h = statements.len() as f64 * 10.5 + 18.0;
    let room = bottom - y - text_h - 6.0;
    let (vw, vh) = map_size(&atlas.cover_map)?;
    let n = atlas.summary.len();
    let (columns, per_column, row, map_h, shown) = match cover_layout(n, room, vw, vh) {
        Some((c, p, r, h)) => (c, p, r, h, n),
        None => {
            // Too many for the cover: the map keeps 40 % of the room, the table the rest,
            // its last row saying how many are left out.
            let map_h = 0.4 * room;
            let p = ((room - map_h - 14.0) / ROW_MANY).floor().max(1.0) as usize;
            (3, p, ROW_MANY, map_h, (p * 3).saturating_sub(1))
        }
    };
    let h = embed_map(&mut page, &atlas.cover_map, MARGIN, y, w, map_h)?;
    y += h + 14.0;
    for l in &statements {
        page.text(MARGIN, y, style(8.0), l);
        y += 10.5;
    }
    y += 4.0;
    summary_table(&mut page, atlas, y, columns, per_column, row, shown);
    footer(&mut page, &atlas.notes, 1, total);
    Ok(page.finish())
}

/// The summary table in `columns` columns of `per_column` rows.
fn summary_table(
    page: &mut Page,
    atlas: &Atlas,
    y: f64,
    columns: usize,
    per_column: usize,
    row: f64,
    shown: usize,
) {
    let gap = 14.0;
    let cw = (PAGE_WIDTH - 2.0 * MARGIN - gap * (columns as f64 - 1.0)) / columns as f64;
    let size = if columns == 1 { 7.2 } else { 6.8 };
    // Three columns leave out the median and the verdict (a failing id is red).
    let compact = columns >= 3;
    let heads: &[(&str, bool)] = if compact {
        &[("id", false), ("place", false), ("inhab.", true), ("margin", true), ("p.", true)]
    } else {
        &[
            ("perimeter", false),
            ("place", false),
            ("inhabitants", true),
            ("median", true),
            ("margin", true),
            ("rule", false),
            ("page", true),
        ]
    };
    let number = |x: Option<f64>| x.map_or("–".to_owned(), thousands);
    let cells: Vec<Vec<(String, &'static str)>> = atlas.summary[..shown]
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let verdict = s.verdict.word();
            let colour = look(s.verdict).0;
            let page = ((k + 2).to_string(), GREY);
            if compact {
                vec![
                    (s.id.clone(), colour_if(compact, s.verdict)),
                    (s.place.clone(), INK),
                    (thousands(s.inhabitants), INK),
                    (number(s.margin), INK),
                    page,
                ]
            } else {
                vec![
                    (s.id.clone(), INK),
                    (s.place.clone(), INK),
                    (thousands(s.inhabitants), INK),
                    (number(s.median), INK),
                    (number(s.margin), INK),
                    (verdict.to_owned(), colour),
                    page,
                ]
            }
        })
        .collect();
    // Every column as wide as its widest entry; the place takes what is left.
    let pad = 5.0;
    let mut widths: Vec<f64> = heads.iter().map(|(h, _)| width(h, size, true)).collect();
    for r in &cells {
        for (i, (text, _)) in r.iter().enumerate() {
            widths[i] = widths[i].max(width(text, size, false));
        }
    }
    widths[1] =
        (cw - widths.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, w)| w + pad).sum::<f64>() - pad)
            .max(20.0);
    let mut lefts = Vec::with_capacity(widths.len());
    let mut x = 0.0;
    for w in &widths {
        lefts.push(x);
        x += w + pad;
    }
    let put = |page: &mut Page, x0: f64, yy: f64, i: usize, text: &str, st: Style| {
        if heads[i].1 {
            page.text(x0 + lefts[i] + widths[i], yy, st.end(), text);
        } else {
            page.text(x0 + lefts[i], yy, st, &fit(text, st.size, st.bold, widths[i]));
        }
    };
    for c in 0..columns {
        let x0 = MARGIN + c as f64 * (cw + gap);
        let rows = (c * per_column).min(shown)..((c + 1) * per_column).min(shown);
        if rows.is_empty() && c > 0 {
            break;
        }
        for (i, (head, _)) in heads.iter().enumerate() {
            put(page, x0, y, i, head, style(size).bold().fill(GREY));
        }
        page.line(x0, y + 3.0, x0 + cw, y + 3.0, RULE_LINE, 0.6);
        for (r, k) in rows.enumerate() {
            let yy = y + 14.0 + r as f64 * row;
            if r % 2 == 1 {
                page.rect(x0, yy - row + 2.2, cw, row, "#f3f3f3");
            }
            for (i, (text, fill)) in cells[k].iter().enumerate() {
                put(page, x0, yy, i, text, style(size).fill(fill));
            }
        }
    }
    if shown < atlas.summary.len() {
        let yy = y + 14.0 + per_column as f64 * row - row;
        let x0 = MARGIN + (columns as f64 - 1.0) * (cw + gap);
        page.text(
            x0,
            yy,
            style(size).italic().fill(GREY),
            &format!(
                "… and {} more (pages {}–{})",
                atlas.summary.len() - shown,
                shown + 2,
                atlas.summary.len() + 1
            ),
        );
    }
}

/// A perimeter's id in its verdict's colour where the table has no verdict column.
fn colour_if(compact: bool, verdict: State) -> &'static str {
    if compact && verdict != State::Meets { look(verdict).0 } else { INK }
}

fn perimeter_page(atlas: &Atlas, p: &PerimeterPage, number: usize, total: usize) -> Result<String, IoError> {
    let mut page = Page::new();
    let w = PAGE_WIDTH - 2.0 * MARGIN;
    page.text(MARGIN, MARGIN - 8.0, style(7.0).fill(GREY), &fit(&atlas.running_head, 7.0, false, w - 60.0));
    // Title: id, then the name; the verdict on the right.
    let badge = match p.verdict {
        State::Meets => "meets the rule",
        State::Fails => "fails the rule",
        State::Undecided => "undecided",
    };
    let colour = look(p.verdict).0;
    let badge_w = width(badge, 9.0, true) + 16.0;
    let mut y = MARGIN + 14.0;
    page.text(MARGIN, y, style(17.0).bold(), &p.id);
    let id_w = width(&p.id, 17.0, true) + 10.0;
    page.text(MARGIN + id_w, y, style(12.0), &fit(&p.name, 12.0, false, w - id_w - badge_w - 10.0));
    let _ = writeln!(
        page.s,
        r#"<rect x="{:.2}" y="{:.2}" width="{badge_w:.2}" height="16" rx="8" fill="{colour}"/>"#,
        PAGE_WIDTH - MARGIN - badge_w,
        y - 12.5
    );
    page.text(
        PAGE_WIDTH - MARGIN - badge_w / 2.0,
        y - 1.5,
        style(9.0).bold().fill("#ffffff").middle(),
        badge,
    );
    y += 13.0;
    for line in wrap(&p.subtitle, 8.5, false, w) {
        page.text(MARGIN, y, style(8.5).fill(GREY), &line);
        y += 10.5;
    }
    if p.verdict != State::Meets && !p.problems.is_empty() {
        let why = match p.verdict {
            State::Fails => "Why not",
            _ => "Cannot be decided from the public 200 m grid",
        };
        for line in wrap(&format!("{why}: {}", p.problems.join("; ")), 8.5, true, w) {
            page.text(MARGIN, y, style(8.5).bold().fill(colour), &line);
            y += 10.5;
        }
    }
    y += 2.0;
    let bottom = PAGE_HEIGHT - MARGIN - footer_height(&atlas.notes);
    // The bottom band: the indicator table and the chart side by side.
    let half = (w - GUTTER) / 2.0;
    let band = measure(|pg| table_block(pg, p, 0.0, 0.0, half))
        .max(measure(|pg| chart_block(pg, p, 0.0, 0.0, half)));
    let band_top = bottom - band;
    let caption: Vec<String> = p.caption.iter().flat_map(|c| wrap(c, 7.0, false, w)).collect();
    let caption_h = caption.len() as f64 * 8.8 + 4.0;
    let (vw, vh) = map_size(&p.map)?;
    // The map is drawn on a canvas of fixed size with its text in it: the wider it is on
    // the page, the larger its labels. Two layouts, the one giving the wider map wins:
    // (A) the map across the page, figures and criteria side by side under it; (B) the
    // map on the left, figures and criteria in a column on its right.
    let figures_a = measure(|pg| figures_block(pg, p, 0.0, 0.0, half))
        .max(measure(|pg| criteria_block(pg, p, 0.0, 0.0, half)));
    let room_a = band_top - y - figures_a - caption_h - 16.0;
    let map_a = w.min(room_a * vw / vh);
    let side = 200.0;
    let column_b = measure(|pg| {
        let end = figures_block(pg, p, 0.0, 0.0, side);
        criteria_block(pg, p, 0.0, end + 8.0, side)
    });
    let room_b = band_top - y - caption_h - 12.0;
    let map_b = (w - side - GUTTER).min(room_b * vw / vh);
    if map_b > map_a && column_b <= room_b {
        let h = embed_map(&mut page, &p.map, MARGIN, y, map_b, room_b)?;
        let x = MARGIN + map_b + GUTTER;
        let end = figures_block(&mut page, p, x, y + 9.0, w - map_b - GUTTER);
        let end = criteria_block(&mut page, p, x, end + 8.0, w - map_b - GUTTER);
        y = (y + h).max(end) + 10.0;
        for c in &caption {
            page.text(MARGIN, y, style(7.0).fill(GREY), c);
            y += 8.8;
        }
    } else {
        let h = embed_map(&mut page, &p.map, MARGIN, y, w, room_a.max(120.0))?;
        y += h + 10.0;
        for c in &caption {
            page.text(MARGIN, y, style(7.0).fill(GREY), c);
            y += 8.8;
        }
        y += 4.0;
        let left = figures_block(&mut page, p, MARGIN, y, half);
        y = left.max(criteria_block(&mut page, p, MARGIN + half + GUTTER, y, half));
    }
    // Right under the rest: what room is left stays at the foot of the page.
    let y = (y + 8.0).min(band_top + 4.0);
    table_block(&mut page, p, MARGIN, y, half);
    chart_block(&mut page, p, MARGIN + half + GUTTER, y, half);
    footer(&mut page, &atlas.notes, number, total);
    Ok(page.finish())
}

/// Space between columns, points.
const GUTTER: f64 = 16.0;

/// The height a block takes, drawn on a page thrown away.
fn measure(block: impl FnOnce(&mut Page) -> f64) -> f64 {
    block(&mut Page::new())
}

/// The width and height of a map's viewBox.
fn map_size(map: &str) -> Result<(f64, f64), IoError> {
    let mut scratch = Page::new();
    let h = embed_map(&mut scratch, map, 0.0, 0.0, 1_000.0, f64::MAX)?;
    Ok((1_000.0, h))
}

/// Figures: label and value (wrapped); returns the y below them.
fn figures_block(page: &mut Page, p: &PerimeterPage, x: f64, y: f64, w: f64) -> f64 {
    let mut y = page.heading(x, y, w, "Figures");
    let label_w = (w * 0.36).min(80.0);
    for (label, value) in &p.figures {
        page.text(x, y, style(7.2).fill(GREY), &fit(label, 7.2, false, label_w - 4.0));
        for line in wrap(value, 7.2, false, w - label_w) {
            page.text(x + label_w, y, style(7.2), &line);
            y += 9.2;
        }
    }
    y
}

/// The decree's criteria, each with its figure and verdict; returns the y below them.
fn criteria_block(page: &mut Page, p: &PerimeterPage, x: f64, y: f64, w: f64) -> f64 {
    let mut y = page.heading(x, y, w, "Criteria of the decree");
    page.text(x, y, style(6.3).fill(GREY).italic(), "décret n° 2014-767 as amended by décret n° 2023-1312");
    y += 11.0;
    for c in &p.criteria {
        let (colour, mark, word) = c.state.map_or((GREY, "–", "n/a"), look);
        page.text(x, y, style(9.0).bold().fill(colour), mark);
        page.text(x + 12.0, y, style(7.2), &fit(&c.rule, 7.2, false, w - 12.0 - 34.0));
        page.text(x + w, y, style(7.2).bold().fill(colour).end(), word);
        for line in wrap(&c.figure, 6.8, false, w - 12.0) {
            y += 8.4;
            page.text(x + 12.0, y, style(6.8).fill(GREY), &line);
        }
        y += 11.5;
    }
    y
}

/// The indicator table; returns the y below it.
fn table_block(page: &mut Page, p: &PerimeterPage, x: f64, y: f64, w: f64) -> f64 {
    let mut y = page.heading(x, y, w, "Key indicators");
    let edges = [0.62, 0.81, 1.0];
    for (k, name) in ["perimeter", "urban unit", "France"].iter().enumerate() {
        page.text(x + edges[k] * w - 2.0, y, style(6.5).bold().fill(GREY).end(), name);
    }
    y += 10.0;
    for (r, line) in p.indicators.iter().enumerate() {
        if r % 2 == 0 {
            page.rect(x, y - 6.9, w, 9.2, "#f3f3f3");
        }
        page.text(x + 2.0, y, style(7.0), &fit(&line.label, 7.0, false, w * 0.44 - 2.0));
        for (k, e) in edges.iter().enumerate() {
            let st = if k == 0 { style(7.0).bold() } else { style(7.0) };
            page.text(x + e * w - 2.0, y, st.end(), &value(line, k));
        }
        y += 9.2;
    }
    y += 3.0;
    let names = format!(
        "By area share of the squares, as qpv indicators. Urban unit: {}; France: {}.",
        p.indicator_columns[1], p.indicator_columns[2]
    );
    for line in wrap(&names, 6.3, false, w) {
        y += 1.0;
        page.text(x, y + 5.0, style(6.3).fill(GREY), &line);
        y += 7.6;
    }
    y
}

/// The bar chart of the shares: the perimeter, its urban unit and France; returns the y
/// below it.
fn chart_block(page: &mut Page, p: &PerimeterPage, x: f64, y: f64, w: f64) -> f64 {
    let shares: Vec<&IndicatorLine> = p.indicators.iter().filter(|l| l.kind == Kind::Share).collect();
    if shares.is_empty() {
        return y;
    }
    let mut y = page.heading(x, y, w, "Shares beside the urban unit and France");
    let colours = ["#a50f15", "#f4a582", "#bababa"];
    let mut lx = x;
    for (k, name) in p.indicator_columns.iter().enumerate() {
        page.rect(lx, y - 6.0, 7.0, 7.0, colours[k]);
        page.text(lx + 10.0, y, style(6.3), &fit(name, 6.3, false, w / 3.0 - 13.0));
        lx += w / 3.0;
    }
    y += 6.0;
    let max = shares.iter().flat_map(|l| l.values).filter(|v| v.is_finite()).fold(0.0f64, f64::max).max(0.05);
    let (label_w, bar_w) = (w * 0.36, w * 0.64 - 28.0);
    for line in shares {
        page.text(x, y + 8.0, style(7.0), &fit(&line.label, 7.0, false, label_w - 4.0));
        for (k, v) in line.values.iter().enumerate() {
            let by = y + 1.5 + k as f64 * 4.6;
            let len = if v.is_finite() { v / max * bar_w } else { 0.0 };
            page.rect(x + label_w, by, len.max(0.3), 3.8, colours[k]);
            page.text(x + label_w + len + 2.0, by + 3.6, style(4.8).fill(GREY), &percent(*v));
        }
        y += 16.5;
    }
    y
}

// ---------------------------------------------------------------------------------------
// PDF and HTML.

/// The pages as one PDF: each SVG page drawn by `krilla-svg`, text kept as text in the
/// system fonts (subset and embedded: searchable, accents as written); a bookmark per
/// page; title, author program and date in the metadata.
pub fn pdf(atlas: &Atlas, pages: &[String]) -> Result<Vec<u8>, IoError> {
    pdf_with(atlas, pages, fonts())
}

/// [`pdf`] with these fonts.
fn pdf_with(atlas: &Atlas, pages: &[String], fonts: fontdb::Database) -> Result<Vec<u8>, IoError> {
    use krilla::destination::XyzDestination;
    use krilla::geom::{Point, Size};
    use krilla::metadata::{DateTime, Metadata};
    use krilla::outline::{Outline, OutlineNode};
    use krilla::page::PageSettings;
    use krilla_svg::{SurfaceExt, SvgSettings};
    use rayon::prelude::*;
    use resvg::usvg;
    let enc = |m: String| IoError::Encode { what: "atlas PDF", message: m };
    let options = usvg::Options { fontdb: std::sync::Arc::new(fonts), ..usvg::Options::default() };
    if options.fontdb.is_empty() {
        return Err(enc(
            "no system font found: the PDF would have no text; install one (Debian: apt-get install \
             fonts-dejavu-core)"
                .into(),
        ));
    }
    let mut document = krilla::Document::new();
    let mut outline = Outline::new();
    // Parsing (text shaped, fonts resolved) is half the time: on every core, a few pages
    // at a time (a parsed page holds about 3 MB).
    for (c, chunk) in pages.chunks(16).enumerate() {
        let trees: Vec<usvg::Tree> = chunk
            .par_iter()
            .enumerate()
            .map(|(i, svg)| {
                let k = c * 16 + i;
                usvg::Tree::from_str(svg, &options).map_err(|e| enc(format!("page {}: {e}", k + 1)))
            })
            .collect::<Result<_, _>>()?;
        for (i, tree) in trees.iter().enumerate() {
            let k = c * 16 + i;
            let size = tree.size();
            let settings = PageSettings::from_wh(size.width(), size.height())
                .ok_or_else(|| enc(format!("page {}: empty page", k + 1)))?;
            let mut page = document.start_page_with(settings);
            let mut surface = page.surface();
            let drawn = Size::from_wh(size.width(), size.height())
                .and_then(|s| surface.draw_svg(tree, s, SvgSettings::default()));
            surface.finish();
            page.finish();
            drawn.ok_or_else(|| enc(format!("page {}: krilla-svg could not draw it", k + 1)))?;
            let title = match k {
                0 => "Cover: every perimeter".to_owned(),
                _ => {
                    let p = &atlas.pages[k - 1];
                    if p.name.is_empty() { p.id.clone() } else { format!("{} — {}", p.id, p.name) }
                }
            };
            outline.push_child(OutlineNode::new(title, XyzDestination::new(k, Point::from_xy(0.0, 0.0))));
        }
    }
    document.set_outline(outline);
    let d = atlas.date;
    let date = DateTime::new(d.year.clamp(0, 9999) as u16).month(d.month).day(d.day);
    document.set_metadata(
        Metadata::new()
            .title(atlas.title.clone())
            .creator(atlas.creator.clone())
            .language("en".into())
            .creation_date(date),
    );
    document.finish().map_err(|e| enc(format!("{e:?}")))
}

/// The system fonts, with the faces the pages ask for (DejaVu Sans, else the sans-serif
/// font, in its four styles) read into memory once: `fontdb` otherwise maps or reads a
/// font file again for every run of text, which was 75 % of the time of a Nord atlas
/// (2.8 s of parsing for 79 pages; 0.7 s with the faces in memory). Other faces stay on
/// disk for the glyphs these lack.
fn fonts() -> fontdb::Database {
    use fontdb::{Family, Query, Source, Stretch, Style, Weight};
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    let families = [Family::Name("DejaVu Sans"), Family::Name("Arial"), Family::SansSerif];
    let mut files = Vec::new();
    for (weight, style) in [
        (Weight::NORMAL, Style::Normal),
        (Weight::BOLD, Style::Normal),
        (Weight::NORMAL, Style::Italic),
        (Weight::BOLD, Style::Italic),
    ] {
        let query = Query { families: &families, weight, stretch: Stretch::Normal, style };
        if let Some((Source::File(path), _)) = db.query(&query).and_then(|id| db.face_source(id))
            && !files.contains(&path)
        {
            files.push(path);
        }
    }
    for path in files {
        // A file that cannot be read stays as it was: fontdb reports it when used.
        if let Ok(data) = std::fs::read(&path) {
            let old: Vec<fontdb::ID> = db
                .faces()
                .filter(|f| matches!(&f.source, Source::File(p) if *p == path))
                .map(|f| f.id)
                .collect();
            old.into_iter().for_each(|id| db.remove_face(id));
            db.load_font_data(data);
        }
    }
    db
}

/// Gives every `id` of a page's SVG (and the references to it) the prefix `p`, so that
/// several pages' maps can share one HTML document.
fn prefix_ids(svg: &str, p: &str) -> String {
    svg.replace(" id=\"", &format!(" id=\"{p}-"))
        .replace("url(#", &format!("url(#{p}-"))
        .replace("href=\"#", &format!("href=\"#{p}-"))
}

/// The pages as one self-contained HTML document (no network): a contents list, then
/// each page's SVG, one printed page each.
pub fn html(atlas: &Atlas, pages: &[String]) -> String {
    let mut contents = String::new();
    for (k, p) in atlas.pages.iter().enumerate() {
        let verdict = match p.verdict {
            State::Meets => "",
            State::Fails => " (fails the rule)",
            State::Undecided => " (undecided)",
        };
        let _ = write!(
            contents,
            r##"<li><a href="#page-{}">{}</a> {}{verdict}</li>"##,
            k + 2,
            escape(&p.id),
            escape(&p.name)
        );
    }
    let mut body = String::new();
    for (k, svg) in pages.iter().enumerate() {
        let _ = write!(
            body,
            r#"<section class="page" id="page-{}">{}</section>"#,
            k + 1,
            prefix_ids(svg, &format!("p{}", k + 1))
        );
    }
    format!(
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ margin: 0; background: #e8e8e8; font-family: "DejaVu Sans", Arial, sans-serif; }}
nav {{ max-width: 900px; margin: 16px auto; background: #ffffff; padding: 12px 20px; font-size: 13px; }}
nav ol {{ columns: 3; }}
section.page {{ max-width: 900px; margin: 16px auto; background: #ffffff; box-shadow: 0 1px 4px #999999; }}
section.page svg {{ display: block; width: 100%; height: auto; }}
@media print {{ nav {{ display: none; }} body {{ background: none; }}
  section.page {{ margin: 0; box-shadow: none; max-width: none; break-after: page; }}
  @page {{ size: A4; margin: 0; }} }}
</style></head><body>
<nav><h2>{title}</h2><p>{subtitle}</p><p>Page 1: <a href="#page-1">cover</a>, then one page per perimeter (the same pages as atlas.pdf):</p><ol start="2">{contents}</ol></nav>
{body}
</body></html>
"##,
        title = escape(&atlas.title),
        subtitle = escape(&atlas.subtitle),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draw::{FeatureClass, MapScene, svg};
    use geo_types::coord;

    fn square(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Rect::new(coord! { x: x, y: y }, coord! { x: x + s, y: y + s }).to_polygon()])
    }

    fn feature(geometry: MultiPolygon<f64>, label: &str) -> MapFeature {
        MapFeature {
            geometry,
            class: FeatureClass::Perimeter(Some(800.0)),
            label: label.into(),
            info: vec![],
        }
    }

    fn map() -> String {
        svg(&MapScene {
            title: "map".into(),
            features: vec![feature(square(3_850_000.0, 3_035_000.0, 1_000.0), "59701-01")],
            ..MapScene::default()
        })
        .unwrap()
    }

    fn atlas(pages: usize) -> Atlas {
        let page = |k: usize| PerimeterPage {
            id: format!("59701-{k:02}"),
            name: "Denain, Lourches".into(),
            subtitle: "Urban unit 59701 Valenciennes".into(),
            verdict: if k == 2 { State::Fails } else { State::Meets },
            problems: if k == 2 { vec!["406 inhabitants, fewer than 1 000".into()] } else { vec![] },
            map: map(),
            caption: vec!["Neighbours: none.".into()],
            figures: vec![
                ("Inhabitants".into(), "18 019".into()),
                ("Communes".into(), "Denain, Lourches".into()),
            ],
            criteria: vec![
                Criterion {
                    rule: "at least 1 000 inhabitants".into(),
                    figure: "18 019".into(),
                    state: Some(State::Meets),
                },
                Criterion { rule: "density".into(), figure: "–".into(), state: None },
            ],
            indicator_columns: ["perimeter".into(), "Valenciennes".into(), "France".into()],
            indicators: vec![
                IndicatorLine {
                    label: "inhabitants".into(),
                    values: [18_019.0, 3e5, 6.4e7],
                    kind: Kind::Count,
                },
                IndicatorLine { label: "poverty".into(), values: [0.41, 0.2, f64::NAN], kind: Kind::Share },
            ],
        };
        Atlas {
            title: "Atlas <test>".into(),
            subtitle: "CAPH".into(),
            cover_map: map(),
            cover_lines: vec!["8 perimeters".into()],
            summary: (1..=pages)
                .map(|k| SummaryRow {
                    id: format!("59701-{k:02}"),
                    place: "Denain".into(),
                    inhabitants: 1234.0,
                    median: Some(12_000.0),
                    margin: Some(900.0),
                    verdict: State::Meets,
                })
                .collect(),
            pages: (1..=pages).map(page).collect(),
            notes: vec!["Estimates.".into(), "Sources: INSEE Filosofi 2019.".into()],
            running_head: "qpv atlas".into(),
            date: Day { year: 2026, month: 11, day: 30 },
            creator: "qpv test".into(),
        }
    }

    #[test]
    fn a_machine_without_fonts_gets_no_pdf() {
        let a = atlas(1);
        let pages = page_svgs(&a).unwrap();
        let e = pdf_with(&a, &pages, fontdb::Database::new()).unwrap_err().to_string();
        assert!(e.contains("no system font found") && e.contains("fonts-dejavu-core"), "{e}");
    }

    #[test]
    fn unix_days_are_calendar_days() {
        assert_eq!(Day::from_unix(0).to_string(), "1970-01-01");
        assert_eq!(
            Day::from_unix(951_782_400).to_string(),
            "2000-02-29",
            "a leap day of a century leap year"
        );
        assert_eq!(Day::from_unix(1_709_251_199).to_string(), "2024-02-29", "its last second");
        assert_eq!(Day::from_unix(-1).to_string(), "1969-12-31", "before 1970");
    }

    #[test]
    fn text_is_wrapped_and_cut_to_width() {
        let lines = wrap("Denain Lourches Escaudain Roeulx Haveluy", 10.0, false, 80.0);
        assert!(lines.len() > 1 && lines.iter().all(|l| width(l, 10.0, false) <= 80.0), "{lines:?}");
        assert_eq!(wrap("", 10.0, false, 80.0), Vec::<String>::new());
        let cut = fit("Saint-Amand-les-Eaux-et-plus-loin", 10.0, false, 60.0);
        assert!(cut.ends_with('…') && width(&cut, 10.0, false) <= 60.0, "{cut}");
        assert_eq!(fit("Anzin", 10.0, false, 60.0), "Anzin");
    }

    #[test]
    fn the_summary_table_takes_more_columns_as_rows_grow() {
        // Eight rows beside a wide map: one column, the map as wide as the page anyway.
        assert_eq!(cover_layout(8, 600.0, 2.0, 1.0).map(|t| t.0), Some(1));
        // Beside a square map too: two columns would widen it by 8 % only.
        assert_eq!(cover_layout(8, 600.0, 1.0, 1.0).map(|t| t.0), Some(1));
        // Eighty rows beside a square map: more columns leave it wider.
        let (columns, per_column, _, map_h) = cover_layout(80, 600.0, 1.0, 1.0).unwrap();
        assert!(columns >= 2 && columns * per_column >= 80 && map_h >= 240.0);
        assert_eq!(
            cover_layout(2_000, 600.0, 1.0, 1.0),
            None,
            "too many: the cover says how many are left out"
        );
        assert_eq!(
            cover_layout(0, 600.0, 1.0, 1.0).map(|t| t.1),
            Some(1),
            "an empty table still has its head"
        );
    }

    #[test]
    fn a_map_is_nested_at_its_box_with_its_aspect() {
        let mut page = Page::new();
        let h = embed_map(&mut page, &map(), 10.0, 20.0, 500.0, 2_000.0).unwrap();
        let s = page.finish();
        assert!(s.contains(r#"<svg x="10.00" y="20.00" width="500.00""#), "{}", &s[..400]);
        assert!(h > 0.0 && s.matches("<svg").count() == 2 && s.matches("</svg>").count() == 2);
        assert!(embed_map(&mut Page::new(), "<g/>", 0.0, 0.0, 1.0, 1.0).is_err());
        assert_eq!(
            attributes(r#" a="1" b='x y' c = "z""#),
            vec![("a".into(), "1".into()), ("b".into(), "x y".into()), ("c".into(), "z".into())]
        );
    }

    #[test]
    fn features_are_cut_to_the_window_and_those_outside_left_out() {
        let window = window_around(&square(0.0, 0.0, 1_000.0), 0.25, 500.0).unwrap();
        assert_eq!((window.min().x, window.max().x), (-500.0, 1_500.0), "at least 500 m around");
        let far = feature(square(10_000.0, 0.0, 500.0), "far");
        let across = feature(square(1_000.0, 0.0, 2_000.0), "across");
        let inside = feature(square(100.0, 100.0, 200.0), "inside");
        let kept = clip_to(&[far, across, inside], window);
        assert!(clip_to(&[], window).is_empty());
        assert_eq!(kept.iter().map(|f| f.label.as_str()).collect::<Vec<_>>(), ["across", "inside"]);
        let across = kept[0].geometry.bounding_rect().unwrap();
        assert!((across.max().x - 1_500.0).abs() < 1e-6, "cut at the window's edge");
        assert!(window_around(&MultiPolygon(vec![]), 0.25, 500.0).is_none());
    }

    #[test]
    fn every_page_is_drawn_and_the_pdf_has_them_with_text() {
        let a = atlas(3);
        let pages = page_svgs(&a).unwrap();
        assert_eq!(pages.len(), 4);
        assert!(pages[0].contains("Atlas &lt;test&gt;") && pages[0].contains(">page<"));
        assert!(pages[2].contains("fails the rule") && pages[2].contains("Why not"));
        assert!(pages[1].contains("✓") && pages[1].contains("18 019") && pages[1].contains("2 / 4"));
        let pdf = pdf(&a, &pages).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.windows(b"/Outlines".len()).any(|w| w == b"/Outlines"), "a bookmark per page");
        let html = html(&a, &pages);
        assert_eq!(html.matches("<section class=\"page\"").count(), 4);
        assert!(html.contains(r#"id="p2-frame""#) && html.contains("url(#p2-frame)"), "ids are per page");
        assert!(!html.contains("<script") && !html.contains("src="));
    }
}

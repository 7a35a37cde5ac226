//! Text measure (DejaVu Sans widths, to wrap and fit without the font at hand), the SVG
//! page being drawn, and what every page shares: a nested map, the footer, numbers.

use super::{FONT, GREY, INK, IndicatorLine, Kind, MARGIN, PAGE_HEIGHT, PAGE_WIDTH, RULE_LINE};
use crate::draw::{MapScene, Paper, svg_on_paper};
use qpv_grid::{IoError, thousands};
use std::fmt::Write as _;

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
pub(super) fn width(text: &str, size: f64, bold: bool) -> f64 {
    let w: f64 = text.chars().map(em).sum::<f64>() * size;
    if bold { w * 1.1 } else { w }
}

/// `text` cut to fit `max` points, ending with `…` when cut.
pub(super) fn fit(text: &str, size: f64, bold: bool, max: f64) -> String {
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
pub(super) fn wrap(text: &str, size: f64, bold: bool, max: f64) -> Vec<String> {
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

pub(super) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Text options.
#[derive(Clone, Copy)]
pub(super) struct Style {
    pub(super) size: f64,
    pub(super) bold: bool,
    fill: &'static str,
    anchor: &'static str,
    italic: bool,
}

pub(super) const fn style(size: f64) -> Style {
    Style { size, bold: false, fill: INK, anchor: "start", italic: false }
}

impl Style {
    pub(super) const fn bold(self) -> Style {
        Style { bold: true, ..self }
    }
    pub(super) const fn fill(self, fill: &'static str) -> Style {
        Style { fill, ..self }
    }
    pub(super) const fn end(self) -> Style {
        Style { anchor: "end", ..self }
    }
    pub(super) const fn middle(self) -> Style {
        Style { anchor: "middle", ..self }
    }
    pub(super) const fn italic(self) -> Style {
        Style { italic: true, ..self }
    }
}

/// A page being drawn.
pub(super) struct Page {
    pub(super) s: String,
}

impl Page {
    pub(super) fn new() -> Page {
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_WIDTH}" height="{PAGE_HEIGHT}" viewBox="0 0 {PAGE_WIDTH} {PAGE_HEIGHT}" font-family="{FONT}">"#
        );
        let _ = writeln!(s, r##"<rect width="{PAGE_WIDTH}" height="{PAGE_HEIGHT}" fill="#ffffff"/>"##);
        Page { s }
    }

    pub(super) fn text(&mut self, x: f64, y: f64, st: Style, text: &str) {
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

    pub(super) fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str) {
        let _ =
            writeln!(self.s, r#"<rect x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}" fill="{fill}"/>"#);
    }

    pub(super) fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, w: f64) {
        let _ = writeln!(
            self.s,
            r#"<line x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" stroke="{stroke}" stroke-width="{w}"/>"#
        );
    }

    /// A section heading with a rule under it; returns the y below it.
    pub(super) fn heading(&mut self, x: f64, y: f64, w: f64, text: &str) -> f64 {
        self.text(x, y, style(9.0).bold(), text);
        self.line(x, y + 3.0, x + w, y + 3.0, RULE_LINE, 0.6);
        y + 13.0
    }

    pub(super) fn finish(mut self) -> String {
        self.s.push_str("</svg>\n");
        self.s
    }
}

/// Places a map drawn by [`crate::svg`] in the box (x, y, max_w, max_h), as large as
/// fits, centred across; returns the height it takes.
pub(super) fn embed_map(
    page: &mut Page,
    map: &str,
    x: f64,
    y: f64,
    max_w: f64,
    max_h: f64,
) -> Result<f64, IoError> {
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

pub(super) fn percent(x: f64) -> String {
    if x.is_finite() { format!("{:.1} %", 100.0 * x) } else { "–".into() }
}

pub(super) fn value(line: &IndicatorLine, k: usize) -> String {
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
pub(super) fn footer(page: &mut Page, notes: &[String], number: usize, pages: usize) {
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
pub(super) fn footer_height(notes: &[String]) -> f64 {
    let w = PAGE_WIDTH - 2.0 * MARGIN;
    let lines: usize = notes.iter().map(|n| wrap(n, NOTE_SIZE, false, w).len()).sum();
    lines as f64 * NOTE_LEADING + 10.0
}

/// The width and height of a map's viewBox.
pub(super) fn map_size(map: &str) -> Result<(f64, f64), IoError> {
    let mut scratch = Page::new();
    let h = embed_map(&mut scratch, map, 0.0, 0.0, 1_000.0, f64::MAX)?;
    Ok((1_000.0, h))
}

/// Size of the smallest text of a map on a page, points: the page's body text (the
/// figures), so that a printed map reads as the page does.
pub(super) const MAP_TEXT: f64 = 7.2;

/// `scene` drawn for paper at the widest width, up to `max_w` points, at which it is at
/// most `max_h` points high; returns the SVG and that width.
///
/// The map's text, legend and scale bar keep their size in points whatever its width,
/// so its height is about linear in its width (the area drawn grows, the rest does not):
/// from the full width, a secant step or two find the width that fits.
pub(super) fn fit_map(scene: &MapScene, max_w: f64, max_h: f64) -> Result<(String, f64), IoError> {
    let draw = |width: f64| -> Result<(String, f64), IoError> {
        let svg = svg_on_paper(scene, Paper { width_pt: width, min_text_pt: MAP_TEXT })?;
        let (vw, vh) = map_size(&svg)?;
        Ok((svg, width * vh / vw))
    };
    let mut width = max_w;
    let mut last: Option<(f64, f64)> = None;
    for _ in 0..12 {
        let (svg, h) = draw(width)?;
        if h <= max_h + 0.01 || width <= 0.2 * max_w {
            return Ok((svg, width));
        }
        let next = match last {
            Some((w0, h0)) if (h - h0).abs() > 1e-6 => width + (max_h - h) * (width - w0) / (h - h0),
            _ => width * max_h / h,
        };
        last = Some((width, h));
        // Always narrower (the viewBox's height is rounded to whole pixels), never less
        // than a fifth of the room.
        width = next.min(width * 0.999).max(0.2 * max_w);
    }
    Ok((draw(width)?.0, width))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::tests::map;

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
}

//! What is drawn around a map: the header (title and note), the scale bar and north
//! arrow, and the legend, sized for the screen or for paper (see [`crate::Paper`]).

use crate::draw::{FeatureClass, Frame, MapScene, PAD, SMALLEST_TEXT, WIDTH, escape, fill_of, symbol_radius};
use crate::palette::{self, DENSITY_CLASSES, MEDIAN_CLASSES, PERIMETER_FILLS};
use std::fmt::Write as _;

/// A scale bar length: 1, 2 or 5 × 10ⁿ metres, about a fifth of the map's width.
pub fn scale_length(map_width_m: f64) -> f64 {
    let target = map_width_m / 5.0;
    let base = 10f64.powf(target.log10().floor());
    [5.0, 2.0, 1.0].into_iter().map(|f| f * base).find(|l| *l <= target).unwrap_or(base)
}

fn distance_label(m: f64) -> String {
    if m >= 1000.0 { format!("{} km", m / 1000.0) } else { format!("{m} m") }
}

pub(crate) fn header(s: &mut String, scene: &MapScene, f: &Frame) {
    let m = f.m;
    if f.paper.is_some() {
        let _ = writeln!(
            s,
            r##"<rect width="{WIDTH}" height="{}" fill="#ffffff" opacity="0.92"/><text x="{PAD}" y="{}" font-size="{}" font-weight="bold" fill="#111111">{}</text>"##,
            f.header(),
            19.0 * m,
            1.25 * SMALLEST_TEXT * m,
            escape(&scene.title),
        );
        return;
    }
    let _ = writeln!(
        s,
        r##"<rect width="{WIDTH}" height="{}" fill="#ffffff" opacity="0.92"/><text x="{PAD}" y="{}" font-size="{}" font-weight="bold" fill="#111111">{}</text><text x="{PAD}" y="{}" font-size="{}" fill="#444444">{}</text>"##,
        f.header(),
        26.0 * m,
        20.0 * m,
        escape(&scene.title),
        46.0 * m,
        12.0 * m,
        escape(&scene.note)
    );
}

pub(crate) fn scale_bar(s: &mut String, f: &Frame) {
    let m = f.m;
    let length = scale_length(f.max.x - f.min.x);
    let px = length * f.k;
    // On paper, in the map's corner: the legend below takes the whole width.
    let y0 = if f.paper.is_some() { f.bottom - 14.0 * m } else { f.bottom + 30.0 * m };
    // Room on the right for half the distance's label, centred on the bar's end.
    let right = if f.paper.is_some() { 24.0 * m } else { 10.0 };
    let (x0, y0) = (WIDTH - PAD - px - right, y0);
    let _ = writeln!(
        s,
        r##"<g id="scale"><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{}" fill="#ffffff" opacity="0.85"/><rect x="{x0:.1}" y="{y0:.1}" width="{:.1}" height="{}" fill="#ffffff" stroke="#000000"{stroke}/><rect x="{x0:.1}" y="{y0:.1}" width="{:.1}" height="{}" fill="#000000"/><text x="{:.1}" y="{:.1}" font-size="{}" text-anchor="middle">{}</text><text x="{x0:.1}" y="{:.1}" font-size="{}" text-anchor="middle">0</text></g>"##,
        x0 - 14.0 * m,
        y0 - 20.0 * m,
        px + 28.0 * m,
        34.0 * m,
        px,
        6.0 * m,
        px / 2.0,
        6.0 * m,
        x0 + px,
        y0 - 5.0 * m,
        12.0 * m,
        distance_label(length),
        y0 - 5.0 * m,
        12.0 * m,
        stroke = if f.paper.is_some() {
            format!(r#" stroke-width="{}""#, f.line(1.0, 0.5))
        } else {
            String::new()
        },
    );
    // North arrow.
    let (nx, ny) = (WIDTH - PAD - 16.0 * m, f.header() + PAD + 10.0 * m);
    let _ = writeln!(
        s,
        r##"<g id="north"><path d="M{nx},{ny} l{},{} l{},{} l{},{} z" fill="#000000"/><text x="{nx}" y="{:.0}" font-size="{}" text-anchor="middle">N</text></g>"##,
        -8.0 * m,
        22.0 * m,
        8.0 * m,
        -6.0 * m,
        8.0 * m,
        6.0 * m,
        ny + 36.0 * m,
        12.0 * m
    );
}

/// What a legend entry shows beside its text.
pub(crate) enum Key {
    /// A filled box.
    Box(&'static str),
    /// A dot (a school).
    Dot(&'static str),
    /// Classes side by side (the background's; on paper, the perimeters' and squares').
    Ramp(Vec<&'static str>),
    /// Two perimeter symbols, of 1 000 and 10 000 inhabitants.
    Circles,
}

/// The legend's entries. On paper the classes of perimeters and squares are ramps with
/// their bounds, one line each (on screen, a line a class): the legend at print size then
/// takes room from the map for what it says, not for its layout.
pub(crate) fn legend_entries(
    scene: &MapScene,
    background: bool,
    symbols: bool,
    paper: bool,
) -> Vec<(String, Key)> {
    let mut entries: Vec<(String, Key)> = Vec::new();
    let has = |c: fn(&FeatureClass) -> bool| scene.features.iter().any(|x| c(&x.class));
    let bounds = |b: &mut dyn Iterator<Item = f64>| b.map(qpv_grid::thousands).collect::<Vec<_>>().join(", ");
    let margins = qpv_layers::styles::MARGIN_CLASSES;
    if paper && has(|c| matches!(c, FeatureClass::Perimeter(_))) {
        let b = bounds(&mut margins.iter().take(margins.len() - 1).map(|c| c.1));
        entries
            .push((format!("perimeter, € below the threshold ({b})"), Key::Ramp(PERIMETER_FILLS.to_vec())));
    } else if has(|c| matches!(c, FeatureClass::Perimeter(_))) {
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
    if paper && !scene.squares.is_empty() {
        let b = bounds(&mut MEDIAN_CLASSES.iter().filter(|c| c.0.is_finite()).map(|c| c.0));
        entries.push((
            format!("square median, € ({b})"),
            Key::Ramp(MEDIAN_CLASSES.iter().map(|c| c.1).collect()),
        ));
    } else if !scene.squares.is_empty() {
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
        entries.push((
            format!("inhabitants per km² ({})", bounds.join(", ")),
            Key::Ramp(DENSITY_CLASSES.iter().map(|c| c.1).collect()),
        ));
    }
    entries
}

/// Columns of the legend and their width: on screen two of [`LEGEND_COLUMN`]; on paper
/// as many (up to three) as fit of the longest entry's width.
fn legend_columns(f: &Frame, entries: &[(String, Key)]) -> (usize, f64) {
    if f.paper.is_none() {
        return (2, LEGEND_COLUMN);
    }
    let size = legend_text(f);
    // DejaVu Sans averages 0.56 em a character over these labels (0.6 is for labels on
    // the map, kept apart with room to spare).
    let widest = entries
        .iter()
        .map(|(l, k)| key_width(k, f.m) + l.chars().count() as f64 * 0.56 * size)
        .fold(0.0, f64::max);
    let column = widest + 8.0 * f.m;
    ((((WIDTH - 2.0 * PAD) / column) as usize).clamp(1, 3).min(entries.len().max(1)), column)
}

/// Width of a legend column on screen, px.
const LEGEND_COLUMN: f64 = 380.0;

/// Size of the legend's text: 12 px on screen, the smallest text on paper.
fn legend_text(f: &Frame) -> f64 {
    if f.paper.is_some() { SMALLEST_TEXT * f.m } else { 12.0 }
}

/// Height of a legend row: 18 px on screen, one and a half lines of text on paper.
fn legend_row(f: &Frame) -> f64 {
    if f.paper.is_some() { 1.5 * legend_text(f) } else { 18.0 }
}

/// Height of the legend under the map, px.
pub(crate) fn legend_height(f: &Frame, entries: &[(String, Key)]) -> f64 {
    legend_layout(f, entries).1
}

/// Where each legend entry goes (its left, its top below the first row's, its lines of
/// text), and the legend's height. On paper, a legend of one column too narrow for its
/// longest entries wraps them.
#[allow(clippy::type_complexity)]
fn legend_layout(f: &Frame, entries: &[(String, Key)]) -> (Vec<(f64, f64, Vec<String>)>, f64) {
    let (m, row) = (f.m, legend_row(f));
    let (columns, column) = legend_columns(f, entries);
    if f.paper.is_some() && columns == 1 && PAD + column > WIDTH - PAD {
        let mut top = 0.0;
        let mut out = Vec::with_capacity(entries.len());
        for (label, key) in entries {
            let room = WIDTH - 2.0 * PAD - key_width(key, m);
            let lines = wrap_chars(label, (room / (0.56 * legend_text(f))) as usize);
            let n = lines.len() as f64;
            out.push((PAD, top, lines));
            top += n * row;
        }
        return (out, top + 24.0 * m);
    }
    let rows = entries.len().div_ceil(columns);
    let out = entries
        .iter()
        .enumerate()
        .map(|(k, (label, _))| {
            (PAD + (k / rows) as f64 * column, (k % rows) as f64 * row, vec![label.clone()])
        })
        .collect();
    (out, rows as f64 * row + 24.0 * m)
}

/// Whether a word is a group of three digits of a number written with spaces (`000`,
/// `000),`).
fn thousands_group(word: &str) -> bool {
    let digits = word.chars().take_while(char::is_ascii_digit).count();
    digits == 3 && word.chars().skip(3).all(|c| !c.is_alphanumeric())
}

/// `text` in lines of at most `max` characters, words and numbers (`3 000`) kept whole.
fn wrap_chars(text: &str, max: usize) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match words.last_mut() {
            Some(w) if w.ends_with(|c: char| c.is_ascii_digit()) && thousands_group(word) => {
                w.push(' ');
                w.push_str(word);
            }
            _ => words.push(word.to_owned()),
        }
    }
    let mut lines: Vec<String> = Vec::new();
    for word in &words {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= max => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.clone()),
        }
    }
    lines
}

/// Room taken by a legend entry's key, left of its text, px.
fn key_width(key: &Key, m: f64) -> f64 {
    match key {
        Key::Ramp(colours) => 8.0 * m + 12.0 * m * colours.len() as f64 + 8.0 * m,
        Key::Circles => 8.0 * m + 2.0 * (symbol_radius(1_000.0) + symbol_radius(10_000.0)) * m + 11.0 * m,
        Key::Dot(_) | Key::Box(_) => 32.0 * m,
    }
}

/// The legend, in two columns below the map (one where two would not fit).
pub(crate) fn legend(s: &mut String, entries: &[(String, Key)], f: &Frame) {
    let m = f.m;
    let (places, _) = legend_layout(f, entries);
    let _ = writeln!(
        s,
        r##"<g id="legend"><line x1="0" y1="{b:.1}" x2="{WIDTH}" y2="{b:.1}" stroke="#999999"/>"##,
        b = f.bottom
    );
    for ((_, key), (x0, top, lines)) in entries.iter().zip(places) {
        let y = f.bottom + 10.0 * m + top;
        let mut text_x = x0 + 32.0 * m;
        match key {
            Key::Dot(color) => {
                let _ = write!(
                    s,
                    r##"<circle cx="{:.1}" cy="{:.1}" r="{}" fill="{color}" stroke="#ffffff"/>"##,
                    x0 + 16.0 * m,
                    y + 7.0 * m,
                    5.0 * m
                );
            }
            Key::Box(color) => {
                let _ = write!(
                    s,
                    r##"<rect x="{:.1}" y="{y:.1}" width="{}" height="{}" fill="{color}" stroke="#555555"/>"##,
                    x0 + 8.0 * m,
                    16.0 * m,
                    13.0 * m
                );
            }
            Key::Ramp(colours) => {
                for (j, color) in colours.iter().enumerate() {
                    let _ = write!(
                        s,
                        r##"<rect x="{:.1}" y="{y:.1}" width="{}" height="{}" fill="{color}" stroke="#888888" stroke-width="0.5"/>"##,
                        x0 + 8.0 * m + 12.0 * m * j as f64,
                        12.0 * m,
                        13.0 * m
                    );
                }
                text_x = x0 + 8.0 * m + 12.0 * m * colours.len() as f64 + 8.0 * m;
            }
            Key::Circles => {
                let (small, large) = (symbol_radius(1_000.0) * m, symbol_radius(10_000.0) * m);
                let _ = write!(
                    s,
                    r##"<circle cx="{:.1}" cy="{:.1}" r="{small:.1}" fill="#fc6a4a" stroke="#ffffff" stroke-width="0.8"/><circle cx="{:.1}" cy="{:.1}" r="{large:.1}" fill="#fc6a4a" stroke="#ffffff" stroke-width="0.8"/>"##,
                    x0 + 8.0 * m + small,
                    y + 7.0 * m,
                    x0 + 8.0 * m + 2.0 * small + 3.0 * m + large,
                    y + 7.0 * m
                );
                text_x = x0 + 8.0 * m + 2.0 * (small + large) + 3.0 * m + 8.0 * m;
            }
        }
        for (i, line) in lines.iter().enumerate() {
            let _ = writeln!(
                s,
                r#"<text x="{text_x:.1}" y="{:.1}" font-size="{}">{}</text>"#,
                y + 11.0 * m + i as f64 * legend_row(f),
                legend_text(f),
                escape(line)
            );
        }
    }
    s.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bar_lengths_are_round() {
        assert_eq!(scale_length(10_000.0), 2_000.0);
        assert_eq!(scale_length(30_000.0), 5_000.0);
        assert_eq!(scale_length(4_000.0), 500.0);
        assert_eq!(distance_label(2_000.0), "2 km");
    }

    #[test]
    fn long_entries_are_wrapped_at_words() {
        assert_eq!(wrap_chars("small perimeter: 1 000", 12), ["small", "perimeter:", "1 000"]);
        assert_eq!(wrap_chars("median (12 000, 15 000)", 10), ["median", "(12 000,", "15 000)"]);
        assert_eq!(wrap_chars("1 2000 m", 3), ["1", "2000", "m"], "not a group of three");
        assert_eq!(wrap_chars("REP collège", 40), ["REP collège"]);
        assert_eq!(wrap_chars("", 10), Vec::<String>::new());
        assert_eq!(
            wrap_chars("unbreakable-word", 4),
            ["unbreakable-word"],
            "a word longer than a line stays whole"
        );
    }
}

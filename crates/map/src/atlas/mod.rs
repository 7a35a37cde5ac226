//! The atlas: a cover (map of every perimeter and a summary table) and one A4 page per
//! perimeter (its map, figures, the decree's criteria, key indicators beside its urban
//! unit and France, the standing notes), each page one SVG. The same SVG pages become the
//! PDF (through `krilla-svg`, on the `usvg` that also draws the PNG maps: text stays text,
//! fonts subset and embedded) and the HTML page for the screen.
//!
//! This module lays out what the caller computed; it decides no figure. Maps come from
//! [`crate::svg`] and are placed as nested `<svg>` elements, so the map code stays the
//! one that draws every map.
//!
//! By concern: `text` measures and writes text and the pieces every page shares (the
//! footer, a nested map); `cover` draws the first page, `perimeter` a perimeter's page;
//! [`pdf()`] and [`html()`] turn the pages into documents.

pub mod content;
mod cover;
mod html;
mod pdf;
mod perimeter;
mod text;

pub use html::html;
pub use pdf::pdf;

use crate::draw::{MapFeature, MapScene};
use crate::palette::{FAILED, GREY, INK, MET, RULE_LINE, UNDECIDED};
use geo::{BooleanOps, BoundingRect, Intersects};
use geo_types::{Coord, MultiPolygon, Rect};
use qpv_core::verdict::State;
use qpv_grid::IoError;

/// A4 portrait, in PDF points (1/72 inch): page SVGs are drawn in these units, which
/// the PDF keeps as they are.
pub const PAGE_WIDTH: f64 = 595.28;
/// A4 portrait height, points.
pub const PAGE_HEIGHT: f64 = 841.89;
const MARGIN: f64 = 26.0;
const FONT: &str = "DejaVu Sans, Arial, sans-serif";

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
    /// The cover's map: every perimeter, drawn for its frame (see [`crate::Paper`]).
    pub cover_map: MapScene,
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
    /// Its map, zoomed on it ([`MapScene::focus`] set to it), drawn for its frame on the
    /// page at print size (see [`crate::Paper`]).
    pub map: MapScene,
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

/// Every page as SVG: the cover, then one page per perimeter.
pub fn page_svgs(atlas: &Atlas) -> Result<Vec<String>, IoError> {
    use rayon::prelude::*;
    let total = atlas.pages.len() + 1;
    let mut out = Vec::with_capacity(total);
    out.push(cover::cover(atlas, total)?);
    // Each map is drawn a few times to fit its frame: the pages on every core.
    let pages: Vec<String> = atlas
        .pages
        .par_iter()
        .enumerate()
        .map(|(k, p)| perimeter::perimeter_page(atlas, p, k + 2, total))
        .collect::<Result<_, _>>()?;
    out.extend(pages);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draw::{FeatureClass, MapScene, svg};
    use geo_types::coord;

    pub(super) fn square(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Rect::new(coord! { x: x, y: y }, coord! { x: x + s, y: y + s }).to_polygon()])
    }

    pub(super) fn feature(geometry: MultiPolygon<f64>, label: &str) -> MapFeature {
        MapFeature {
            geometry,
            class: FeatureClass::Perimeter(Some(800.0)),
            label: label.into(),
            info: vec![],
        }
    }

    pub(super) fn scene() -> MapScene {
        MapScene {
            title: "map".into(),
            features: vec![feature(square(3_850_000.0, 3_035_000.0, 1_000.0), "59701-01")],
            focus: Some(0),
            ..MapScene::default()
        }
    }

    pub(super) fn map() -> String {
        svg(&scene()).unwrap()
    }

    pub(super) fn atlas(pages: usize) -> Atlas {
        let page = |k: usize| PerimeterPage {
            id: format!("59701-{k:02}"),
            name: "Denain, Lourches".into(),
            subtitle: "Urban unit 59701 Valenciennes".into(),
            verdict: if k == 2 { State::Fails } else { State::Meets },
            problems: if k == 2 { vec!["406 inhabitants, fewer than 1 000".into()] } else { vec![] },
            map: scene(),
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
            cover_map: scene(),
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

    /// The printed size (points) of every text of the maps nested in a page: its
    /// `font-size` times the nested SVG's width over its viewBox's.
    fn map_text_sizes(page: &str) -> Vec<f64> {
        let mut out = Vec::new();
        for nested in page.split("<svg x=").skip(1) {
            let inside = &nested[..nested.find("</svg>").unwrap()];
            let number = |name: &str| -> f64 {
                let t = &inside[inside.find(&format!(r#"{name}=""#)).unwrap() + name.len() + 2..];
                t[..t.find('"').unwrap()]
                    .split_whitespace()
                    .nth(if name == "viewBox" { 2 } else { 0 })
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            let scale = number("width") / number("viewBox");
            out.extend(
                inside
                    .split(r#"font-size=""#)
                    .skip(1)
                    .map(|t| t[..t.find('"').unwrap()].parse::<f64>().unwrap() * scale),
            );
        }
        out
    }

    #[test]
    fn page_maps_are_drawn_for_paper_their_text_at_the_body_size() {
        let pages = page_svgs(&atlas(2)).unwrap();
        for page in &pages {
            let sizes = map_text_sizes(page);
            assert!(sizes.len() > 5, "a map with its legend");
            assert!(sizes.iter().all(|s| *s >= text::MAP_TEXT - 1e-6), "{sizes:?}");
        }
        // The page's perimeter has its own outline.
        assert!(pages[1].contains(&format!(r#"stroke="{}""#, crate::palette::FOCUS_LINE)));
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

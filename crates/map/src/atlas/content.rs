//! What the atlas's pages show, taken from a run: the perimeters with their figures
//! ([`Subject`]: the run's candidates as `candidates.csv` has them, or a file's perimeters
//! as `qpv check` takes them), their key indicators beside their urban unit and France,
//! the layers every map draws ([`Layers`]), each perimeter's page ([`page`]: map, caption,
//! figures, criteria) and the standing notes. The figures are those of the other
//! commands, not a second version of them; `qpv atlas` reads the files and calls these.

use super::{Criterion, Day, IndicatorLine, Kind, PerimeterPage, clip_to, window_around};
use crate::{FeatureClass, MapFeature, MapPoint, MapScene, MapSquare};
use geo_types::{MultiPolygon, Rect};
use qpv_core::compare::{Change, Comparison, Residents};
use qpv_core::indicators::IndicatorRow;
use qpv_core::{Adjuster, CommuneTable, Figures, Grid, LogNormal, RunOutput, RunSettings, Territory};
use qpv_grid::{InputFile, thousands};
use qpv_layers::indicators_out::LevelFigures;
use qpv_layers::on_grid::FilePerimeter;
use qpv_layers::perimeters::PerimeterFile;
use qpv_layers::records::{self, AreaRecord};
use qpv_layers::schools::School;
use rustc_hash::FxHashMap;
use std::path::Path;

/// The run an atlas is made from.
#[derive(Clone, Copy)]
pub struct Run<'a> {
    /// The grid.
    pub grid: &'a Grid,
    /// The method's output on it.
    pub output: &'a RunOutput,
    /// The commune table.
    pub communes: &'a CommuneTable,
    /// The settings applied.
    pub settings: &'a RunSettings,
    /// Each square's income fit.
    pub fits: &'a [Option<LogNormal>],
    /// Metropolitan or overseas (which places the cover names).
    pub territory: Territory,
}

/// A perimeter of the atlas with its figures.
pub struct Subject {
    /// Figures as `candidates.csv` has them (candidates), or summed from the squares
    /// whose centre the drawn perimeter contains (a file, as `qpv check`).
    pub record: AreaRecord,
    /// The adjustments engine's figures, which the criteria are read from.
    pub figures: Figures,
    /// A name from the file (empty for candidates).
    pub name: String,
    /// Outline, grid CRS.
    pub geometry: MultiPolygon<f64>,
    /// A file's perimeter by area share (as `check.csv`'s `*_area` columns).
    pub area_share: Option<Residents>,
}

impl Subject {
    /// Its name, else its communes.
    pub fn place(&self) -> String {
        if self.name.is_empty() { self.record.commune_names().replace(';', ",") } else { self.name.clone() }
    }
}

/// The run's candidates, with the figures of `candidates.csv` (none when the run found
/// none).
pub fn candidate_subjects(run: Run<'_>) -> Vec<Subject> {
    let (records, _) = records::area_records(run.output, run.grid, run.communes);
    let ids: Vec<String> = records.iter().map(|c| c.record.id.clone()).collect();
    let engine = Adjuster::new(run.grid, run.output, &ids, run.settings);
    records
        .into_iter()
        .zip(&engine.perimeters)
        .map(|(c, p)| Subject {
            figures: engine.figures(p),
            record: c.record,
            name: String::new(),
            geometry: c.geometry,
            area_share: None,
        })
        .collect()
}

/// The perimeters of a file, taken as `qpv check` takes them: `engine` holds them on the
/// lattice in the order of `perimeters` ([`Adjuster::from_lines`]), `shapes` are their
/// lines as drawn.
pub fn file_subjects(
    run: Run<'_>,
    engine: &Adjuster<'_>,
    perimeters: Vec<FilePerimeter>,
    shapes: &[MultiPolygon<f64>],
) -> Vec<Subject> {
    perimeters
        .into_iter()
        .zip(&engine.perimeters)
        .enumerate()
        .map(|(k, (p, perimeter))| {
            let f = engine.figures(perimeter);
            let record =
                qpv_layers::adjustments::perimeter_record(perimeter, &f, run.grid, run.communes, run.output);
            Subject {
                record,
                figures: f,
                name: p.name,
                geometry: shapes[k].clone(),
                area_share: Some(p.residents),
            }
        })
        .collect()
}

/// The key indicators of each perimeter beside its urban unit and France, as
/// `qpv indicators` computes them; the column names with them.
///
/// `rows` are `qpv indicators`' rows of the perimeters, `france` and `unit_of` its
/// levels.
pub fn indicator_lines(
    rows: &[IndicatorRow],
    france: &LevelFigures,
    unit_of: impl Fn(u32) -> Option<LevelFigures>,
) -> Vec<([String; 3], Vec<IndicatorLine>)> {
    let france_values = france.totals.indicators(france.median);
    rows.iter()
        .map(|r| {
            let unit: Option<LevelFigures> = r.unit.and_then(&unit_of);
            let own = r.residents.totals.indicators(r.residents.median);
            let unit_values = unit.as_ref().map(|u| u.totals.indicators(u.median));
            let of = |values: &[(&str, f64)], name: &str| {
                values.iter().find(|(n, _)| *n == name).map_or(f64::NAN, |(_, x)| *x)
            };
            let lines = KEY_INDICATORS
                .iter()
                .map(|(name, label, kind)| IndicatorLine {
                    label: (*label).into(),
                    values: [
                        of(&own, name),
                        unit_values.as_deref().map_or(f64::NAN, |u| of(u, name)),
                        of(&france_values, name),
                    ],
                    kind: *kind,
                })
                .collect();
            let unit_name = unit.map_or("urban unit".to_owned(), |u| format!("UU {}", u.name));
            (["this perimeter".to_owned(), unit_name, france.name.clone()], lines)
        })
        .collect()
}

/// The indicators of a page, by their name in [`qpv_core::Totals::indicators`].
pub const KEY_INDICATORS: [(&str, &str, Kind); 11] = [
    ("inhabitants", "inhabitants", Kind::Count),
    ("households", "households", Kind::Count),
    ("median_estimate", "median niveau de vie (est.)", Kind::Euros),
    ("mean_income", "mean niveau de vie", Kind::Euros),
    ("poverty_share", "poor households", Kind::Share),
    ("single_parent_share", "single-parent families", Kind::Share),
    ("large_household_share", "households of 5+ people", Kind::Share),
    ("social_dwelling_share", "social housing", Kind::Share),
    ("owner_share", "owner-occupiers", Kind::Share),
    ("age_0_17_share", "aged under 18", Kind::Share),
    ("age_65_plus_share", "aged 65 or more", Kind::Share),
];

/// What the maps draw, computed once for every page.
pub struct Layers {
    /// Every perimeter of the atlas.
    perimeters: Vec<MapFeature>,
    /// Their inhabitants (the size of their symbol on a small-scale cover).
    inhabitants: Vec<f64>,
    /// The run's near misses.
    near_misses: Vec<MapFeature>,
    /// Their ids and why they fail.
    near_miss_reasons: Vec<(String, f64, String)>,
    /// Comparison pieces against the reference.
    pieces: Vec<MapFeature>,
    /// Schools.
    points: Vec<MapPoint>,
    /// Every square with an income estimate, by x (a page takes a band of them).
    squares: Vec<MapSquare>,
    /// Every square's grid index and centre, by x (for the commune names in view).
    centres: Vec<(f64, f64, u32)>,
    /// Square side, m.
    size: f64,
}

impl Layers {
    /// The layers of `subjects`' maps, with the reference's pieces and the schools;
    /// `None` for an empty grid.
    pub fn new(
        run: Run<'_>,
        subjects: &[Subject],
        comparison: Option<&Comparison>,
        schools: Option<&[School]>,
    ) -> Option<Layers> {
        let grid = run.grid;
        let size = grid.frame()?.square_size as f64;
        let perimeters = subjects
            .iter()
            .map(|s| MapFeature {
                geometry: s.geometry.clone(),
                class: FeatureClass::Perimeter(s.record.margin()),
                label: s.record.id.clone(),
                info: vec![
                    ("inhabitants".into(), thousands(s.record.inhabitants)),
                    (
                        "median (estimate)".into(),
                        s.record.median.map_or("–".into(), |m| format!("{} €", thousands(m))),
                    ),
                ],
            })
            .collect();
        let inhabitants = subjects.iter().map(|s| s.record.inhabitants).collect();
        let (_, near) = records::area_records(run.output, grid, run.communes);
        let near = records::near_miss_records(run.output, grid, near);
        let near_miss_reasons = near
            .iter()
            .map(|n| (n.record.id.clone(), n.record.inhabitants, n.record.shortfalls.clone()))
            .collect();
        let near_misses = near
            .into_iter()
            .map(|n| MapFeature {
                class: FeatureClass::Perimeter(n.record.margin()),
                label: n.record.id.clone(),
                info: vec![("near miss".into(), n.record.shortfalls.clone())],
                geometry: n.geometry,
            })
            .collect();
        let pieces = comparison
            .map(|c| {
                c.map
                    .iter()
                    .map(|p| MapFeature {
                        geometry: p.geometry.clone(),
                        class: match p.change {
                            Change::Kept => FeatureClass::Kept,
                            Change::Added => FeatureClass::Added,
                            Change::Removed => FeatureClass::Removed,
                        },
                        label: String::new(),
                        info: vec![("change".into(), p.change.label().into())],
                    })
                    .collect()
            })
            .unwrap_or_default();
        let points = schools
            .unwrap_or_default()
            .iter()
            .map(|s| MapPoint {
                x: s.x,
                y: s.y,
                label: s.label(),
                category: s.category.clone().unwrap_or_default(),
            })
            .collect();
        let mut squares: Vec<MapSquare> = grid
            .cells()
            .iter()
            .zip(run.fits)
            .filter_map(|(c, f)| {
                f.map(|d| MapSquare { x: c.x as f64 * size, y: c.y as f64 * size, median: d.median() })
            })
            .collect();
        squares.sort_by(|p, q| p.x.total_cmp(&q.x));
        let mut centres: Vec<(f64, f64, u32)> = grid
            .cells()
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.x as f64 + 0.5) * size, (c.y as f64 + 0.5) * size, i as u32))
            .collect();
        centres.sort_by(|p, q| p.0.total_cmp(&q.0));
        Some(Layers {
            perimeters,
            inhabitants,
            near_misses,
            near_miss_reasons,
            pieces,
            points,
            squares,
            centres,
            size,
        })
    }

    /// The cover's map: every perimeter (and the reference's pieces) and the schools over
    /// the grid's density, with names by importance; no squares by median (a département
    /// of them would hide the perimeters at this scale).
    pub fn cover(&self, run: Run<'_>) -> MapScene {
        let all = MultiPolygon(self.perimeters.iter().flat_map(|f| f.geometry.0.clone()).collect());
        let window = window_around(&all, 0.03, 1_000.0);
        let mut features = self.pieces.clone();
        // Ids on a map of a whole département cover each other and the towns: above
        // 30 perimeters the table says which is which.
        let labelled = self.perimeters.len() <= 30;
        features.extend(self.perimeters.iter().map(|f| MapFeature {
            label: if labelled { f.label.clone() } else { String::new() },
            ..f.clone()
        }));
        // The cover reads at any scale as `qpv map` does: the grid's density behind, names
        // by importance, perimeters too small to see drawn as symbols sized by inhabitants.
        let inhabitants =
            self.pieces.iter().map(|_| f64::NAN).chain(self.inhabitants.iter().copied()).collect();
        let near = |x: f64, y: f64| window.is_some_and(|w| inside(w, x, y));
        MapScene {
            inhabited: crate::content::inhabited_squares(run.grid).into_iter().filter(|q| near(q.x, q.y)).collect(),
            places: crate::content::places(run.grid, &run.output.placement, run.communes, run.territory)
                .into_iter().filter(|p| near(p.x, p.y)).collect(),
            inhabitants,
            title: "Every perimeter of the atlas".into(),
            note: "Perimeters coloured by their margin below the threshold (estimates); REP/REP+ collèges as dots."
                .into(),
            square_size: self.size,
            features,
            points: window.map(|w| self.points_in(w)).unwrap_or_default(),
            ..MapScene::default()
        }
    }

    fn points_in(&self, w: Rect<f64>) -> Vec<MapPoint> {
        self.points.iter().filter(|p| inside(w, p.x, p.y)).cloned().collect()
    }
}

fn inside(w: Rect<f64>, x: f64, y: f64) -> bool {
    x >= w.min().x && x <= w.max().x && y >= w.min().y && y <= w.max().y
}

/// Commune names at the centre of their residents **within `window`** (the part of each
/// commune in view, so that a name stands where its streets are on a zoomed map), for
/// communes with at least `min` residents in view, most populous first (they win where
/// labels would overlap). A square of several communes counts for each.
fn commune_labels(
    run: Run<'_>,
    centres: &[(f64, f64, u32)],
    window: Rect<f64>,
    min: f64,
) -> Vec<(f64, f64, String)> {
    let grid = run.grid;
    let mut sums: FxHashMap<qpv_core::CommuneCode, (f64, f64, f64)> = FxHashMap::default();
    for &(x, y, i) in band(centres, |c| c.0, window.min().x, window.max().x) {
        if !inside(window, x, y) {
            continue;
        }
        let i = i as usize;
        let w = grid.values()[i].individuals;
        for code in grid.communes(i) {
            let e = sums.entry(*code).or_default();
            e.0 += w * x;
            e.1 += w * y;
            e.2 += w;
        }
    }
    let mut labels: Vec<(f64, f64, String, f64)> = sums
        .into_iter()
        .filter(|(_, s)| s.2 >= min && s.2 > 0.0)
        .filter_map(|(code, (x, y, w))| {
            let k = run.communes.find(code)?;
            Some((x / w, y / w, run.communes.get(k).name.clone(), w))
        })
        .collect();
    labels.sort_by(|p, q| q.3.total_cmp(&p.3).then(p.2.cmp(&q.2)));
    labels.into_iter().map(|(x, y, name, _)| (x, y, name)).collect()
}

/// The items of `sorted` (by `key`) whose key lies in `lo..=hi`.
fn band<T>(sorted: &[T], key: impl Fn(&T) -> f64, lo: f64, hi: f64) -> &[T] {
    let start = sorted.partition_point(|t| key(t) < lo);
    let end = sorted.partition_point(|t| key(t) <= hi);
    &sorted[start..end.max(start)]
}

fn euros(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite()).map_or("–".into(), |m| format!("{} €", thousands(m)))
}

/// One perimeter's page: subject `k` of the layers, with its indicators, the schools
/// within `school_distance` (when schools were given) and the reference with its
/// comparison; `None` for a perimeter without outline.
#[allow(clippy::too_many_arguments)]
pub fn page(
    run: Run<'_>,
    layers: &Layers,
    s: &Subject,
    k: usize,
    indicators: &([String; 3], Vec<IndicatorLine>),
    schools: Option<Vec<(String, f64)>>,
    school_distance: f64,
    reference: Option<(&PerimeterFile, &Comparison)>,
) -> Option<PerimeterPage> {
    let r = &s.record;
    let f = &s.figures;
    let window = window_around(&s.geometry, 0.3, 700.0)?;
    // The reference's pieces beneath, then this perimeter (whose label is placed first),
    // its neighbours and the near misses.
    let mut features = clip_to(&layers.pieces, window);
    let focus = features.len();
    features.push(layers.perimeters[k].clone());
    let others = layers.perimeters.iter().enumerate().filter(|(j, _)| *j != k).map(|(_, f)| f);
    let neighbours = clip_to(others, window);
    let near = clip_to(&layers.near_misses, window);
    let neighbour_ids: Vec<String> = neighbours.iter().map(|f| f.label.clone()).collect();
    let near_ids: Vec<String> = near.iter().map(|f| f.label.clone()).collect();
    features.extend(neighbours);
    features.extend(near);
    // Squares a little beyond the window: the map adds a margin around what it draws.
    let m = 0.1 * window.width().max(window.height()) + 600.0;
    let squares = band(&layers.squares, |q| q.x, window.min().x - m, window.max().x + m)
        .iter()
        .filter(|q| q.y >= window.min().y - m && q.y <= window.max().y + m)
        .copied()
        .collect();
    let scene = MapScene {
        title: format!("{} and its surroundings", r.id),
        note: "200 m squares by estimated median niveau de vie; perimeters outlined by margin below the threshold."
            .into(),
        square_size: layers.size,
        squares,
        features,
        points: layers.points_in(window),
        labels: commune_labels(run, &layers.centres, window, 300.0),
        // The page's perimeter told apart by its outline, its neighbours drawn lighter.
        focus: Some(focus),
        // No density background, place names or symbols on a perimeter's page: at this
        // scale the squares by median are the background, and the page is local.
        ..MapScene::default()
    };
    // Drawn by the atlas for its frame on the page, at print size.
    let map = scene;
    let mut caption = vec![if neighbour_ids.is_empty() {
        "No other perimeter of the atlas in view.".to_owned()
    } else {
        format!("Other perimeters of the atlas in view: {}.", neighbour_ids.join(", "))
    }];
    if !near_ids.is_empty() {
        let described: Vec<String> = layers
            .near_miss_reasons
            .iter()
            .filter(|(id, ..)| near_ids.contains(id))
            .map(|(id, inhabitants, why)| format!("{id} ({} inhabitants: {why})", thousands(*inhabitants)))
            .collect();
        caption.push(format!(
            "Near misses in view (low-income squares that fail the rule, outlined as perimeters): {}.",
            described.join("; ")
        ));
    }
    if let Some((file, c)) = reference {
        caption.push(reference_caption(file, c, k));
    }
    let unit = f.unit.map(|u| &run.output.placement.units[u as usize]);
    let unit_text = unit.map_or("no urban unit".to_owned(), |u| {
        format!("{} {}, {} inhabitants", u.code, u.name, thousands(u.population))
    });
    let mut figures = vec![
        ("Communes".to_owned(), r.commune_names().replace(';', ",")),
        ("Urban unit".to_owned(), unit_text.clone()),
        ("Inhabitants".to_owned(), inhabitants_text(f)),
        ("Households".to_owned(), thousands(r.households)),
        ("Poor households".to_owned(), format!("{:.1} %", 100.0 * r.poor_share)),
        ("Estimated median".to_owned(), euros(r.median)),
        (
            "Threshold".to_owned(),
            format!(
                "{} (legal S {} × calibration {})",
                euros(Some(r.threshold)),
                euros(Some(r.legal_threshold)),
                run.settings.rule.calibration_factor
            ),
        ),
        ("Margin below it".to_owned(), euros(r.margin())),
        (
            "Squares".to_owned(),
            format!("{} inhabited squares of 200 m, {} empty cells filled", r.squares, r.filled_squares),
        ),
    ];
    if s.area_share.is_some() && f.cut_squares > 0 {
        figures.push((
            "Squares cut by the line".to_owned(),
            format!(
                "{}: counted by the share of each inside ({} inhabitants) up to whole ({})",
                f.cut_squares,
                thousands(f.headcount.low),
                thousands(f.headcount.high)
            ),
        ));
    }
    if let Some(list) = schools {
        let text = if list.is_empty() {
            format!("none within {school_distance:.0} m")
        } else {
            list.iter()
                .map(|(l, d)| if *d == 0.0 { format!("{l}, inside") } else { format!("{l}, {d:.0} m") })
                .collect::<Vec<_>>()
                .join("; ")
        };
        figures.push(("REP collèges".to_owned(), text));
    }
    // The criteria as every command gives them: the engine's one verdict.
    let criteria = f
        .verdict
        .criteria
        .iter()
        .map(|c| Criterion { rule: c.label.clone(), figure: c.figure.clone(), state: Some(c.state) })
        .collect();
    Some(PerimeterPage {
        id: r.id.clone(),
        name: s.place(),
        subtitle: format!(
            "Urban unit {} · {} inhabitants · estimated median {} · threshold {}",
            if r.uu_code.is_empty() { "none".to_owned() } else { format!("{} {}", r.uu_code, r.uu_name) },
            thousands(r.inhabitants),
            euros(r.median),
            euros(Some(r.threshold))
        ),
        verdict: f.verdict.state(),
        // Under "Cannot be decided from the public 200 m grid" the reasons need no prefix.
        problems: match f.verdict.state() {
            qpv_core::verdict::State::Undecided => f
                .verdict
                .criteria
                .iter()
                .filter(|c| c.state == qpv_core::verdict::State::Undecided)
                .map(|c| c.reason.clone())
                .collect(),
            _ => f.problems(),
        },
        map,
        caption,
        figures,
        criteria,
        indicator_columns: indicators.0.clone(),
        indicators: indicators.1.clone(),
    })
}

/// Inhabitants, with their range when the line cuts squares.
fn inhabitants_text(f: &Figures) -> String {
    let h = &f.headcount;
    if h.is_exact() {
        thousands(h.point)
    } else {
        format!("{} (between {} and {}: estimate)", thousands(h.point), thousands(h.low), thousands(h.high))
    }
}

/// What the reference says of perimeter `k`: the reference perimeters it overlaps (with
/// their IoU), and the residents of its pieces on the map: kept (in both), added (only in
/// it) and removed (only in the reference perimeters it overlaps).
fn reference_caption(file: &PerimeterFile, c: &Comparison, k: usize) -> String {
    let overlapping: Vec<(usize, f64)> = c
        .matches
        .iter()
        .filter(|m| m.other == Some(k))
        .filter_map(|m| Some((m.reference?, m.iou())))
        .collect();
    if overlapping.is_empty() {
        return format!(
            "Reference {}: no reference perimeter overlaps this one (all of it is added).",
            file.input.path
        );
    }
    let people = |keep: &dyn Fn(&qpv_core::compare::MapPiece) -> bool| -> f64 {
        c.map
            .iter()
            .filter(|p| keep(p))
            .filter_map(|p| p.residents.as_ref())
            .map(|r| r.totals.individuals)
            .sum()
    };
    let kept = people(&|p| p.change == Change::Kept && p.other == Some(k));
    let added = people(&|p| p.change == Change::Added && p.other == Some(k));
    let removed = people(&|p| {
        p.change == Change::Removed && p.reference.is_some_and(|i| overlapping.iter().any(|(r, _)| *r == i))
    });
    let names: Vec<String> = overlapping
        .iter()
        .map(|(i, iou)| {
            let name = &file.perimeters.names[*i];
            let name = if name.is_empty() { String::new() } else { format!(" {name}") };
            format!("{}{name} (IoU {iou:.2})", file.perimeters.ids[*i])
        })
        .collect();
    format!(
        "Reference {} (grey: kept, green: added, red: removed): overlaps {}; {} inhabitants kept, {} added (only \
         here), {} removed (only in the reference), by area share of the squares.",
        file.input.path,
        names.join(", "),
        thousands(kept),
        thousands(added),
        thousands(removed)
    )
}

/// The cover's line on the reference.
pub fn reference_summary(file: &PerimeterFile, c: &Comparison) -> String {
    let people = |k: usize| c.overall[k].residents.as_ref().map_or(0.0, |r| r.totals.individuals);
    format!(
        "Against the reference {} ({} perimeters): {} inhabitants in both, {} only in the atlas's perimeters \
         (added), {} only in the reference (removed), by area share of the squares.",
        file.input.path,
        file.perimeters.len(),
        thousands(people(2)),
        thousands(people(4)),
        thousands(people(3))
    )
}

/// What the standing notes name besides the run.
pub struct Sources<'a> {
    /// The run's inputs (grid, communes, medians…).
    pub inputs: &'a [InputFile],
    /// The perimeter file and the reference, when given.
    pub files: Vec<&'a InputFile>,
    /// The schools file, when given.
    pub schools: Option<&'a Path>,
    /// The run's options as the manifest records them (numbers, words and flags are
    /// shown, but the paths and output formats).
    pub settings: serde_json::Value,
    /// The program's version.
    pub version: &'a str,
}

/// The standing notes at the foot of every page: estimates, sources, date, settings.
pub fn notes(run: Run<'_>, sources_of: &Sources<'_>, day: Day) -> Vec<String> {
    let short = |hash: &str| hash.chars().take(12).collect::<String>();
    let mut sources: Vec<String> = sources_of
        .inputs
        .iter()
        .map(|i| format!("{} {} (BLAKE3 {})", i.role, i.path, short(&i.blake3)))
        .collect();
    for f in &sources_of.files {
        sources.push(format!("{} {} (BLAKE3 {})", f.role, f.path, short(&f.blake3)));
    }
    if let Some(p) = sources_of.schools {
        sources.push(format!("schools {}", p.display()));
    }
    let settings = &sources_of.settings;
    let shown: Vec<String> = settings
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "grid" | "communes" | "format" | "crs" | "edits"))
                .filter_map(|(k, v)| match v {
                    serde_json::Value::Number(n) => Some(format!("{k} {n}")),
                    serde_json::Value::String(s) => Some(format!("{k} {s}")),
                    serde_json::Value::Bool(b) => Some(format!("{k} {b}")),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    vec![
        "Estimates: medians are modelled from each square's public figures (mean niveau de vie and share of poor \
         households, a log-normal per square), not INSEE's confidential data; the legal threshold S is multiplied \
         by the calibration factor before the comparison. Inhabitants and households are the grid's (squares of \
         200 m). See qpv's README, Method and Accuracy."
            .into(),
        format!("Sources: {}.", sources.join("; ")),
        format!(
            "Made on {day} by qpv {}. Settings: {}; poverty line {} €, national median {} €.",
            sources_of.version,
            shown.join(", "),
            thousands(run.output.flagged.poverty_line),
            thousands(run.output.flagged.national_median)
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use qpv_core::verdict::Headcount;
    use qpv_grid::GridFile;
    use qpv_grid::fixture::{Denain, denain};

    struct Fixture {
        file: GridFile,
        communes: CommuneTable,
        output: RunOutput,
        settings: RunSettings,
    }

    impl Fixture {
        fn run(&self) -> Run<'_> {
            Run {
                grid: &self.file.grid,
                output: &self.output,
                communes: &self.communes,
                settings: &self.settings,
                fits: &self.output.flagged.fits,
                territory: Territory::Metropolitan,
            }
        }
    }

    /// The Denain fixture (`qpv_grid::fixture`): one candidate, 59701-01.
    fn fixture() -> Fixture {
        let Denain { file, communes, output } = denain();
        let settings = RunSettings::for_territory(output.territory);
        Fixture { file, communes, output, settings }
    }

    #[test]
    fn a_band_takes_the_keys_within_its_bounds() {
        let sorted = [1.0, 2.0, 2.0, 3.0, 5.0];
        assert_eq!(band(&sorted, |x| *x, 2.0, 3.0), &[2.0, 2.0, 3.0]);
        assert!(band(&sorted, |x| *x, 3.5, 4.5).is_empty());
        // Bounds the wrong way round give nothing, not a panic.
        assert!(band(&sorted, |x| *x, 5.0, 1.0).is_empty());
    }

    #[test]
    fn inhabitants_show_their_range_only_when_the_line_cuts_squares() {
        let f = fixture();
        let run = f.run();
        let subjects = candidate_subjects(run);
        let mut figures = subjects[0].figures.clone();
        assert_eq!(inhabitants_text(&figures), thousands(1200.0));
        figures.headcount = Headcount { point: 1000.0, low: 900.0, high: 1100.0 };
        assert_eq!(
            inhabitants_text(&figures),
            format!(
                "{} (between {} and {}: estimate)",
                thousands(1000.0),
                thousands(900.0),
                thousands(1100.0)
            )
        );
        assert_eq!(euros(Some(f64::NAN)), "–");
        assert_eq!(euros(None), "–");
    }

    #[test]
    fn the_candidates_are_the_subjects_with_the_engines_figures() {
        let f = fixture();
        let subjects = candidate_subjects(f.run());
        assert_eq!(subjects.len(), 1);
        let s = &subjects[0];
        assert_eq!((s.record.id.as_str(), s.record.inhabitants), ("59701-01", 1200.0));
        assert!(s.area_share.is_none() && s.name.is_empty());
        // Without a name from a file, the page is named by its communes.
        assert_eq!(s.place(), s.record.commune_names().replace(';', ","));
        assert!(s.place().contains("Denain"), "{}", s.place());
    }

    #[test]
    fn a_page_draws_its_perimeter_first_and_names_its_commune() {
        let f = fixture();
        let run = f.run();
        let subjects = candidate_subjects(run);
        let layers = Layers::new(run, &subjects, None, None).unwrap();
        assert_eq!(layers.squares.len(), run.fits.iter().filter(|x| x.is_some()).count());
        assert!(layers.squares.windows(2).all(|w| w[0].x <= w[1].x), "sorted by x");
        let indicators = (["a".to_owned(), "b".to_owned(), "c".to_owned()], Vec::new());
        let page = page(run, &layers, &subjects[0], 0, &indicators, Some(Vec::new()), 300.0, None).unwrap();
        assert_eq!(page.id, "59701-01");
        assert_eq!(page.map.focus, Some(0));
        assert_eq!(page.map.features[0].label, "59701-01");
        assert!(page.map.labels.iter().any(|(_, _, name)| name == "Denain"), "{:?}", page.map.labels);
        assert_eq!(page.caption[0], "No other perimeter of the atlas in view.");
        let schools = page.figures.iter().find(|(k, _)| k == "REP collèges").unwrap();
        assert_eq!(schools.1, "none within 300 m");
        // The criteria are the engine's, one for one.
        assert_eq!(page.criteria.len(), subjects[0].figures.verdict.criteria.len());
        // A perimeter without outline has no page.
        let empty = Subject { geometry: MultiPolygon(Vec::new()), ..subjects.into_iter().next().unwrap() };
        assert!(super::page(run, &layers, &empty, 0, &indicators, None, 300.0, None).is_none());
    }

    #[test]
    fn the_cover_names_what_lives_in_view() {
        let f = fixture();
        let run = f.run();
        let subjects = candidate_subjects(run);
        let layers = Layers::new(run, &subjects, None, None).unwrap();
        let cover = layers.cover(run);
        assert_eq!(cover.features.len(), 1);
        assert_eq!(cover.inhabited.iter().map(|q| q.inhabitants).sum::<f64>(), 1600.0);
        assert!(cover.places.iter().any(|p| p.name == "Denain"), "{:?}", cover.places);
    }

    #[test]
    fn every_key_indicator_is_one_qpv_indicators_computes() {
        let names: Vec<&str> =
            qpv_core::Totals::default().indicators(None).into_iter().map(|(n, _)| n).collect();
        for (name, ..) in KEY_INDICATORS {
            assert!(names.contains(&name), "{name} not in {names:?}");
        }
    }

    #[test]
    fn the_notes_show_settings_but_not_paths() {
        let f = fixture();
        let input = InputFile {
            role: "grid".into(),
            path: "g.csv".into(),
            bytes: 1,
            blake3: "0123456789abcdef".into(),
        };
        let sources = Sources {
            inputs: std::slice::from_ref(&input),
            files: Vec::new(),
            schools: Some(Path::new("rep.geojson")),
            settings: serde_json::json!({ "grid": "g.csv", "ratio": 0.6, "medians": "grid", "split": true }),
            version: "9.9.9",
        };
        let notes = notes(f.run(), &sources, Day::from_unix(0));
        assert_eq!(notes[1], "Sources: grid g.csv (BLAKE3 0123456789ab); schools rep.geojson.");
        assert!(notes[2].contains("by qpv 9.9.9. Settings: "), "{}", notes[2]);
        assert!(notes[2].contains("ratio 0.6") && notes[2].contains("medians grid"), "{}", notes[2]);
        assert!(notes[2].contains("split true") && !notes[2].contains("g.csv"), "{}", notes[2]);
    }
}

//! `qpv atlas`: a document to hand out — `atlas.pdf`, and the same pages as `atlas.html`
//! for the screen. A cover with the map of every perimeter and a summary table, then one
//! page per perimeter: its map (squares by estimated median, its outline, neighbouring
//! perimeters and near misses, REP/REP+ collèges, commune names, scale bar and north
//! arrow; with `--reference`, the reference drawn as kept / added / removed), its
//! figures, each criterion of the decree with its verdict, its key indicators beside its
//! urban unit and France, and the standing notes.
//!
//! The figures are those of the other commands, not a second version of them: without
//! `--perimeters`, the run's candidates as `candidates.csv` has them; with it, the file's
//! perimeters as `qpv check` takes them ([`super::check::file_perimeters`], on the
//! lattice, through the adjustments engine). The criteria are [`super::check::criteria`]
//! of the engine's figures in both cases; the indicators are those of `qpv indicators`.
//! The layout, the PDF and the HTML are `qpv_map::atlas`.

use super::check;
use crate::analysed::{self, Analysed, Reading};
use crate::args::{AtlasArgs, PerimeterArgs};
use crate::printer::{Printer, thousands};
use anyhow::{Context, Result, bail};
use geo_types::{MultiPolygon, Rect};
use qpv_core::compare::{Change, Comparison, Perimeters, Population, Residents, compare};
use qpv_core::indicators::{Breakdown, IndicatorRow, indicator_rows};
use qpv_core::{Adjuster, Figures};
use qpv_grid::OutputSet;
use qpv_grid::manifest::{Manifest, OutputEntry};
use qpv_layers::indicators_out::LevelFigures;
use qpv_layers::perimeters::PerimeterFile;
use qpv_layers::records::{self, AreaRecord};
use qpv_layers::schools::{Keep, School, read_schools};
use qpv_map::atlas::{
    Atlas, Criterion, Day, IndicatorLine, Kind, PerimeterPage, SummaryRow, clip_to, html, page_svgs, pdf,
    window_around,
};
use qpv_map::{FeatureClass, MapFeature, MapPoint, MapScene, MapSquare};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::json;
use std::time::Instant;

/// A perimeter of the atlas with its figures.
struct Subject {
    /// Figures as `candidates.csv` has them (candidates), or summed from the squares
    /// whose centre the drawn perimeter contains (a file, as `qpv check`).
    record: AreaRecord,
    /// The adjustments engine's figures, which the criteria are read from.
    figures: Figures,
    /// A name from the file (empty for candidates).
    name: String,
    /// Outline, grid CRS.
    geometry: MultiPolygon<f64>,
    /// A file's perimeter by area share (as `check.csv`'s `*_area` columns).
    area_share: Option<Residents>,
}

impl Subject {
    /// Its name, else its communes.
    fn place(&self) -> String {
        if self.name.is_empty() { self.record.commune_names().replace(';', ",") } else { self.name.clone() }
    }
}

/// Makes the atlas and writes it.
pub fn atlas(args: &AtlasArgs, printer: Printer) -> Result<()> {
    if !(args.school_distance.is_finite() && args.school_distance >= 0.0) {
        bail!("--school-distance must be zero or more metres, got {}", args.school_distance);
    }
    let options = crate::args::judging_options(&args.rule, &args.input, &args.buildings, &args.settings)?;
    let a = analysed::analyse(&options, Reading { profiles: true }, printer)?;
    let epsg = a.epsg();
    let file = super::perimeter_file(&args.perimeters, epsg, printer)?;
    // The reference is read as the perimeters are (its own layer, the same --crs).
    let reference = PerimeterArgs {
        perimeters: args.reference.clone(),
        crs: args.perimeters.crs.clone(),
        layer: args.reference_layer.clone(),
    };
    let reference = match super::perimeter_file(&reference, epsg, printer)? {
        Some(f) if f.perimeters.is_empty() => {
            bail!("{}: the reference file holds no perimeter", f.input.path)
        }
        Some(mut f) => {
            f.input.role = "reference".into();
            Some(f)
        }
        None => None,
    };
    let schools = args.schools.as_deref().map(|p| read_schools(p, None, epsg, Keep::Rep)).transpose()?;
    let started = Instant::now();
    let mut subjects = match &file {
        None => candidates(&a)?,
        Some(f) => file_subjects(&a, f)?,
    };
    if file.is_none() {
        // Pages by id: grouped by urban unit, most populous first within it.
        subjects.sort_by(|x, y| x.record.id.cmp(&y.record.id));
    }
    let perimeters = Perimeters {
        ids: subjects.iter().map(|s| s.record.id.clone()).collect(),
        names: subjects.iter().map(|s| s.name.clone()).collect(),
        shapes: subjects.iter().map(|s| s.geometry.clone()).collect(),
    };
    let indicators = indicator_lines(&a, &perimeters, printer);
    let comparison = reference.as_ref().map(|r| {
        let population = Population::new(&a.file.grid, None, a.fits());
        compare(&r.perimeters, &perimeters, Some(&population))
    });
    let layers = Layers::new(&a, &subjects, comparison.as_ref(), schools.as_deref())?;
    let day = today();
    let notes = notes(&a, args, file.as_ref(), reference.as_ref(), day);
    let source = match &file {
        None => format!("the candidates of a run on {}", a.file.input.path),
        Some(f) => format!("the perimeters of {}", f.input.path),
    };
    let pages: Vec<PerimeterPage> = subjects
        .par_iter()
        .enumerate()
        .map(|(k, s)| {
            let near = schools
                .as_ref()
                .map(|list| qpv_layers::schools::near(list, &perimeters.shapes[k], args.school_distance));
            let reference = reference.as_ref().zip(comparison.as_ref());
            page(&a, &layers, s, k, &indicators[k], near, args.school_distance, reference)
        })
        .collect::<Result<_>>()?;
    let passing = subjects.iter().filter(|s| s.figures.meets_rule()).count();
    let inhabitants: f64 = subjects.iter().map(|s| s.record.inhabitants).sum();
    let mut cover_lines = vec![format!(
        "{passing} of {} perimeters meet the rule, on estimated medians; {} inhabitants in all. Page numbers \
         in the last column.",
        subjects.len(),
        thousands(inhabitants)
    )];
    if let (Some(r), Some(c)) = (&reference, &comparison) {
        cover_lines.push(reference_summary(r, c));
    }
    let atlas = Atlas {
        title: args.title.clone().unwrap_or_else(|| match &file {
            None => "Quartiers prioritaires: statistical candidates".into(),
            Some(_) => "Quartiers prioritaires: perimeters checked against the decree".into(),
        }),
        subtitle: format!(
            "{} pages, one per perimeter, after this cover: {source} ({} layout). Made on {day}.",
            subjects.len(),
            a.file.layout.release.label()
        ),
        cover_map: layers.cover(&a),
        cover_lines,
        summary: subjects
            .iter()
            .map(|s| SummaryRow {
                id: s.record.id.clone(),
                place: s.place(),
                inhabitants: s.record.inhabitants,
                median: s.record.median,
                margin: s.record.margin(),
                verdict: s.figures.verdict.state(),
            })
            .collect(),
        pages,
        notes,
        running_head: format!("qpv atlas · {source}"),
        date: day,
        creator: format!("qpv {}", env!("CARGO_PKG_VERSION")),
    };
    let svgs = page_svgs(&atlas)?;
    let laid_out = started.elapsed();
    let pdf = pdf(&atlas, &svgs)?;
    let html = html(&atlas, &svgs);
    printer.info(format!(
        "{} pages ({} perimeters and the cover) laid out in {:.2} s, PDF in {:.2} s",
        svgs.len(),
        subjects.len(),
        laid_out.as_secs_f64(),
        (started.elapsed() - laid_out).as_secs_f64()
    ));
    let mut out = OutputSet::new(&args.out);
    out.add("atlas.pdf", pdf);
    out.add("atlas.html", html.into_bytes());
    let mut inputs: Vec<_> = file.iter().chain(&reference).map(|f| f.input.clone()).collect();
    inputs.extend(a.inputs.iter().cloned());
    let manifest = Manifest {
        method: json!({
            "pages": "a cover, then one page per perimeter in the order of the summary table",
            "figures": if file.is_some() {
                "as qpv check: the squares whose centre is inside each perimeter (the lattice version), by the \
                 adjustments engine; also by area share"
            } else {
                "as candidates.csv"
            },
            "indicators": "as qpv indicators: by area share of the squares, beside the urban unit and France",
            "perimeters": file.as_ref().map(|f| f.input.path.clone()),
            "reference": reference.as_ref().map(|f| f.input.path.clone()),
            "schools": args.schools.as_ref().map(|p| p.display().to_string()),
            "school_distance_m": args.school_distance,
            "date": day.to_string(),
        }),
        results: json!({
            "pages": svgs.len(),
            "perimeters": subjects.len(),
            "meeting_the_rule": passing,
            "inhabitants": inhabitants.round(),
        }),
        warnings: Vec::new(),
        outputs: out.listing().into_iter().map(|(file, bytes)| OutputEntry { file, bytes }).collect(),
        ..a.manifest("atlas", inputs, &a.options)?
    };
    out.add("manifest.json", manifest.to_json());
    for p in out.commit()? {
        printer.info(format!("wrote {}", p.display()));
    }
    Ok(())
}

/// The run's candidates, with the figures of `candidates.csv`.
fn candidates(a: &Analysed) -> Result<Vec<Subject>> {
    let (records, _) = records::area_records(&a.output, &a.file.grid, &a.communes);
    if records.is_empty() {
        bail!(
            "{}: the run found no candidate, so the atlas would have no page; give --perimeters FILE, or \
             check the grid and the settings (qpv run says what it found)",
            a.file.input.path
        );
    }
    let ids: Vec<String> = records.iter().map(|c| c.record.id.clone()).collect();
    let engine = Adjuster::new(&a.file.grid, &a.output, &ids, &a.settings);
    Ok(records
        .into_iter()
        .zip(&engine.perimeters)
        .map(|(c, p)| Subject {
            figures: engine.figures(p),
            record: c.record,
            name: String::new(),
            geometry: c.geometry,
            area_share: None,
        })
        .collect())
}

/// The perimeters of a file, taken as `qpv check` takes them.
fn file_subjects(a: &Analysed, file: &PerimeterFile) -> Result<Vec<Subject>> {
    let grid = &a.file.grid;
    let perimeters = check::file_perimeters(a, file)?;
    let engine = super::adjust::file_adjuster(a, &perimeters, None);
    Ok(perimeters
        .into_iter()
        .zip(&engine.perimeters)
        .enumerate()
        .map(|(k, (p, perimeter))| {
            let f = engine.figures(perimeter);
            let record =
                qpv_layers::adjustments::perimeter_record(perimeter, &f, grid, &a.communes, &a.output);
            Subject {
                record,
                figures: f,
                name: p.name,
                geometry: file.perimeters.shapes[k].clone(),
                area_share: Some(p.residents),
            }
        })
        .collect())
}

/// The key indicators of each perimeter beside its urban unit and France, as
/// `qpv indicators` computes them; the column names with them.
fn indicator_lines(
    a: &Analysed,
    perimeters: &Perimeters,
    printer: Printer,
) -> Vec<([String; 3], Vec<IndicatorLine>)> {
    let grid = &a.file.grid;
    let missing = super::indicators::missing_profiles(a, printer);
    let population = Population::new(grid, a.file.profiles.as_ref(), a.fits());
    let mut rows: Vec<IndicatorRow> =
        indicator_rows(&population, &a.output.placement, &a.communes, perimeters, Breakdown::default());
    for r in &mut rows {
        super::indicators::blank_missing(&mut r.residents.totals, &missing);
    }
    let (france, unit_of) = super::indicators::levels(a, printer);
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
const KEY_INDICATORS: [(&str, &str, Kind); 11] = [
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
struct Layers {
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
    fn new(
        a: &Analysed,
        subjects: &[Subject],
        comparison: Option<&Comparison>,
        schools: Option<&[School]>,
    ) -> Result<Layers> {
        let grid = &a.file.grid;
        let size = grid.frame().context("empty grid")?.square_size as f64;
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
        let (_, near) = records::area_records(&a.output, grid, &a.communes);
        let near = qpv_layers::records::near_miss_records(&a.output, grid, near);
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
            .zip(a.fits())
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
        Ok(Layers {
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
    fn cover(&self, a: &Analysed) -> MapScene {
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
            inhabited: qpv_map::content::inhabited_squares(&a.file.grid).into_iter().filter(|q| near(q.x, q.y)).collect(),
            places: super::map::places(a).into_iter().filter(|p| near(p.x, p.y)).collect(),
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
    a: &Analysed,
    centres: &[(f64, f64, u32)],
    window: Rect<f64>,
    min: f64,
) -> Vec<(f64, f64, String)> {
    let grid = &a.file.grid;
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
            let k = a.communes.find(code)?;
            Some((x / w, y / w, a.communes.get(k).name.clone(), w))
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

/// One perimeter's page.
#[allow(clippy::too_many_arguments)]
fn page(
    a: &Analysed,
    layers: &Layers,
    s: &Subject,
    k: usize,
    indicators: &([String; 3], Vec<IndicatorLine>),
    schools: Option<Vec<(String, f64)>>,
    school_distance: f64,
    reference: Option<(&PerimeterFile, &Comparison)>,
) -> Result<PerimeterPage> {
    let r = &s.record;
    let f = &s.figures;
    let window = window_around(&s.geometry, 0.3, 700.0).context("a perimeter without outline")?;
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
        labels: commune_labels(a, &layers.centres, window, 300.0),
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
    let unit = f.unit.map(|u| &a.output.placement.units[u as usize]);
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
                a.settings.rule.calibration_factor
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
    Ok(PerimeterPage {
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
fn reference_summary(file: &PerimeterFile, c: &Comparison) -> String {
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

/// The day the atlas is made: `SOURCE_DATE_EPOCH` when set (reproducible documents, as
/// reproducible builds do), else today (UTC).
fn today() -> Day {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    Day::from_unix(seconds)
}

/// The standing notes at the foot of every page: estimates, sources, date, settings.
fn notes(
    a: &Analysed,
    args: &AtlasArgs,
    file: Option<&PerimeterFile>,
    reference: Option<&PerimeterFile>,
    day: Day,
) -> Vec<String> {
    let short = |hash: &str| hash.chars().take(12).collect::<String>();
    let mut sources: Vec<String> =
        a.inputs.iter().map(|i| format!("{} {} (BLAKE3 {})", i.role, i.path, short(&i.blake3))).collect();
    for f in file.into_iter().chain(reference) {
        sources.push(format!("{} {} (BLAKE3 {})", f.input.role, f.input.path, short(&f.input.blake3)));
    }
    if let Some(p) = &args.schools {
        sources.push(format!("schools {}", p.display()));
    }
    let settings = serde_json::to_value(&a.options).unwrap_or_default();
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
            env!("CARGO_PKG_VERSION"),
            shown.join(", "),
            thousands(a.output.flagged.poverty_line),
            thousands(a.output.flagged.national_median)
        ),
    ]
}

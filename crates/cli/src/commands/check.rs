//! `qpv check`: any perimeter file (a mayor's proposal, the published list, last
//! cycle's contour) checked against each criterion of the decree.
//!
//! A drawn perimeter is taken two ways. By **area share** (as `compare`): the residents
//! of each 200 m square in proportion to its area inside, the best estimate of who lives
//! within the drawn line. On the **lattice**: the squares whose centre is inside
//! ([`qpv_core::lattice`]), the perimeter as the method builds quartiers, and as
//! `qpv adjust` and `qpv run --edits` edit them. The decree's criteria are checked on
//! the lattice version by the adjustments engine itself ([`qpv_core::Adjuster::figures`]),
//! so that `check`, `adjust` and `run --edits` give one verdict; both sets of figures are
//! reported, with the squares the line cuts.

use crate::analysed::{self, Analysed, Reading};
use crate::args::{CheckArgs, FormatArg};
use crate::printer::{Printer, thousands};
use crate::settings::RunOptions;
use anyhow::{Context, Result, bail};
use qpv_core::verdict::Key;
use qpv_core::{Cell, Figures, Perimeter, Territory};
use qpv_grid::OutputSet;
use qpv_grid::manifest::{Manifest, OutputEntry};
use qpv_layers::layers::{Content, Formats, Layer, LayerWriter};
use qpv_layers::on_grid::GridToMeasure;
use qpv_layers::perimeters::PerimeterFile;
use qpv_layers::schools::{Keep, read_schools};
use qpv_layers::styles::Style;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use std::path::Path;

pub use qpv_layers::on_grid::FilePerimeter;

/// The perimeters of `file` on the grid of `a` ([`qpv_layers::on_grid::file_perimeters`]).
pub fn file_perimeters(a: &Analysed, file: &PerimeterFile) -> Result<Vec<FilePerimeter>> {
    let on = GridToMeasure {
        grid: &a.file.grid,
        path: &a.file.input.path,
        fits: a.fits(),
        continuity_gap_m: a.settings.judging.continuity_gap_m,
        buildings: a.buildings.as_ref(),
    };
    Ok(qpv_layers::on_grid::file_perimeters(file, on)?)
}

/// Checks the perimeters and writes the outputs.
pub fn check(args: &CheckArgs, printer: Printer) -> Result<()> {
    let formats = Formats::parse(&FormatArg::names(&FormatArg::with_geojson(args.format.as_deref())))
        .map_err(anyhow::Error::msg)?;
    let out_crs = super::run::output_crs(args.out_crs.as_deref())?;
    if !(args.school_distance.is_finite() && args.school_distance >= 0.0) {
        bail!("--school-distance must be zero or more metres, got {}", args.school_distance);
    }
    let options = crate::args::judging_options(&args.rule, &args.input, &args.buildings, &args.settings)?;
    let a = analysed::analyse(&options, Reading::default(), printer)?;
    let epsg = a.epsg();
    let file = super::perimeter_file(&args.perimeters.optional(), epsg, printer)?
        .context("--perimeters FILE is needed: the perimeters to check")?;
    let request = CheckRequest {
        file: &file,
        schools: args.schools.as_deref(),
        school_distance: args.school_distance,
        formats,
        out_crs,
        settings: &a.options,
    };
    for p in write_check(&a, request, &args.out, printer)? {
        printer.info(format!("wrote {}", p.display()));
    }
    Ok(())
}

/// A perimeter file to check, and how.
pub struct CheckRequest<'a> {
    /// The file as read.
    pub file: &'a PerimeterFile,
    /// REP/REP+ schools to list near each perimeter.
    pub schools: Option<&'a Path>,
    /// Within this many metres.
    pub school_distance: f64,
    /// Formats (GeoJSON always).
    pub formats: Formats,
    /// `--out-crs`.
    pub out_crs: Option<u32>,
    /// The options the manifest records: the run's, or the command line a `qpv serve`
    /// export stands for.
    pub settings: &'a RunOptions,
}

/// Checks every perimeter of a file and writes check.csv, check.geojson, check.md and
/// the manifest to `dir`, all or nothing (`qpv check`, and `qpv serve`'s export).
pub fn write_check(
    a: &Analysed,
    request: CheckRequest<'_>,
    dir: &Path,
    printer: Printer,
) -> Result<Vec<std::path::PathBuf>> {
    let CheckRequest { file, schools: schools_path, school_distance, formats, out_crs, settings } = request;
    let epsg = a.epsg();
    let schools = schools_path.map(|p| read_schools(p, None, epsg, Keep::Rep)).transpose()?;
    let started = std::time::Instant::now();
    let perimeters = file_perimeters(a, file)?;
    let adjuster = super::adjust::file_adjuster(a, &perimeters, None);
    let mut ranges = Vec::with_capacity(perimeters.len());
    let rows: Vec<Map<String, Value>> = perimeters
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let perimeter = &adjuster.perimeters[k];
            let f = adjuster.figures(perimeter);
            // On the lattice the line's figures are the lattice version's.
            let lattice = if perimeter.is_drawn() {
                adjuster.figures(&Perimeter { drawn: Vec::new(), ..perimeter.clone() })
            } else {
                f.clone()
            };
            let near = schools
                .as_ref()
                .map(|s| qpv_layers::schools::near(s, &file.perimeters.shapes[k], school_distance));
            let units = units_of(a, &adjuster, &perimeter.cover(&a.file.grid));
            ranges.push(range_text(&f.headcount));
            row(a, p, &f, &lattice, &units, near)
        })
        .collect();
    printer.info(format!("checked {} perimeters in {:.2} s", rows.len(), started.elapsed().as_secs_f64()));
    let mut out = OutputSet::new(dir);
    let columns: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
    out.add("check.csv", qpv_layers::tables::properties_csv(&columns, &rows)?);
    let layer = Layer {
        name: "check",
        description: "perimeters with each criterion of the decree (estimates)",
        content: Content::Features {
            geometries: &file.perimeters.shapes,
            properties: &rows,
            fields: &FIELDS,
        },
        style: Style::Adjusted,
    };
    let writer = LayerWriter {
        formats: Formats { geojson: true, ..formats },
        crs: out_crs,
        grid_epsg: epsg,
        gpkg_name: "check",
    };
    writer.write(&[layer], &[], &mut out)?;
    let counts = Counts::of(&rows);
    let markdown = markdown(a, file, &rows, &ranges, schools.is_some(), school_distance);
    out.add("check.md", markdown.into_bytes());
    let mut inputs = vec![file.input.clone()];
    inputs.extend(a.inputs.iter().cloned());
    let judging = &a.settings.judging;
    let manifest = Manifest {
        method: json!({
            "criteria": "each perimeter judged on its line as drawn (three states: meets, fails, undecided), \
                         by the engine that re-checks every adjustment",
            "inhabitants": "point estimate (geometric mean of the range) between inhabitants_low (each square the \
                            line cuts by its area share) and inhabitants_high (every square it touches, whole)",
            "continuity": format!("parts closer than {} m are one continuous area", judging.continuity_gap_m),
            "median": format!("an estimate above the threshold by less than {} % of it is undecided", 100.0 * judging.median_band),
            "urban_unit": "the unit where most residents live; population municipale 2019 of the commune table, \
                           rounded up to 100 (the decree counts the population totale)",
            "perimeters": file.input.path,
            "schools": schools_path.map(|p| p.display().to_string()),
            "school_distance_m": school_distance,
        }),
        results: json!({
            "perimeters": rows.len(),
            "meeting_the_rule": counts.meets,
            "undecided": counts.undecided,
            "failing": counts.fails,
        }),
        outputs: out.listing().into_iter().map(|(file, bytes)| OutputEntry { file, bytes }).collect(),
        ..a.manifest("check", inputs, settings)?
    };
    out.add("manifest.json", manifest.to_json());
    let written = out.commit()?;
    printer.info(format!(
        "{} of {} perimeters meet the rule, {} cannot be decided from the public grid, {} fail (estimates; see \
         check.md)",
        counts.meets,
        rows.len(),
        counts.undecided,
        counts.fails
    ));
    Ok(written)
}

/// How many rows meet, are undecided, fail.
#[derive(Debug, Default)]
struct Counts {
    meets: usize,
    undecided: usize,
    fails: usize,
}

impl Counts {
    fn of(rows: &[Map<String, Value>]) -> Counts {
        let mut c = Counts::default();
        for r in rows {
            match r["verdict"].as_str() {
                Some("meets") => c.meets += 1,
                Some("undecided") => c.undecided += 1,
                _ => c.fails += 1,
            }
        }
        c
    }
}

/// Shapefile fields of the layer: property, DBF name (10 characters), numeric, length,
/// decimals.
const FIELDS: [(&str, &str, bool, u8, u8); 36] = [
    ("id", "id", false, 60, 0),
    ("name", "name", false, 80, 0),
    ("verdict", "verdict", false, 9, 0),
    ("meets_rule", "meets_rule", false, 5, 0),
    ("problems", "problems", false, 254, 0),
    ("uu_code", "uu_code", false, 10, 0),
    ("uu_name", "uu_name", false, 80, 0),
    ("uu_population", "uu_pop", true, 12, 0),
    ("urban_units", "uu_count", true, 3, 0),
    ("uu_list", "uu_list", false, 254, 0),
    ("inhabitants", "inhabitant", true, 12, 1),
    ("inhabitants_low", "inhab_low", true, 12, 1),
    ("inhabitants_high", "inhab_high", true, 12, 1),
    ("households", "households", true, 12, 1),
    ("poor_share", "poor_share", true, 8, 4),
    ("median_est", "median_est", true, 10, 0),
    ("threshold_legal", "thr_legal", true, 10, 0),
    ("threshold", "threshold", true, 10, 0),
    ("margin", "margin", true, 10, 0),
    ("margin_pct", "margin_pct", true, 7, 1),
    ("population_verdict", "pop_verd", false, 9, 0),
    ("median_verdict", "med_verd", false, 9, 0),
    ("continuity_verdict", "cont_verd", false, 9, 0),
    ("parts", "parts", true, 4, 0),
    ("widest_gap_m", "gap_m", true, 8, 0),
    ("urban_unit_verdict", "uu_verd", false, 9, 0),
    ("density_per_km2", "density", true, 10, 0),
    ("density_verdict", "dens_verd", false, 9, 0),
    ("squares", "squares", true, 8, 0),
    ("cells", "cells", true, 8, 0),
    ("cut_squares", "cut_sq", true, 8, 0),
    ("inhabitants_lattice", "inhab_lat", true, 12, 1),
    ("median_lattice", "med_lat", true, 10, 0),
    ("criteria", "criteria", false, 254, 0),
    ("rep_schools", "rep_count", true, 4, 0),
    ("rep_school_names", "rep_names", false, 254, 0),
];

/// `x` to the nearest multiple of `step` (1, 0.1, 1e-4…), without the float noise of
/// `round(x / step) * step` (0.354, not 0.35400000000000004).
fn rounded(x: f64, step: f64) -> Value {
    if !x.is_finite() {
        return Value::Null;
    }
    let per_unit = (1.0 / step).round();
    json!((x * per_unit).round() / per_unit + 0.0)
}

fn opt(x: Option<f64>, step: f64) -> Value {
    x.map_or(Value::Null, |v| rounded(v, step))
}

/// Every urban unit a perimeter's squares lie in, most inhabitants first (each square
/// by its share inside), as `code name (population)` ("hors unité urbaine" for squares
/// outside any).
fn units_of(a: &Analysed, adjuster: &qpv_core::Adjuster<'_>, cover: &[(Cell, f64)]) -> String {
    let placement = &a.output.placement;
    let mut by_unit: Vec<(u32, f64)> = Vec::new();
    for &(c, share) in cover {
        let Some(i) = adjuster.square_at(c) else { continue };
        let u = placement.unit_of_square[i as usize];
        let people = a.file.grid.values()[i as usize].individuals * share;
        match by_unit.iter_mut().find(|(x, _)| *x == u) {
            Some(e) => e.1 += people,
            None => by_unit.push((u, people)),
        }
    }
    by_unit.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    by_unit
        .iter()
        .map(|(u, _)| match placement.units.get(*u as usize) {
            Some(unit) => format!("{} {} ({})", unit.code, unit.name, thousands(unit.population)),
            None => "hors unité urbaine".to_owned(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The state of one criterion, as its word (null when the rule has no such criterion).
fn state_of(f: &Figures, key: Key) -> Value {
    f.verdict.get(key).map_or(Value::Null, |c| json!(c.state.word()))
}

/// Each criterion on one line: `label: state (figure)`.
pub fn criteria_line(f: &Figures) -> String {
    f.verdict
        .criteria
        .iter()
        .map(|c| format!("{}: {} ({})", c.label, c.state.word(), c.figure))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One perimeter's row: figures, each criterion with the figure behind it, the verdict.
fn row(
    a: &Analysed,
    p: &FilePerimeter,
    f: &Figures,
    lattice: &Figures,
    units: &str,
    schools: Option<Vec<(String, f64)>>,
) -> Map<String, Value> {
    let unit = f.unit.map(|u| &a.output.placement.units[u as usize]);
    let share = |poor: f64, households: f64| if households > 0.0 { poor / households } else { f64::NAN };
    let h = &f.headcount;
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_owned(), v);
    };
    put("id", json!(p.id));
    put("name", json!(p.name));
    put("verdict", json!(f.verdict.state().word()));
    put("meets_rule", json!(f.meets_rule()));
    put("problems", json!(f.problems().join("; ")));
    put("uu_code", json!(unit.map_or("", |u| u.code.as_str())));
    put("uu_name", json!(unit.map_or("", |u| u.name.as_str())));
    put("uu_population", opt(unit.map(|u| u.population), 1.0));
    put("urban_units", json!(f.units));
    put("uu_list", json!(units));
    put("inhabitants", rounded(h.point, 0.1));
    put("inhabitants_low", rounded(h.low, 0.1));
    put("inhabitants_high", rounded(h.high, 0.1));
    put("households", rounded(f.households, 0.1));
    put("poor_share", rounded(share(f.poor_households, f.households), 1e-4));
    put("median_est", opt(f.median, 1.0));
    put("threshold_legal", rounded(f.legal_threshold, 1.0));
    put("threshold", rounded(f.threshold, 1.0));
    put("margin", opt(f.median.map(|m| f.threshold - m), 1.0));
    put("margin_pct", opt(f.median.map(|m| 100.0 * (f.threshold - m) / f.threshold), 0.1));
    put("population_verdict", state_of(f, Key::Population));
    put("median_verdict", state_of(f, Key::Median));
    put("continuity_verdict", state_of(f, Key::Continuity));
    put("parts", json!(f.parts));
    put("widest_gap_m", rounded(f.widest_gap_m, 1.0));
    put("urban_unit_verdict", state_of(f, Key::UrbanUnit));
    put("density_per_km2", rounded(f.density_per_km2, 1.0));
    put("density_verdict", state_of(f, Key::Density));
    put("squares", json!(p.residents.squares));
    put("cells", json!(f.cells));
    put("cut_squares", json!(f.cut_squares));
    put("inhabitants_lattice", rounded(lattice.individuals, 0.1));
    put("median_lattice", opt(lattice.median, 1.0));
    put("criteria", json!(criteria_line(f)));
    match schools {
        Some(s) => {
            put("rep_schools", json!(s.len()));
            let names: Vec<String> = s
                .iter()
                .map(|(l, d)| if *d == 0.0 { format!("{l}, inside") } else { format!("{l}, {d:.0} m") })
                .collect();
            put("rep_school_names", json!(names.join("; ")));
        }
        None => {
            put("rep_schools", Value::Null);
            put("rep_school_names", Value::Null);
        }
    }
    m
}

/// Inhabitants as `check.md` writes them, rounded as the verdict's words round them.
fn range_text(h: &qpv_core::verdict::Headcount) -> String {
    if h.is_exact() {
        thousands(h.point)
    } else {
        format!("{} ({}–{})", thousands(h.point), thousands(h.low), thousands(h.high))
    }
}

/// `check.md`: how many meet, fail or cannot be decided and why, every perimeter sorted
/// by margin.
fn markdown(
    a: &Analysed,
    file: &PerimeterFile,
    rows: &[Map<String, Value>],
    ranges: &[String],
    schools: bool,
    distance: f64,
) -> String {
    let mut s = String::new();
    let counts = Counts::of(rows);
    let rule = &a.settings.rule;
    let judging = &a.settings.judging;
    let _ = writeln!(s, "# Check of `{}` against the decree\n", file.input.path);
    let _ = writeln!(
        s,
        "**{} of {} perimeters meet the rule**; {} cannot be decided from the public 200 m grid; {} fail.\n",
        counts.meets,
        rows.len(),
        counts.undecided,
        counts.fails
    );
    let _ = writeln!(
        s,
        "Criteria (décret n° 2014-767 as amended): at least {} inhabitants; estimated pooled median below the \
         threshold of its urban unit (legal S × calibration factor {}); one continuous area (parts of a drawn \
         line less than {} m apart are one area; on the lattice, {} neighbours); in one urban unit of at least {} \
         inhabitants{}. Grid: `{}`.\n",
        thousands(rule.min_population),
        rule.calibration_factor,
        thousands(judging.continuity_gap_m),
        a.settings.grouping.connectivity.neighbours(),
        thousands(rule.min_territory_population),
        if rule.territory == Territory::Overseas {
            format!("; at least {} inhabitants/km²", thousands(rule.min_density))
        } else {
            String::new()
        },
        a.file.input.path
    );
    let _ = writeln!(
        s,
        "Each criterion is **meets**, **fails**, or **undecided**: the figures allow either answer. Inhabitants \
         are a range: each square the line cuts counted by the share of its area inside (low) or whole (high); \
         the floor is decided only when the whole range is on one side of it. A median estimated above the \
         threshold by less than {:.0} % of it (the estimate's measured accuracy, README \"Accuracy\") is \
         undecided; further above, it fails.\n",
        100.0 * judging.median_band
    );
    let mut order: Vec<(&Map<String, Value>, &String)> = rows.iter().zip(ranges).collect();
    let margin = |r: &Map<String, Value>| r["margin"].as_f64().unwrap_or(f64::NEG_INFINITY);
    order.sort_by(|(x, _), (y, _)| {
        margin(y).total_cmp(&margin(x)).then_with(|| x["id"].as_str().cmp(&y["id"].as_str()))
    });
    let _ = writeln!(
        s,
        "| perimeter | name | verdict | inhabitants (range) | median (est.) | threshold | margin | why not |"
    );
    let _ = writeln!(s, "|---|---|---|---:|---:|---:|---:|---|");
    let num = |v: &Value| v.as_f64().map_or("–".to_owned(), thousands);
    for (r, range) in &order {
        let verdict = match r["verdict"].as_str() {
            Some("meets") => "meets the rule",
            Some("undecided") => "*undecided*",
            _ => "**fails**",
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r["id"].as_str().unwrap_or(""),
            r["name"].as_str().unwrap_or(""),
            verdict,
            range,
            num(&r["median_est"]),
            num(&r["threshold"]),
            num(&r["margin"]),
            r["problems"].as_str().unwrap_or("").replace('|', "/"),
        );
    }
    if schools {
        let _ = writeln!(s, "\n## REP and REP+ schools within {distance:.0} m\n");
        for (r, _) in &order {
            let names = r["rep_school_names"].as_str().unwrap_or("");
            let _ = writeln!(
                s,
                "- {}: {}",
                r["id"].as_str().unwrap_or(""),
                if names.is_empty() { "none" } else { names }
            );
        }
    }
    let cut: u64 = rows.iter().filter_map(|r| r["cut_squares"].as_u64()).sum();
    let _ = writeln!(
        s,
        "\nFigures are estimates. The lines cut {cut} squares; `check.csv` gives each perimeter's range and its \
         lattice version (the squares whose centre is inside, `inhabitants_lattice`, what the adjustments edit). \
         Medians come from a log-normal model of each square's public figures (README, Method and Accuracy), not \
         from INSEE's confidential data."
    );
    s
}

//! `qpv check`'s report: one row per perimeter of a file with each criterion of the
//! decree and the figure behind it (check.csv and the check layer), the layer's
//! shapefile fields, and check.md.
//!
//! The criteria are judged by the adjustments engine ([`Adjuster::figures`]) on the
//! perimeter as drawn, and again on its lattice version (the squares whose centre is
//! inside), so that `check`, `adjust` and `run --edits` give one verdict.

use crate::on_grid::FilePerimeter;
use crate::schools::School;
use geo_types::MultiPolygon;
use qpv_core::verdict::{Headcount, Key};
use qpv_core::{Adjuster, Cell, Figures, Grid, Perimeter, Placement, RunSettings, Territory, TerritoryUnit};
use qpv_grid::thousands;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;

/// The grid a file's perimeters were placed on.
#[derive(Clone, Copy)]
pub struct OnGrid<'a> {
    /// The squares.
    pub grid: &'a Grid,
    /// Their urban units.
    pub placement: &'a Placement,
}

/// REP/REP+ schools to list near each perimeter.
#[derive(Clone, Copy)]
pub struct NearSchools<'a> {
    /// The schools read.
    pub schools: &'a [School],
    /// Within this many metres of the perimeter.
    pub distance: f64,
}

/// The rows of a check, and each perimeter's inhabitants as check.md writes them.
#[derive(Debug, Default)]
pub struct Checked {
    /// One row per perimeter, in the file's order, keyed by [`FIELDS`].
    pub rows: Vec<Map<String, Value>>,
    /// Inhabitants, with their range when the line cuts squares.
    pub ranges: Vec<String>,
}

/// Checks every perimeter of a file: `adjuster` holds them on the lattice in the order
/// of `perimeters` ([`Adjuster::from_lines`]), `shapes` their lines as drawn (for the
/// schools' distances).
pub fn check_rows(
    on: OnGrid<'_>,
    adjuster: &Adjuster<'_>,
    perimeters: &[FilePerimeter],
    shapes: &[MultiPolygon<f64>],
    schools: Option<NearSchools<'_>>,
) -> Checked {
    let mut ranges = Vec::with_capacity(perimeters.len());
    let rows = perimeters
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
            let near = schools.map(|s| crate::schools::near(s.schools, &shapes[k], s.distance));
            let units = units_of(&on, adjuster, &perimeter.cover(on.grid));
            ranges.push(range_text(&f.headcount));
            row(&on.placement.units, p, &f, &lattice, &units, near)
        })
        .collect();
    Checked { rows, ranges }
}

/// What check.md says besides the rows.
pub struct Report<'a> {
    /// The perimeter file, as the manifest names it.
    pub perimeters: &'a str,
    /// The grid, as the manifest names it.
    pub grid: &'a str,
    /// The settings the perimeters were judged with.
    pub settings: &'a RunSettings,
    /// Whether schools were given (check.md lists them per perimeter).
    pub schools: bool,
    /// How near a school is listed, m.
    pub school_distance: f64,
}

/// How many rows meet, are undecided, fail.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Meet the rule.
    pub meets: usize,
    /// Cannot be decided from the public grid.
    pub undecided: usize,
    /// Fail (a row without a verdict word counts here).
    pub fails: usize,
}

impl Counts {
    /// Counts the verdicts of check rows.
    pub fn of(rows: &[Map<String, Value>]) -> Counts {
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
pub const FIELDS: [(&str, &str, bool, u8, u8); 36] = [
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
fn units_of(on: &OnGrid<'_>, adjuster: &Adjuster<'_>, cover: &[(Cell, f64)]) -> String {
    let placement = on.placement;
    let mut by_unit: Vec<(u32, f64)> = Vec::new();
    for &(c, share) in cover {
        let Some(i) = adjuster.square_at(c) else { continue };
        let u = placement.unit_of_square[i as usize];
        let people = on.grid.values()[i as usize].individuals * share;
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
    units_of_grid: &[TerritoryUnit],
    p: &FilePerimeter,
    f: &Figures,
    lattice: &Figures,
    units: &str,
    schools: Option<Vec<(String, f64)>>,
) -> Map<String, Value> {
    let unit = f.unit.map(|u| &units_of_grid[u as usize]);
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
pub fn range_text(h: &Headcount) -> String {
    if h.is_exact() {
        thousands(h.point)
    } else {
        format!("{} ({}–{})", thousands(h.point), thousands(h.low), thousands(h.high))
    }
}

/// `check.md`: how many meet, fail or cannot be decided and why, every perimeter sorted
/// by margin.
pub fn markdown(report: &Report<'_>, checked: &Checked) -> String {
    let Checked { rows, ranges } = checked;
    let (schools, distance) = (report.schools, report.school_distance);
    let mut s = String::new();
    let counts = Counts::of(rows);
    let rule = &report.settings.rule;
    let judging = &report.settings.judging;
    let _ = writeln!(s, "# Check of `{}` against the decree\n", report.perimeters);
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
        report.settings.grouping.connectivity.neighbours(),
        thousands(rule.min_territory_population),
        if rule.territory == Territory::Overseas {
            format!("; at least {} inhabitants/km²", thousands(rule.min_density))
        } else {
            String::new()
        },
        report.grid
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

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Coord, LineString, Polygon};
    use qpv_core::{CommuneTable, RunOutput};
    use qpv_grid::GridFile;
    use qpv_grid::fixture::{Denain, denain};

    struct Fixture {
        file: GridFile,
        output: RunOutput,
        settings: RunSettings,
        ids: Vec<String>,
        _communes: CommuneTable,
    }

    /// The Denain fixture (`qpv_grid::fixture`): one candidate, 59701-01.
    fn fixture() -> Fixture {
        let Denain { file, communes, output } = denain();
        let settings = RunSettings::for_territory(output.territory);
        let (records, _) = crate::records::area_records(&output, &file.grid, &communes);
        let ids = records.iter().map(|r| r.record.id.clone()).collect();
        Fixture { file, output, settings, ids, _communes: communes }
    }

    /// The candidate as a file's perimeter on the lattice, and its first square as its
    /// line (enough for the schools' distances).
    fn as_file(adjuster: &Adjuster<'_>, grid: &Grid) -> (Vec<FilePerimeter>, Vec<MultiPolygon<f64>>) {
        let p = &adjuster.perimeters[0];
        let cells = p.cells(grid);
        let residents = qpv_core::compare::Residents {
            totals: Default::default(),
            median: None,
            communes: Vec::new(),
            squares: cells.len(),
            cut_squares: 0,
        };
        let file = FilePerimeter { id: p.id.clone(), name: p.name.clone(), cells, drawn: None, residents };
        let ring: Vec<Coord<f64>> = [(3794800.0, 2969400.0), (3795000.0, 2969400.0), (3795000.0, 2969600.0)]
            .into_iter()
            .chain([(3794800.0, 2969600.0), (3794800.0, 2969400.0)])
            .map(|(x, y)| Coord { x, y })
            .collect();
        (vec![file], vec![MultiPolygon(vec![Polygon::new(LineString(ring), Vec::new())])])
    }

    fn row_with(verdict: &str, id: &str, margin: Option<f64>) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("id".into(), json!(id));
        m.insert("name".into(), json!(format!("name of {id}")));
        m.insert("verdict".into(), json!(verdict));
        m.insert("margin".into(), margin.map_or(Value::Null, |x| json!(x)));
        m.insert("median_est".into(), json!(20000.0));
        m.insert("threshold".into(), Value::Null);
        m.insert("problems".into(), json!("too | few"));
        m.insert("rep_school_names".into(), json!(""));
        m.insert("cut_squares".into(), json!(2));
        m
    }

    #[test]
    fn fields_fit_a_dbf() {
        let mut names: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
        let mut dbf: Vec<&str> = FIELDS.iter().map(|f| f.1).collect();
        assert!(dbf.iter().all(|d| d.len() <= 10), "{dbf:?}");
        assert!(FIELDS.iter().all(|f| f.3 <= 254 && (f.2 || f.4 == 0)));
        names.sort_unstable();
        names.dedup();
        dbf.sort_unstable();
        dbf.dedup();
        assert_eq!((names.len(), dbf.len()), (FIELDS.len(), FIELDS.len()));
    }

    #[test]
    fn rounding_leaves_no_float_noise_and_no_negative_zero() {
        assert_eq!(rounded(0.354, 1e-4), json!(0.354));
        assert_eq!(rounded(1234.56, 0.1), json!(1234.6));
        assert_eq!(rounded(-0.2, 1.0).to_string(), "0.0");
        assert_eq!(rounded(f64::NAN, 1.0), Value::Null);
        assert_eq!(rounded(f64::INFINITY, 1.0), Value::Null);
        assert_eq!(opt(None, 1.0), Value::Null);
    }

    #[test]
    fn counts_take_a_row_without_a_verdict_word_as_failing() {
        let mut unknown = row_with("meets", "c", None);
        unknown.insert("verdict".into(), Value::Null);
        let rows = [row_with("meets", "a", None), row_with("undecided", "b", None), unknown];
        assert_eq!(Counts::of(&rows), Counts { meets: 1, undecided: 1, fails: 1 });
        assert_eq!(Counts::of(&[]), Counts::default());
    }

    #[test]
    fn a_range_is_written_only_when_the_line_cuts_squares() {
        assert_eq!(range_text(&Headcount::exact(1200.0)), thousands(1200.0));
        let h = Headcount { point: 1000.0, low: 900.0, high: 1100.0 };
        assert_eq!(
            range_text(&h),
            format!("{} ({}–{})", thousands(1000.0), thousands(900.0), thousands(1100.0))
        );
    }

    #[test]
    fn a_candidate_on_the_lattice_checks_as_the_engine_judges_it() {
        let f = fixture();
        let adjuster = Adjuster::new(&f.file.grid, &f.output, &f.ids, &f.settings);
        let (perimeters, shapes) = as_file(&adjuster, &f.file.grid);
        let on = OnGrid { grid: &f.file.grid, placement: &f.output.placement };
        let checked = check_rows(on, &adjuster, &perimeters, &shapes, None);
        let row = &checked.rows[0];
        // Every field of the layer, and nothing else.
        let mut keys: Vec<&str> = row.keys().map(String::as_str).collect();
        let mut fields: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
        keys.sort_unstable();
        fields.sort_unstable();
        assert_eq!(keys, fields);
        let figures = adjuster.figures(&adjuster.perimeters[0]);
        assert_eq!(row["verdict"], json!(figures.verdict.state().word()));
        assert_eq!(row["inhabitants"], json!(1200.0));
        assert_eq!(row["inhabitants"], row["inhabitants_lattice"]);
        assert_eq!(row["criteria"], json!(criteria_line(&figures)));
        assert_eq!(checked.ranges, [thousands(1200.0)]);
        // No schools given: null, not zero.
        assert_eq!((&row["rep_schools"], &row["rep_school_names"]), (&Value::Null, &Value::Null));
        let school = School {
            code: Some("0590001A".into()),
            name: Some("Collège".into()),
            category: Some("REP+".into()),
            x: 3794900.0,
            y: 2969500.0,
        };
        let far = School { x: 3794900.0 + 10_000.0, ..school.clone() };
        let near = NearSchools { schools: &[school, far], distance: 300.0 };
        let checked = check_rows(on, &adjuster, &perimeters, &shapes, Some(near));
        assert_eq!(checked.rows[0]["rep_schools"], json!(1));
        assert_eq!(checked.rows[0]["rep_school_names"], json!("0590001A Collège (REP+), inside"));
    }

    #[test]
    fn the_markdown_sorts_by_margin_and_lists_schools() {
        let settings = RunSettings::for_territory(Territory::Metropolitan);
        let rows = vec![
            row_with("fails", "b", Some(-300.0)),
            row_with("meets", "a", Some(500.0)),
            row_with("undecided", "c", None),
        ];
        let checked = Checked { rows, ranges: vec!["1".into(), "2".into(), "3".into()] };
        let report = Report {
            perimeters: "p.geojson",
            grid: "g.csv",
            settings: &settings,
            schools: true,
            school_distance: 300.0,
        };
        let md = markdown(&report, &checked);
        assert!(md.starts_with("# Check of `p.geojson` against the decree\n"), "{md}");
        assert!(md.contains("**1 of 3 perimeters meet the rule**; 1 cannot be decided"), "{md}");
        let line = |id: &str| md.find(&format!("| {id} | name of {id} |")).unwrap();
        // Widest margin first, no margin last.
        assert!(line("a") < line("b") && line("b") < line("c"), "{md}");
        // A `|` in a problem would break the table.
        assert!(md.contains("too / few") && !md.contains("too | few"), "{md}");
        assert!(md.contains("## REP and REP+ schools within 300 m\n") && md.contains("- a: none"), "{md}");
        assert!(md.contains("The lines cut 6 squares"), "{md}");
        // The density criterion is the overseas rule's only.
        assert!(!md.contains("inhabitants/km²"), "{md}");
        let without = Report { schools: false, ..report };
        assert!(!markdown(&without, &checked).contains("## REP"));
    }
}

//! The CSV tables the CLI writes beside the layers: the audit and the schools of an
//! adjustments run, the rows a grid reader left out, and a sweep's three tables (with
//! their rows from the sweep's outcomes). Each
//! goes through the `csv` crate (its quoting: a field is quoted when it must be) and
//! returns its errors.

use crate::error::IoError;
use qpv_core::sweep::Outcome;
use qpv_core::{AuditEntry, CommuneTable, Grid, NO_UNIT, Prepared, RunSettings, SchoolOutcome};
use qpv_grid::BadRow;
use std::collections::HashMap;

fn encode(e: impl std::fmt::Display) -> IoError {
    IoError::Encode { what: "table", message: e.to_string() }
}

/// Writes `header` then `rows` as CSV.
fn table<R, I>(header: &[&str], rows: R) -> Result<Vec<u8>, IoError>
where
    R: IntoIterator<Item = I>,
    I: IntoIterator<Item = String>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(encode)?;
    for row in rows {
        w.write_record(row).map_err(encode)?;
    }
    w.into_inner().map_err(encode)
}

/// `audit.csv`: one row per perimeter touched by each step of an adjustments file.
pub fn audit_csv(audit: &[AuditEntry]) -> Result<Vec<u8>, IoError> {
    let num = |x: Option<f64>| x.filter(|v| v.is_finite()).map_or(String::new(), |v| format!("{v:.0}"));
    let header = [
        "step",
        "op",
        "target",
        "detail",
        "inhabitants_before",
        "inhabitants_after",
        "households_before",
        "households_after",
        "median_before",
        "median_after",
        "cells_added",
        "cells_removed",
        "meets_rule",
        "verdict",
        "warning",
    ];
    table(
        &header,
        audit.iter().map(|e| {
            let (b, a) = (e.before.as_ref(), e.after.as_ref());
            [
                e.step.to_string(),
                e.op.clone(),
                e.target.clone(),
                e.detail.clone(),
                num(b.map(|f| f.individuals)),
                num(a.map(|f| f.individuals)),
                num(b.map(|f| f.households)),
                num(a.map(|f| f.households)),
                num(b.and_then(|f| f.median)),
                num(a.and_then(|f| f.median)),
                e.added.to_string(),
                e.removed.to_string(),
                a.map_or(String::new(), |f| f.meets_rule().to_string()),
                a.map_or(String::new(), |f| f.verdict.state().word().to_owned()),
                e.warning().unwrap_or_default(),
            ]
        }),
    )
}

/// `schools.csv`: each school against the final perimeters: the nearest, the distance
/// to it, what happened (`inside`, `added`, `too far`, `taken out by step N`), and the
/// distance at its step, before it was added.
pub fn schools_csv(schools: &[SchoolOutcome]) -> Result<Vec<u8>, IoError> {
    let metres = |d: f64| if d.is_finite() { format!("{d:.0}") } else { String::new() };
    table(
        &["school", "perimeter", "distance_m", "status", "step", "distance_before_m"],
        schools.iter().map(|s| {
            [
                s.school.clone(),
                s.perimeter.clone().unwrap_or_default(),
                metres(s.distance_m),
                s.status.clone(),
                s.step.to_string(),
                metres(s.distance_before_m),
            ]
        }),
    )
}

/// `skipped_rows.csv`: the line and problem of each row left out with `--skip-bad-rows`.
pub fn skipped_rows_csv(skipped: &[BadRow]) -> Result<Vec<u8>, IoError> {
    table(&["line", "problem"], skipped.iter().map(|r| [r.line.to_string(), r.problem.to_string()]))
}

/// What one variant of a sweep gives.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// The values of the swept parameters, in the order of their names.
    pub values: Vec<f64>,
    /// Quartiers found.
    pub quartiers: usize,
    /// Their inhabitants.
    pub inhabitants: f64,
    /// Communes they touch.
    pub communes: usize,
}

/// `sweep.csv`: one row per variant, numbered from 1, with the swept values.
pub fn sweep_csv(names: &[&str], rows: &[SweepRow]) -> Result<Vec<u8>, IoError> {
    let mut header = vec!["variant"];
    header.extend_from_slice(names);
    header.extend(["quartiers", "inhabitants", "communes"]);
    table(
        &header,
        rows.iter().enumerate().map(|(k, r)| {
            let mut row = vec![(k + 1).to_string()];
            row.extend(r.values.iter().map(|v| v.to_string()));
            row.extend([r.quartiers.to_string(), format!("{:.0}", r.inhabitants), r.communes.to_string()]);
            row
        }),
    )
}

/// One urban unit in one variant of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepUnitRow {
    /// The variant's number (from 1).
    pub variant: usize,
    /// Urban unit code.
    pub uu_code: String,
    /// Urban unit name.
    pub uu_name: String,
    /// Quartiers found in it.
    pub quartiers: usize,
    /// Their inhabitants.
    pub inhabitants: f64,
}

/// `sweep_by_uu.csv`.
pub fn sweep_by_uu_csv(rows: &[SweepUnitRow]) -> Result<Vec<u8>, IoError> {
    table(
        &["variant", "uu_code", "uu_name", "quartiers", "inhabitants"],
        rows.iter().map(|r| {
            [
                r.variant.to_string(),
                r.uu_code.clone(),
                r.uu_name.clone(),
                r.quartiers.to_string(),
                format!("{:.0}", r.inhabitants),
            ]
        }),
    )
}

/// How one baseline candidate fares across a sweep's variants.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustnessRow {
    /// `UUCODE-NN`, by rank in its urban unit.
    pub id: String,
    /// Urban unit code.
    pub uu_code: String,
    /// Urban unit name.
    pub uu_name: String,
    /// The commune holding most of its inhabitants.
    pub main_commune: String,
    /// Its inhabitants.
    pub inhabitants: f64,
    /// Variants in which it survives.
    pub surviving: usize,
    /// Variants in all.
    pub variants: usize,
}

/// `robustness.csv`.
pub fn robustness_csv(rows: &[RobustnessRow]) -> Result<Vec<u8>, IoError> {
    let header = [
        "id",
        "uu_code",
        "uu_name",
        "main_commune",
        "inhabitants",
        "variants_surviving",
        "variants",
        "share",
    ];
    table(
        &header,
        rows.iter().map(|r| {
            [
                r.id.clone(),
                r.uu_code.clone(),
                r.uu_name.clone(),
                r.main_commune.clone(),
                format!("{:.0}", r.inhabitants),
                r.surviving.to_string(),
                r.variants.to_string(),
                format!("{:.3}", r.surviving as f64 / r.variants.max(1) as f64),
            ]
        }),
    )
}

/// Attribute maps as CSV: one column per name of `columns`, in that order; strings as
/// they are, numbers and booleans as JSON writes them, null as an empty field.
pub fn properties_csv(
    columns: &[&str],
    rows: &[serde_json::Map<String, serde_json::Value>],
) -> Result<Vec<u8>, IoError> {
    use serde_json::Value;
    table(
        columns,
        rows.iter().map(|r| {
            columns
                .iter()
                .map(|c| match r.get(*c) {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(v) => v.to_string(),
                })
                .collect::<Vec<_>>()
        }),
    )
}

/// A perimeter of a file against its lattice version (`qpv adjust`).
#[derive(Debug, Clone, PartialEq)]
pub struct LatticeRow {
    /// The perimeter's id.
    pub id: String,
    /// Squares with residents that its line cuts.
    pub cut_squares: usize,
    /// Inhabitants by area share.
    pub area_share: f64,
    /// Inhabitants of the squares whose centre it contains.
    pub lattice: f64,
}

/// `lattice.csv`: per perimeter, the squares its line cuts and the inhabitants the
/// lattice version gains (+) or loses (−) against the area-share estimate.
pub fn lattice_csv(rows: &[LatticeRow]) -> Result<Vec<u8>, IoError> {
    table(
        &["id", "cut_squares", "inhabitants_area_share", "inhabitants_lattice", "difference"],
        rows.iter().map(|r| {
            [
                r.id.clone(),
                r.cut_squares.to_string(),
                format!("{:.1}", r.area_share),
                format!("{:.1}", r.lattice),
                format!("{:.1}", r.lattice - r.area_share + 0.0),
            ]
        }),
    )
}

/// The rows of `sweep.csv`.
pub fn sweep_rows(variants: &[(Vec<f64>, RunSettings)], outcomes: &[Outcome]) -> Vec<SweepRow> {
    variants
        .iter()
        .zip(outcomes)
        .map(|((values, _), o)| SweepRow {
            values: values.clone(),
            quartiers: o.quartiers,
            inhabitants: o.inhabitants,
            communes: o.communes,
        })
        .collect()
}

/// The rows of `sweep_by_uu.csv`: each variant's quartiers per urban unit.
pub fn sweep_unit_rows(prepared: &Prepared, outcomes: &[Outcome]) -> Vec<SweepUnitRow> {
    let mut rows = Vec::new();
    for (k, o) in outcomes.iter().enumerate() {
        for (u, (n, ind)) in &o.per_unit {
            let unit = &prepared.placement.units[*u as usize];
            rows.push(SweepUnitRow {
                variant: k + 1,
                uu_code: unit.code.clone(),
                uu_name: unit.name.clone(),
                quartiers: *n,
                inhabitants: *ind,
            });
        }
    }
    rows
}

/// The rows of `robustness.csv`: in how many variants each baseline candidate survives
/// ([`qpv_core::sweep::survivals`]), named as the run names candidates.
pub fn robustness_rows(
    grid: &Grid,
    communes: &CommuneTable,
    prepared: &Prepared,
    baseline: &Outcome,
    outcomes: &[Outcome],
) -> Vec<RobustnessRow> {
    let ind = |i: u32| grid.values()[i as usize].individuals;
    let survivals = qpv_core::sweep::survivals(grid, baseline, outcomes);
    let mut rows = Vec::new();
    let mut rank: HashMap<u32, usize> = HashMap::new();
    for (squares, s) in baseline.squares.iter().zip(survivals) {
        let unit = prepared.placement.unit_of_square[squares[0] as usize];
        let r = rank.entry(unit).or_default();
        *r += 1;
        let u = &prepared.placement.units[unit as usize];
        // The commune holding most of its inhabitants.
        let mut by_commune: HashMap<u32, f64> = HashMap::new();
        for &i in squares {
            *by_commune.entry(prepared.placement.commune_of_square[i as usize]).or_default() += ind(i);
        }
        let main = by_commune
            .into_iter()
            .filter(|(k, _)| *k != NO_UNIT)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let commune = main.map_or(String::new(), |(k, _)| communes.get(k).name.clone());
        let total: f64 = squares.iter().map(|&i| ind(i)).sum();
        rows.push(RobustnessRow {
            id: format!("{}-{:02}", u.code, r),
            uu_code: u.code.clone(),
            uu_name: u.name.clone(),
            main_commune: commune,
            inhabitants: total,
            surviving: s,
            variants: outcomes.len(),
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use qpv_grid::RowProblem;

    #[test]
    fn skipped_rows_are_quoted_only_where_needed() {
        let rows = [
            BadRow { line: 3, problem: RowProblem::Missing { column: "ind" } },
            BadRow {
                line: 7,
                problem: RowProblem::NotANumber { column: "men", value: "1,5 \"env\"".into() },
            },
        ];
        let text = String::from_utf8(skipped_rows_csv(&rows).unwrap()).unwrap();
        assert_eq!(
            text,
            "line,problem\n3,column ind is empty\n7,\"column men: \"\"1,5 \\\"\"env\\\"\"\"\" is not a number\"\n"
        );
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let back: Vec<String> = r.records().map(|x| x.unwrap()[1].to_owned()).collect();
        assert_eq!(back[1], rows[1].problem.to_string());
    }

    #[test]
    fn properties_in_column_order_with_nulls_empty() {
        let row = serde_json::json!({ "b": 1.5, "a": "Rœulx, nord", "c": null, "d": true });
        let rows = [row.as_object().unwrap().clone()];
        let text = String::from_utf8(properties_csv(&["a", "b", "c", "d", "e"], &rows).unwrap()).unwrap();
        assert_eq!(text, "a,b,c,d,e\n\"Rœulx, nord\",1.5,,true,\n");
    }

    #[test]
    fn lattice_differences_are_signed() {
        let r = LatticeRow { id: "A".into(), cut_squares: 3, area_share: 1_250.04, lattice: 1_200.0 };
        let text = String::from_utf8(lattice_csv(&[r]).unwrap()).unwrap();
        assert!(text.ends_with("A,3,1250.0,1200.0,-50.0\n"), "{text}");
    }

    #[test]
    fn an_empty_sweep_is_a_header() {
        assert_eq!(sweep_csv(&["factor"], &[]).unwrap(), b"variant,factor,quartiers,inhabitants,communes\n");
        // The candidates' column is `id`, as in candidates.csv (it was `rank_in_uu`).
        assert_eq!(
            robustness_csv(&[]).unwrap(),
            b"id,uu_code,uu_name,main_commune,inhabitants,variants_surviving,variants,share\n"
        );
    }

    #[test]
    fn sweep_rows_and_shares() {
        let row = SweepRow { values: vec![1.3, 8.0], quartiers: 2, inhabitants: 2_400.4, communes: 3 };
        let text = String::from_utf8(sweep_csv(&["factor", "connectivity"], &[row]).unwrap()).unwrap();
        assert!(text.ends_with("1,1.3,8,2,2400,3\n"), "{text}");
        let r = RobustnessRow {
            id: "59701-01".into(),
            uu_code: "59701".into(),
            uu_name: "Valenciennes (partie française)".into(),
            main_commune: "Denain".into(),
            inhabitants: 18_018.0,
            surviving: 2,
            variants: 3,
        };
        let text = String::from_utf8(robustness_csv(&[r]).unwrap()).unwrap();
        assert!(
            text.ends_with("59701-01,59701,Valenciennes (partie française),Denain,18018,2,3,0.667\n"),
            "{text}"
        );
    }

    #[test]
    fn a_sweeps_rows_follow_its_outcomes() {
        use qpv_grid::communes::{CommuneVintage, embedded_communes};
        use qpv_grid::{GridReader, GridSource};
        // Three poor squares of 400 residents in Denain (one candidate, 59701-01).
        let csv = b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\n\
CRS3035RES200mN2969400E3794800,59172,400,160,90,4200000\n\
CRS3035RES200mN2969400E3795000,59172,400,160,90,4200000\n\
CRS3035RES200mN2969600E3794800,59172,400,160,90,4200000\n";
        let file = GridReader::new(GridSource::Embedded { name: "tiny.csv", bytes: csv }).finish().unwrap();
        let (communes, _) = embedded_communes(CommuneVintage::Cog2021);
        let (reference, _) = qpv_grid::reference::embedded_reference("filosofi2019").unwrap();
        let pipeline = qpv_core::Pipeline::new(&file.grid, &communes).reference(Some(&reference));
        let prepared = pipeline.prepare().unwrap();
        let base = RunSettings::for_territory(qpv_core::Territory::Metropolitan);
        let baseline = Outcome::of(&pipeline, &prepared, &base).unwrap();
        // A second variant whose floor the candidate's 1 200 inhabitants do not reach.
        let mut high = base.clone();
        high.rule.min_population = 5_000.0;
        let variants = vec![(vec![1_000.0], base.clone()), (vec![5_000.0], high.clone())];
        let outcomes = vec![baseline.clone(), Outcome::of(&pipeline, &prepared, &high).unwrap()];

        let rows = sweep_rows(&variants, &outcomes);
        assert_eq!(
            rows.iter().map(|r| (r.values[0], r.quartiers)).collect::<Vec<_>>(),
            [(1_000.0, 1), (5_000.0, 0)]
        );
        assert_eq!(rows[0].inhabitants, 1_200.0);
        let units = sweep_unit_rows(&prepared, &outcomes);
        assert_eq!(units.len(), 1, "a variant without quartiers has no unit row");
        assert_eq!((units[0].variant, units[0].uu_code.as_str(), units[0].quartiers), (1, "59701", 1));
        let robust = robustness_rows(&file.grid, &communes, &prepared, &baseline, &outcomes);
        assert_eq!(robust.len(), 1);
        let r = &robust[0];
        assert_eq!((r.id.as_str(), r.main_commune.as_str()), ("59701-01", "Denain"));
        assert_eq!((r.inhabitants, r.surviving, r.variants), (1_200.0, 1, 2));
    }
}

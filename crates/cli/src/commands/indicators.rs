//! `qpv indicators`: the key indicators of perimeters, beside their urban unit and France.

use crate::analysed::{self, Analysed, Reading};
use crate::args::{ByArg, IndicatorsArgs};
use crate::printer::{Printer, thousands};
use anyhow::Result;
use qpv_core::Totals;
use qpv_core::compare::{Perimeters, Population};
use qpv_core::indicators::{Breakdown, indicator_rows};
use qpv_core::profile::unit_totals;
use qpv_grid::OutputSet;
use qpv_layers::indicators_out::{LevelFigures, indicators_csv};
use qpv_layers::records;

/// Computes and writes the table.
pub fn indicators(args: &IndicatorsArgs, printer: Printer) -> Result<()> {
    super::parquet_available(args.out.extension().is_some_and(|e| e == "parquet"))?;
    let options = args.rule.options().combine(args.input.options());
    let a = analysed::analyse(&options, Reading { profiles: true }, printer)?;
    let grid = &a.file.grid;
    let missing = missing_profiles(&a, printer);
    let epsg = a.epsg();
    let perimeters = match super::perimeter_file(&args.perimeters, epsg, printer)? {
        Some(file) => file.perimeters,
        None => {
            let (candidates, _) = records::area_records(&a.output, grid, &a.communes);
            printer.info(format!("{} candidates of the run on {}", candidates.len(), a.file.input.path));
            Perimeters {
                ids: candidates.iter().map(|c| c.record.id.clone()).collect(),
                names: vec![String::new(); candidates.len()],
                shapes: candidates.into_iter().map(|c| c.geometry).collect(),
            }
        }
    };
    let population = Population::new(grid, a.file.profiles.as_ref(), a.fits());
    let breakdown =
        Breakdown { communes: args.by.contains(&ByArg::Commune), epcis: args.by.contains(&ByArg::Epci) };
    let mut rows = indicator_rows(&population, &a.output.placement, &a.communes, &perimeters, breakdown);
    for r in &mut rows {
        blank_missing(&mut r.residents.totals, &missing);
    }
    let (france, unit_of) = levels(&a, printer);
    let csv = indicators_csv(&rows, &unit_of, &france)?;
    let parquet = args.out.extension().is_some_and(|e| e == "parquet");
    let bytes = if parquet { super::csv_parquet(&csv)? } else { csv };
    let written = OutputSet::write_one(&args.out, bytes)?;
    let inhabitants: f64 = rows
        .iter()
        .filter(|r| r.level == qpv_core::indicators::Level::Perimeter)
        .map(|r| r.residents.totals.individuals)
        .sum();
    printer.info(format!(
        "{} rows ({} perimeters, {} inhabitants; estimates by area share of the squares)",
        rows.len(),
        perimeters.len(),
        thousands(inhabitants)
    ));
    printer.info(format!("wrote {}", written.display()));
    Ok(())
}

/// The descriptive columns the grid lacks, with a warning that the indicators needing
/// them are left empty (also for the atlas's pages).
pub fn missing_profiles(a: &Analysed, printer: Printer) -> Vec<&'static str> {
    let missing = a.file.layout.missing_profile_columns();
    if !missing.is_empty() {
        printer.warn(format!(
            "{}: no column {}; the indicators that need them are left empty",
            a.file.input.path,
            missing.join(", ")
        ));
    }
    missing
}

/// Missing columns become NaN sums, so that the indicators built on them are empty
/// rather than zero.
pub fn blank_missing(t: &mut Totals, missing: &[&str]) {
    for (v, name) in t.profile.iter_mut().zip(qpv_core::PROFILE_COLUMNS) {
        if missing.contains(&name) {
            *v = f64::NAN;
        }
    }
}

/// The figures of territory unit `u`, when known.
pub type UnitOf<'a> = Box<dyn Fn(u32) -> Option<LevelFigures> + 'a>;

/// France and the urban units: the embedded national totals when the medians come from
/// a national reference of the same vintage, else the grid itself (partial units).
pub fn levels<'a>(a: &'a Analysed, printer: Printer) -> (LevelFigures, UnitOf<'a>) {
    let placement = &a.output.placement;
    let national = a.reference.as_ref().and_then(|r| qpv_grid::totals::embedded_totals(&r.vintage));
    let flagged = &a.output.flagged;
    let median_of = move |u: u32| -> Option<f64> {
        let code = &placement.units[u as usize].code;
        a.reference
            .as_ref()
            .and_then(|r| r.units.get(code).map(|x| x.median))
            .or_else(|| flagged.units.get(u as usize).and_then(|t| t.local_median))
    };
    match national {
        Some((table, _)) => {
            let france = LevelFigures {
                code: "FR".into(),
                name: "France métropolitaine".into(),
                totals: table.france,
                median: a.reference.as_ref().map(|r| r.national_median),
            };
            let unit_of = Box::new(move |u: u32| {
                let unit = placement.units.get(u as usize)?;
                let totals = *table.units.get(&unit.code)?;
                Some(LevelFigures {
                    code: unit.code.clone(),
                    name: unit.name.clone(),
                    totals,
                    median: median_of(u),
                })
            });
            (france, unit_of)
        }
        None => {
            printer.warn(
                "no national totals for this grid's vintage: the urban-unit and France columns describe the \
                 squares of the grid read (partial urban units for an extract)",
            );
            let profiles = a.file.profiles.as_ref();
            let grid = &a.file.grid;
            let all: Vec<u32> = (0..grid.len() as u32).collect();
            let france = LevelFigures {
                code: "GRID".into(),
                name: "whole grid read".into(),
                totals: Totals::of_squares(grid, profiles, &all),
                median: Some(flagged.national_median),
            };
            let by_unit = unit_totals(grid, profiles, &placement.unit_of_square, placement.units.len());
            let unit_of = Box::new(move |u: u32| {
                let unit = placement.units.get(u as usize)?;
                Some(LevelFigures {
                    code: unit.code.clone(),
                    name: unit.name.clone(),
                    totals: by_unit[u as usize],
                    median: median_of(u),
                })
            });
            (france, unit_of)
        }
    }
}

//! Rows of the key-indicator table (issue 5, "socle d'indicateurs clés"): one per
//! perimeter and, on request, per commune and per EPCI concerned (their part inside
//! the perimeters and the whole commune or EPCI). The figures themselves are
//! [`Totals::indicators`]; the CLI sets them beside the urban unit and France.
//!
//! A square touching several communes is split equally between them (the grid has
//! no finer location), so commune figures are estimates near commune borders.

use crate::compare::{Perimeters, Population, Residents};
use crate::{CommuneTable, NO_UNIT, Placement};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// What a row describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// A perimeter.
    Perimeter,
    /// A commune.
    Commune,
    /// An EPCI (intercommunality).
    Epci,
}

impl Level {
    /// `perimeter`, `commune` or `epci`.
    pub fn label(self) -> &'static str {
        match self {
            Level::Perimeter => "perimeter",
            Level::Commune => "commune",
            Level::Epci => "epci",
        }
    }
}

/// One row.
#[derive(Debug, Clone)]
pub struct IndicatorRow {
    /// Perimeter, commune or EPCI.
    pub level: Level,
    /// For communes and EPCIs: `true` for their part inside the perimeters, `false` for the whole.
    pub inside: bool,
    /// Perimeter id, commune code or EPCI code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The territory unit most of its residents live in.
    pub unit: Option<u32>,
    /// Its residents and their sums.
    pub residents: Residents,
    /// For communes and EPCIs: their population in the commune table, to show how much
    /// of them the grid read covers (an extract cuts communes at its edge).
    pub table_population: Option<f64>,
}

/// Which extra rows to add.
#[derive(Debug, Clone, Copy, Default)]
pub struct Breakdown {
    /// Rows per commune.
    pub communes: bool,
    /// Rows per EPCI.
    pub epcis: bool,
}

fn main_unit(placement: &Placement, population: &Population, shares: &[(u32, f64)]) -> Option<u32> {
    let mut votes: FxHashMap<u32, f64> = FxHashMap::default();
    for &(i, s) in shares {
        let u = placement.unit_of_square[i as usize];
        if u != NO_UNIT {
            *votes.entry(u).or_default() += s * population.grid().values()[i as usize].individuals;
        }
    }
    votes.into_iter().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0))).map(|(u, _)| u)
}

/// The rows for `perimeters` (in the grid's CRS).
pub fn indicator_rows(
    population: &Population,
    placement: &Placement,
    table: &CommuneTable,
    perimeters: &Perimeters,
    breakdown: Breakdown,
) -> Vec<IndicatorRow> {
    let grid = population.grid();
    let mut rows = Vec::new();
    // Per commune or EPCI key: (name, shares inside, shares of the whole).
    type Groups = BTreeMap<String, (String, FxHashMap<u32, f64>)>;
    let (mut communes, mut epcis): (Groups, Groups) = Default::default();
    let group = |i: u32, share: f64, groups: (&mut Groups, &mut Groups)| {
        let codes = grid.communes(i as usize);
        for code in codes {
            let part = share / codes.len() as f64;
            let commune = table.find(*code).map(|k| table.get(k));
            let name = commune.map_or(String::new(), |c| c.name.clone());
            let e = groups.0.entry(code.to_string()).or_insert_with(|| (name, FxHashMap::default()));
            *e.1.entry(i).or_default() += part;
            if let Some(c) = commune.filter(|c| !c.epci.is_empty()) {
                let e = groups
                    .1
                    .entry(c.epci.clone())
                    .or_insert_with(|| (c.epci_name.clone(), FxHashMap::default()));
                *e.1.entry(i).or_default() += part;
            }
        }
    };
    for (k, shape) in perimeters.shapes.iter().enumerate() {
        let shares = population.square_shares(shape);
        for &(i, s) in &shares {
            group(i, s, (&mut communes, &mut epcis));
        }
        rows.push(IndicatorRow {
            level: Level::Perimeter,
            inside: true,
            code: perimeters.ids[k].clone(),
            name: perimeters.names[k].clone(),
            unit: main_unit(placement, population, &shares),
            residents: population.residents_of(&shares),
            table_population: None,
        });
    }
    let mut whole: (Groups, Groups) = Default::default();
    if breakdown.communes || breakdown.epcis {
        // Only the communes concerned (and those of the EPCIs concerned) are summed whole.
        let wanted: rustc_hash::FxHashSet<crate::CommuneCode> = table
            .communes()
            .iter()
            .filter(|c| communes.contains_key(&c.code.to_string()) || epcis.contains_key(&c.epci))
            .map(|c| c.code)
            .chain(communes.keys().filter_map(|k| crate::CommuneCode::parse(k.as_bytes()).ok()))
            .collect();
        for i in 0..grid.len() as u32 {
            if grid.communes(i as usize).iter().any(|c| wanted.contains(c)) {
                group(i, 1.0, (&mut whole.0, &mut whole.1));
            }
        }
    }
    let table_population = |level: Level, code: &str| -> Option<f64> {
        match level {
            Level::Commune => {
                let c = crate::CommuneCode::parse(code.as_bytes()).ok()?;
                table.find(c).map(|k| table.get(k).population)
            }
            Level::Epci => {
                Some(table.communes().iter().filter(|c| c.epci == code).map(|c| c.population).sum())
            }
            Level::Perimeter => None,
        }
    };
    let mut add = |level: Level, inside: Groups, whole: &Groups| {
        for (code, (name, shares)) in inside {
            let mut shares: Vec<(u32, f64)> = shares.into_iter().collect();
            shares.sort_by_key(|(i, _)| *i);
            let residents = population.residents_of(&shares);
            if residents.totals.individuals < 0.5 {
                continue;
            }
            let all: Vec<(u32, f64)> =
                whole.get(&code).map(|w| w.1.iter().map(|(i, s)| (*i, *s)).collect()).unwrap_or_default();
            let unit = main_unit(placement, population, &all);
            let table_population = table_population(level, &code);
            rows.push(IndicatorRow {
                level,
                inside: true,
                code: code.clone(),
                name: name.clone(),
                unit,
                residents,
                table_population,
            });
            rows.push(IndicatorRow {
                level,
                inside: false,
                code,
                name,
                unit,
                residents: population.residents_of(&all),
                table_population,
            });
        }
    };
    if breakdown.communes {
        add(Level::Commune, communes, &whole.0);
    }
    if breakdown.epcis {
        add(Level::Epci, epcis, &whole.1);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;
    use crate::{IncomeModel, Territory, medians::fit_squares};
    use geo_types::{MultiPolygon, Rect, coord};

    #[test]
    fn rows_per_perimeter_commune_and_epci() {
        let (grid, table) = testutil::two_commune_block();
        let placement = Placement::new(&grid, &table, Territory::Metropolitan);
        let fits = fit_squares(&grid, &IncomeModel::default(), 12_000.0);
        let pop = Population::new(&grid, None, &fits);
        // Two squares of the left commune and half a square of the right one.
        let r = Rect::new(coord! { x: 0.0, y: 0.0 }, coord! { x: 500.0, y: 200.0 }).to_polygon();
        let perimeters = Perimeters {
            ids: vec!["P1".into()],
            names: vec!["Centre".into()],
            shapes: vec![MultiPolygon(vec![r])],
        };
        let rows =
            indicator_rows(&pop, &placement, &table, &perimeters, Breakdown { communes: true, epcis: true });
        let ind = |k: usize| rows[k].residents.totals.individuals;
        assert_eq!(rows[0].level, Level::Perimeter);
        assert_eq!(ind(0), 250.0);
        let communes: Vec<_> = rows.iter().filter(|r| r.level == Level::Commune).collect();
        assert_eq!(communes.len(), 4, "inside and whole, for each of two communes");
        assert_eq!(
            (communes[0].residents.totals.individuals, communes[1].residents.totals.individuals),
            (200.0, 300.0)
        );
        assert_eq!(
            (communes[2].residents.totals.individuals, communes[3].residents.totals.individuals),
            (50.0, 300.0)
        );
        let epci: Vec<_> = rows.iter().filter(|r| r.level == Level::Epci).collect();
        assert_eq!(
            (epci[0].residents.totals.individuals, epci[1].residents.totals.individuals),
            (250.0, 600.0)
        );
        assert!(rows.iter().all(|r| r.unit.is_some()));
    }

    #[test]
    fn no_perimeter_no_row() {
        let (grid, table) = testutil::two_commune_block();
        let placement = Placement::new(&grid, &table, Territory::Metropolitan);
        let fits = fit_squares(&grid, &IncomeModel::default(), 12_000.0);
        let pop = Population::new(&grid, None, &fits);
        let rows = indicator_rows(
            &pop,
            &placement,
            &table,
            &Perimeters::default(),
            Breakdown { communes: true, epcis: true },
        );
        assert!(rows.is_empty());
    }
}

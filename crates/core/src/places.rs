//! Where squares are: communes, urban units and the territory units of the rule.
//!
//! A square belongs to the territory unit (urban unit, or commune overseas) that
//! most of the communes in its `lcog_geo` belong to; on a tie, to the most
//! populous of the tied units (a square on the edge of a town is more likely on
//! its built-up side), then the smallest code. Squares whose communes are all
//! missing from the commune table are counted and reported, never dropped
//! silently (METHOD.md §3, §4).

use crate::{CommuneCode, Grid, Territory};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// One row of a commune table (COG with UU 2020 membership).
#[derive(Debug, Clone, PartialEq)]
pub struct Commune {
    /// Commune code.
    pub code: CommuneCode,
    /// Commune name.
    pub name: String,
    /// Département code.
    pub departement: String,
    /// EPCI (intercommunality) code.
    pub epci: String,
    /// EPCI name.
    pub epci_name: String,
    /// UU 2020 code; codes ending in `000` mean "outside any urban unit".
    pub urban_unit: String,
    /// UU name.
    pub urban_unit_name: String,
    /// Commune population.
    pub population: f64,
    /// Population of its urban unit, when it is in one.
    pub urban_unit_population: Option<f64>,
}

impl Commune {
    /// Whether the commune lies in an urban unit (UU codes `dd000` mean "hors unité urbaine").
    pub fn in_urban_unit(&self) -> bool {
        !self.urban_unit.ends_with("000")
    }
}

/// A commune table indexed by code.
#[derive(Debug, Clone, Default)]
pub struct CommuneTable {
    communes: Vec<Commune>,
    by_code: FxHashMap<CommuneCode, u32>,
}

impl CommuneTable {
    /// Indexes the rows; a later row with the same code replaces an earlier one.
    pub fn new(communes: Vec<Commune>) -> Self {
        let by_code = communes.iter().enumerate().map(|(i, c)| (c.code, i as u32)).collect();
        CommuneTable { communes, by_code }
    }

    /// Number of communes.
    pub fn len(&self) -> usize {
        self.communes.len()
    }

    /// True when the table is empty.
    pub fn is_empty(&self) -> bool {
        self.communes.is_empty()
    }

    /// The index of a commune, after mapping arrondissements to their commune.
    pub fn find(&self, code: CommuneCode) -> Option<u32> {
        self.by_code.get(&code.municipality()).copied()
    }

    /// The commune at `index`.
    pub fn get(&self, index: u32) -> &Commune {
        &self.communes[index as usize]
    }

    /// All communes.
    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }
}

/// A territory unit: an urban unit, or a commune under the overseas rule.
#[derive(Debug, Clone, PartialEq)]
pub struct TerritoryUnit {
    /// UU code (or commune code overseas).
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its population from the commune table (the legal figure for eligibility).
    pub population: f64,
}

/// Marks a square that belongs to no territory unit.
pub const NO_UNIT: u32 = u32::MAX;

/// Commune codes of the grid missing from the commune table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnknownCommunes {
    /// Squares none of whose communes is known.
    pub squares: usize,
    /// Their individuals.
    pub individuals: f64,
    /// Each unknown code with the number of squares naming it and the first line.
    pub codes: BTreeMap<String, (usize, u64)>,
}

/// Squares placed in communes and territory units.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The territory units met in the grid, sorted by code.
    pub units: Vec<TerritoryUnit>,
    /// For each square, the index of its unit in `units`, or [`NO_UNIT`].
    pub unit_of_square: Vec<u32>,
    /// For each square, the index in the commune table of its first known commune,
    /// or [`NO_UNIT`].
    pub commune_of_square: Vec<u32>,
    /// Codes that the commune table lacks.
    pub unknown: UnknownCommunes,
    /// The unit of each commune of the table, by code (a square on a boundary lists
    /// communes of two units: it is placed in one, but may hold residents of both).
    pub unit_of_code: FxHashMap<CommuneCode, u32>,
}

impl Placement {
    /// Places every square of `grid`.
    ///
    /// ```
    /// use qpv_core::*;
    /// let denain = Commune { code: CommuneCode::parse(b"59172")?, name: "Denain".into(),
    ///     departement: "59".into(), epci: "200042190".into(), epci_name: "CAPH".into(),
    ///     urban_unit: "59701".into(), urban_unit_name: "Valenciennes".into(),
    ///     population: 19_877.0, urban_unit_population: Some(334_571.0) };
    /// let table = CommuneTable::new(vec![denain]);
    /// let frame = GridFrame { epsg: 3035, square_size: 200 };
    /// let v = SquareValues { individuals: 50.0, households: 20.0, poor_households: 8.0,
    ///                        income_sum: 700_000.0, imputed: false };
    /// let mut b = GridBuilder::new();
    /// b.push(frame, Cell::new(0, 0), v, &[CommuneCode::parse(b"59172")?], 2)?;
    /// let placed = Placement::new(&b.finish(), &table, Territory::Metropolitan);
    /// assert_eq!(placed.units[0].code, "59701");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(grid: &Grid, table: &CommuneTable, territory: Territory) -> Placement {
        let (units, unit_of_commune) = units_of_communes(table, territory);
        // (unit, first known commune, whether a code is unknown), without allocating.
        let choose = |i: usize| -> (u32, u32, bool) {
            let mut known = [0u32; 8];
            let (mut n, mut unknown) = (0, false);
            for code in grid.communes(i) {
                match table.find(*code) {
                    Some(k) if n < known.len() => {
                        known[n] = k;
                        n += 1;
                    }
                    Some(_) => {}
                    None => unknown = true,
                }
            }
            let first = if n > 0 { known[0] } else { NO_UNIT };
            (majority_unit(&known[..n], &unit_of_commune, &units), first, unknown)
        };
        // Files list squares commune by commune: remember the last answer in each chunk.
        const CHUNK: usize = 4096;
        let mut placed: Vec<(u32, u32, bool)> = vec![(NO_UNIT, NO_UNIT, false); grid.len()];
        placed.par_chunks_mut(CHUNK).enumerate().for_each(|(k, out)| {
            let mut last: Option<(usize, (u32, u32, bool))> = None;
            for (j, slot) in out.iter_mut().enumerate() {
                let i = k * CHUNK + j;
                let answer = match last {
                    Some((prev, answer)) if grid.communes(prev) == grid.communes(i) => answer,
                    _ => choose(i),
                };
                last = Some((i, answer));
                *slot = answer;
            }
        });
        let unknown = unknown_communes(grid, table, &placed);
        let (unit_of_square, commune_of_square) = rayon::join(
            || placed.par_iter().map(|p| p.0).collect(),
            || placed.par_iter().map(|p| p.1).collect(),
        );
        let unit_of_code = table.communes().iter().zip(&unit_of_commune).map(|(c, u)| (c.code, *u)).collect();
        Placement { units, unit_of_square, commune_of_square, unknown, unit_of_code }
    }

    /// Whether square `i` of `grid` lists a commune of unit `u`.
    pub fn touches_unit(&self, grid: &Grid, i: usize, u: u32) -> bool {
        grid.communes(i).iter().any(|c| self.unit_of_code.get(c) == Some(&u))
    }

    /// The unit of square `i`, if any.
    pub fn unit(&self, i: usize) -> Option<u32> {
        let u = self.unit_of_square[i];
        (u != NO_UNIT).then_some(u)
    }
}

/// The territory units and, for each commune of the table, its unit index.
fn units_of_communes(table: &CommuneTable, territory: Territory) -> (Vec<TerritoryUnit>, Vec<u32>) {
    let mut by_code: BTreeMap<String, TerritoryUnit> = BTreeMap::new();
    for c in table.communes() {
        let unit = match territory {
            Territory::Metropolitan if c.in_urban_unit() => TerritoryUnit {
                code: c.urban_unit.clone(),
                name: c.urban_unit_name.clone(),
                population: c.urban_unit_population.unwrap_or(0.0),
            },
            Territory::Metropolitan => continue,
            Territory::Overseas => {
                TerritoryUnit { code: c.code.to_string(), name: c.name.clone(), population: c.population }
            }
        };
        by_code.entry(unit.code.clone()).or_insert(unit);
    }
    let units: Vec<TerritoryUnit> = by_code.into_values().collect();
    let index: FxHashMap<&str, u32> =
        units.iter().enumerate().map(|(i, u)| (u.code.as_str(), i as u32)).collect();
    let unit_of_commune = table
        .communes()
        .iter()
        .map(|c| {
            let key = match territory {
                Territory::Metropolitan => c.urban_unit.clone(),
                Territory::Overseas => c.code.to_string(),
            };
            index.get(key.as_str()).copied().unwrap_or(NO_UNIT)
        })
        .collect();
    (units, unit_of_commune)
}

/// Majority vote among the units of the known communes ("outside any unit" votes too).
fn majority_unit(known: &[u32], unit_of_commune: &[u32], units: &[TerritoryUnit]) -> u32 {
    match known {
        [] => NO_UNIT,
        [one] => unit_of_commune[*one as usize],
        _ => {
            let mut votes: Vec<(u32, u32)> = Vec::with_capacity(known.len());
            for c in known {
                let u = unit_of_commune[*c as usize];
                match votes.iter_mut().find(|(v, _)| *v == u) {
                    Some((_, n)) => *n += 1,
                    None => votes.push((u, 1)),
                }
            }
            let population = |u: u32| if u == NO_UNIT { -1.0 } else { units[u as usize].population };
            votes
                .into_iter()
                .max_by(|a, b| {
                    a.1.cmp(&b.1).then(population(a.0).total_cmp(&population(b.0))).then(b.0.cmp(&a.0))
                })
                .map_or(NO_UNIT, |(u, _)| u)
        }
    }
}

fn unknown_communes(grid: &Grid, table: &CommuneTable, placed: &[(u32, u32, bool)]) -> UnknownCommunes {
    let mut unknown = UnknownCommunes::default();
    for (i, &(_, first, any_unknown)) in placed.iter().enumerate() {
        if first == NO_UNIT {
            unknown.squares += 1;
            unknown.individuals += grid.values()[i].individuals;
        }
        if !any_unknown {
            continue;
        }
        for code in grid.communes(i) {
            if table.find(*code).is_none() {
                let e = unknown.codes.entry(code.to_string()).or_insert((0, grid.line(i)));
                e.0 += 1;
            }
        }
    }
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cell, GridBuilder, GridFrame, SquareValues};

    fn commune(code: &str, uu: &str, uu_pop: Option<f64>) -> Commune {
        Commune {
            code: CommuneCode::parse(code.as_bytes()).unwrap(),
            name: format!("commune {code}"),
            departement: code[..2].into(),
            epci: "E".into(),
            epci_name: "EPCI".into(),
            urban_unit: uu.into(),
            urban_unit_name: format!("uu {uu}"),
            population: 1_000.0,
            urban_unit_population: uu_pop,
        }
    }

    fn grid(squares: &[&[&str]]) -> Grid {
        let frame = GridFrame { epsg: 3035, square_size: 200 };
        let v = SquareValues {
            individuals: 10.0,
            households: 4.0,
            poor_households: 1.0,
            income_sum: 200_000.0,
            imputed: false,
        };
        let mut b = GridBuilder::new();
        for (i, codes) in squares.iter().enumerate() {
            let codes: Vec<_> = codes.iter().map(|c| CommuneCode::parse(c.as_bytes()).unwrap()).collect();
            b.push(frame, Cell::new(i as i32, 0), v, &codes, i as u64 + 2).unwrap();
        }
        b.finish()
    }

    fn table() -> CommuneTable {
        CommuneTable::new(vec![
            commune("59172", "59701", Some(334_571.0)),
            commune("59153", "59701", Some(334_571.0)),
            commune("59500", "59501", Some(20_000.0)),
            commune("59001", "59000", None),
            commune("75056", "00851", Some(10_858_852.0)),
        ])
    }

    #[test]
    fn empty_grid_places_nothing() {
        let p = Placement::new(&grid(&[]), &table(), Territory::Metropolitan);
        assert!(p.unit_of_square.is_empty());
        assert_eq!(p.unknown, UnknownCommunes::default());
    }

    #[test]
    fn majority_then_population_decides() {
        let p = Placement::new(
            &grid(&[&["59172", "59153", "59500"], &["59500", "59172"], &["59001", "59500"]]),
            &table(),
            Territory::Metropolitan,
        );
        let code = |i: usize| p.unit(i).map(|u| p.units[u as usize].code.clone());
        assert_eq!(code(0).as_deref(), Some("59701"));
        // Tie between Valenciennes and a smaller UU: the more populous wins.
        assert_eq!(code(1).as_deref(), Some("59701"));
        // Tie between "outside any UU" and a UU: the UU wins.
        assert_eq!(code(2).as_deref(), Some("59501"));
    }

    #[test]
    fn outside_urban_units_has_no_unit() {
        let p = Placement::new(&grid(&[&["59001"]]), &table(), Territory::Metropolitan);
        assert_eq!(p.unit(0), None);
        assert_eq!(p.unknown.squares, 0);
    }

    #[test]
    fn arrondissements_find_paris() {
        let p = Placement::new(&grid(&[&["75111"]]), &table(), Territory::Metropolitan);
        assert_eq!(p.units[p.unit(0).unwrap() as usize].code, "00851");
    }

    #[test]
    fn unknown_codes_are_counted_with_their_first_line() {
        let p = Placement::new(
            &grid(&[&["59172"], &["62999"], &["62999", "59172"]]),
            &table(),
            Territory::Metropolitan,
        );
        assert_eq!(p.unknown.squares, 1);
        assert_eq!(p.unknown.individuals, 10.0);
        assert_eq!(p.unknown.codes.get("62999"), Some(&(2, 3)));
        assert!(p.unit(2).is_some());
    }

    #[test]
    fn overseas_units_are_communes() {
        let p = Placement::new(&grid(&[&["59172"]]), &table(), Territory::Overseas);
        assert_eq!(p.units[p.unit(0).unwrap() as usize].code, "59172");
    }
}

//! Flat records of candidates and near misses, as written to every output format.

use geo_types::MultiPolygon;
use qpv_core::{Area, CommuneTable, Grid, RunOutput, Shortfall, TerritoryUnit};

/// A commune that a perimeter touches.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneShare {
    /// Commune code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// EPCI code.
    pub epci: String,
    /// EPCI name.
    pub epci_name: String,
    /// Inhabitants of the perimeter in it (a square on several communes is split equally).
    pub inhabitants: f64,
}

/// The figures of an area (candidate or near miss).
#[derive(Debug, Clone, PartialEq)]
pub struct AreaRecord {
    /// Identifier: UU code and rank within the UU (`59701-01`; near misses `59701-NM03`).
    pub id: String,
    /// Urban unit code (commune code overseas).
    pub uu_code: String,
    /// Urban unit name.
    pub uu_name: String,
    /// Communes, most inhabitants first.
    pub communes: Vec<CommuneShare>,
    /// Individuals.
    pub inhabitants: f64,
    /// Households.
    pub households: f64,
    /// Poor households / households.
    pub poor_share: f64,
    /// Estimated pooled median niveau de vie, € (an estimate: see the README).
    pub median: Option<f64>,
    /// Threshold compared with it (legal × calibration factor), €.
    pub threshold: f64,
    /// Legal threshold S, €.
    pub legal_threshold: f64,
    /// Squares with residents.
    pub squares: usize,
    /// Empty squares added by hole filling.
    pub filled_squares: usize,
    /// Area, m².
    pub area_m2: f64,
    /// Share of inhabitants in imputed squares.
    pub imputed_share: f64,
    /// Why it is not a quartier (empty for candidates).
    pub shortfalls: String,
    /// Centre of its squares, in the grid's CRS.
    pub centre: (f64, f64),
}

impl AreaRecord {
    /// Threshold minus median, € (positive: below the threshold).
    pub fn margin(&self) -> Option<f64> {
        self.median.map(|m| self.threshold - m)
    }

    /// Communes' codes joined with `,`.
    pub fn commune_codes(&self) -> String {
        self.communes.iter().map(|c| c.code.as_str()).collect::<Vec<_>>().join(",")
    }

    /// Communes' names joined with `; `.
    pub fn commune_names(&self) -> String {
        self.communes.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join("; ")
    }

    /// Distinct EPCI codes, in commune order, joined with `,`.
    pub fn epci_codes(&self) -> String {
        self.epcis().iter().map(|e| e.0.as_str()).collect::<Vec<_>>().join(",")
    }

    /// Distinct EPCI names joined with `; `.
    pub fn epci_names(&self) -> String {
        self.epcis().iter().map(|e| e.1.as_str()).collect::<Vec<_>>().join("; ")
    }

    fn epcis(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for c in &self.communes {
            if !out.iter().any(|e| e.0 == c.epci) {
                out.push((c.epci.clone(), c.epci_name.clone()));
            }
        }
        out
    }
}

/// A candidate: figures and outline (in the grid's CRS).
#[derive(Debug, Clone)]
pub struct CandidateRecord {
    /// Figures.
    pub record: AreaRecord,
    /// More GeoJSON properties (adjusted perimeters: name, rule check).
    pub extra: Vec<(String, serde_json::Value)>,
    /// Outline.
    pub geometry: MultiPolygon<f64>,
}

/// Records of all candidates and near misses of a run.
pub fn area_records(
    output: &RunOutput,
    grid: &Grid,
    communes: &CommuneTable,
) -> (Vec<CandidateRecord>, Vec<AreaRecord>) {
    let mut rank = Ranks::default();
    let candidates = output
        .candidates
        .candidates
        .iter()
        .map(|c| {
            let code = &output.placement.units[c.area.unit as usize].code;
            let id = format!("{code}-{:02}", rank.next(code, false));
            CandidateRecord {
                record: record(output, grid, communes, &c.area, id),
                extra: Vec::new(),
                geometry: c.geometry.clone(),
            }
        })
        .collect();
    let near = output
        .candidates
        .near_misses
        .iter()
        .map(|a| {
            let code = &output.placement.units[a.unit as usize].code;
            let id = format!("{code}-NM{:02}", rank.next(code, true));
            record(output, grid, communes, a, id)
        })
        .collect();
    (candidates, near)
}

/// Near misses as perimeter records (the `records` of [`area_records`], in the same
/// order), outlined from their squares and the empty cells filled in them; the
/// shortfalls are the `reason`.
pub fn near_miss_records(output: &RunOutput, grid: &Grid, records: Vec<AreaRecord>) -> Vec<CandidateRecord> {
    let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
    output
        .candidates
        .near_misses
        .iter()
        .zip(records)
        .map(|(area, record)| {
            let mut cells: Vec<qpv_core::Cell> =
                area.squares.iter().map(|&i| grid.cells()[i as usize]).collect();
            cells.extend(area.filled.iter().copied());
            let reason = serde_json::Value::String(record.shortfalls.clone());
            CandidateRecord {
                record,
                extra: vec![("reason".into(), reason)],
                geometry: qpv_core::trace_outline(&cells, size),
            }
        })
        .collect()
}

#[derive(Default)]
struct Ranks(std::collections::HashMap<(String, bool), usize>);

impl Ranks {
    fn next(&mut self, code: &str, near: bool) -> usize {
        let n = self.0.entry((code.to_owned(), near)).or_insert(0);
        *n += 1;
        *n
    }
}

fn record(output: &RunOutput, grid: &Grid, communes: &CommuneTable, area: &Area, id: String) -> AreaRecord {
    let unit = &output.placement.units[area.unit as usize];
    let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
    let (mut sx, mut sy) = (0.0, 0.0);
    for &i in &area.squares {
        let c = grid.cells()[i as usize];
        sx += (c.x as f64 + 0.5) * size;
        sy += (c.y as f64 + 0.5) * size;
    }
    let n = area.squares.len() as f64;
    AreaRecord {
        id,
        uu_code: unit.code.clone(),
        uu_name: unit.name.clone(),
        communes: commune_shares(grid, communes, &area.squares),
        inhabitants: area.individuals,
        households: area.households,
        poor_share: if area.households > 0.0 { area.poor_households / area.households } else { f64::NAN },
        median: area.median,
        threshold: area.threshold,
        legal_threshold: area.legal_threshold,
        squares: area.squares.len(),
        filled_squares: area.filled.len(),
        area_m2: area.area_m2,
        imputed_share: if area.individuals > 0.0 { area.imputed_individuals / area.individuals } else { 0.0 },
        shortfalls: area.shortfalls.iter().map(describe).collect::<Vec<_>>().join("; "),
        centre: (sx / n, sy / n),
    }
}

/// Any set of squares to describe: an adjusted perimeter or a pocket of poverty.
pub struct SquareSet<'a> {
    /// Identifier.
    pub id: String,
    /// Its urban unit.
    pub unit: Option<&'a TerritoryUnit>,
    /// Squares with residents.
    pub squares: &'a [u32],
    /// All cells, empty ones included (for the area and centre).
    pub cells: &'a [qpv_core::Cell],
    /// Estimated pooled median, €.
    pub median: Option<f64>,
    /// Applied threshold, €.
    pub threshold: f64,
    /// Legal threshold, €.
    pub legal_threshold: f64,
    /// Why it falls short (or empty).
    pub notes: String,
}

/// The record of a set of squares, figures summed from the grid.
pub fn square_set_record(grid: &Grid, communes: &CommuneTable, set: SquareSet<'_>) -> AreaRecord {
    let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
    let (mut ind, mut men, mut pauv, mut imputed) = (0.0, 0.0, 0.0, 0.0);
    for &i in set.squares {
        let v = grid.values()[i as usize];
        ind += v.individuals;
        men += v.households;
        pauv += v.poor_households;
        if v.imputed {
            imputed += v.individuals;
        }
    }
    let n = set.cells.len().max(1) as f64;
    let sx: f64 = set.cells.iter().map(|c| (c.x as f64 + 0.5) * size).sum();
    let sy: f64 = set.cells.iter().map(|c| (c.y as f64 + 0.5) * size).sum();
    AreaRecord {
        id: set.id,
        uu_code: set.unit.map(|u| u.code.clone()).unwrap_or_default(),
        uu_name: set.unit.map(|u| u.name.clone()).unwrap_or_default(),
        communes: commune_shares(grid, communes, set.squares),
        inhabitants: ind,
        households: men,
        poor_share: if men > 0.0 { pauv / men } else { f64::NAN },
        median: set.median,
        threshold: set.threshold,
        legal_threshold: set.legal_threshold,
        squares: set.squares.len(),
        filled_squares: set.cells.len() - set.squares.len(),
        area_m2: set.cells.len() as f64 * size * size,
        imputed_share: if ind > 0.0 { imputed / ind } else { 0.0 },
        shortfalls: set.notes,
        centre: (sx / n, sy / n),
    }
}

fn describe(s: &Shortfall) -> String {
    match s {
        Shortfall::Population { minimum } => format!("fewer than {minimum:.0} inhabitants"),
        Shortfall::Median => "pooled median not below the threshold".into(),
        Shortfall::NoEstimate => "no income estimate".into(),
        Shortfall::Density { minimum } => format!("fewer than {minimum:.0} inhabitants per km²"),
    }
}

fn commune_shares(grid: &Grid, communes: &CommuneTable, squares: &[u32]) -> Vec<CommuneShare> {
    let mut shares: Vec<(u32, f64)> = Vec::new();
    let mut known = Vec::with_capacity(4);
    for &i in squares {
        known.clear();
        for code in grid.communes(i as usize) {
            if let Some(k) = communes.find(*code)
                && !known.contains(&k)
            {
                known.push(k);
            }
        }
        let each = grid.values()[i as usize].individuals / known.len().max(1) as f64;
        for &k in &known {
            match shares.iter_mut().find(|s| s.0 == k) {
                Some(s) => s.1 += each,
                None => shares.push((k, each)),
            }
        }
    }
    shares.sort_by(|a, b| b.1.total_cmp(&a.1).then(communes.get(a.0).code.cmp(&communes.get(b.0).code)));
    shares
        .into_iter()
        .map(|(k, inhabitants)| {
            let c = communes.get(k);
            CommuneShare {
                code: c.code.to_string(),
                name: c.name.clone(),
                epci: c.epci.clone(),
                epci_name: c.epci_name.clone(),
                inhabitants,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use qpv_grid::communes::{CommuneVintage, embedded_communes};
    use qpv_grid::{GridReader, GridSource};

    // Three poor squares of 400 in Denain (a candidate) and, 2 km away, two poor
    // squares of 300: fewer residents than the rule's 1 000, more than the near-miss
    // floor (500).
    const CSV: &[u8] = b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\n\
CRS3035RES200mN2969400E3794800,59172,400,160,90,4200000\n\
CRS3035RES200mN2969400E3795000,59172,400,160,90,4200000\n\
CRS3035RES200mN2969600E3794800,59172,400,160,90,4200000\n\
CRS3035RES200mN2971400E3794800,59172,300,120,68,3150000\n\
CRS3035RES200mN2971400E3795000,59172,300,120,68,3150000\n";

    #[test]
    fn near_misses_are_outlined_with_their_shortfalls() {
        let file = GridReader::new(GridSource::Embedded { name: "tiny.csv", bytes: CSV }).finish().unwrap();
        let (communes, _) = embedded_communes(CommuneVintage::Cog2021);
        let (reference, _) = qpv_grid::reference::embedded_reference("filosofi2019").unwrap();
        let out = qpv_core::Pipeline::new(&file.grid, &communes).reference(Some(&reference)).run().unwrap();
        let (candidates, near) = area_records(&out, &file.grid, &communes);
        assert_eq!(candidates.len(), 1);
        let expected = near.clone();
        let layer = near_miss_records(&out, &file.grid, near);
        assert_eq!(layer.len(), out.candidates.near_misses.len());
        assert!(!layer.is_empty(), "the fixture holds a near miss");
        for (r, e) in layer.iter().zip(&expected) {
            assert_eq!(r.record, *e);
            assert!(!e.shortfalls.is_empty());
            assert_eq!(r.extra, vec![("reason".to_owned(), serde_json::Value::String(e.shortfalls.clone()))]);
        }
        // The outline covers every square and filled cell, 200 m x 200 m each.
        use geo::Area as _;
        let area = out.candidates.near_misses[0].squares.len() + out.candidates.near_misses[0].filled.len();
        assert_eq!(layer[0].geometry.unsigned_area(), area as f64 * 40_000.0);
    }
}

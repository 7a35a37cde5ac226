//! Tiny grids for unit tests.

use crate::{Cell, Commune, CommuneCode, CommuneTable, Grid, GridBuilder, GridFrame, SquareValues};

/// Squares `(x, y, individuals, mean niveau de vie, poor share)`, all in Denain.
pub(crate) fn grid_of(squares: &[(i32, i32, f64, f64, f64)]) -> Grid {
    let frame = GridFrame { epsg: 3035, square_size: 200 };
    let denain = [CommuneCode::parse(b"59172").unwrap()];
    let mut b = GridBuilder::new();
    for (n, &(x, y, ind, mean, share)) in squares.iter().enumerate() {
        let households = ind / 2.0;
        let v = SquareValues {
            individuals: ind,
            households,
            poor_households: share * households,
            income_sum: mean * ind,
            imputed: false,
        };
        b.push(frame, Cell::new(x, y), v, &denain, n as u64 + 2).unwrap();
    }
    b.finish()
}

/// Denain in the Valenciennes urban unit (334 571 inhabitants).
pub(crate) fn table_one_unit() -> CommuneTable {
    CommuneTable::new(vec![Commune {
        code: CommuneCode::parse(b"59172").unwrap(),
        name: "Denain".into(),
        departement: "59".into(),
        epci: "200042190".into(),
        epci_name: "CA de la Porte du Hainaut".into(),
        urban_unit: "59701".into(),
        urban_unit_name: "Valenciennes (partie française)".into(),
        population: 19_877.0,
        urban_unit_population: Some(334_571.0),
    }])
}

/// Six squares of 100 inhabitants on two rows: Denain holds (0,0), (1,0) and (0,1),
/// Lourches (2,0), (1,1) and (2,1); both in the CAPH and the Valenciennes unit.
pub(crate) fn two_commune_block() -> (Grid, CommuneTable) {
    let frame = GridFrame { epsg: 3035, square_size: 200 };
    let denain = CommuneCode::parse(b"59172").unwrap();
    let lourches = CommuneCode::parse(b"59358").unwrap();
    let mut b = GridBuilder::new();
    let squares = [
        (0, 0, denain),
        (1, 0, denain),
        (2, 0, lourches),
        (0, 1, denain),
        (1, 1, lourches),
        (2, 1, lourches),
    ];
    for (n, (x, y, c)) in squares.into_iter().enumerate() {
        let v = SquareValues {
            individuals: 100.0,
            households: 40.0,
            poor_households: 12.0,
            income_sum: 100.0 * 16_000.0,
            imputed: false,
        };
        b.push(frame, Cell::new(x, y), v, &[c], n as u64 + 2).unwrap();
    }
    let mut table = table_one_unit().communes().to_vec();
    table.push(Commune { code: lourches, name: "Lourches".into(), population: 3_800.0, ..table[0].clone() });
    (b.finish(), CommuneTable::new(table))
}

/// The rectangle `x0..x1 × y0..y1` as a region.
pub(crate) fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> geo_types::MultiPolygon<f64> {
    use geo_types::{Rect, coord};
    geo_types::MultiPolygon(vec![Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 }).to_polygon()])
}

/// A set of perimeters `P1`, `P2`… without names.
pub(crate) fn set(shapes: Vec<geo_types::MultiPolygon<f64>>) -> crate::compare::Perimeters {
    let ids = (1..=shapes.len()).map(|k| format!("P{k}")).collect();
    crate::compare::Perimeters { ids, names: vec![String::new(); shapes.len()], shapes }
}

/// A grid and a run on it (Denain alone, poverty line 12 000 €, national median
/// 20 000 €), for the adjustments' tests.
pub(crate) struct Setup {
    pub grid: Grid,
    pub run: crate::RunOutput,
}

/// [`Setup`] of squares `(x, y, individuals, mean niveau de vie, poor share)`.
pub(crate) fn setup(squares: &[(i32, i32, f64, f64, f64)]) -> Setup {
    use crate::{GroupingSettings, IncomeModel, MedianOverrides, Placement, Rule, Territory};
    let grid = grid_of(squares);
    let placement = Placement::new(&grid, &table_one_unit(), Territory::Metropolitan);
    let rule = Rule::metropolitan();
    let overrides = MedianOverrides { poverty_line: Some(12_000.0), national_median: Some(20_000.0) };
    let flagged =
        crate::flag_squares(&grid, &placement, &rule, &IncomeModel::default(), None, overrides).unwrap();
    let index = grid.index().unwrap();
    let candidates =
        crate::group_candidates(&grid, &placement, &flagged, &rule, &GroupingSettings::default(), &index);
    let run = crate::RunOutput {
        territory: Territory::Metropolitan,
        placement,
        flagged,
        candidates,
        timings: Vec::new(),
    };
    Setup { grid, run }
}

/// The adjuster of a [`Setup`]'s candidates, named `C1`, `C2`…
pub(crate) fn adjuster(s: &Setup) -> crate::Adjuster<'_> {
    let ids: Vec<String> = (1..=s.run.candidates.candidates.len()).map(|k| format!("C{k}")).collect();
    crate::Adjuster::new(
        &s.grid,
        &s.run,
        &ids,
        &crate::RunSettings::for_territory(crate::Territory::Metropolitan),
    )
}

/// Two poor blocks of 2×2 squares of 300 inhabitants at x = 0 and x = 10, rich squares
/// of 200 between them on the first row.
pub(crate) fn two_blocks() -> Setup {
    let mut sq = Vec::new();
    for x0 in [0, 10] {
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            sq.push((x0 + dx, dy, 300.0, 11_000.0, 0.55));
        }
    }
    for x in 2..10 {
        sq.push((x, 0, 200.0, 30_000.0, 0.02));
    }
    setup(&sq)
}

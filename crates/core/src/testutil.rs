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

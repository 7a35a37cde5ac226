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

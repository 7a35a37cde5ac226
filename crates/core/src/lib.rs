/*!
The computational core of `qpv`: from INSEE's 200 m income squares to candidate
*quartiers prioritaires* (QPV), with no file I/O.

# Overview

The pipeline has typed stages (METHOD.md §2–§5):

1. a [`Grid`] of squares (lattice [`Cell`]s with their counts), built with [`GridBuilder`];
2. a [`Placement`] of each square in its commune and territory unit (urban unit,
   or commune overseas) from a [`CommuneTable`];
3. [`FlaggedSquares`]: each square's income distribution estimated as a log-normal
   ([`IncomeModel`]), thresholds per unit from the decree ([`Rule`]), and the
   squares whose estimated median is below their threshold;
4. [`Candidates`]: the squares a low-income area surrounds taken in ([`closing`]),
   connected flagged squares grouped within one unit, empty holes filled, each area
   re-tested on its pooled residents, large passing ones cut into neighbourhood-sized
   parts that each pass alone ([`split`]), and outlined as polygons with holes
   ([`trace_outline`]).

[`Pipeline`] runs them all; [`sweep`] runs many variants of the settings on one
prepared grid. The income estimate is an approximation: the public
grid has no median (METHOD.md §5).

# Example

A tiny grid: a 2×2 block of poor squares (1 200 inhabitants) in Denain and one
well-off square beside it.

```
use qpv_core::*;

let denain = CommuneCode::parse(b"59172")?;
let communes = CommuneTable::new(vec![Commune {
    code: denain, name: "Denain".into(), departement: "59".into(),
    epci: "200042190".into(), epci_name: "CA de la Porte du Hainaut".into(),
    urban_unit: "59701".into(), urban_unit_name: "Valenciennes (partie française)".into(),
    population: 19_877.0, urban_unit_population: Some(334_571.0),
}]);
let frame = GridFrame { epsg: 3035, square_size: 200 };
let square = |ind: f64, mean: f64, poor: f64| SquareValues {
    individuals: ind, households: ind / 2.0, poor_households: poor * ind / 2.0,
    income_sum: mean * ind, imputed: false,
};
let mut builder = GridBuilder::new();
for (n, (x, y)) in [(0, 0), (1, 0), (0, 1), (1, 1)].into_iter().enumerate() {
    builder.push(frame, Cell::new(x, y), square(300.0, 11_000.0, 0.55), &[denain], n as u64 + 2)?;
}
builder.push(frame, Cell::new(2, 0), square(300.0, 30_000.0, 0.03), &[denain], 6)?;
let grid = builder.finish();

// National and UU medians would normally come from the national reference table.
let mut settings = RunSettings::for_territory(Territory::Metropolitan);
settings.overrides = MedianOverrides { poverty_line: Some(12_000.0), national_median: Some(20_000.0) };
let out = Pipeline::new(&grid, &communes).settings(settings).run()?;

assert_eq!(out.candidates.candidates.len(), 1);
let quartier = &out.candidates.candidates[0];
assert_eq!(quartier.area.individuals, 1_200.0);
assert_eq!(quartier.area.area_m2, 4.0 * 40_000.0);
assert!(quartier.area.median.unwrap() < quartier.area.threshold);
# Ok::<(), Box<dyn std::error::Error>>(())
```
*/
#![deny(missing_docs)]

pub mod adjust;
pub mod buildings;
pub mod candidate;
pub mod closing;
pub mod commune_code;
pub mod compare;
pub mod components;
pub mod continuity;
pub mod drawn;
pub mod flag;
pub mod grid;
pub mod holes;
pub mod income;
pub mod indicators;
pub mod lattice;
pub mod medians;
pub mod outline;
pub mod overlay;
pub mod pipeline;
pub mod places;
pub mod poches;
pub mod profile;
mod raster;
pub mod split;
pub mod square_id;
pub mod sweep;
#[cfg(test)]
mod testutil;
pub mod threshold;
pub mod verdict;
pub mod within;

pub use adjust::{
    AdjustError, Adjuster, AuditEntry, CellLookup, DEFAULT_SCHOOL_DISTANCE_M, Figures, Perimeter,
    SchoolOutcome,
};
pub use candidate::{Area, Candidate, Candidates, GroupingSettings, Shortfall, group_candidates};
pub use commune_code::{CommuneCode, CommuneCodeError};
pub use components::{Connectivity, connected_components};
pub use flag::{
    FlagError, FlaggedSquares, MedianOrigin, MedianOverrides, UnitThreshold, Warning, flag_squares,
};
pub use grid::{Grid, GridBuilder, GridError, GridFrame, SquareIndex, SquareValues};
pub use holes::fill_empty_holes;
pub use income::{FitQuality, IncomeModel, LogNormal, mixture_median};
pub use medians::{MedianReference, UnitReference};
pub use outline::trace_outline;
pub use pipeline::{Pipeline, Prepared, RunError, RunOutput, RunSettings};
pub use places::{Commune, CommuneTable, NO_UNIT, Placement, TerritoryUnit, UnknownCommunes};
pub use poches::{DEFAULT_POCHE_FLOOR, Poche, PocheSettings, find_poches};
pub use profile::{PROFILE_COLUMNS, PROFILE_WIDTH, SquareProfiles, Totals};
pub use split::SplitSettings;
pub use square_id::{Cell, SquareId, SquareIdError};
pub use threshold::{
    DEFAULT_CALIBRATION_FACTOR, GEOGRAPHY_2024_INHABITANTS, GEOGRAPHY_2024_QUARTIERS, Rule, Territory,
};

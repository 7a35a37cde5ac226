//! Property tests of the outline tracer and the grouping (issue: reliability).
//!
//! For random sets of lattice squares: every polygon is OGC-valid, the area is
//! 40 000 m² × squares, every member square's centre is inside and no other square's
//! centre is, and the result does not depend on the order of the input.

use geo::{Area, Contains, Validation};
use proptest::prelude::*;
use qpv_core::{Cell, Connectivity, connected_components, trace_outline};
use std::collections::BTreeSet;

fn cell_sets() -> impl Strategy<Value = Vec<Cell>> {
    // Up to 120 squares in a 14 × 14 window: dense enough for holes, islands and
    // corner contacts.
    prop::collection::btree_set((0i32..14, 0i32..14), 1..120)
        .prop_map(|s| s.into_iter().map(|(x, y)| Cell::new(x, y)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn outlines_are_valid_exact_and_order_independent(cells in cell_sets(), seed in any::<u64>()) {
        let mp = trace_outline(&cells, 200.0);
        for p in &mp.0 {
            prop_assert!(p.is_valid(), "{:?}", p.validation_errors());
        }
        prop_assert!(mp.is_valid(), "{:?}", mp.validation_errors());
        prop_assert!((mp.unsigned_area() - 40_000.0 * cells.len() as f64).abs() < 1e-6);
        let members: BTreeSet<Cell> = cells.iter().copied().collect();
        for x in -1..15 {
            for y in -1..15 {
                let centre = geo_types::Point::new(x as f64 * 200.0 + 100.0, y as f64 * 200.0 + 100.0);
                prop_assert_eq!(mp.contains(&centre), members.contains(&Cell::new(x, y)));
            }
        }
        // Another order of the same squares gives the same polygons.
        let mut shuffled = cells.clone();
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(trace_outline(&shuffled, 200.0), mp);
    }

    #[test]
    fn components_do_not_depend_on_order(cells in cell_sets(), seed in any::<u64>(), four in any::<bool>()) {
        let conn = if four { Connectivity::Four } else { Connectivity::Eight };
        let norm = |cs: &[Cell]| -> BTreeSet<BTreeSet<Cell>> {
            connected_components(cs, |_| 0, conn)
                .into_iter()
                .map(|m| m.into_iter().map(|i| cs[i as usize]).collect())
                .collect()
        };
        let mut shuffled = cells.clone();
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(norm(&cells), norm(&shuffled));
    }
}

//! The descriptive columns of the grid (households by type, dwellings, ages) and the
//! indicators computed from them: the "socle d'indicateurs clés" of a quartier, a
//! commune or an urban unit (METHOD.md §4, "Meanings").
//!
//! The method itself needs only `ind`, `men`, `men_pauv` and `ind_snv`; these other
//! columns are read on demand (`qpv indicators`, `qpv compare`) and stored as `f32`
//! (they are counts with one decimal), summed in `f64`.

use crate::{Grid, SquareValues};

/// The descriptive columns of the 2017–2021 releases, in this order.
pub const PROFILE_COLUMNS: [&str; 24] = [
    "men_1ind",
    "men_5ind",
    "men_prop",
    "men_fmp",
    "men_surf",
    "men_coll",
    "men_mais",
    "log_av45",
    "log_45_70",
    "log_70_90",
    "log_ap90",
    "log_inc",
    "log_soc",
    "ind_0_3",
    "ind_4_5",
    "ind_6_10",
    "ind_11_17",
    "ind_18_24",
    "ind_25_39",
    "ind_40_54",
    "ind_55_64",
    "ind_65_79",
    "ind_80p",
    "ind_inc",
];

/// Number of descriptive columns.
pub const PROFILE_WIDTH: usize = PROFILE_COLUMNS.len();

fn col(name: &str) -> usize {
    PROFILE_COLUMNS.iter().position(|c| *c == name).expect("known column")
}

/// The descriptive columns of every square of a grid, in grid order (`NaN` when a
/// value is missing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SquareProfiles {
    values: Vec<f32>,
}

impl SquareProfiles {
    /// From rows of [`PROFILE_WIDTH`] values, square after square.
    pub fn from_rows(values: Vec<f32>) -> Self {
        debug_assert_eq!(values.len() % PROFILE_WIDTH, 0);
        SquareProfiles { values }
    }

    /// Number of squares.
    pub fn len(&self) -> usize {
        self.values.len() / PROFILE_WIDTH
    }

    /// True without squares.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values of square `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * PROFILE_WIDTH..(i + 1) * PROFILE_WIDTH]
    }
}

/// Sums over squares (or parts of squares): everything the indicators are ratios of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Totals {
    /// Individuals.
    pub individuals: f64,
    /// Households.
    pub households: f64,
    /// Poor households.
    pub poor_households: f64,
    /// Sum of niveaux de vie.
    pub income_sum: f64,
    /// Individuals of imputed squares.
    pub imputed_individuals: f64,
    /// Sums of the descriptive columns ([`PROFILE_COLUMNS`] order).
    pub profile: [f64; PROFILE_WIDTH],
}

impl Default for Totals {
    fn default() -> Self {
        Totals {
            individuals: 0.0,
            households: 0.0,
            poor_households: 0.0,
            income_sum: 0.0,
            imputed_individuals: 0.0,
            profile: [0.0; PROFILE_WIDTH],
        }
    }
}

impl Totals {
    /// Adds `share` of a square (1 for a whole square). Missing values count as 0.
    pub fn add(&mut self, v: &SquareValues, profile: Option<&[f32]>, share: f64) {
        let z = |x: f64| if x.is_nan() { 0.0 } else { x };
        self.individuals += share * z(v.individuals);
        self.households += share * z(v.households);
        self.poor_households += share * z(v.poor_households);
        self.income_sum += share * z(v.income_sum);
        if v.imputed {
            self.imputed_individuals += share * z(v.individuals);
        }
        if let Some(p) = profile {
            for (t, x) in self.profile.iter_mut().zip(p) {
                *t += share * z(f64::from(*x));
            }
        }
    }

    /// Adds other totals.
    pub fn merge(&mut self, o: &Totals) {
        self.individuals += o.individuals;
        self.households += o.households;
        self.poor_households += o.poor_households;
        self.income_sum += o.income_sum;
        self.imputed_individuals += o.imputed_individuals;
        for (t, x) in self.profile.iter_mut().zip(o.profile) {
            *t += x;
        }
    }

    /// Totals of whole squares `squares` of a grid.
    pub fn of_squares(grid: &Grid, profiles: Option<&SquareProfiles>, squares: &[u32]) -> Totals {
        let mut t = Totals::default();
        for &i in squares {
            let i = i as usize;
            t.add(&grid.values()[i], profiles.map(|p| p.row(i)), 1.0);
        }
        t
    }

    fn p(&self, name: &str) -> f64 {
        self.profile[col(name)]
    }

    fn sum(&self, names: &[&str]) -> f64 {
        names.iter().map(|n| self.p(n)).sum()
    }

    /// Dwellings (all construction periods).
    pub fn dwellings(&self) -> f64 {
        self.sum(&["log_av45", "log_45_70", "log_70_90", "log_ap90", "log_inc"])
    }

    /// The indicators (ratios) of these totals, with the estimated `median`.
    pub fn indicators(&self, median: Option<f64>) -> Vec<(&'static str, f64)> {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        let (ind, men, log) = (self.individuals, self.households, self.dwellings());
        vec![
            ("inhabitants", ind),
            ("households", men),
            ("poverty_share", ratio(self.poor_households, men)),
            ("mean_income", ratio(self.income_sum, ind)),
            ("median_estimate", median.unwrap_or(f64::NAN)),
            ("single_parent_share", ratio(self.p("men_fmp"), men)),
            ("large_household_share", ratio(self.p("men_5ind"), men)),
            ("single_person_share", ratio(self.p("men_1ind"), men)),
            ("owner_share", ratio(self.p("men_prop"), men)),
            ("social_dwelling_share", ratio(self.p("log_soc"), log)),
            ("dwellings", log),
            ("dwellings_before_1945_share", ratio(self.p("log_av45"), log)),
            ("dwellings_1945_1969_share", ratio(self.p("log_45_70"), log)),
            ("dwellings_1970_1989_share", ratio(self.p("log_70_90"), log)),
            ("dwellings_since_1990_share", ratio(self.p("log_ap90"), log)),
            ("dwellings_unknown_period_share", ratio(self.p("log_inc"), log)),
            ("age_0_17_share", ratio(self.sum(&["ind_0_3", "ind_4_5", "ind_6_10", "ind_11_17"]), ind)),
            ("age_18_24_share", ratio(self.p("ind_18_24"), ind)),
            ("age_25_64_share", ratio(self.sum(&["ind_25_39", "ind_40_54", "ind_55_64"]), ind)),
            ("age_65_plus_share", ratio(self.sum(&["ind_65_79", "ind_80p"]), ind)),
            ("imputed_share", ratio(self.imputed_individuals, ind)),
        ]
    }
}

/// Totals of each territory unit (by unit index; squares outside any unit are left out).
pub fn unit_totals(
    grid: &Grid,
    profiles: Option<&SquareProfiles>,
    unit_of_square: &[u32],
    units: usize,
) -> Vec<Totals> {
    let mut out = vec![Totals::default(); units];
    for (i, &u) in unit_of_square.iter().enumerate() {
        if let Some(t) = out.get_mut(u as usize) {
            t.add(&grid.values()[i], profiles.map(|p| p.row(i)), 1.0);
        }
    }
    out
}

/// Names of the indicators, in the order of [`Totals::indicators`].
pub fn indicator_names() -> Vec<&'static str> {
    Totals::default().indicators(None).into_iter().map(|(n, _)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(ind: f64, imputed: bool) -> SquareValues {
        SquareValues {
            individuals: ind,
            households: ind / 2.0,
            poor_households: ind / 10.0,
            income_sum: ind * 20_000.0,
            imputed,
        }
    }

    fn profile() -> Vec<f32> {
        let mut row = vec![0.0f32; PROFILE_WIDTH];
        row[col("men_fmp")] = 5.0;
        row[col("log_soc")] = 10.0;
        row[col("log_ap90")] = 30.0;
        row[col("log_av45")] = 10.0;
        row[col("ind_0_3")] = 10.0;
        row[col("ind_11_17")] = 10.0;
        row[col("ind_80p")] = f32::NAN;
        row
    }

    #[test]
    fn empty_totals_give_missing_ratios() {
        let ind = Totals::default().indicators(None);
        assert_eq!(ind[0], ("inhabitants", 0.0));
        assert!(ind[2].1.is_nan());
        assert_eq!(ind.len(), indicator_names().len());
    }

    #[test]
    fn one_square_ratios() {
        let mut t = Totals::default();
        let row = profile();
        t.add(&square(100.0, true), Some(&row), 1.0);
        let ind: std::collections::HashMap<_, _> = t.indicators(Some(15_000.0)).into_iter().collect();
        assert_eq!(ind["households"], 50.0);
        assert_eq!(ind["poverty_share"], 0.2);
        assert_eq!(ind["mean_income"], 20_000.0);
        assert_eq!(ind["single_parent_share"], 0.1);
        assert_eq!(ind["social_dwelling_share"], 0.25);
        assert_eq!(ind["dwellings_since_1990_share"], 0.75);
        assert_eq!(ind["age_0_17_share"], 0.2);
        // A missing value counts as none, not as a NaN that spoils the sum.
        assert_eq!(ind["age_65_plus_share"], 0.0);
        assert_eq!(ind["imputed_share"], 1.0);
        assert_eq!(ind["median_estimate"], 15_000.0);
    }

    #[test]
    fn a_half_square_counts_half_and_merge_adds() {
        let row = profile();
        let (mut half, mut whole) = (Totals::default(), Totals::default());
        half.add(&square(100.0, false), Some(&row), 0.5);
        whole.add(&square(100.0, false), Some(&row), 1.0);
        assert_eq!(half.individuals, 50.0);
        assert_eq!(half.profile[col("log_soc")], 5.0);
        let mut sum = half;
        sum.merge(&half);
        assert_eq!(sum, whole);
        assert_eq!(sum.imputed_individuals, 0.0);
    }
}

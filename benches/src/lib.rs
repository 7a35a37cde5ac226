//! Synthetic Filosofi grids for benchmarks that must not depend on the national file.
//!
//! [`write_grid`] writes a CSV in the real 2019 layout (34 columns), deterministic for
//! a seed: squares clustered in towns of Pareto-distributed sizes placed over
//! metropolitan France (EPSG:3035), plus 30 % scattered rural squares; each town
//! takes a real commune code of an urban unit from the embedded commune table, so
//! the whole method runs on it; incomes are correlated within towns with poorer
//! cores, and the poor-household share is consistent with a log-normal.
//!
//! ```
//! let mut csv = Vec::new();
//! qpv_benches::write_grid(&mut csv, 1_000, 7).unwrap();
//! let file = qpv_grid::GridReader::new(qpv_grid::GridSource::Embedded {
//!     name: "synthetic", bytes: Box::leak(csv.into_boxed_slice()) }).finish().unwrap();
//! assert_eq!(file.grid.len(), 1_000);
//! ```

use qpv_grid::communes::{CommuneVintage, embedded_communes};
use std::collections::HashSet;
use std::io::Write;

/// The 2019 header.
pub const HEADER: &str = "idcar_200m,idcar_1km,idcar_nat,i_est_200,i_est_1km,lcog_geo,ind,men,men_pauv,men_1ind,men_5ind,men_prop,men_fmp,ind_snv,men_surf,men_coll,men_mais,log_av45,log_45_70,log_70_90,log_ap90,log_inc,log_soc,ind_0_3,ind_4_5,ind_6_10,ind_11_17,ind_18_24,ind_25_39,ind_40_54,ind_55_64,ind_65_79,ind_80p,ind_inc";

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Writes a synthetic grid of exactly `squares` squares.
pub fn write_grid(out: &mut impl Write, squares: usize, seed: u64) -> std::io::Result<()> {
    let (table, _) = embedded_communes(CommuneVintage::Cog2021);
    let (urban, rural): (Vec<_>, Vec<_>) = table
        .communes()
        .iter()
        .filter(|c| !c.departement.starts_with("97"))
        .partition(|c| c.in_urban_unit() && c.urban_unit_population.unwrap_or(0.0) >= 10_000.0);
    let mut rng = Rng::new(seed);
    let mut taken: HashSet<(i32, i32)> = HashSet::with_capacity(squares);
    writeln!(out, "{HEADER}")?;
    let rural_target = squares * 3 / 10;
    let mut written = 0;
    // Towns until 70 % of the squares are placed.
    while written < squares - rural_target {
        let size = ((20.0 / rng.unit().max(1e-6).powf(1.0 / 1.2)) as usize)
            .min(20_000)
            .min(squares - rural_target - written);
        let centre = (16_000 + (rng.unit() * 5_000.0) as i32, 10_500 + (rng.unit() * 5_000.0) as i32);
        let commune = urban[(rng.next_u64() % urban.len() as u64) as usize].code;
        let base = 23_500.0 + 2_000.0 * rng.normal();
        let radius = (size as f64).sqrt() / 1.5 + 1.0;
        let poor_core = rng.unit() < 0.4;
        let mut placed = 0;
        let mut tries = 0;
        while placed < size && tries < size * 20 {
            tries += 1;
            let (dx, dy) = (rng.normal() * radius, rng.normal() * radius);
            let cell = (centre.0 + dx.round() as i32, centre.1 + dy.round() as i32);
            if !taken.insert(cell) {
                continue;
            }
            // Poor cores: the central disc of two towns in five, denser (nationally
            // about 1.3 % of squares are flagged).
            let core = poor_core && (dx * dx + dy * dy).sqrt() < radius * 0.35;
            let mean = base * if core { 0.65 } else { 1.0 } * (1.0 + 0.06 * rng.normal());
            let u = rng.unit();
            let ind = (5.0 + 80.0 * u * u * if core { 3.0 } else { 1.0 }).round();
            write_square(out, cell, &commune.to_string(), ind, mean.max(6_000.0), &mut rng)?;
            placed += 1;
        }
        written += placed;
    }
    while written < squares {
        let cell = (15_500 + (rng.unit() * 6_000.0) as i32, 10_000 + (rng.unit() * 6_000.0) as i32);
        if !taken.insert(cell) {
            continue;
        }
        let commune = rural[(rng.next_u64() % rural.len() as u64) as usize].code;
        let ind = (1.0 + 14.0 * rng.unit()).round();
        let mean = 21_000.0 + 3_000.0 * rng.normal();
        write_square(out, cell, &commune.to_string(), ind, mean.max(6_000.0), &mut rng)?;
        written += 1;
    }
    Ok(())
}

fn write_square(
    out: &mut impl Write,
    cell: (i32, i32),
    commune: &str,
    ind: f64,
    mean: f64,
    rng: &mut Rng,
) -> std::io::Result<()> {
    let (e, n) = (cell.0 as i64 * 200, cell.1 as i64 * 200);
    let men = (ind / 2.3 * 10.0).round() / 10.0;
    // Poor share of a log-normal with this mean, σ = 0.45, against a 12 645 € line.
    let sigma = 0.45 + 0.03 * rng.normal();
    let mu = mean.ln() - sigma * sigma / 2.0;
    let z = (12_645f64.ln() - mu) / sigma;
    let share = 0.5 * erfc(-z / std::f64::consts::SQRT_2);
    let pauv = ((share.min(0.8) * men) * 10.0).round() / 10.0;
    let imputed = u8::from(men < 11.0);
    let (km_n, km_e) = (n / 1000 * 1000, e / 1000 * 1000);
    writeln!(
        out,
        "CRS3035RES200mN{n}E{e},CRS3035RES1000mN{km_n}E{km_e},CRS3035RES1000mN{km_n}E{km_e},{imputed},0,{commune},{ind},{men},{pauv},0,0,0,0,{:.1},0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0",
        mean * ind
    )
}

/// Complementary error function (Numerical Recipes `erfcc`, |error| < 1.2e-7),
/// enough for synthetic shares.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_grid_other_seed_other_grid() {
        let make = |seed| {
            let mut v = Vec::new();
            write_grid(&mut v, 2_000, seed).unwrap();
            v
        };
        assert_eq!(make(1), make(1));
        assert_ne!(make(1), make(2));
    }

    #[test]
    fn synthetic_grid_runs_through_the_method() {
        let mut csv = Vec::new();
        write_grid(&mut csv, 20_000, 3).unwrap();
        let bytes: &'static [u8] = Box::leak(csv.into_boxed_slice());
        let file = qpv_grid::GridReader::new(qpv_grid::GridSource::Embedded { name: "synthetic", bytes })
            .finish()
            .unwrap();
        assert_eq!(file.grid.len(), 20_000);
        let (communes, _) = embedded_communes(CommuneVintage::Cog2021);
        let (reference, _) = qpv_grid::reference::embedded_reference("filosofi2019").unwrap();
        let out = qpv_core::Pipeline::new(&file.grid, &communes).reference(Some(&reference)).run().unwrap();
        assert!(!out.flagged.flagged.is_empty());
        assert!(!out.candidates.candidates.is_empty());
    }
}

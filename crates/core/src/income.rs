//! The income model: a log-normal distribution per square, fitted to the two public
//! moments, and medians of population-weighted mixtures (METHOD.md §5).
//!
//! The public grid holds no median. For a square with mean niveau de vie `m`,
//! poverty line `L` and poor-household share `p`, the log-normal that has mean `m`
//! and puts a share `p` below `L` is `σ = z + √(z² + 2 ln(m/L))`, `μ = ln L − zσ`
//! with `z = Φ⁻¹(p)`; its median is `e^μ`. The pooled median of a group of squares
//! (a quartier, an urban unit, the nation) is the median of the mixture of their
//! distributions weighted by individuals, never an average of square medians.
//!
//! This is an **estimate**: the poor share counts households while the
//! distribution is over individuals, and real distributions are not log-normal.

use rayon::prelude::*;
use statrs::function::erf::{erfc, erfc_inv};

/// A log-normal distribution of income: `ln X ~ N(mu, sigma²)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogNormal {
    /// Mean of `ln X`.
    pub mu: f64,
    /// Standard deviation of `ln X`.
    pub sigma: f64,
}

impl LogNormal {
    /// The median, `e^mu`.
    pub fn median(&self) -> f64 {
        self.mu.exp()
    }

    /// The mean, `e^(mu + sigma²/2)`.
    pub fn mean(&self) -> f64 {
        (self.mu + self.sigma * self.sigma / 2.0).exp()
    }

    /// Share of the distribution below `x`.
    pub fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        normal_cdf((x.ln() - self.mu) / self.sigma)
    }
}

/// Standard normal distribution function Φ.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Inverse of Φ, for `p` in (0, 1).
pub fn normal_quantile(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p)
}

fn normal_density(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Bounds that keep the per-square fit sane on small, imputed or secret-capped squares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncomeModel {
    /// Poor shares below this are raised to it (a share of 0 would need σ → 0).
    pub min_poor_share: f64,
    /// Poor shares above this are lowered to it (INSEE caps `men_pauv` at 80 % of `men`).
    pub max_poor_share: f64,
    /// Smallest dispersion allowed.
    pub min_sigma: f64,
    /// Largest dispersion allowed.
    pub max_sigma: f64,
    /// Dispersion used when the two moments contradict each other (no real solution).
    pub fallback_sigma: f64,
}

impl Default for IncomeModel {
    fn default() -> Self {
        IncomeModel {
            min_poor_share: 0.005,
            max_poor_share: 0.95,
            min_sigma: 0.1,
            max_sigma: 1.5,
            fallback_sigma: 0.5,
        }
    }
}

/// How a square's distribution was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitQuality {
    /// Both moments are reproduced.
    Exact,
    /// A bound of [`IncomeModel`] was applied; the mean is kept, the poor share is not.
    Clamped,
}

impl IncomeModel {
    /// Fits the log-normal of a square with mean niveau de vie `mean` and poor
    /// share `poor_share`, given the poverty line. `None` when the square has no
    /// usable mean (no individuals, no income data).
    ///
    /// ```
    /// use qpv_core::IncomeModel;
    /// let (dist, _) = IncomeModel::default().fit(20_000.0, 0.15, 12_000.0).unwrap();
    /// assert!((dist.mean() - 20_000.0).abs() < 1e-6);
    /// assert!((dist.cdf(12_000.0) - 0.15).abs() < 1e-9);
    /// ```
    pub fn fit(&self, mean: f64, poor_share: f64, poverty_line: f64) -> Option<(LogNormal, FitQuality)> {
        if !(mean.is_finite() && mean > 0.0 && poverty_line > 0.0) {
            return None;
        }
        let raw = if poor_share.is_finite() { poor_share } else { return None };
        let p = raw.clamp(self.min_poor_share, self.max_poor_share);
        let z = normal_quantile(p);
        let disc = z * z + 2.0 * (mean / poverty_line).ln();
        // The positive root; with a mean below the line and few poor residents
        // there is none, and the moments contradict each other.
        let root = if disc >= 0.0 { z + disc.sqrt() } else { f64::NAN };
        let (sigma, mut quality) =
            if root > 0.0 { (root, FitQuality::Exact) } else { (self.fallback_sigma, FitQuality::Clamped) };
        if p != raw {
            quality = FitQuality::Clamped;
        }
        let bounded = sigma.clamp(self.min_sigma, self.max_sigma);
        if quality == FitQuality::Exact && bounded == sigma {
            let mu = poverty_line.ln() - z * sigma;
            return Some((LogNormal { mu, sigma }, quality));
        }
        // Keep the mean, which is the better-measured moment (a sum over all residents).
        let mu = mean.ln() - bounded * bounded / 2.0;
        Some((LogNormal { mu, sigma: bounded }, FitQuality::Clamped))
    }
}

/// Median of a mixture of log-normals weighted by `weights` (individuals).
/// `None` when the total weight is zero.
///
/// Solved by safeguarded Newton iterations on `ln x`; the median lies between the
/// smallest and largest component medians, which bracket the search.
///
/// ```
/// use qpv_core::{mixture_median, LogNormal};
/// let a = LogNormal { mu: 9.0, sigma: 0.5 };
/// let b = LogNormal { mu: 10.0, sigma: 0.5 };
/// // Two equal halves, symmetric in ln x: the median is e^9.5.
/// let m = mixture_median(&[(1.0, a), (1.0, b)]).unwrap();
/// assert!((m.ln() - 9.5).abs() < 1e-9);
/// ```
pub fn mixture_median(parts: &[(f64, LogNormal)]) -> Option<f64> {
    mixture_quantile(parts, 0.5)
}

/// The `q`-quantile of the mixture (see [`mixture_median`]).
pub fn mixture_quantile(parts: &[(f64, LogNormal)], q: f64) -> Option<f64> {
    let total: f64 = sum(parts, |w, _| w);
    if total.is_nan() || total <= 0.0 {
        return None;
    }
    let (mut lo, mut hi) = parts
        .iter()
        .filter(|(w, _)| *w > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, d)| (lo.min(d.mu), hi.max(d.mu)));
    // The q-quantile of each part lies within a few sigmas of its mu.
    let spread = parts.iter().map(|(_, d)| d.sigma).fold(0.0, f64::max);
    let zq = normal_quantile(q.clamp(1e-12, 1.0 - 1e-12));
    lo += zq.min(0.0) * spread - 1e-9;
    hi += zq.max(0.0) * spread + 1e-9;
    let target = q * total;
    let mut t = sum(parts, |w, d| w * d.mu) / total;
    for _ in 0..100 {
        let (f, df) = cdf_and_density(parts, t);
        let g = f - target;
        if g > 0.0 {
            hi = t;
        } else {
            lo = t;
        }
        if g.abs() <= 1e-12 * total || hi - lo < 1e-12 {
            break;
        }
        let newton = t - g / df;
        t = if df > 0.0 && newton > lo && newton < hi { newton } else { 0.5 * (lo + hi) };
    }
    Some(t.exp())
}

/// Weighted count below `e^t` and its derivative in `t`.
fn cdf_and_density(parts: &[(f64, LogNormal)], t: f64) -> (f64, f64) {
    let one = |&(w, d): &(f64, LogNormal)| {
        let z = (t - d.mu) / d.sigma;
        (w * normal_cdf(z), w * normal_density(z) / d.sigma)
    };
    let add = |a: (f64, f64), b: (f64, f64)| (a.0 + b.0, a.1 + b.1);
    if parts.len() > 50_000 {
        parts.par_iter().map(one).reduce(|| (0.0, 0.0), add)
    } else {
        parts.iter().map(one).fold((0.0, 0.0), add)
    }
}

fn sum(parts: &[(f64, LogNormal)], f: impl Fn(f64, &LogNormal) -> f64 + Sync) -> f64 {
    if parts.len() > 50_000 {
        parts.par_iter().map(|(w, d)| f(*w, d)).sum()
    } else {
        parts.iter().map(|(w, d)| f(*w, d)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_inverts_cdf() {
        for p in [0.001, 0.05, 0.2, 0.5, 0.8, 0.999] {
            assert!((normal_cdf(normal_quantile(p)) / p - 1.0).abs() < 1e-9, "{p}");
        }
    }

    #[test]
    fn fit_round_trip_reproduces_both_moments() {
        let model = IncomeModel::default();
        for (mean, share) in [(14_000.0, 0.45), (20_000.0, 0.15), (35_000.0, 0.03), (12_500.0, 0.6)] {
            let (d, q) = model.fit(mean, share, 12_000.0).unwrap();
            assert_eq!(q, FitQuality::Exact, "{mean} {share}");
            assert!((d.mean() / mean - 1.0).abs() < 1e-9);
            assert!((d.cdf(12_000.0) - share).abs() < 1e-9);
        }
    }

    #[test]
    fn zero_poor_share_is_clamped_and_keeps_the_mean() {
        let (d, q) = IncomeModel::default().fit(30_000.0, 0.0, 12_000.0).unwrap();
        assert_eq!(q, FitQuality::Clamped);
        assert!((d.mean() / 30_000.0 - 1.0).abs() < 1e-9);
    }

    #[test]
    fn contradictory_moments_fall_back_to_default_dispersion() {
        // Mean below the poverty line yet almost nobody poor: no log-normal fits.
        let model = IncomeModel::default();
        let (d, q) = model.fit(9_000.0, 0.01, 12_000.0).unwrap();
        assert_eq!(q, FitQuality::Clamped);
        assert_eq!(d.sigma, model.fallback_sigma);
        assert!((d.mean() / 9_000.0 - 1.0).abs() < 1e-9);
    }

    #[test]
    fn no_data_gives_no_fit() {
        let m = IncomeModel::default();
        assert!(m.fit(f64::NAN, 0.1, 12_000.0).is_none());
        assert!(m.fit(0.0, 0.1, 12_000.0).is_none());
        assert!(m.fit(20_000.0, f64::NAN, 12_000.0).is_none());
    }

    #[test]
    fn mixture_of_one_is_its_median() {
        let d = LogNormal { mu: 9.8, sigma: 0.4 };
        let m = mixture_median(&[(120.0, d)]).unwrap();
        assert!((m / d.median() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn mixture_median_is_not_the_mean_of_medians() {
        let poor = LogNormal { mu: 9.0, sigma: 0.3 };
        let rich = LogNormal { mu: 10.5, sigma: 0.3 };
        // Three quarters poor: the pooled median sits inside the poor part.
        let m = mixture_median(&[(300.0, poor), (100.0, rich)]).unwrap();
        let cdf = 0.75 * poor.cdf(m) + 0.25 * rich.cdf(m);
        assert!((cdf - 0.5).abs() < 1e-9);
        assert!(m < (9.75f64).exp());
    }

    #[test]
    fn empty_or_weightless_mixture_has_no_median() {
        assert_eq!(mixture_median(&[]), None);
        assert_eq!(mixture_median(&[(0.0, LogNormal { mu: 9.0, sigma: 0.5 })]), None);
    }

    #[test]
    fn large_mixture_uses_the_parallel_path_and_agrees() {
        let parts: Vec<_> = (0..60_000)
            .map(|i| (1.0 + (i % 7) as f64, LogNormal { mu: 9.0 + (i % 100) as f64 / 100.0, sigma: 0.4 }))
            .collect();
        let m = mixture_median(&parts).unwrap();
        let total: f64 = parts.iter().map(|p| p.0).sum();
        let below: f64 = parts.iter().map(|(w, d)| w * d.cdf(m)).sum();
        assert!((below / total - 0.5).abs() < 1e-9);
    }
}

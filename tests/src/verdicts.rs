//! How `qpv check`'s verdicts hold on real perimeters (issue 19): the measures of the
//! tests on `../shared/data/qpv-official` and of `benches/verdicts.sh`, in one place.
//!
//! - **Official perimeters** (the 2024 QPVs of Nord): how many meet, fail or are
//!   undecided, on which criteria.
//! - **Published figures** (the 2015 QPs of Haute-Garonne): whether each published
//!   population lies in the range `check.csv` gives, how far the point estimate is from
//!   it, and the spread of the estimated median around the published one.
//! - **Non-QPV ground**: the same shapes moved by a distance, north, east, south and
//!   west, kept where they overlap no official perimeter (`qpv compare` says which): they
//!   should fail.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;

/// A CSV file as rows of column → value, in file order.
pub fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = r.headers().expect("header").iter().map(str::to_owned).collect();
    r.records()
        .map(|rec| header.iter().cloned().zip(rec.expect("row").iter().map(str::to_owned)).collect())
        .collect()
}

/// A number of a row (NaN when empty).
pub fn num(row: &HashMap<String, String>, column: &str) -> f64 {
    row.get(column).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}

/// How many rows of `check.csv` have each value of `column` (`verdict`,
/// `population_verdict`…), as `(meets, undecided, fails)`.
pub fn states(rows: &[HashMap<String, String>], column: &str) -> (usize, usize, usize) {
    let n = |w: &str| rows.iter().filter(|r| r.get(column).map(String::as_str) == Some(w)).count();
    (n("meets"), n("undecided"), n("fails"))
}

/// Every feature of a GeoJSON FeatureCollection (WGS84) moved by `metres` north, east,
/// south and west, its `code_qp` suffixed `-N`, `-E`, `-S`, `-W`. The shift is made in
/// degrees at each feature's first vertex (1° of latitude = 111.32 km): within a few
/// metres of the distance asked over a quartier.
pub fn moved(fc: &Value, metres: f64) -> Value {
    let mut features = Vec::new();
    for f in fc["features"].as_array().expect("features") {
        let lat = first_latitude(&f["geometry"]["coordinates"]).unwrap_or(46.0);
        let dlat = metres / 111_320.0;
        let dlon = metres / (111_320.0 * lat.to_radians().cos());
        for (tag, dx, dy) in [("N", 0.0, dlat), ("E", dlon, 0.0), ("S", 0.0, -dlat), ("W", -dlon, 0.0)] {
            let mut g = f["geometry"].clone();
            shift(&mut g["coordinates"], dx, dy);
            let code = f["properties"]["code_qp"].as_str().unwrap_or("?");
            features.push(json!({
                "type": "Feature",
                "properties": { "code_qp": format!("{code}-{tag}") },
                "geometry": g,
            }));
        }
    }
    json!({ "type": "FeatureCollection", "features": features })
}

fn first_latitude(c: &Value) -> Option<f64> {
    match c.as_array()?.as_slice() {
        [x, y] if x.is_number() => y.as_f64(),
        list => list.iter().find_map(first_latitude),
    }
}

fn shift(c: &mut Value, dx: f64, dy: f64) {
    let Some(list) = c.as_array_mut() else { return };
    if list.len() >= 2 && list[0].is_number() {
        list[0] = json!(list[0].as_f64().unwrap_or(0.0) + dx);
        list[1] = json!(list[1].as_f64().unwrap_or(0.0) + dy);
        return;
    }
    for item in list {
        shift(item, dx, dy);
    }
}

/// The ids of `other` that `qpv compare`'s `comparison.csv` lists as overlapping no
/// reference perimeter (`other_only`).
pub fn overlapping_none(comparison: &[HashMap<String, String>]) -> Vec<String> {
    comparison.iter().filter(|r| r["status"] == "other_only").map(|r| r["other_id"].clone()).collect()
}

/// `qpv ARGS` run by the binary `qpv` in `dir`; panics with its stderr when it fails.
pub fn run_qpv(qpv: &Path, args: &[&str], dir: &Path) {
    let o = std::process::Command::new(qpv).args(args).current_dir(dir).output().expect("qpv runs");
    assert!(o.status.success(), "qpv {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// `qpv check --grid GRID --perimeters FILE --out OUT` in `dir`: the rows of `check.csv`.
pub fn check(
    qpv: &Path,
    dir: &Path,
    grid: &Path,
    perimeters: &Path,
    out: &str,
) -> Vec<HashMap<String, String>> {
    let (grid, perimeters) = (grid.to_str().expect("path"), perimeters.to_str().expect("path"));
    run_qpv(qpv, &["check", "-q", "--grid", grid, "--perimeters", perimeters, "--out", out], dir);
    read_csv(&dir.join(out).join("check.csv"))
}

/// The shapes of `official` moved 2.5 km in four directions ([`moved`]), those that
/// overlap no official perimeter (as `qpv compare` finds them) checked: the rows of those
/// touching an inhabited square. `tag` names the files written in `dir`.
pub fn moved_off(
    qpv: &Path,
    dir: &Path,
    grid: &Path,
    official: &Path,
    tag: &str,
) -> Vec<HashMap<String, String>> {
    let fc: Value =
        serde_json::from_slice(&std::fs::read(official).expect("official file")).expect("GeoJSON");
    let file = dir.join(format!("{tag}-moved.geojson"));
    std::fs::write(&file, moved(&fc, 2_500.0).to_string()).expect("written");
    let cmp = format!("{tag}-cmp");
    let (official, moved_file) = (official.to_str().expect("path"), file.to_str().expect("path"));
    run_qpv(qpv, &["compare", "-q", "--reference", official, "--other", moved_file, "--out", &cmp], dir);
    let away = overlapping_none(&read_csv(&dir.join(cmp).join("comparison.csv")));
    check(qpv, dir, grid, &file, &format!("{tag}-moved"))
        .into_iter()
        .filter(|r| away.contains(&r["id"]) && num(r, "inhabitants_high") > 0.0)
        .collect()
}

/// The published figures of a quartier (`qp2015_haute_garonne.csv`).
#[derive(Debug, Clone)]
pub struct Published {
    /// Population municipale (census).
    pub population: f64,
    /// Median disposable income per consumption unit, €.
    pub disposable_median: f64,
    /// Median declared income per consumption unit, €.
    pub declared_median: f64,
}

/// The published figures by code.
pub fn published(path: &Path) -> HashMap<String, Published> {
    read_csv(path)
        .into_iter()
        .map(|r| {
            let p = Published {
                population: num(&r, "pop_mun"),
                disposable_median: num(&r, "disp_q2"),
                declared_median: num(&r, "decuc_q2"),
            };
            (r["code_qp"].clone(), p)
        })
        .collect()
}

/// Inhabitants of `check.csv` against published populations.
#[derive(Debug, Clone, Default)]
pub struct PopulationAccuracy {
    /// Perimeters compared.
    pub perimeters: usize,
    /// Whose published population lies in `[inhabitants_low, inhabitants_high]`.
    pub in_range: usize,
    /// Those outside, with (published, low, high).
    pub outside: Vec<(String, f64, f64, f64)>,
    /// Median of point estimate / published.
    pub median_ratio: f64,
    /// Median of |ln(point estimate / published)|: the typical error by ratio.
    pub median_abs_log: f64,
    /// Sum of the point estimates over the sum of published populations.
    pub total_ratio: f64,
    /// Median of (area share, the range's low) / published.
    pub low_ratio: f64,
    /// Median of (every square touched, the high) / published.
    pub high_ratio: f64,
}

/// Median of a list (NaN when empty).
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.retain(|x| x.is_finite());
    xs.sort_by(f64::total_cmp);
    match xs.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => xs[n / 2],
        n => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}

/// How `check.csv`'s inhabitants hold against published populations.
pub fn population_accuracy(
    rows: &[HashMap<String, String>],
    published: &HashMap<String, Published>,
) -> PopulationAccuracy {
    let mut a = PopulationAccuracy::default();
    let (mut ratios, mut logs, mut lows, mut highs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut point_sum, mut published_sum) = (0.0, 0.0);
    for r in rows {
        let Some(p) = published.get(&r["id"]) else { continue };
        let (point, low, high) =
            (num(r, "inhabitants"), num(r, "inhabitants_low"), num(r, "inhabitants_high"));
        a.perimeters += 1;
        if low <= p.population && p.population <= high {
            a.in_range += 1;
        } else {
            a.outside.push((r["id"].clone(), p.population, low, high));
        }
        ratios.push(point / p.population);
        logs.push((point / p.population).ln().abs());
        lows.push(low / p.population);
        highs.push(high / p.population);
        point_sum += point;
        published_sum += p.population;
    }
    a.median_ratio = median(ratios);
    a.median_abs_log = median(logs);
    a.total_ratio = point_sum / published_sum;
    a.low_ratio = median(lows);
    a.high_ratio = median(highs);
    a
}

/// The estimated medians of `check.csv` against published ones: the common ratio (the
/// grid's vintage and income concept against the published data's) and the spread
/// around it, the estimate's accuracy.
#[derive(Debug, Clone, Default)]
pub struct MedianAccuracy {
    /// Perimeters with an estimate.
    pub perimeters: usize,
    /// Geometric mean of estimate / published.
    pub common_ratio: f64,
    /// Standard deviation of ln(estimate / published).
    pub sd_log: f64,
    /// The share of perimeters whose estimate is within the band of the common ratio.
    pub within_band: f64,
    /// The 80th and 90th percentiles of |ln(estimate / published) − mean|, as shares.
    pub deviation_80: f64,
    /// See `deviation_80`.
    pub deviation_90: f64,
}

/// Medians against published disposable (`declared = false`) or declared medians.
pub fn median_accuracy(
    rows: &[HashMap<String, String>],
    published: &HashMap<String, Published>,
    declared: bool,
    band: f64,
) -> MedianAccuracy {
    let logs: Vec<f64> = rows
        .iter()
        .filter_map(|r| {
            let p = published.get(&r["id"])?;
            let truth = if declared { p.declared_median } else { p.disposable_median };
            let estimate = num(r, "median_est");
            (estimate.is_finite() && truth > 0.0).then(|| (estimate / truth).ln())
        })
        .collect();
    let n = logs.len() as f64;
    let mean = logs.iter().sum::<f64>() / n;
    let sd = (logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    let mut dev: Vec<f64> = logs.iter().map(|x| ((x - mean).abs()).exp() - 1.0).collect();
    dev.sort_by(f64::total_cmp);
    let quantile = |q: f64| dev[((q * n).ceil() as usize).clamp(1, dev.len()) - 1];
    MedianAccuracy {
        perimeters: logs.len(),
        common_ratio: mean.exp(),
        sd_log: sd,
        within_band: dev.iter().filter(|d| **d <= band).count() as f64 / n,
        deviation_80: quantile(0.8),
        deviation_90: quantile(0.9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_shifts_every_vertex_and_names_the_direction() {
        let fc = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
            "properties": {"code_qp": "QN05901M"},
            "geometry": {"type": "Polygon", "coordinates": [[[3.0, 50.0], [3.01, 50.0], [3.0, 50.01], [3.0, 50.0]]]}}]});
        let m = moved(&fc, 2_500.0);
        let f = m["features"].as_array().unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[0]["properties"]["code_qp"], "QN05901M-N");
        let north = f[0]["geometry"]["coordinates"][0][1][1].as_f64().unwrap();
        assert!((north - (50.0 + 2_500.0 / 111_320.0)).abs() < 1e-12);
        let east = f[1]["geometry"]["coordinates"][0][0][0].as_f64().unwrap();
        assert!((east - 3.0 - 2_500.0 / (111_320.0 * 50f64.to_radians().cos())).abs() < 1e-12);
    }

    #[test]
    fn the_median_of_an_even_list_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(vec![]).is_nan());
    }
}

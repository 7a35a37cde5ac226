//! `indicators.csv`: one row per perimeter (and per commune or EPCI concerned), each
//! indicator followed by the same figure for the row's urban unit and for France.

use crate::error::IoError;
use qpv_core::Totals;
use qpv_core::indicators::IndicatorRow;
use qpv_core::profile::indicator_names;

/// The figures of a comparison level (an urban unit, or France).
#[derive(Debug, Clone)]
pub struct LevelFigures {
    /// Code (UU code, or `FR`).
    pub code: String,
    /// Name.
    pub name: String,
    /// Sums.
    pub totals: Totals,
    /// Estimated median, €.
    pub median: Option<f64>,
}

fn value(name: &str, x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let decimals = if name.ends_with("_share") {
        4
    } else if name.contains("income") || name.contains("median") {
        0
    } else {
        1
    };
    let f = 10f64.powi(decimals);
    format!("{}", (x * f).round() / f)
}

/// The CSV; `unit_of(u)` gives the figures of territory unit `u`.
pub fn indicators_csv(
    rows: &[IndicatorRow],
    unit_of: &dyn Fn(u32) -> Option<LevelFigures>,
    france: &LevelFigures,
) -> Result<Vec<u8>, IoError> {
    let encode = |e: csv::Error| IoError::Encode { what: "indicators", message: e.to_string() };
    let names = indicator_names();
    let mut header: Vec<String> = ["level", "part", "code", "name", "uu_code", "uu_name", "table_population"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for suffix in ["", "_uu", "_france"] {
        header.extend(names.iter().map(|n| format!("{n}{suffix}")));
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).map_err(encode)?;
    let france_values = france.totals.indicators(france.median);
    for r in rows {
        let unit = r.unit.and_then(unit_of);
        let part = match (r.level, r.inside) {
            (qpv_core::indicators::Level::Perimeter, _) => "perimeter",
            (_, true) => "inside perimeters",
            (_, false) => "whole",
        };
        let mut row = vec![
            r.level.label().to_owned(),
            part.to_owned(),
            r.code.clone(),
            r.name.clone(),
            unit.as_ref().map_or(String::new(), |u| u.code.clone()),
            unit.as_ref().map_or(String::new(), |u| u.name.clone()),
            r.table_population.map_or(String::new(), |p| format!("{p}")),
        ];
        let own = r.residents.totals.indicators(r.residents.median);
        row.extend(own.iter().map(|(n, x)| value(n, *x)));
        match &unit {
            Some(u) => row.extend(u.totals.indicators(u.median).iter().map(|(n, x)| value(n, *x))),
            None => row.extend(names.iter().map(|_| String::new())),
        }
        row.extend(france_values.iter().map(|(n, x)| value(n, *x)));
        w.write_record(&row).map_err(encode)?;
    }
    w.into_inner().map_err(|e| IoError::Encode { what: "indicators", message: e.to_string() })
}

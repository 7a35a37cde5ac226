//! Totals of every grid column per urban unit and for the whole country, so that
//! indicators computed on an extract (a département, an EPCI) can be set beside
//! their whole urban unit and metropolitan France. Built on the national grid by
//! `qpv reference totals`; the Filosofi 2019 table is embedded (gzip CSV).

use crate::error::IoError;
use qpv_core::{PROFILE_COLUMNS, Totals};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Totals of a whole grid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TotalsTable {
    /// The country (the whole grid).
    pub france: Totals,
    /// Per urban unit code.
    pub units: BTreeMap<String, Totals>,
}

const FIXED: [&str; 7] =
    ["level", "code", "individuals", "households", "poor_households", "income_sum", "imputed_individuals"];

/// The embedded table of a vintage.
pub fn embedded_totals(vintage: &str) -> Option<(TotalsTable, crate::InputFile)> {
    const FILOSOFI2019: &[u8] = include_bytes!("../data/totals_filosofi2019.csv.gz");
    if vintage != crate::reference::FILOSOFI2019 {
        return None;
    }
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(FILOSOFI2019).read_to_end(&mut text).ok()?;
    let table = parse(Path::new("embedded totals"), &text).ok()?;
    let input = crate::InputFile {
        role: "totals".into(),
        path: format!("embedded: totals {vintage}"),
        bytes: FILOSOFI2019.len() as u64,
        blake3: crate::blake3_hex(FILOSOFI2019),
    };
    Some((table, input))
}

/// Reads a table written by [`totals_csv`] (plain or gzip).
pub fn read_totals(path: &Path) -> Result<TotalsTable, IoError> {
    let bytes = std::fs::read(path).map_err(|e| IoError::file(path, e))?;
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut t = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut t).map_err(|e| IoError::file(path, e))?;
        t
    } else {
        bytes
    };
    parse(path, &text)
}

fn bad(path: &Path, message: String) -> IoError {
    IoError::Table {
        path: path.to_owned(),
        message: format!("{message}; rebuild it with `qpv reference totals`"),
    }
}

fn parse(path: &Path, text: &[u8]) -> Result<TotalsTable, IoError> {
    let mut r = csv::Reader::from_reader(text);
    let header: Vec<String> =
        r.headers().map_err(|e| bad(path, e.to_string()))?.iter().map(String::from).collect();
    let expected: Vec<&str> = FIXED.iter().chain(PROFILE_COLUMNS.iter()).copied().collect();
    if header != expected {
        return Err(bad(path, "not a qpv totals table (unexpected header)".into()));
    }
    let mut table = TotalsTable::default();
    for (k, row) in r.records().enumerate() {
        let row = row.map_err(|e| bad(path, format!("line {}: {e}", k + 2)))?;
        let num = |i: usize| -> Result<f64, IoError> {
            row[i].parse().map_err(|_| bad(path, format!("line {}: {:?} is not a number", k + 2, &row[i])))
        };
        let mut t = Totals {
            individuals: num(2)?,
            households: num(3)?,
            poor_households: num(4)?,
            income_sum: num(5)?,
            imputed_individuals: num(6)?,
            ..Totals::default()
        };
        for (j, v) in t.profile.iter_mut().enumerate() {
            *v = num(FIXED.len() + j)?;
        }
        match &row[0] {
            "france" => table.france = t,
            "uu" => {
                table.units.insert(row[1].to_owned(), t);
            }
            other => return Err(bad(path, format!("line {}: unknown level {other:?}", k + 2))),
        }
    }
    Ok(table)
}

/// The table as CSV.
pub fn totals_csv(table: &TotalsTable) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = FIXED.iter().chain(PROFILE_COLUMNS.iter()).copied().collect();
    let _ = w.write_record(&header);
    let row = |level: &str, code: &str, t: &Totals| {
        let mut r = vec![level.to_owned(), code.to_owned()];
        let fixed = [t.individuals, t.households, t.poor_households, t.income_sum, t.imputed_individuals];
        r.extend(fixed.iter().chain(t.profile.iter()).map(|x| format!("{}", (x * 10.0).round() / 10.0)));
        r
    };
    let _ = w.write_record(row("france", "", &table.france));
    for (code, t) in &table.units {
        let _ = w.write_record(row("uu", code, t));
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bad_files() {
        let mut t = TotalsTable::default();
        t.france.individuals = 100.5;
        t.france.profile[3] = 7.0;
        t.units.insert("59701".into(), Totals { households: 4.0, ..Totals::default() });
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, totals_csv(&t)).unwrap();
        assert_eq!(read_totals(&p).unwrap(), t);
        std::fs::write(&p, "a,b\n1,2\n").unwrap();
        let e = read_totals(&p).unwrap_err().to_string();
        assert!(e.contains("t.csv") && e.contains("qpv reference totals"), "{e}");
    }

    #[test]
    fn embedded_filosofi2019_covers_france() {
        let (t, _) = embedded_totals("filosofi2019").expect("embedded totals parse");
        assert!((t.france.individuals - 62_971_073.0).abs() < 100.0, "{}", t.france.individuals);
        assert!(t.units.contains_key("59701"));
        assert!(t.france.profile.iter().all(|x| *x > 0.0));
    }
}

//! Median reference files (JSON): the national median, poverty line and per-UU
//! medians of a whole grid, embedded per Filosofi vintage and rebuilt with
//! `qpv reference build`.

use crate::InputFile;
use crate::error::IoError;
use qpv_core::{MedianReference, UnitReference};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Serialize, Deserialize)]
struct ReferenceFile {
    format: String,
    vintage: String,
    note: String,
    poverty_line: f64,
    national_median: f64,
    national_individuals: f64,
    units: BTreeMap<String, UnitEntry>,
}

#[derive(Serialize, Deserialize)]
struct UnitEntry {
    median: f64,
    individuals: f64,
}

const FORMAT: &str = "qpv-median-reference/1";

/// The vintage of the reference and totals compiled into the binary (Filosofi 2019), the
/// one a 2019 or 2021 grid is judged with and `qpv reference build` names by default.
pub const FILOSOFI2019: &str = "filosofi2019";

/// References compiled into the binary, by vintage name.
const EMBEDDED: &[(&str, &str)] = &[(FILOSOFI2019, include_str!("../data/medians_filosofi2019.json"))];

/// Vintage names of the embedded references.
pub fn embedded_vintages() -> Vec<&'static str> {
    EMBEDDED.iter().map(|(v, _)| *v).collect()
}

/// The embedded reference of a vintage, if there is one.
pub fn embedded_reference(vintage: &str) -> Option<(MedianReference, InputFile)> {
    let (name, text) = EMBEDDED.iter().find(|(v, _)| *v == vintage)?;
    let reference = parse(Path::new(name), text.as_bytes()).ok()?;
    let input = InputFile {
        role: "medians".into(),
        path: format!("embedded: median reference {name}"),
        bytes: text.len() as u64,
        blake3: crate::blake3_hex(text.as_bytes()),
    };
    Some((reference, input))
}

/// Reads a reference file.
pub fn read_reference(path: &Path) -> Result<(MedianReference, InputFile), IoError> {
    let bytes = std::fs::read(path).map_err(|e| IoError::file(path, e))?;
    let reference = parse(path, &bytes)?;
    let input = InputFile {
        role: "medians".into(),
        path: path.display().to_string(),
        bytes: bytes.len() as u64,
        blake3: crate::blake3_hex(&bytes),
    };
    Ok((reference, input))
}

fn parse(path: &Path, bytes: &[u8]) -> Result<MedianReference, IoError> {
    let f: ReferenceFile =
        serde_json::from_slice(bytes).map_err(|e| IoError::Reference { path: path.to_owned(), error: e })?;
    Ok(MedianReference {
        vintage: f.vintage,
        poverty_line: f.poverty_line,
        national_median: f.national_median,
        national_individuals: f.national_individuals,
        units: f
            .units
            .into_iter()
            .map(|(k, u)| (k, UnitReference { median: u.median, individuals: u.individuals }))
            .collect(),
    })
}

/// Encodes a reference as JSON (medians rounded to the cent).
pub fn reference_json(r: &MedianReference) -> Vec<u8> {
    let cents = |x: f64| (x * 100.0).round() / 100.0;
    let f = ReferenceFile {
        format: FORMAT.into(),
        vintage: r.vintage.clone(),
        note: "Medians of niveau de vie per consumption unit (EUR/year) estimated by qpv's log-normal model \
               on the whole grid; poverty line = 60 % of the national median (fixed point of the model). \
               Built by `qpv reference build`."
            .into(),
        poverty_line: cents(r.poverty_line),
        national_median: cents(r.national_median),
        national_individuals: cents(r.national_individuals),
        units: r
            .units
            .iter()
            .map(|(k, u)| {
                (k.clone(), UnitEntry { median: cents(u.median), individuals: cents(u.individuals) })
            })
            .collect(),
    };
    let mut out = serde_json::to_vec_pretty(&f).unwrap_or_default();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut units = BTreeMap::new();
        units.insert("59701".to_string(), UnitReference { median: 19_123.456, individuals: 300_000.0 });
        let r = MedianReference {
            vintage: "test".into(),
            poverty_line: 12_000.0,
            national_median: 20_000.0,
            national_individuals: 1e6,
            units,
        };
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        std::fs::write(&p, reference_json(&r)).unwrap();
        let (back, _) = read_reference(&p).unwrap();
        assert_eq!(back.units["59701"].median, 19_123.46);
        assert_eq!(back.national_median, 20_000.0);
    }

    #[test]
    fn embedded_filosofi2019_is_national() {
        let (r, _) = embedded_reference("filosofi2019").expect("embedded reference parses");
        assert!(r.national_individuals > 62e6, "{}", r.national_individuals);
        assert!(r.units.contains_key("59701") && r.units.contains_key("00851"));
        assert!((r.poverty_line / r.national_median - 0.6).abs() < 1e-3);
    }

    #[test]
    fn a_bad_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        std::fs::write(&p, "{}").unwrap();
        let err = read_reference(&p).unwrap_err().to_string();
        assert!(err.contains("r.json") && err.contains("qpv reference build"), "{err}");
    }
}

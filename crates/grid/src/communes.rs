//! Commune tables: commune → département, EPCI, urban unit (UU 2020), names and
//! population. The 2021 and 2024 vintages are embedded (gzip) so that no extra
//! file is needed; any CSV with the same columns can replace them.
//!
//! Filosofi 2019 codes match the 2021 table better than the 2024 one (METHOD.md §4),
//! so 2021 is the default.

use crate::InputFile;
use crate::error::IoError;
use flate2::read::GzDecoder;
use qpv_core::{Commune, CommuneCode, CommuneTable};
use std::io::Read;
use std::path::Path;

const EMBEDDED_2021: &[u8] = include_bytes!("../data/communes_2021_uu2020.csv.gz");
const EMBEDDED_2024: &[u8] = include_bytes!("../data/communes_2024_uu2020.csv.gz");

/// The embedded commune tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommuneVintage {
    /// COG 2021 (default; best match for Filosofi 2019 codes).
    Cog2021,
    /// COG 2024.
    Cog2024,
}

impl CommuneVintage {
    fn bytes(self) -> &'static [u8] {
        match self {
            CommuneVintage::Cog2021 => EMBEDDED_2021,
            CommuneVintage::Cog2024 => EMBEDDED_2024,
        }
    }

    /// Name in messages and the manifest.
    pub fn label(self) -> &'static str {
        match self {
            CommuneVintage::Cog2021 => "embedded: INSEE COG 2021 communes with UU 2020",
            CommuneVintage::Cog2024 => "embedded: INSEE COG 2024 communes with UU 2020",
        }
    }
}

/// Columns read from a commune table (any case, any order; others are ignored).
pub const COMMUNE_COLUMNS: [&str; 9] =
    ["CODGEO", "LIBGEO", "DEP", "EPCI", "LIBEPCI", "UU2020", "LIBUU2020", "POP", "POP_UU2020"];

/// Loads an embedded table.
///
/// ```
/// use qpv_grid::communes::{embedded_communes, CommuneVintage};
/// let (table, _) = embedded_communes(CommuneVintage::Cog2021);
/// let denain = table.find(qpv_core::CommuneCode::parse(b"59172").unwrap()).unwrap();
/// assert_eq!(table.get(denain).urban_unit, "59701");
/// ```
pub fn embedded_communes(vintage: CommuneVintage) -> (CommuneTable, InputFile) {
    let mut text = Vec::new();
    GzDecoder::new(vintage.bytes())
        .read_to_end(&mut text)
        .expect("the embedded commune table is valid gzip (checked by tests)");
    let table = parse_communes(Path::new(vintage.label()), &text)
        .expect("the embedded commune table is valid (checked by tests)");
    let input = InputFile {
        role: "communes".into(),
        path: vintage.label().into(),
        bytes: vintage.bytes().len() as u64,
        blake3: crate::blake3_hex(vintage.bytes()),
    };
    (table, input)
}

/// Reads a commune table from a CSV file (plain or gzip).
pub fn read_communes(path: &Path) -> Result<(CommuneTable, InputFile), IoError> {
    let raw = std::fs::read(path).map_err(|e| IoError::file(path, e))?;
    let text = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| IoError::Gzip { path: path.to_owned(), error: e })?;
        out
    } else {
        raw.clone()
    };
    // Tables that went through a spreadsheet may be in Windows-1252 (Latin-1): decode
    // them rather than refuse them, and say so in the manifest.
    let (text, role) = match std::str::from_utf8(&text) {
        Ok(_) => (text, "communes"),
        Err(_) => {
            let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(&text);
            (decoded.into_owned().into_bytes(), "communes (decoded from Windows-1252)")
        }
    };
    let table = parse_communes(path, &text)?;
    let input = InputFile {
        role: role.into(),
        path: path.display().to_string(),
        bytes: raw.len() as u64,
        blake3: crate::blake3_hex(&raw),
    };
    Ok((table, input))
}

fn table_error(path: &Path, message: String) -> IoError {
    IoError::CommuneTable { path: path.to_owned(), message }
}

fn parse_communes(path: &Path, text: &[u8]) -> Result<CommuneTable, IoError> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter =
        if first.iter().filter(|&&b| b == b';').count() > first.iter().filter(|&&b| b == b',').count() {
            b';'
        } else {
            b','
        };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).from_reader(text);
    let headers = reader.headers().map_err(|e| table_error(path, format!("unreadable header: {e}")))?.clone();
    let mut index = [0usize; 9];
    let mut missing = Vec::new();
    for (k, name) in COMMUNE_COLUMNS.iter().enumerate() {
        match headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name)) {
            Some(i) => index[k] = i,
            None => missing.push(*name),
        }
    }
    if !missing.is_empty() {
        return Err(table_error(
            path,
            format!(
                "missing column(s) {}; a commune table needs {}",
                missing.join(", "),
                COMMUNE_COLUMNS.join(", ")
            ),
        ));
    }
    let mut communes = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = record.map_err(|e| table_error(path, format!("line {line}: {e}")))?;
        // Blank rows (all fields empty) occur in the published tables: skip them.
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |k: usize| record.get(index[k]).unwrap_or("").trim();
        let code = CommuneCode::parse(get(0).as_bytes())
            .map_err(|e| table_error(path, format!("line {line}: {e}")))?;
        let population = parse_population(get(7))
            .map_err(|v| table_error(path, format!("line {line}: POP {v:?} is not a number")))?;
        let uu_population = parse_population(get(8))
            .map_err(|v| table_error(path, format!("line {line}: POP_UU2020 {v:?} is not a number")))?;
        communes.push(Commune {
            code,
            name: get(1).to_owned(),
            departement: get(2).to_owned(),
            epci: get(3).to_owned(),
            epci_name: get(4).to_owned(),
            urban_unit: get(5).to_owned(),
            urban_unit_name: get(6).to_owned(),
            population: population.unwrap_or(0.0),
            urban_unit_population: uu_population,
        });
    }
    if communes.is_empty() {
        return Err(table_error(path, "the table has no commune".into()));
    }
    Ok(CommuneTable::new(communes))
}

fn parse_population(text: &str) -> Result<Option<f64>, String> {
    if text.is_empty() || text.eq_ignore_ascii_case("na") {
        return Ok(None);
    }
    text.replace(',', ".").parse::<f64>().map(Some).map_err(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_embedded_vintages_load() {
        for v in [CommuneVintage::Cog2021, CommuneVintage::Cog2024] {
            let (t, input) = embedded_communes(v);
            assert!(t.len() > 34_000, "{}", t.len());
            assert_eq!(input.blake3.len(), 64);
        }
    }

    #[test]
    fn denain_and_paris_are_in_their_urban_units() {
        let (t, _) = embedded_communes(CommuneVintage::Cog2021);
        let get = |c: &str| t.get(t.find(CommuneCode::parse(c.as_bytes()).unwrap()).unwrap()).clone();
        let denain = get("59172");
        assert_eq!(denain.urban_unit, "59701");
        assert_eq!(denain.urban_unit_name, "Valenciennes (partie française)");
        assert_eq!(denain.epci, "200042190");
        assert!((denain.urban_unit_population.unwrap() - 334_571.0).abs() < 1.0);
        assert_eq!(get("75112").urban_unit, "00851");
    }

    #[test]
    fn a_table_missing_columns_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.csv");
        std::fs::write(&p, "CODGEO;LIBGEO\n59172;Denain\n").unwrap();
        let err = read_communes(&p).unwrap_err().to_string();
        assert!(err.contains("missing column(s) DEP, EPCI"), "{err}");
    }

    #[test]
    fn a_latin1_table_keeps_its_accents() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.csv");
        let mut bytes =
            b"CODGEO;LIBGEO;DEP;EPCI;LIBEPCI;UU2020;LIBUU2020;POP;POP_UU2020\n42218;Saint-".to_vec();
        bytes.push(0xC9); // É in Latin-1
        bytes.extend_from_slice(b"tienne;42;244200770;Saint-");
        bytes.push(0xC9);
        bytes.extend_from_slice(b"tienne M\xE9tropole;42701;Saint-\xC9tienne;172565;374175\n");
        std::fs::write(&p, bytes).unwrap();
        let (t, input) = read_communes(&p).unwrap();
        let c = t.get(t.find(CommuneCode::parse(b"42218").unwrap()).unwrap());
        assert_eq!(c.name, "Saint-Étienne");
        assert_eq!(c.epci_name, "Saint-Étienne Métropole");
        assert!(input.role.contains("Windows-1252"));
    }

    #[test]
    fn a_bad_code_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.csv");
        std::fs::write(
            &p,
            "CODGEO,LIBGEO,DEP,EPCI,LIBEPCI,UU2020,LIBUU2020,POP,POP_UU2020\n59172,Denain,59,1,C,59701,V,19877,334571\nXX,Bad,59,1,C,59701,V,1,1\n",
        )
        .unwrap();
        let err = read_communes(&p).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
    }
}

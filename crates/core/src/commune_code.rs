//! Commune codes (code officiel géographique, 5 characters) and the `lcog_geo` field.
//!
//! `lcog_geo` comes in three forms across releases (METHOD.md §4): one code
//! (2017), several codes concatenated without separator (2019: `7737393051` =
//! 77373 + 93051), or a quoted comma list (some 2021 rows). Corsica uses `2A`/`2B`.

use std::fmt;

/// A 5-character commune code such as `59172` or `2A004`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommuneCode([u8; 5]);

/// Why a commune code or an `lcog_geo` field could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommuneCodeError {
    /// The field is empty.
    #[error("empty commune code")]
    Empty,
    /// A code is not 5 characters of the form `DDCCC` (`D` digit or `2A`/`2B`).
    #[error("{0:?} is not a commune code (5 characters such as 59172 or 2A004)")]
    Invalid(String),
}

impl CommuneCode {
    /// Parses one code. A 4-digit code is read as having lost its leading zero in a
    /// spreadsheet (`1001` → `01001`).
    ///
    /// ```
    /// use qpv_core::CommuneCode;
    /// assert_eq!(CommuneCode::parse(b"2A004").unwrap().as_str(), "2A004");
    /// assert_eq!(CommuneCode::parse(b"1001").unwrap().as_str(), "01001");
    /// ```
    pub fn parse(text: &[u8]) -> Result<CommuneCode, CommuneCodeError> {
        let t = text.trim_ascii();
        let mut code = [b'0'; 5];
        match t.len() {
            0 => return Err(CommuneCodeError::Empty),
            4 if t.iter().all(u8::is_ascii_digit) => code[1..].copy_from_slice(t),
            5 => code.copy_from_slice(t),
            _ => return Err(invalid(t)),
        }
        code[1] = code[1].to_ascii_uppercase();
        let corsica = code[0] == b'2' && matches!(code[1], b'A' | b'B');
        let valid =
            (corsica || code[..2].iter().all(u8::is_ascii_digit)) && code[2..].iter().all(u8::is_ascii_digit);
        if valid { Ok(CommuneCode(code)) } else { Err(invalid(t)) }
    }

    /// The code's five bytes.
    pub fn as_bytes(&self) -> &[u8; 5] {
        &self.0
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and A/B are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("?????")
    }

    /// The département: 2 characters, or 3 for overseas (`972`, `974`…).
    pub fn departement(&self) -> &str {
        if self.0.starts_with(b"97") { &self.as_str()[..3] } else { &self.as_str()[..2] }
    }

    /// Maps a municipal arrondissement of Paris, Lyon or Marseille to its commune
    /// (751xx → 75056, 6938x → 69123, 132xx → 13055); other codes are returned as is.
    /// Squares carry arrondissement codes, commune tables the commune (METHOD.md §4).
    ///
    /// ```
    /// use qpv_core::CommuneCode;
    /// let arr = CommuneCode::parse(b"75111").unwrap();
    /// assert_eq!(arr.municipality().as_str(), "75056");
    /// ```
    pub fn municipality(self) -> CommuneCode {
        if !matches!(&self.0[..2], b"75" | b"69" | b"13") {
            return self;
        }
        let n: u32 = self.as_str().parse().unwrap_or(0);
        let mapped: &[u8; 5] = match n {
            75101..=75120 => b"75056",
            69381..=69389 => b"69123",
            13201..=13216 => b"13055",
            _ => return self,
        };
        CommuneCode(*mapped)
    }
}

impl fmt::Display for CommuneCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn invalid(t: &[u8]) -> CommuneCodeError {
    CommuneCodeError::Invalid(String::from_utf8_lossy(t).into_owned())
}

/// Parses an `lcog_geo` field into `out` (appending), in any of its three forms.
///
/// ```
/// use qpv_core::commune_code::parse_lcog_geo;
/// let mut codes = Vec::new();
/// parse_lcog_geo(b"7737393051", &mut codes).unwrap();
/// parse_lcog_geo(b"\"59172,59153\"", &mut codes).unwrap();
/// let text: Vec<_> = codes.iter().map(|c| c.as_str()).collect();
/// assert_eq!(text, ["77373", "93051", "59172", "59153"]);
/// ```
pub fn parse_lcog_geo(field: &[u8], out: &mut Vec<CommuneCode>) -> Result<(), CommuneCodeError> {
    let t = field.trim_ascii();
    let t = t.strip_prefix(b"\"").unwrap_or(t);
    let t = t.strip_suffix(b"\"").unwrap_or(t).trim_ascii();
    if t.is_empty() {
        return Err(CommuneCodeError::Empty);
    }
    let separated = t.iter().any(|b| matches!(b, b',' | b';' | b' ' | b'|'));
    if separated {
        for part in t.split(|b| matches!(b, b',' | b';' | b' ' | b'|')) {
            if !part.is_empty() {
                out.push(CommuneCode::parse(part)?);
            }
        }
        return Ok(());
    }
    if t.len() == 4 {
        out.push(CommuneCode::parse(t)?);
        return Ok(());
    }
    if !t.len().is_multiple_of(5) {
        return Err(invalid(t));
    }
    for chunk in t.chunks_exact(5) {
        out.push(CommuneCode::parse(chunk)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(field: &str) -> Result<Vec<String>, CommuneCodeError> {
        let mut out = Vec::new();
        parse_lcog_geo(field.as_bytes(), &mut out)?;
        Ok(out.iter().map(|c| c.to_string()).collect())
    }

    #[test]
    fn single_code_2017_form() {
        assert_eq!(parse_all("59172").unwrap(), ["59172"]);
    }

    #[test]
    fn concatenated_2019_form() {
        assert_eq!(parse_all("5903859622").unwrap(), ["59038", "59622"]);
        assert_eq!(parse_all("601516050160534605696058260641").unwrap().len(), 6);
    }

    #[test]
    fn quoted_comma_list_2021_form() {
        assert_eq!(parse_all("\"59038, 59622\"").unwrap(), ["59038", "59622"]);
        assert_eq!(parse_all("59038,59622").unwrap(), ["59038", "59622"]);
    }

    #[test]
    fn corsica_codes() {
        assert_eq!(parse_all("2A1142A215").unwrap(), ["2A114", "2A215"]);
        assert_eq!(parse_all("2b033").unwrap(), ["2B033"]);
    }

    #[test]
    fn spreadsheet_lost_leading_zero() {
        assert_eq!(parse_all("1001").unwrap(), ["01001"]);
    }

    #[test]
    fn bad_fields_are_errors() {
        assert_eq!(parse_all(""), Err(CommuneCodeError::Empty));
        assert!(parse_all("591720").is_err());
        assert!(parse_all("2C004").is_err());
        assert!(parse_all("59X72").is_err());
    }

    #[test]
    fn departement_of_overseas_and_corsica() {
        assert_eq!(CommuneCode::parse(b"97209").unwrap().departement(), "972");
        assert_eq!(CommuneCode::parse(b"2A004").unwrap().departement(), "2A");
        assert_eq!(CommuneCode::parse(b"59172").unwrap().departement(), "59");
    }

    #[test]
    fn arrondissements_map_to_their_commune() {
        for (arr, com) in [("75101", "75056"), ("75120", "75056"), ("69381", "69123"), ("13216", "13055")] {
            assert_eq!(CommuneCode::parse(arr.as_bytes()).unwrap().municipality().as_str(), com);
        }
        assert_eq!(CommuneCode::parse(b"75121").unwrap().municipality().as_str(), "75121");
        assert_eq!(CommuneCode::parse(b"59172").unwrap().municipality().as_str(), "59172");
    }
}

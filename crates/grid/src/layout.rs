//! Grid file layouts: which column holds what, in every Filosofi release
//! (METHOD.md §4 "Headers").
//!
//! Headers are matched case-insensitively, in any order, with the aliases of the
//! 2015 release (`IdINSPIRE`, `I_est_cr`, `Depcom`). Only the needed columns are
//! located; the others are skipped when reading.

/// What a needed column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Square id, `CRS3035RES200mN…E…`.
    Id,
    /// Imputation flag (optional).
    Imputed,
    /// Commune code(s).
    Communes,
    /// Individuals.
    Individuals,
    /// Households.
    Households,
    /// Poor households.
    PoorHouseholds,
    /// Sum of niveaux de vie.
    IncomeSum,
}

impl Field {
    /// Every field, in the order of [`Layout::columns`].
    pub const ALL: [Field; 7] = [
        Field::Id,
        Field::Imputed,
        Field::Communes,
        Field::Individuals,
        Field::Households,
        Field::PoorHouseholds,
        Field::IncomeSum,
    ];

    /// Accepted header names, lowercase; the first is the 2019 name.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Field::Id => &["idcar_200m", "idinspire", "idcar"],
            Field::Imputed => &["i_est_200", "i_est_cr", "i_est"],
            Field::Communes => &["lcog_geo", "depcom"],
            Field::Individuals => &["ind"],
            Field::Households => &["men"],
            Field::PoorHouseholds => &["men_pauv"],
            Field::IncomeSum => &["ind_snv"],
        }
    }

    /// Whether a file without this column can still be read.
    pub fn optional(self) -> bool {
        matches!(self, Field::Imputed)
    }
}

/// Which release a header looks like, from its spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// 2015: `IdINSPIRE`, `I_est_cr`, `Depcom`.
    Filosofi2015,
    /// 2017: capitalised `Idcar_200m`.
    Filosofi2017,
    /// 2019 or 2021: lowercase `idcar_200m` (the two share their header).
    Filosofi2019Or2021,
    /// Anything else that has the needed columns.
    Other,
}

impl Release {
    /// A label for messages and the manifest.
    pub fn label(self) -> &'static str {
        match self {
            Release::Filosofi2015 => "Filosofi 2015",
            Release::Filosofi2017 => "Filosofi 2017",
            Release::Filosofi2019Or2021 => "Filosofi 2019/2021",
            Release::Other => "other",
        }
    }
}

/// The positions of the needed columns in a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Field separator.
    pub delimiter: u8,
    /// Column index of each [`Field::ALL`] entry (`None` for a missing optional one).
    pub columns: [Option<usize>; 7],
    /// Number of columns in the header.
    pub width: usize,
    /// The release the header looks like.
    pub release: Release,
    /// Column of each descriptive column ([`qpv_core::PROFILE_COLUMNS`]), when present.
    pub profile: [Option<usize>; qpv_core::PROFILE_WIDTH],
    /// Whether the descriptive columns are read too (see `GridReader::profiles`).
    pub read_profiles: bool,
}

/// Why a header cannot be read as a grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutProblem {
    /// Needed columns are missing.
    Missing {
        /// The 2019 names of the missing columns.
        missing: Vec<&'static str>,
        /// The header as found.
        found: Vec<String>,
    },
    /// A needed column appears twice (under one name or two aliases).
    Duplicate(String),
}

impl Layout {
    /// Reads a header line (without its line ending), guessing the separator:
    /// `;` when the line has more semicolons than commas, else `,`.
    pub fn from_header(line: &[u8]) -> Result<Layout, LayoutProblem> {
        let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        let count = |c: u8| line.iter().filter(|&&b| b == c).count();
        let delimiter = if count(b';') > count(b',') {
            b';'
        } else if count(b'\t') > count(b',') {
            b'\t'
        } else {
            b','
        };
        let names: Vec<String> = line
            .split(|&b| b == delimiter)
            .map(|n| String::from_utf8_lossy(n).trim().trim_matches('"').to_ascii_lowercase())
            .collect();
        let mut columns = [None; 7];
        let mut missing = Vec::new();
        for (k, field) in Field::ALL.iter().enumerate() {
            let hits: Vec<usize> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| field.names().contains(&n.as_str()))
                .map(|(i, _)| i)
                .collect();
            match hits.as_slice() {
                [] if field.optional() => {}
                [] => missing.push(field.names()[0]),
                [one] => columns[k] = Some(*one),
                [a, b, ..] => {
                    return Err(LayoutProblem::Duplicate(format!(
                        "{} (columns {} and {})",
                        names[*a],
                        a + 1,
                        b + 1
                    )));
                }
            }
        }
        if !missing.is_empty() {
            return Err(LayoutProblem::Missing { missing, found: names });
        }
        let profile = qpv_core::PROFILE_COLUMNS.map(|c| names.iter().position(|n| n == c));
        Ok(Layout {
            delimiter,
            columns,
            width: names.len(),
            release: release_of(line),
            profile,
            read_profiles: false,
        })
    }

    /// The layout of a grid read from a binary cache (no columns: the values are
    /// already decoded), keeping the release of its source.
    pub fn cached(release: Release) -> Layout {
        Layout {
            delimiter: b',',
            columns: [None; 7],
            width: 0,
            release,
            profile: [None; qpv_core::PROFILE_WIDTH],
            read_profiles: false,
        }
    }

    /// The descriptive columns the header lacks.
    pub fn missing_profile_columns(&self) -> Vec<&'static str> {
        qpv_core::PROFILE_COLUMNS
            .iter()
            .zip(&self.profile)
            .filter(|(_, c)| c.is_none())
            .map(|(n, _)| *n)
            .collect()
    }

    /// The last column a row must be split up to.
    pub fn last_needed_column(&self) -> usize {
        let profile = self.profile.iter().flatten().filter(|_| self.read_profiles);
        self.columns.iter().flatten().chain(profile).copied().max().unwrap_or(0)
    }

    /// The column of a field.
    pub fn column(&self, field: Field) -> Option<usize> {
        let k = Field::ALL.iter().position(|f| *f == field)?;
        self.columns[k]
    }
}

fn release_of(header: &[u8]) -> Release {
    let text = String::from_utf8_lossy(header);
    if text.contains("IdINSPIRE") || text.to_ascii_lowercase().contains("i_est_cr") {
        Release::Filosofi2015
    } else if text.contains("Idcar_200m") {
        Release::Filosofi2017
    } else if text.contains("idcar_200m") {
        Release::Filosofi2019Or2021
    } else {
        Release::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H2015: &str = "IdINSPIRE,Id_carr1km,I_est_cr,Id_carr_n,Groupe,Depcom,I_pauv,Id_car2010,Ind,Men,Men_pauv,Men_1ind,Men_5ind,Men_prop,Men_fmp,Ind_snv,Men_surf";
    const H2017: &str = "Idcar_200m,I_est_200,Idcar_1km,I_est_1km,Idcar_nat,Groupe,Ind,Men_1ind,Men_5ind,Men_prop,Men_fmp,Ind_snv,Men_surf,Men_pauv,Men,lcog_geo";
    const H2019: &str = "idcar_200m,idcar_1km,idcar_nat,i_est_200,i_est_1km,lcog_geo,ind,men,men_pauv,men_1ind,men_5ind,men_prop,men_fmp,ind_snv,men_surf";

    #[test]
    fn release_2015_with_aliases() {
        let l = Layout::from_header(H2015.as_bytes()).unwrap();
        assert_eq!(l.release, Release::Filosofi2015);
        assert_eq!(l.column(Field::Id), Some(0));
        assert_eq!(l.column(Field::Imputed), Some(2));
        assert_eq!(l.column(Field::Communes), Some(5));
        assert_eq!(l.column(Field::IncomeSum), Some(15));
    }

    #[test]
    fn release_2017_other_order() {
        let l = Layout::from_header(H2017.as_bytes()).unwrap();
        assert_eq!(l.release, Release::Filosofi2017);
        assert_eq!(l.column(Field::Households), Some(14));
        assert_eq!(l.column(Field::Communes), Some(15));
    }

    #[test]
    fn release_2019_semicolon_and_bom() {
        let header = format!("\u{feff}{}", H2019.replace(',', ";"));
        let l = Layout::from_header(header.as_bytes()).unwrap();
        assert_eq!(l.delimiter, b';');
        assert_eq!(l.release, Release::Filosofi2019Or2021);
        assert_eq!(l.column(Field::Id), Some(0));
        assert_eq!(l.column(Field::Imputed), Some(3));
    }

    #[test]
    fn uppercase_and_quoted_names() {
        let l = Layout::from_header(b"\"IDCAR_200M\",\"LCOG_GEO\",\"IND\",\"MEN\",\"MEN_PAUV\",\"IND_SNV\"")
            .unwrap();
        assert_eq!(l.column(Field::Imputed), None);
        assert_eq!(l.column(Field::IncomeSum), Some(5));
    }

    #[test]
    fn missing_columns_are_named() {
        let err = Layout::from_header(b"idcar_200m,ind,men").unwrap_err();
        match err {
            LayoutProblem::Missing { missing, found } => {
                assert_eq!(missing, ["lcog_geo", "men_pauv", "ind_snv"]);
                assert_eq!(found, ["idcar_200m", "ind", "men"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicated_columns_are_refused() {
        let err = Layout::from_header(b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv,IND").unwrap_err();
        assert!(matches!(err, LayoutProblem::Duplicate(ref s) if s.starts_with("ind")));
        let err = Layout::from_header(b"idcar_200m,lcog_geo,depcom,ind,men,men_pauv,ind_snv").unwrap_err();
        assert!(matches!(err, LayoutProblem::Duplicate(_)));
    }
}

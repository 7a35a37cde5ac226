//! Parquet export through polars, behind the `parquet` cargo feature (off by default:
//! polars takes about 12 minutes to build here and makes the binary 77 MB; ECOSYSTEM.md).
//! For users who continue in a dataframe: the square table of a run (one row per
//! square, with its estimated median, unit and flag) and any of qpv's CSV tables
//! (indicators) as Parquet.

use crate::error::IoError;
use polars::prelude::*;
use qpv_core::{Grid, RunOutput};

fn encode(e: impl std::fmt::Display) -> IoError {
    IoError::Encode { what: "Parquet", message: e.to_string() }
}

fn write(columns: Vec<Column>, height: usize) -> Result<Vec<u8>, IoError> {
    let mut df = DataFrame::new(height, columns).map_err(encode)?;
    let mut out = Vec::new();
    ParquetWriter::new(&mut out).finish(&mut df).map_err(encode)?;
    Ok(out)
}

/// `squares.parquet`: every square of a run with its values, estimated median (`fits`:
/// every square's distribution), unit and whether it was flagged.
pub fn squares_parquet(
    grid: &Grid,
    output: &RunOutput,
    fits: &[Option<qpv_core::LogNormal>],
) -> Result<Vec<u8>, IoError> {
    let frame = grid.frame().ok_or_else(|| encode("empty grid"))?;
    let size = i64::from(frame.square_size);
    let mut flagged = vec![false; grid.len()];
    for &i in &output.flagged.flagged {
        flagged[i as usize] = true;
    }
    let cells = grid.cells();
    let values = grid.values();
    let id: Vec<String> = cells
        .iter()
        .map(|c| format!("CRS{}RES{}mN{}E{}", frame.epsg, size, c.y as i64 * size, c.x as i64 * size))
        .collect();
    let communes: Vec<String> = (0..grid.len())
        .map(|i| grid.communes(i).iter().map(|c| c.to_string()).collect::<Vec<_>>().join(","))
        .collect();
    let unit: Vec<Option<String>> = output
        .placement
        .unit_of_square
        .iter()
        .map(|&u| output.placement.units.get(u as usize).map(|t| t.code.clone()))
        .collect();
    let nan = |x: f64| (!x.is_nan()).then_some(x);
    let columns = vec![
        Series::new("idcar_200m".into(), id).into(),
        Series::new("easting".into(), cells.iter().map(|c| c.x as i64 * size).collect::<Vec<_>>()).into(),
        Series::new("northing".into(), cells.iter().map(|c| c.y as i64 * size).collect::<Vec<_>>()).into(),
        Series::new("communes".into(), communes).into(),
        Series::new("ind".into(), values.iter().map(|v| v.individuals).collect::<Vec<_>>()).into(),
        Series::new("men".into(), values.iter().map(|v| nan(v.households)).collect::<Vec<_>>()).into(),
        Series::new("men_pauv".into(), values.iter().map(|v| nan(v.poor_households)).collect::<Vec<_>>())
            .into(),
        Series::new("ind_snv".into(), values.iter().map(|v| nan(v.income_sum)).collect::<Vec<_>>()).into(),
        Series::new("imputed".into(), values.iter().map(|v| v.imputed).collect::<Vec<_>>()).into(),
        Series::new("median_est".into(), fits.iter().map(|f| f.map(|d| d.median())).collect::<Vec<_>>())
            .into(),
        Series::new("uu_code".into(), unit).into(),
        Series::new("flagged".into(), flagged).into(),
    ];
    write(columns, grid.len())
}

/// A CSV table as Parquet: columns whose every value is a number (or empty) become
/// Float64, the others String.
pub fn csv_parquet(csv: &[u8]) -> Result<Vec<u8>, IoError> {
    let mut r = csv::Reader::from_reader(csv);
    let header: Vec<String> = r.headers().map_err(encode)?.iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().map_err(encode)?;
    let columns = header
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let cell = |row: &csv::StringRecord| row.get(k).unwrap_or("").to_owned();
            let numeric = rows.iter().all(|row| cell(row).is_empty() || cell(row).parse::<f64>().is_ok());
            if numeric {
                let v: Vec<Option<f64>> = rows.iter().map(|row| cell(row).parse().ok()).collect();
                Series::new(name.as_str().into(), v).into()
            } else {
                Series::new(name.as_str().into(), rows.iter().map(cell).collect::<Vec<_>>()).into()
            }
        })
        .collect();
    write(columns, rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_table_becomes_parquet() {
        let bytes = csv_parquet(b"code,inhabitants,name\nA,1.5,Denain\nB,,Rx\n").unwrap();
        assert_eq!(&bytes[..4], b"PAR1");
        let df = ParquetReader::new(std::io::Cursor::new(bytes)).finish().unwrap();
        assert_eq!(df.shape(), (2, 3));
        assert_eq!(df.column("inhabitants").unwrap().dtype(), &DataType::Float64);
    }
}

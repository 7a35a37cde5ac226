//! A perimeter file measured on the grid: each perimeter's lattice cells (what the
//! adjustments edit), its line where it cuts squares, and its residents by area share.
//! `qpv check`, `qpv adjust`, the atlas and `qpv serve` take a file's perimeters this
//! one way.

use crate::error::IoError;
use crate::perimeters::PerimeterFile;
use qpv_core::buildings::Buildings;
use qpv_core::compare::{Population, Residents};
use qpv_core::drawn::Drawn;
use qpv_core::{Cell, Grid, LogNormal};
use std::path::PathBuf;

/// A perimeter of a file: its line measured on the grid, and its lattice version.
#[derive(Debug, Clone)]
pub struct FilePerimeter {
    /// Its id (from the usual fields, else the feature number).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The lattice cells whose centre it contains (what the adjustments edit).
    pub cells: Vec<Cell>,
    /// Its line, when it cuts squares (`None`: it lies on the lattice, which is exact).
    pub drawn: Option<Drawn>,
    /// Its residents by area share (what `qpv compare` counts).
    pub residents: Residents,
}

/// The grid a file is measured on, with what the measure needs of the run.
#[derive(Clone, Copy)]
pub struct GridToMeasure<'a> {
    /// The squares.
    pub grid: &'a Grid,
    /// The grid file as the manifest names it (for the error of a file off the grid).
    pub path: &'a str,
    /// The income fit of each square (residents' incomes in a cut square).
    pub fits: &'a [Option<LogNormal>],
    /// Largest gap between parts of one perimeter, m (`judging.continuity_gap_m`).
    pub continuity_gap_m: f64,
    /// Buildings, to share a cut square's residents by the buildings inside the line.
    pub buildings: Option<&'a Buildings>,
}

/// The perimeters of `file` on `grid`, in file order. A perimeter with no inhabited
/// square in or under it is kept (it fails "no inhabitants in the grid"); a file none
/// of whose perimeters touches an inhabited square is an error (a wrong CRS or grid),
/// as is a file with no perimeter.
pub fn file_perimeters(file: &PerimeterFile, on: GridToMeasure<'_>) -> Result<Vec<FilePerimeter>, IoError> {
    let err = |message: String| IoError::GeometryFile { path: PathBuf::from(&file.input.path), message };
    let p = &file.perimeters;
    if p.is_empty() {
        return Err(err("the file holds no perimeter".into()));
    }
    let frame = on.grid.frame().ok_or_else(|| err(format!("the grid {} holds no square", on.path)))?;
    let size = frame.square_size as f64;
    let population = Population::new(on.grid, None, on.fits);
    let out: Vec<FilePerimeter> = (0..p.len())
        .map(|k| {
            let (cells, drawn) = Drawn::measure(p.shapes[k].clone(), size, on.continuity_gap_m);
            FilePerimeter {
                id: p.ids[k].clone(),
                name: p.names[k].clone(),
                cells,
                drawn: drawn.map(|d| match on.buildings {
                    Some(b) => d.with_buildings(b),
                    None => d,
                }),
                residents: population.residents(&p.shapes[k]),
            }
        })
        .collect();
    if out.iter().all(|f| f.residents.squares == 0) {
        return Err(err(format!(
            "no perimeter of the file lies on the grid: none holds an inhabited square of {} (is the file's \
             CRS right, and is the grid the one of its territory?)",
            on.path
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InputFile;
    use crate::perimeters::{CrsOrigin, GeometryFormat};
    use geo_types::{MultiPolygon, Rect};
    use qpv_core::compare::Perimeters;
    use qpv_grid::{GridReader, GridSource};

    // Two squares of 400 residents side by side; the first's corner is
    // (3 794 800, 2 969 400) in EPSG:3035.
    const CSV: &[u8] = b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\n\
CRS3035RES200mN2969400E3794800,59172,400,160,90,4200000\n\
CRS3035RES200mN2969400E3795000,59172,400,160,90,4200000\n";
    const X: f64 = 3_794_800.0;
    const Y: f64 = 2_969_400.0;

    fn rect(x0: f64, x1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Rect::new((X + x0, Y), (X + x1, Y + 200.0)).to_polygon()])
    }

    fn file(shapes: Vec<MultiPolygon<f64>>) -> PerimeterFile {
        let n = shapes.len();
        PerimeterFile {
            input: InputFile {
                role: "perimeters".into(),
                path: "p.geojson".into(),
                bytes: 0,
                blake3: String::new(),
            },
            format: GeometryFormat::GeoJson,
            epsg: 3035,
            crs_origin: CrsOrigin::Declared,
            perimeters: Perimeters {
                ids: (1..=n).map(|k| format!("P{k}")).collect(),
                names: vec![String::new(); n],
                shapes,
            },
            properties: vec![Default::default(); n],
            repairs: Vec::new(),
            without_polygon: Vec::new(),
        }
    }

    fn measure(shapes: Vec<MultiPolygon<f64>>) -> Result<Vec<FilePerimeter>, IoError> {
        let grid =
            GridReader::new(GridSource::Embedded { name: "tiny.csv", bytes: CSV }).finish().unwrap().grid;
        let fits = vec![None; grid.len()];
        let on = GridToMeasure {
            grid: &grid,
            path: "tiny.csv",
            fits: &fits,
            continuity_gap_m: 0.0,
            buildings: None,
        };
        file_perimeters(&file(shapes), on)
    }

    #[test]
    fn a_perimeter_on_the_lattice_is_its_squares() {
        let p = measure(vec![rect(0.0, 400.0)]).unwrap();
        assert_eq!((p[0].id.as_str(), p[0].cells.len(), p[0].residents.squares), ("P1", 2, 2));
        assert!(p[0].drawn.is_none(), "no square is cut");
        assert_eq!(p[0].residents.totals.individuals, 800.0);
    }

    #[test]
    fn a_line_cutting_a_square_is_kept_with_the_share_of_residents() {
        let p = measure(vec![rect(0.0, 300.0)]).unwrap();
        assert!(p[0].drawn.is_some());
        assert_eq!(p[0].residents.cut_squares, 1);
        assert_eq!(p[0].residents.totals.individuals, 600.0);
    }

    #[test]
    fn a_perimeter_off_the_grid_is_kept_when_another_is_on_it() {
        let p = measure(vec![rect(0.0, 200.0), rect(10_000.0, 10_200.0)]).unwrap();
        assert_eq!((p.len(), p[1].residents.squares), (2, 0));
    }

    #[test]
    fn a_file_wholly_off_the_grid_names_both_files() {
        let e = measure(vec![rect(10_000.0, 10_200.0)]).unwrap_err().to_string();
        assert!(e.starts_with("p.geojson: no perimeter of the file lies on the grid"), "{e}");
        assert!(e.contains("inhabited square of tiny.csv"), "{e}");
    }

    #[test]
    fn an_empty_file_is_an_error() {
        let e = measure(Vec::new()).unwrap_err().to_string();
        assert_eq!(e, "p.geojson: the file holds no perimeter");
    }
}

//! A tiny real grid for the unit tests of the crates above (`qpv-layers`, `qpv-map`): three
//! low-income squares of 400 residents in Denain (59172), which make one candidate,
//! 59701-01, and a well-off square beside them, run through the whole method with the
//! embedded commune table and median reference. Behind the `fixtures` feature, which only
//! those crates' dev-dependencies turn on.

use crate::communes::{CommuneVintage, embedded_communes};
use crate::{GridFile, GridReader, GridSource};
use qpv_core::{CommuneTable, RunOutput};

/// The grid's CSV: three squares of 400 residents (90 poor households of 160 each) and, at
/// the north-east corner, [`DENAIN_RICH`] (4 poor households of 160).
pub const DENAIN_CSV: &[u8] = b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\n\
CRS3035RES200mN2969400E3794800,59172,400,160,90,4200000\n\
CRS3035RES200mN2969400E3795000,59172,400,160,90,4200000\n\
CRS3035RES200mN2969600E3794800,59172,400,160,90,4200000\n\
CRS3035RES200mN2969600E3795000,59172,400,160,4,16000000\n";

/// The well-off square of [`DENAIN_CSV`] (not flagged).
pub const DENAIN_RICH: &str = "CRS3035RES200mN2969600E3795000";

/// [`DENAIN_CSV`] read and run.
pub struct Denain {
    /// The grid as read.
    pub file: GridFile,
    /// The embedded COG 2021 commune table.
    pub communes: CommuneTable,
    /// The method's run, with the embedded Filosofi 2019 medians.
    pub output: RunOutput,
}

/// Reads and runs [`DENAIN_CSV`]; panics on failure (a test fixture).
pub fn denain() -> Denain {
    let file = GridReader::new(GridSource::Embedded { name: "tiny.csv", bytes: DENAIN_CSV })
        .finish()
        .expect("the fixture's grid reads");
    let (communes, _) = embedded_communes(CommuneVintage::Cog2021);
    let (reference, _) =
        crate::reference::embedded_reference(crate::reference::FILOSOFI2019).expect("the embedded reference");
    let output = qpv_core::Pipeline::new(&file.grid, &communes)
        .reference(Some(&reference))
        .run()
        .expect("the fixture's run");
    Denain { file, communes, output }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_makes_one_candidate_of_three_squares() {
        let d = denain();
        assert_eq!(d.file.grid.len(), 4);
        assert_eq!(d.output.candidates.candidates.len(), 1);
        assert_eq!(d.output.candidates.candidates[0].area.squares.len(), 3);
    }
}

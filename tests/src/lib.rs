//! Helpers for the pipeline tests in `tests/`: locating the samples and the real data
//! in `../shared` (which the tests needing it require: they are ignored by default),
//! checking prerequisites, and running the whole method on a grid.

pub mod quartiers;
pub mod verdicts;

use qpv_core::{CommuneTable, Grid, Pipeline, RunOutput, RunSettings};
use qpv_grid::communes::{CommuneVintage, embedded_communes};
use qpv_grid::{GridReader, GridSource};
use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_owned()
}

/// Whether every prerequisite of the tests must be present: in CI (`CI=true`, as CI
/// services set it) or where `QPV_REQUIRE_ALL=1` (`.ci/run` exports it).
pub fn require_all() -> bool {
    let set = |name: &str, values: &[&str]| std::env::var(name).is_ok_and(|v| values.contains(&v.as_str()));
    set("CI", &["true", "1"]) || set("QPV_REQUIRE_ALL", &["1"])
}

/// The real data: `../shared/data` beside the checkout, or the directory named by
/// `QPV_SHARED_DATA`.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("QPV_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => repo_root().parent().expect("the checkout has a parent").join("shared").join("data"),
    }
}

/// `../shared/data/<rel>`; panics when it is absent. The tests calling it are marked
/// `#[ignore = "needs ../shared/data …"]`: plain `cargo test` reports them as ignored,
/// and when they run (`-- --include-ignored`, as `.ci/run` does) a missing file fails
/// them instead of letting them pass having checked nothing.
pub fn shared_file(rel: &str) -> PathBuf {
    let p = shared_dir().join(rel);
    assert!(
        p.exists(),
        "missing prerequisite: {} is absent. This test needs the real data in ../shared/data \
         beside the checkout (or QPV_SHARED_DATA=DIR); without it, run `cargo test --workspace` \
         without `--include-ignored` and it is reported as ignored",
        p.display()
    );
    p
}

/// The files of `../shared/data` that the ignored tests read.
pub const SHARED_FILES: [&str; 9] = [
    "filosofi2019/carreaux_200m_dep59.csv",
    "filosofi2019/carreaux_200m_met.csv.gz",
    "qpv-official/qpv2024_nord.geojson",
    "qpv-official/qp2015_haute_garonne.geojson",
    "qpv-official/qp2015_haute_garonne.csv",
    "rep/colleges_rep_repplus_nord_pdc_2021.geojson",
    "proj-reference/laea3035_to_wgs84.csv",
    "proj-reference/lambert93_to_laea3035.csv",
    "boundaries/communes-59-nord.geojson",
];

/// Whether `ogrinfo` (Debian's gdal-bin) runs.
pub fn have_ogrinfo() -> bool {
    std::process::Command::new("ogrinfo").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Whether `pdfinfo` (Debian's poppler-utils, with pdftotext and pdftoppm) runs.
pub fn have_pdfinfo() -> bool {
    std::process::Command::new("pdfinfo").arg("-v").output().is_ok_and(|o| o.status.success())
}

/// Whether PyQGIS (Debian's python3-qgis) imports.
pub fn have_pyqgis() -> bool {
    std::process::Command::new("/usr/bin/python3")
        .args(["-c", "import sys; sys.path.insert(0, '/usr/share/qgis/python'); import qgis.core"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether Debian's `chromium` and `chromedriver` (package chromium-driver) run: the
/// browser tests of `qpv serve`'s page (`crates/cli/tests/serve_page.rs`) drive them.
pub fn have_chromedriver() -> bool {
    let runs = |tool: &str| {
        std::process::Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
    };
    runs("chromedriver") && runs("chromium")
}

/// What the ignored tests need and is missing here, each with how to get it.
pub fn missing_prerequisites() -> Vec<String> {
    let mut missing: Vec<String> = SHARED_FILES
        .iter()
        .map(|rel| shared_dir().join(rel))
        .filter(|p| !p.exists())
        .map(|p| format!("{} (the real data in ../shared/data, or QPV_SHARED_DATA=DIR)", p.display()))
        .collect();
    if !have_ogrinfo() {
        missing.push("ogrinfo (apt-get install gdal-bin)".into());
    }
    if !have_pdfinfo() {
        missing.push("pdfinfo, pdftotext, pdftoppm (apt-get install poppler-utils)".into());
    }
    if !have_pyqgis() {
        missing.push("PyQGIS (apt-get install --no-install-recommends python3-qgis qgis-providers)".into());
    }
    if !have_chromedriver() {
        missing.push("chromium and chromedriver (apt-get install chromium chromium-driver)".into());
    }
    missing
}

/// A grid, the embedded 2021 commune table and the whole method with default settings
/// and the embedded Filosofi 2019 medians.
pub struct Run {
    /// The squares.
    pub grid: Grid,
    /// The commune table.
    pub communes: CommuneTable,
    /// Every stage's result.
    pub output: RunOutput,
}

/// Runs the method on `source`.
pub fn run(source: GridSource) -> Run {
    let grid = GridReader::new(source).finish().expect("grid reads").grid;
    let (communes, _) = embedded_communes(CommuneVintage::Cog2021);
    let output = run_method(&grid, &communes, None);
    Run { grid, communes, output }
}

/// The whole method on `grid` with the embedded Filosofi 2019 medians, and `settings`
/// instead of the defaults of the grid's territory when given.
pub fn run_method(grid: &Grid, communes: &CommuneTable, settings: Option<RunSettings>) -> RunOutput {
    let (reference, _) = qpv_grid::reference::embedded_reference("filosofi2019").expect("embedded reference");
    let pipeline = Pipeline::new(grid, communes).reference(Some(&reference));
    let pipeline = match settings {
        Some(s) => pipeline.settings(s),
        None => pipeline,
    };
    pipeline.run().expect("run succeeds")
}

//! `qpv atlas` through the real binary: the PDF read back with poppler's `pdfinfo`,
//! `pdftotext` and `pdftoppm` (Debian's poppler-utils, installed by `.ci/run`), on the
//! embedded CAPH sample and on Nord. The tests that read the PDF are ignored by default
//! (a clone may have no poppler); `.ci/run` runs them with `-- --include-ignored`, and a
//! missing tool then fails them. Bad input needs no poppler and always runs.

mod common;
use common::*;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

fn qpv(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qpv"))
        .args(args)
        .current_dir(cwd)
        // The date printed on every page, fixed so that two runs can be compared.
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .output()
        .expect("qpv runs")
}

/// Panics unless `pdfinfo` runs: a test needing poppler must not pass without it.
fn require_poppler() {
    assert!(
        qpv_tests::have_pdfinfo(),
        "missing prerequisite: pdfinfo is absent (apt-get install poppler-utils; .ci/run installs it); \
         without it, run `cargo test` without `--include-ignored` and this test is reported as ignored"
    );
}

fn tool(name: &str, args: &[&str]) -> String {
    let o = Command::new(name).args(args).output().unwrap_or_else(|e| panic!("{name}: {e}"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{name} {args:?}: {err}");
    assert!(!err.contains("Error"), "{name} {args:?}: {err}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn pages(pdf: &Path) -> usize {
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    let line = info.lines().find(|l| l.starts_with("Pages:")).expect("a page count");
    line["Pages:".len()..].trim().parse().unwrap()
}

/// The text of page `p` (1-based).
fn page_text(pdf: &Path, p: usize) -> String {
    let p = p.to_string();
    tool("pdftotext", &["-layout", "-f", &p, "-l", &p, pdf.to_str().unwrap(), "-"])
}

/// A CSV file as rows of column → value, in file order.
fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records()
        .map(|rec| header.iter().cloned().zip(rec.unwrap().iter().map(str::to_owned)).collect())
        .collect()
}

fn figure(row: &HashMap<String, String>, column: &str) -> String {
    qpv_grid::thousands(row[column].parse::<f64>().unwrap())
}

/// The candidates of `candidates.csv` against the atlas of the same run: one page per
/// candidate after the cover, in the order of their ids, each with its id, inhabitants,
/// median, margin and verdict as `candidates.csv` has them; the cover lists them all.
fn candidates_match(candidates: &Path, pdf: &Path) -> usize {
    let mut table = rows(candidates);
    table.sort_by(|a, b| a["id"].cmp(&b["id"]));
    assert_eq!(pages(pdf), table.len() + 1, "the cover and one page per candidate");
    let cover = page_text(pdf, 1);
    for (k, row) in table.iter().enumerate() {
        let text = page_text(pdf, k + 2);
        let title = text.lines().find(|l| !l.trim().is_empty() && !l.contains("qpv atlas")).unwrap();
        assert!(title.trim_start().starts_with(&row["id"]), "page {}: {title}", k + 2);
        for column in ["inhabitants", "households", "median_est", "threshold", "margin"] {
            let want = figure(row, column);
            assert!(text.contains(&want), "page {} ({}): no {column} {want}", k + 2, row["id"]);
        }
        assert!(text.contains("meets the rule"), "page {}", k + 2);
        assert!(cover.contains(&row["id"]), "the cover lists {}", row["id"]);
        // Accents as written, text searchable.
        assert!(
            text.contains("France métropolitaine") && text.contains("décret n° 2014-767"),
            "page {}",
            k + 2
        );
    }
    table.len()
}

/// On the CAPH sample: the candidates' atlas, read back; the HTML holds the same pages;
/// two runs give the same bytes whatever the thread count; a page renders.
#[test]
#[ignore = "needs pdfinfo, pdftotext and pdftoppm (apt-get install poppler-utils)"]
fn caph_atlas_has_a_page_per_candidate_with_its_figures() {
    require_poppler();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&qpv(&["run"], d));
    let schools = sample("rep_colleges_caph_2021.geojson");
    let err = ok(&qpv(&["atlas", "--schools", &schools], d));
    assert!(err.contains("9 pages (8 perimeters and the cover)"), "{err}");
    let pdf = d.join("qpv-atlas/atlas.pdf");
    let n = candidates_match(&d.join("qpv-out/candidates.csv"), &pdf);
    assert_eq!(n, 8);
    // The page of 59701-01 (the north of Denain) lists the REP+ collèges inside it.
    let denain = (2..=9).map(|p| page_text(&pdf, p)).find(|t| t.contains("59701-01")).unwrap();
    assert!(denain.contains("0594299C TURGOT (REP+), inside"), "{denain}");
    let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
    assert!(
        fonts.contains("DejaVuSans") && fonts.lines().skip(2).all(|l| l.contains(" yes yes yes ")),
        "{fonts}"
    );
    let html = std::fs::read_to_string(d.join("qpv-atlas/atlas.html")).unwrap();
    assert_eq!(html.matches("<section class=\"page\"").count(), 9);
    assert!(html.contains("59701-01") && !html.contains("<script") && !html.contains("src=\"http"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("qpv-atlas/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["results"]["pages"], 9);
    // Same bytes on one thread.
    let one = Command::new(env!("CARGO_BIN_EXE_qpv"))
        .args(["atlas", "--schools", &schools, "--out", "again"])
        .current_dir(d)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    ok(&one);
    assert!(std::fs::read(&pdf).unwrap() == std::fs::read(d.join("again/atlas.pdf")).unwrap(), "same PDF");
    assert!(page_text(&pdf, 2).contains("Made on 2026-01-01"), "the date of SOURCE_DATE_EPOCH");
    // A page renders (poppler draws what a reader shows).
    tool(
        "pdftoppm",
        &["-r", "40", "-png", "-f", "2", "-l", "2", pdf.to_str().unwrap(), d.join("p").to_str().unwrap()],
    );
    // pdftoppm pads the page number to the width of the page count (9 pages: p-2).
    let png = std::fs::read(d.join("p-2.png")).unwrap();
    assert!(png.len() > 10_000 && &png[1..4] == b"PNG");
}

/// A perimeter file with a reference: the figures and verdicts of `qpv check` on the same
/// file, and the reference's pieces described on each page.
#[test]
#[ignore = "needs pdfinfo, pdftotext and pdftoppm (apt-get install poppler-utils)"]
fn perimeters_get_the_figures_of_check_and_the_reference_is_described() {
    require_poppler();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let edits = sample("caph_edits.toml");
    ok(&qpv(&["run", "--edits", &edits], d));
    let file = "qpv-out/adjusted.geojson";
    ok(&qpv(&["check", "--perimeters", file], d));
    ok(&qpv(&["atlas", "--perimeters", file, "--reference", "qpv-out/candidates.geojson"], d));
    let pdf = d.join("qpv-atlas/atlas.pdf");
    let checked = rows(&d.join("qpv-check/check.csv"));
    assert_eq!(pages(&pdf), checked.len() + 1);
    // Pages in the file's order, as check.csv.
    for (k, row) in checked.iter().enumerate() {
        let text = page_text(&pdf, k + 2);
        assert!(text.contains(&row["id"]), "page {}", k + 2);
        for column in ["inhabitants", "households", "median_est", "threshold_legal"] {
            let want = figure(row, column);
            assert!(text.contains(&want), "page {} ({}): no {column} {want}", k + 2, row["id"]);
        }
        let verdict = match row["verdict"].as_str() {
            "meets" => "meets the rule",
            "undecided" => "undecided",
            _ => "fails the rule",
        };
        assert!(text.contains(verdict), "page {} ({}): {verdict}", k + 2, row["id"]);
        assert!(text.contains("Reference qpv-out/candidates.geojson"), "page {}", k + 2);
    }
    // The merged Denain perimeter fails as two parts, as check says.
    let merged = checked.iter().position(|r| r["problems"].contains("2 parts")).unwrap();
    let text = page_text(&pdf, merged + 2);
    assert!(
        text.contains("Why not: not one continuous area (2 parts, 200 m apart)") && text.contains("not met"),
        "{text}"
    );
    assert!(page_text(&pdf, 1).contains("Against the reference qpv-out/candidates.geojson (8 perimeters)"));
    // The drawn perimeters: the one-square cité cannot be decided from the grid, and its
    // page says so in its own words and colour, with the range of its inhabitants.
    let drawn = sample("drawn_perimeters_l93.shp");
    ok(&qpv(&["atlas", "--perimeters", &drawn, "--out", "drawn"], d));
    let cite = page_text(&d.join("drawn/atlas.pdf"), 3);
    assert!(cite.contains("DOU-01") && cite.contains("undecided"), "{cite}");
    assert!(cite.contains("Cannot be decided from the public 200 m grid: between 402 and 1 536"), "{cite}");
    assert!(cite.contains("786 (between 402 and 1 536"), "{cite}");
}

/// A word of `pdftotext -bbox`: its box in points (y down) and its text.
struct Word {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    text: String,
}

impl Word {
    fn height(&self) -> f64 {
        self.y1 - self.y0
    }
}

/// The words of page `p` (1-based), in reading order.
fn words(pdf: &Path, p: usize) -> Vec<Word> {
    let p = p.to_string();
    let html = tool("pdftotext", &["-bbox", "-f", &p, "-l", &p, pdf.to_str().unwrap(), "-"]);
    html.split("<word ")
        .skip(1)
        .map(|w| {
            let number = |name: &str| -> f64 {
                let t = &w[w.find(&format!("{name}=\"")).unwrap() + name.len() + 2..];
                t[..t.find('"').unwrap()].parse().unwrap()
            };
            let text = w[w.find('>').unwrap() + 1..w.find("</word>").unwrap()].to_owned();
            Word { x0: number("xMin"), y0: number("yMin"), x1: number("xMax"), y1: number("yMax"), text }
        })
        .collect()
}

/// The first word starting the run of words `run`.
fn find<'a>(words: &'a [Word], run: &[&str]) -> Option<&'a Word> {
    words.windows(run.len()).find(|w| w.iter().zip(run).all(|(w, r)| w.text == *r)).map(|w| &w[0])
}

/// The words of a page's map: from its title's line down to what follows the map (the
/// words of `below`), left of the figures when they stand beside it.
fn map_words<'a>(words: &'a [Word], title: &[&str], below: &[&str]) -> Vec<&'a Word> {
    let top = find(words, title).unwrap_or_else(|| panic!("no map title {title:?}"));
    let bottom = words
        .windows(below.len())
        .find(|w| w[0].y0 > top.y1 && w.iter().zip(below).all(|(w, r)| w.text == *r))
        .map(|w| w[0].y0)
        .unwrap_or_else(|| panic!("nothing under the map: {below:?}"));
    let right = words
        .iter()
        .find(|w| w.text == "Figures" && w.y0 > top.y0 - 5.0 && w.y0 < bottom)
        .map_or(f64::INFINITY, |w| w.x0);
    words.iter().filter(|w| w.y0 >= top.y0 - 0.5 && w.y1 <= bottom && w.x1 < right).collect()
}

/// On paper every label of every map (perimeter pages and the cover) is at least as
/// high as the page's body text (a figure's label, measured on each page); returns the
/// smallest and the median heights of the map words, points.
fn map_labels_read_as_the_body(pdf: &Path) -> (f64, f64) {
    let mut heights = Vec::new();
    let mut body_of = |p: usize, map: Vec<&Word>, body: f64| {
        assert!((6.0..10.0).contains(&body), "page {p}: body text {body} pt");
        assert!(map.len() >= 10, "page {p}: {} words in the map: its labels, legend and scale", map.len());
        for w in map {
            assert!(
                w.height() >= body - 0.01,
                "page {p}: {:?} is {:.2} pt high, the body {body:.2}",
                w.text,
                w.height()
            );
            heights.push(w.height());
        }
    };
    let n = pages(pdf);
    let mut body = 0.0;
    for p in 2..=n {
        let words = words(pdf, p);
        body = words.iter().find(|w| w.text == "Households").expect("the figures").height();
        let map = map_words(&words, &["and", "its", "surroundings"], &["of", "the", "atlas", "in"]);
        body_of(p, map, body);
    }
    let cover = words(pdf, 1);
    body_of(
        1,
        map_words(&cover, &["Every", "perimeter", "of", "the", "atlas"], &["perimeters", "meet", "the"]),
        body,
    );
    heights.sort_by(f64::total_cmp);
    (heights[0], heights[heights.len() / 2])
}

/// The atlas is read on paper: the labels of its maps are no smaller than its body text
/// (they were 3 to 5 pt when the maps were `qpv map`'s 1 200 px canvas scaled to the page).
#[test]
#[ignore = "needs pdfinfo and pdftotext (apt-get install poppler-utils)"]
fn printed_map_labels_are_no_smaller_than_the_body_text() {
    require_poppler();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&qpv(&["run"], d));
    ok(&qpv(&["atlas", "--schools", &sample("rep_colleges_caph_2021.geojson")], d));
    let (smallest, median) = map_labels_read_as_the_body(&d.join("qpv-atlas/atlas.pdf"));
    eprintln!("CAPH atlas: map labels {smallest:.2} pt at the smallest, {median:.2} pt the median");
}

/// On Nord: the 88 candidates, with the REP/REP+ collèges of Nord and Pas-de-Calais.
#[test]
#[ignore = "needs ../shared/data (Nord grid, REP collèges) and poppler-utils (pdfinfo, pdftotext)"]
fn nord_atlas_has_a_page_per_candidate_with_its_figures() {
    require_poppler();
    let nord = qpv_tests::shared_file("filosofi2019/carreaux_200m_dep59.csv");
    let rep = qpv_tests::shared_file("rep/colleges_rep_repplus_nord_pdc_2021.geojson");
    let (nord, rep) = (nord.to_str().unwrap(), rep.to_str().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&qpv(&["run", "--grid", nord], d));
    ok(&qpv(&["atlas", "--grid", nord, "--schools", rep], d));
    let n = candidates_match(&d.join("qpv-out/candidates.csv"), &d.join("qpv-atlas/atlas.pdf"));
    assert_eq!(n, 88);
    let (smallest, median) = map_labels_read_as_the_body(&d.join("qpv-atlas/atlas.pdf"));
    eprintln!("Nord atlas: map labels {smallest:.2} pt at the smallest, {median:.2} pt the median");
}

fn fails_writing_nothing(args: &[&str], d: &Path, message: &str) {
    let o = qpv(args, d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(message), "{err}");
    assert!(!d.join("qpv-atlas").exists(), "nothing written: {err}");
}

/// An empty perimeter file, a perimeter outside the grid, an empty reference and a run
/// without candidates: a clear error, exit 2, no file written.
#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("empty.geojson"), r#"{"type": "FeatureCollection", "features": []}"#).unwrap();
    fails_writing_nothing(
        &["atlas", "--perimeters", "empty.geojson"],
        d,
        "empty.geojson: the file holds no perimeter",
    );
    // A square in Marseille, far from the CAPH sample.
    let ring = "[[5.37, 43.29], [5.38, 43.29], [5.38, 43.30], [5.37, 43.30], [5.37, 43.29]]";
    let marseille = format!(
        r#"{{"type": "FeatureCollection", "features": [{{"type": "Feature", "properties": {{"id": "MRS-01"}},
        "geometry": {{"type": "Polygon", "coordinates": [{ring}]}}}}]}}"#
    );
    std::fs::write(d.join("marseille.geojson"), marseille).unwrap();
    fails_writing_nothing(
        &["atlas", "--perimeters", "marseille.geojson"],
        d,
        "no perimeter of the file lies on the grid",
    );
    fails_writing_nothing(
        &["atlas", "--reference", "empty.geojson"],
        d,
        "empty.geojson: the reference file holds no perimeter",
    );
    fails_writing_nothing(
        &["atlas", "--min-population", "1000000"],
        d,
        "the run found no candidate, so the atlas would have no page",
    );
    fails_writing_nothing(&["atlas", "--school-distance=-1"], d, "--school-distance must be zero or more");
}

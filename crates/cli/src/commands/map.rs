//! `qpv map`: SVG, PNG and HTML maps of the perimeters.

use crate::analysed::{self, Analysed, Reading};
use crate::args::MapArgs;
use crate::printer::Printer;
use anyhow::{Result, anyhow};
use qpv_core::compare::{Perimeters, Population};
use qpv_grid::{OutputSet, thousands};
use qpv_layers::perimeters::read_perimeters;
use qpv_layers::records;
use qpv_map::{FeatureClass, MapFeature, MapPoint, MapScene, MapSquare, html, png, svg};
use rustc_hash::FxHashMap;

/// Draws the map and writes its three files.
pub fn map(args: &MapArgs, printer: Printer) -> Result<()> {
    let options = args.rule.options().combine(args.input.options());
    let a = analysed::analyse(&options, Reading::default(), printer)?;
    let grid = &a.file.grid;
    let frame = grid.frame().ok_or_else(|| anyhow!("empty grid"))?;
    let file = super::perimeter_file(&args.perimeters, frame.epsg, printer)?;
    let mut features = match &file {
        None => candidate_features(&a),
        Some(file) => perimeter_features(&file.perimeters, &Population::new(grid, None, a.fits())),
    };
    if let Some(path) = &args.diff {
        let file = read_perimeters(path, None, None, frame.epsg)?;
        features.extend(diff_features(&file));
    }
    let squares = if args.squares {
        grid.cells()
            .iter()
            .zip(a.fits())
            .filter_map(|(c, f)| {
                let size = frame.square_size as f64;
                f.map(|d| MapSquare { x: c.x as f64 * size, y: c.y as f64 * size, median: d.median() })
            })
            .collect()
    } else {
        Vec::new()
    };
    let points = match &args.schools {
        Some(path) => schools(path, frame.epsg)?,
        None => Vec::new(),
    };
    let scene = MapScene {
        title: args.title.clone().unwrap_or_else(|| format!("Quartiers prioritaires: {}", a.file.input.path)),
        note: "Estimated medians (qpv's log-normal model on Filosofi squares), not INSEE figures. Source: INSEE Filosofi, IGN, Éducation nationale."
            .into(),
        square_size: frame.square_size as f64,
        squares,
        features,
        points,
        labels: commune_labels(&a),
    };
    let svg = svg(&scene)?;
    let (png, fonts) = png(&svg)?;
    if !fonts {
        printer.warn(
            "no system font found: the PNG has no text (install fonts-dejavu-core); the SVG and HTML do",
        );
    }
    let page = html(&scene, &svg);
    let mut out = OutputSet::new(&args.out);
    out.add("map.svg", svg.into_bytes());
    out.add("map.png", png);
    out.add("map.html", page.into_bytes());
    for p in out.commit()? {
        printer.info(format!("wrote {}", p.display()));
    }
    Ok(())
}

fn euros(x: Option<f64>) -> String {
    x.map_or("–".into(), |m| format!("{} €", thousands(m)))
}

fn candidate_features(a: &Analysed) -> Vec<MapFeature> {
    let (candidates, _) = records::area_records(&a.output, &a.file.grid, &a.communes);
    candidates
        .into_iter()
        .map(|c| {
            let r = &c.record;
            MapFeature {
                class: FeatureClass::Perimeter(r.margin()),
                label: r.id.clone(),
                info: vec![
                    ("urban unit".into(), format!("{} {}", r.uu_code, r.uu_name)),
                    ("communes".into(), r.commune_names()),
                    ("inhabitants".into(), thousands(r.inhabitants)),
                    ("households".into(), thousands(r.households)),
                    ("poor households".into(), format!("{:.1} %", 100.0 * r.poor_share)),
                    ("median (estimate)".into(), euros(r.median)),
                    ("applied threshold".into(), euros(Some(r.threshold))),
                    ("margin below it".into(), euros(r.margin())),
                ],
                geometry: c.geometry,
            }
        })
        .collect()
}

fn perimeter_features(p: &Perimeters, population: &Population) -> Vec<MapFeature> {
    p.shapes
        .iter()
        .enumerate()
        .map(|(k, shape)| {
            let r = population.residents(shape);
            let t = &r.totals;
            let share = if t.households > 0.0 { t.poor_households / t.households } else { f64::NAN };
            MapFeature {
                geometry: shape.clone(),
                class: FeatureClass::Perimeter(None),
                label: p.ids[k].clone(),
                info: vec![
                    ("name".into(), p.names[k].clone()),
                    ("inhabitants (area share)".into(), thousands(t.individuals)),
                    ("poor households".into(), format!("{:.1} %", 100.0 * share)),
                    ("median (estimate)".into(), euros(r.median)),
                ],
            }
        })
        .collect()
}

fn diff_features(file: &qpv_layers::perimeters::PerimeterFile) -> Vec<MapFeature> {
    let p = &file.perimeters;
    p.shapes
        .iter()
        .zip(&file.properties)
        .map(|(shape, props)| {
            let change = props.get("change").and_then(|v| v.as_str()).unwrap_or("");
            let class = match change {
                "added" => FeatureClass::Added,
                "removed" => FeatureClass::Removed,
                _ => FeatureClass::Kept,
            };
            let info =
                props.iter().map(|(k, v)| (k.clone(), v.to_string().trim_matches('"').to_owned())).collect();
            MapFeature { geometry: shape.clone(), class, label: String::new(), info }
        })
        .collect()
}

fn schools(path: &std::path::Path, epsg: u32) -> Result<Vec<MapPoint>> {
    let shapes = qpv_layers::edits::read_shapes(path, None, epsg)?;
    let text = |p: &serde_json::Map<String, serde_json::Value>, keys: &[&str]| {
        keys.iter().find_map(|k| p.get(*k).and_then(|v| v.as_str()).map(str::to_owned)).unwrap_or_default()
    };
    Ok(shapes
        .iter()
        .flat_map(|s| {
            let label = text(&s.properties, &["Nom", "nom", "name", "appellation_officielle"]);
            let category = text(&s.properties, &["Classement REP", "rep", "ep"]);
            s.points.iter().map(move |(x, y)| MapPoint {
                x: *x,
                y: *y,
                label: label.clone(),
                category: category.clone(),
            })
        })
        .collect())
}

/// Commune names at the centre of their residents, for communes of 1 000 inhabitants or
/// more in the grid (a square of several communes counts for each).
fn commune_labels(a: &Analysed) -> Vec<(f64, f64, String)> {
    let grid = &a.file.grid;
    let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
    let mut sums: FxHashMap<qpv_core::CommuneCode, (f64, f64, f64)> = FxHashMap::default();
    for (i, c) in grid.cells().iter().enumerate() {
        let w = grid.values()[i].individuals;
        for code in grid.communes(i) {
            let e = sums.entry(*code).or_default();
            e.0 += w * (c.x as f64 + 0.5) * size;
            e.1 += w * (c.y as f64 + 0.5) * size;
            e.2 += w;
        }
    }
    let mut labels: Vec<(f64, f64, String, f64)> = sums
        .into_iter()
        .filter(|(_, s)| s.2 >= 1_000.0)
        .filter_map(|(code, (x, y, w))| {
            let k = a.communes.find(code)?;
            Some((x / w, y / w, a.communes.get(k).name.clone(), w))
        })
        .collect();
    // Most populous first: they win where labels would overlap.
    labels.sort_by(|p, q| q.3.total_cmp(&p.3).then(p.2.cmp(&q.2)));
    labels.into_iter().map(|(x, y, name, _)| (x, y, name)).collect()
}

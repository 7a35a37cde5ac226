//! `qpv map`: SVG, PNG and HTML maps of the perimeters.

use crate::analysed::{self, Analysed, Reading};
use crate::args::MapArgs;
use crate::printer::Printer;
use anyhow::{Result, anyhow};
use qpv_core::Territory;
use qpv_core::compare::{Perimeters, Population};
use qpv_grid::{OutputSet, thousands};
use qpv_layers::perimeters::read_perimeters;
use qpv_layers::records;
use qpv_map::{
    FeatureClass, InhabitedSquare, MapFeature, MapPlace, MapPoint, MapScene, MapSquare, PlaceKind, html, png,
    svg,
};
use rustc_hash::FxHashMap;

/// Draws the map and writes its three files.
pub fn map(args: &MapArgs, printer: Printer) -> Result<()> {
    let options = args.rule.options().combine(args.input.options());
    let a = analysed::analyse(&options, Reading::default(), printer)?;
    let grid = &a.file.grid;
    let frame = grid.frame().ok_or_else(|| anyhow!("empty grid"))?;
    let file = super::perimeter_file(&args.perimeters, frame.epsg, printer)?;
    // Each feature with its inhabitants (what sizes its symbol on a small-scale map).
    let mut features = match &file {
        None => candidate_features(&a),
        Some(file) => perimeter_features(&file.perimeters, &Population::new(grid, None, a.fits())),
    };
    if let Some(path) = &args.diff {
        let file = read_perimeters(path, None, None, frame.epsg)?;
        features.extend(diff_features(&file).into_iter().map(|f| (f, f64::NAN)));
    }
    let (features, inhabitants): (Vec<MapFeature>, Vec<f64>) = features.into_iter().unzip();
    let inhabited = inhabited_squares(&a);
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
        labels: Vec::new(),
        inhabited,
        places: places(&a),
        inhabitants,
        focus: None,
    };
    let started = std::time::Instant::now();
    let svg = svg(&scene)?;
    let drawn = started.elapsed();
    let (png, fonts) = png(&svg)?;
    printer.info(format!(
        "drew the map: SVG {} KB in {:.2} s, PNG {} KB in {:.2} s",
        thousands(svg.len() as f64 / 1e3),
        drawn.as_secs_f64(),
        thousands(png.len() as f64 / 1e3),
        (started.elapsed() - drawn).as_secs_f64()
    ));
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

fn candidate_features(a: &Analysed) -> Vec<(MapFeature, f64)> {
    let (candidates, _) = records::area_records(&a.output, &a.file.grid, &a.communes);
    candidates
        .into_iter()
        .map(|c| {
            let r = &c.record;
            let feature = MapFeature {
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
            };
            (feature, r.inhabitants)
        })
        .collect()
}

fn perimeter_features(p: &Perimeters, population: &Population) -> Vec<(MapFeature, f64)> {
    p.shapes
        .iter()
        .enumerate()
        .map(|(k, shape)| {
            let r = population.residents(shape);
            let t = &r.totals;
            let share = if t.households > 0.0 { t.poor_households / t.households } else { f64::NAN };
            let feature = MapFeature {
                geometry: shape.clone(),
                class: FeatureClass::Perimeter(None),
                label: p.ids[k].clone(),
                info: vec![
                    ("name".into(), p.names[k].clone()),
                    ("inhabitants (area share)".into(), thousands(t.individuals)),
                    ("poor households".into(), format!("{:.1} %", 100.0 * share)),
                    ("median (estimate)".into(), euros(r.median)),
                ],
            };
            (feature, t.individuals)
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
    let schools = qpv_layers::schools::read_schools(path, None, epsg, qpv_layers::schools::Keep::All)?;
    Ok(schools
        .into_iter()
        .map(|s| MapPoint {
            x: s.x,
            y: s.y,
            label: s.name.unwrap_or_default(),
            category: s.category.unwrap_or_default(),
        })
        .collect())
}

/// Names for the map, each at the centre of its residents in the grid, with its residents
/// in the grid as importance (the map picks which to show at its scale): the urban units
/// (metropolitan grids; overseas the units are the communes themselves) and the communes
/// of 1 000 residents or more (a square of several communes counts for each).
///
/// An urban unit is named only when at least half of its population lives in the grid:
/// on the Nord grid the few Nord communes of the Béthune unit would otherwise be labelled
/// "Béthune", 20 km from Béthune.
/// Every inhabited square with its inhabitants: the density background of a map (also
/// the atlas's cover).
pub fn inhabited_squares(a: &Analysed) -> Vec<InhabitedSquare> {
    let grid = &a.file.grid;
    let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
    grid.cells()
        .iter()
        .zip(grid.values())
        .map(|(c, v)| InhabitedSquare {
            x: c.x as f64 * size,
            y: c.y as f64 * size,
            inhabitants: v.individuals,
        })
        .collect()
}

/// Urban units and communes to name, by importance (also on the atlas's cover).
pub fn places(a: &Analysed) -> Vec<MapPlace> {
    let grid = &a.file.grid;
    let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
    let mut communes: FxHashMap<qpv_core::CommuneCode, Centre> = FxHashMap::default();
    let placement = &a.output.placement;
    let mut units = vec![Centre::default(); placement.units.len()];
    for (i, c) in grid.cells().iter().enumerate() {
        let w = grid.values()[i].individuals;
        let (x, y) = ((c.x as f64 + 0.5) * size, (c.y as f64 + 0.5) * size);
        for code in grid.communes(i) {
            communes.entry(*code).or_default().add(x, y, w);
        }
        if let Some(u) = placement.unit(i) {
            units[u as usize].add(x, y, w);
        }
    }
    let mut out: Vec<MapPlace> = Vec::new();
    if a.territory == Territory::Metropolitan {
        for (unit, centre) in placement.units.iter().zip(&units) {
            let mostly_here = unit.population <= 0.0 || centre.w >= unit.population / 2.0;
            if let Some((x, y)) = centre.point().filter(|_| mostly_here) {
                out.push(MapPlace {
                    x,
                    y,
                    name: short_name(&unit.name),
                    kind: PlaceKind::UrbanUnit,
                    population: centre.w,
                });
            }
        }
    }
    for (code, centre) in communes {
        if let (Some(k), Some((x, y))) = (a.communes.find(code), centre.point())
            && centre.w >= 1_000.0
        {
            let name = a.communes.get(k).name.clone();
            out.push(MapPlace { x, y, name, kind: PlaceKind::Commune, population: centre.w });
        }
    }
    out
}

/// Sums for a residents-weighted centre.
#[derive(Debug, Clone, Copy, Default)]
struct Centre {
    x: f64,
    y: f64,
    w: f64,
}

impl Centre {
    fn add(&mut self, x: f64, y: f64, w: f64) {
        self.x += w * x;
        self.y += w * y;
        self.w += w;
    }

    fn point(&self) -> Option<(f64, f64)> {
        (self.w > 0.0).then(|| (self.x / self.w, self.y / self.w))
    }
}

/// An urban unit's name as a map shows it: INSEE's qualifiers in parentheses left out
/// ("Lille (partie française)" is Lille, "Genève (SUI)-Annemasse (partie française)"
/// is Genève-Annemasse).
fn short_name(name: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for ch in name.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(ch),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ").replace(" -", "-").replace("- ", "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urban_unit_names_lose_their_qualifiers() {
        assert_eq!(short_name("Lille (partie française)"), "Lille");
        assert_eq!(short_name("Genève (SUI)-Annemasse (partie française)"), "Genève-Annemasse");
        assert_eq!(short_name("Marseille-Aix-en-Provence"), "Marseille-Aix-en-Provence");
        assert_eq!(short_name("Paris"), "Paris");
    }

    #[test]
    fn a_centre_is_weighted_by_residents_and_an_empty_one_is_none() {
        let mut c = Centre::default();
        assert_eq!(c.point(), None);
        c.add(0.0, 0.0, 3.0);
        c.add(400.0, 800.0, 1.0);
        assert_eq!(c.point(), Some((100.0, 200.0)));
    }
}

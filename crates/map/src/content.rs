//! What a map shows, taken from a run or a file: the features of the candidates, of a
//! perimeter file or of a comparison's diff, the squares by estimated median, the REP
//! schools as points, the inhabited squares (the density background) and the places to
//! name. `qpv map`, `qpv atlas` and `qpv serve` fill their scenes from here.

use crate::{FeatureClass, InhabitedSquare, MapFeature, MapPlace, MapPoint, MapSquare, PlaceKind};
use qpv_core::compare::{Perimeters, Population};
use qpv_core::{CommuneTable, Grid, LogNormal, Placement, RunOutput, Territory};
use qpv_grid::thousands;
use qpv_layers::perimeters::PerimeterFile;
use qpv_layers::records;
use qpv_layers::schools::School;
use rustc_hash::FxHashMap;

/// The squares of a grid coloured by their estimated median (those with a fit).
pub fn median_squares(grid: &Grid, fits: &[Option<LogNormal>]) -> Vec<MapSquare> {
    let Some(frame) = grid.frame() else { return Vec::new() };
    let size = frame.square_size as f64;
    grid.cells()
        .iter()
        .zip(fits)
        .filter_map(|(c, f)| {
            f.map(|d| MapSquare { x: c.x as f64 * size, y: c.y as f64 * size, median: d.median() })
        })
        .collect()
}

/// Schools as points labelled by name, with their category (REP, REP+…).
pub fn school_points(schools: Vec<School>) -> Vec<MapPoint> {
    schools
        .into_iter()
        .map(|s| MapPoint {
            x: s.x,
            y: s.y,
            label: s.name.unwrap_or_default(),
            category: s.category.unwrap_or_default(),
        })
        .collect()
}

fn euros(x: Option<f64>) -> String {
    x.map_or("–".into(), |m| format!("{} €", thousands(m)))
}

/// The candidates of a run, each with its figures (shown on click) and its inhabitants
/// (what sizes its symbol on a small-scale map).
pub fn candidate_features(
    output: &RunOutput,
    grid: &Grid,
    communes: &CommuneTable,
) -> Vec<(MapFeature, f64)> {
    let (candidates, _) = records::area_records(output, grid, communes);
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

/// The perimeters of a file, each with its residents by area share and their
/// inhabitants.
pub fn perimeter_features(p: &Perimeters, population: &Population) -> Vec<(MapFeature, f64)> {
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

/// A comparison's diff.geojson (from `qpv compare`) as kept / added / removed, every
/// property shown on click.
pub fn diff_features(file: &PerimeterFile) -> Vec<MapFeature> {
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

/// Every inhabited square with its inhabitants: the density background of a map (also
/// the atlas's cover).
pub fn inhabited_squares(grid: &Grid) -> Vec<InhabitedSquare> {
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

/// Names for the map, each at the centre of its residents in the grid, with its residents
/// in the grid as importance (the map picks which to show at its scale): the urban units
/// (metropolitan grids; overseas the units are the communes themselves) and the communes
/// of 1 000 residents or more (a square of several communes counts for each).
///
/// An urban unit is named only when at least half of its population lives in the grid:
/// on the Nord grid the few Nord communes of the Béthune unit would otherwise be labelled
/// "Béthune", 20 km from Béthune.
///
/// Also the atlas's cover and pages and the `qpv serve` page.
pub fn places(
    grid: &Grid,
    placement: &Placement,
    table: &CommuneTable,
    territory: Territory,
) -> Vec<MapPlace> {
    let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
    let mut communes: FxHashMap<qpv_core::CommuneCode, Centre> = FxHashMap::default();
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
    if territory == Territory::Metropolitan {
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
        if let (Some(k), Some((x, y))) = (table.find(code), centre.point())
            && centre.w >= 1_000.0
        {
            let name = table.get(k).name.clone();
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
    use geo_types::{Coord, LineString, MultiPolygon, Polygon};
    use qpv_grid::GridFile;
    use qpv_grid::fixture::{Denain, denain};

    /// The Denain fixture (`qpv_grid::fixture`): one candidate, 59701-01; the Valenciennes
    /// urban unit lives mostly off this grid.
    fn fixture() -> (GridFile, CommuneTable, RunOutput) {
        let Denain { file, communes, output } = denain();
        (file, communes, output)
    }

    fn rectangle(x: f64, y: f64, width: f64, height: f64) -> MultiPolygon<f64> {
        let ring = [(x, y), (x + width, y), (x + width, y + height), (x, y + height), (x, y)];
        MultiPolygon(vec![Polygon::new(LineString(ring.map(|(x, y)| Coord { x, y }).to_vec()), Vec::new())])
    }

    #[test]
    fn the_candidates_come_with_their_figures_and_inhabitants() {
        let (file, communes, output) = fixture();
        let features = candidate_features(&output, &file.grid, &communes);
        assert_eq!(features.len(), 1);
        let (f, inhabitants) = &features[0];
        assert_eq!((f.label.as_str(), *inhabitants), ("59701-01", 1200.0));
        assert!(matches!(f.class, FeatureClass::Perimeter(Some(m)) if m > 0.0), "{:?}", f.class);
        let info: FxHashMap<&str, &str> = f.info.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(info["inhabitants"], thousands(1200.0));
        assert!(info["communes"].contains("Denain"), "{info:?}");
    }

    #[test]
    fn a_file_perimeter_counts_its_residents_by_area_share() {
        let (file, _, output) = fixture();
        // Half of the first square (400 residents).
        let perimeters = Perimeters {
            ids: vec!["p1".into()],
            names: vec!["Moitié".into()],
            shapes: vec![rectangle(3794800.0, 2969400.0, 100.0, 200.0)],
        };
        let population = Population::new(&file.grid, None, &output.flagged.fits);
        let features = perimeter_features(&perimeters, &population);
        let (f, inhabitants) = &features[0];
        assert_eq!((f.label.as_str(), f.class), ("p1", FeatureClass::Perimeter(None)));
        assert!((inhabitants - 200.0).abs() < 1e-6, "{inhabitants}");
        assert_eq!(f.info[0], ("name".to_owned(), "Moitié".to_owned()));
    }

    #[test]
    fn squares_without_a_fit_are_not_coloured() {
        let (file, _, _) = fixture();
        let grid = &file.grid;
        let mut fits = vec![Some(LogNormal { mu: 10.0, sigma: 0.5 }); grid.len()];
        fits[0] = None;
        let squares = median_squares(grid, &fits);
        assert_eq!(squares.len(), grid.len() - 1);
        let c = grid.cells()[1];
        assert_eq!((squares[0].x, squares[0].y), (c.x as f64 * 200.0, c.y as f64 * 200.0));
        assert!((squares[0].median - 10f64.exp()).abs() < 1e-6);
        // Every inhabited square is in the background, with its residents.
        let inhabited = inhabited_squares(grid);
        assert_eq!(inhabited.iter().map(|q| q.inhabitants).sum::<f64>(), 1600.0);
    }

    #[test]
    fn a_school_without_a_name_or_category_is_still_a_point() {
        let school = School { code: None, name: None, category: None, x: 1.0, y: 2.0 };
        let named = School { name: Some("Jean Zay".into()), category: Some("REP+".into()), ..school.clone() };
        let points = school_points(vec![school, named]);
        assert_eq!((points[0].label.as_str(), points[0].category.as_str()), ("", ""));
        assert_eq!((points[1].label.as_str(), points[1].category.as_str()), ("Jean Zay", "REP+"));
        assert_eq!((points[1].x, points[1].y), (1.0, 2.0));
    }

    #[test]
    fn a_commune_is_named_but_not_a_unit_living_mostly_elsewhere() {
        let (file, communes, output) = fixture();
        let places = places(&file.grid, &output.placement, &communes, Territory::Metropolitan);
        // Denain's 1 600 residents here pass the 1 000 floor; the Valenciennes unit,
        // most of whose people live off this grid, is not named at Denain.
        assert_eq!(places.len(), 1, "{places:?}");
        assert_eq!(
            (places[0].name.as_str(), places[0].kind, places[0].population),
            ("Denain", PlaceKind::Commune, 1600.0)
        );
        // At the centre of its residents.
        let xs: f64 = file.grid.cells().iter().map(|c| (c.x as f64 + 0.5) * 200.0).sum::<f64>() / 4.0;
        assert!((places[0].x - xs).abs() < 1e-6);
    }

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

//! REP and REP+ schools (éducation prioritaire): the one reader of the school files that
//! `qpv check`, `qpv map`, `qpv atlas`, `qpv serve` and the `include_schools` step take,
//! with one list of the property names that hold a school's code, name and category.
//!
//! The callers differ only in which schools they keep ([`Keep`]): the map draws every
//! point of the file, check and the atlas list the REP/REP+ ones, a step keeps those its
//! `where` names.

use crate::edits::{Shape, read_shapes};
use crate::error::IoError;
use geo_types::MultiPolygon;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// Properties holding the school's code (UAI), first found wins.
pub const CODE_FIELDS: &[&str] = &["Code etablissement", "uai", "UAI", "code"];
/// Properties holding the school's name, first found wins.
pub const NAME_FIELDS: &[&str] = &["Nom", "nom", "name", "appellation_officielle"];
/// Properties holding the category (`REP`, `REP+`, or another word), first found wins.
pub const CATEGORY_FIELDS: &[&str] = &["Classement REP", "classement_rep", "rep", "ep"];

/// A school: a point of the file, in the grid's CRS, with what its properties say.
#[derive(Debug, Clone, PartialEq)]
pub struct School {
    /// The code (UAI), trimmed; `None` when no property of [`CODE_FIELDS`] is text.
    pub code: Option<String>,
    /// The name, trimmed; `None` when no property of [`NAME_FIELDS`] is text.
    pub name: Option<String>,
    /// The category, trimmed (`REP`, `REP+`…); `None` when the file does not say.
    pub category: Option<String>,
    /// Position, grid CRS.
    pub x: f64,
    /// Position, grid CRS.
    pub y: f64,
}

impl School {
    /// Code and name, joined by a space (either may be missing): how the tables and
    /// the audit name a school.
    pub fn label(&self) -> String {
        [self.code.as_deref(), self.name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ")
    }
}

/// Which schools of the file to keep.
#[derive(Debug, Clone, Copy)]
pub enum Keep<'a> {
    /// Every point (`qpv map` draws them all, each with its category).
    All,
    /// REP and REP+ schools: a school whose category does not start with `REP` (any
    /// case) is left out, one without category is kept; none left is an error
    /// (`qpv check`, the atlas, `qpv serve`).
    Rep,
    /// The features whose every named property has one of the values listed, both
    /// trimmed (the `where` of an `include_schools` step); a missing property fails.
    Where(&'a BTreeMap<String, Vec<String>>),
}

/// Reads the schools of a GeoJSON file or shapefile, projected to `grid_epsg` (`crs`:
/// the file's CRS when it declares none, as for [`read_shapes`]).
pub fn read_schools(
    path: &Path,
    crs: Option<&str>,
    grid_epsg: u32,
    keep: Keep<'_>,
) -> Result<Vec<School>, IoError> {
    let schools = schools_of(&read_shapes(path, crs, grid_epsg)?, keep);
    if matches!(keep, Keep::Rep) && schools.is_empty() {
        return Err(IoError::GeometryFile {
            path: path.to_owned(),
            message: "no REP or REP+ school (points) in the file".into(),
        });
    }
    Ok(schools)
}

/// The schools of features already read, in file order (a multipoint gives one school
/// per point).
pub fn schools_of(shapes: &[Shape], keep: Keep<'_>) -> Vec<School> {
    let mut schools = Vec::new();
    for s in shapes {
        let category = text(&s.properties, CATEGORY_FIELDS);
        let kept = match keep {
            Keep::All => true,
            Keep::Rep => category.as_deref().is_none_or(|c| c.to_uppercase().starts_with("REP")),
            Keep::Where(filter) => matches_where(&s.properties, filter),
        };
        if !kept {
            continue;
        }
        let (code, name) = (text(&s.properties, CODE_FIELDS), text(&s.properties, NAME_FIELDS));
        for &(x, y) in &s.points {
            schools.push(School { code: code.clone(), name: name.clone(), category: category.clone(), x, y });
        }
    }
    schools
}

/// The schools inside `region` or within `distance` m of it, nearest first (then by
/// name), each as its label with its category in brackets when the file gives one, and
/// its distance (0 inside): the list `qpv check` and the atlas give for a perimeter.
pub fn near(schools: &[School], region: &MultiPolygon<f64>, distance: f64) -> Vec<(String, f64)> {
    let mut near: Vec<(String, f64)> = schools
        .iter()
        .map(|s| (s, qpv_core::overlay::distance_to(s.x, s.y, region)))
        .filter(|(_, d)| *d <= distance)
        .map(|(s, d)| {
            let label = match &s.category {
                Some(c) if !c.is_empty() => format!("{} ({c})", s.label()),
                _ => s.label(),
            };
            (label, d)
        })
        .collect();
    near.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    near
}

/// The first of `keys` that is a text property, trimmed.
fn text(p: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| p.get(*k).and_then(Value::as_str)).map(|s| s.trim().to_owned())
}

fn matches_where(p: &Map<String, Value>, filter: &BTreeMap<String, Vec<String>>) -> bool {
    filter.iter().all(|(k, allowed)| {
        // A number or a boolean is compared by its JSON text (`"REP": 1` matches "1").
        let v = match p.get(k) {
            Some(Value::String(t)) => t.trim().to_owned(),
            Some(other) => other.to_string(),
            None => return false,
        };
        allowed.iter().any(|a| a.trim() == v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geojson(features: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".geojson").tempfile().unwrap();
        let text = format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"EPSG:3035"}}}},"features":[{features}]}}"#
        );
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    fn point(props: &str, x: f64) -> String {
        format!(
            r#"{{"type":"Feature","properties":{{{props}}},"geometry":{{"type":"Point","coordinates":[{x},2969500]}}}}"#
        )
    }

    fn three() -> tempfile::NamedTempFile {
        geojson(
            &[
                point(
                    r#""Code etablissement":" 0590062X ","Nom":"VILLARS","Classement REP":"REP""#,
                    3794900.0,
                ),
                point(r#""uai":"0590001A","nom":"Jaurès","classement_rep":"hors REP""#, 3795100.0),
                point(r#""name":"Sans catégorie","REP":1"#, 3795300.0),
            ]
            .join(","),
        )
    }

    #[test]
    fn one_field_list_for_code_name_and_category() {
        let f = three();
        let all = read_schools(f.path(), None, 3035, Keep::All).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].label(), "0590062X VILLARS");
        assert_eq!(all[0].category.as_deref(), Some("REP"));
        assert_eq!((all[0].x, all[0].y), (3794900.0, 2969500.0));
        assert_eq!(all[1].label(), "0590001A Jaurès");
        assert_eq!(all[1].category.as_deref(), Some("hors REP"));
        assert_eq!((all[2].label().as_str(), all[2].code.as_deref()), ("Sans catégorie", None));
        assert_eq!(all[2].category, None, "a number is no category");
    }

    #[test]
    fn rep_keeps_rep_and_schools_without_category() {
        let f = three();
        let rep = read_schools(f.path(), None, 3035, Keep::Rep).unwrap();
        let labels: Vec<String> = rep.iter().map(School::label).collect();
        assert_eq!(labels, ["0590062X VILLARS", "Sans catégorie"]);
    }

    #[test]
    fn rep_with_no_school_left_names_the_file() {
        let f = geojson(&point(r#""Nom":"A","Classement REP":"hors REP""#, 3794900.0));
        let e = read_schools(f.path(), None, 3035, Keep::Rep).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: no REP or REP+ school (points) in the file", f.path().display())
        );
        // The other selections just find none.
        assert!(read_schools(f.path(), None, 3035, Keep::All).unwrap().len() == 1);
    }

    #[test]
    fn where_compares_trimmed_text_and_the_json_of_numbers() {
        let f = three();
        let filter =
            BTreeMap::from([("Classement REP".to_owned(), vec![" REP".to_owned(), "REP+".to_owned()])]);
        let kept = read_schools(f.path(), None, 3035, Keep::Where(&filter)).unwrap();
        assert_eq!(kept.iter().map(School::label).collect::<Vec<_>>(), ["0590062X VILLARS"]);
        let by_number = BTreeMap::from([("REP".to_owned(), vec!["1".to_owned()])]);
        let kept = read_schools(f.path(), None, 3035, Keep::Where(&by_number)).unwrap();
        assert_eq!(kept.iter().map(School::label).collect::<Vec<_>>(), ["Sans catégorie"]);
    }

    #[test]
    fn near_lists_schools_within_reach_nearest_first() {
        let school = |name: &str, category: Option<&str>, x: f64| School {
            code: None,
            name: Some(name.into()),
            category: category.map(str::to_owned),
            x,
            y: 100.0,
        };
        let square = MultiPolygon(vec![geo_types::Rect::new((0.0, 0.0), (200.0, 200.0)).to_polygon()]);
        let schools = [
            school("Far", Some("REP"), 600.0),
            school("Edge", Some(""), 500.0),
            school("Beside", Some("REP+"), 250.0),
            school("Inside B", None, 100.0),
            school("Inside A", Some("REP"), 50.0),
        ];
        let listed = near(&schools, &square, 300.0);
        assert_eq!(
            listed,
            [
                ("Inside A (REP)".to_owned(), 0.0),
                ("Inside B".to_owned(), 0.0),
                ("Beside (REP+)".to_owned(), 50.0),
                ("Edge".to_owned(), 300.0),
            ]
        );
        assert!(near(&schools, &square, 0.0).iter().all(|(_, d)| *d == 0.0));
    }

    #[test]
    fn a_bad_feature_names_the_file_and_the_line() {
        let bad = r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[]}}"#;
        let f = geojson(&[point(r#""Nom":"A""#, 3794900.0), bad.to_owned()].join(","));
        let e = read_schools(f.path(), None, 3035, Keep::All).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}: ", f.path().display())), "{e}");
        assert!(e.contains("two or more elements") && e.contains("at line 1 column"), "{e}");
    }
}

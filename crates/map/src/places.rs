//! Place names by importance. Which names a map shows depends on its scale, measured in
//! metres per pixel of the 1 200 px drawing:
//!
//! | scale | metres per pixel | map width | names, most populous first |
//! |---|---|---|---|
//! | local | under 60 | under ~70 km (an intercommunality, a town) | perimeter ids, then communes of 1 000 residents or more (as before) |
//! | regional | 60 to 500 | ~70 to ~580 km (a département, a region) | urban units of 20 000 or more and communes of 10 000 or more, then perimeter ids where there is room |
//! | national | 500 or more | ~580 km or more (France) | urban units of 50 000 or more, then perimeter ids where there is room |
//!
//! At local scale every commune is a landmark and the perimeters are what the map is
//! about; on a département or France a village's name tells nothing, while Paris, Lyon
//! or Lille place everything else: the largest places are placed first and a label that
//! would overlap one already placed is left out.

use crate::draw::{Frame, Placed};

/// What a place name is: it sets the style and at which scales the name shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlaceKind {
    /// A commune (italic).
    #[default]
    Commune,
    /// An urban unit (upright; labelled at regional and national scale only).
    UrbanUnit,
}

/// A named place, labelled by importance at its point.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MapPlace {
    /// Position in the grid's CRS (e.g. the centre of its residents).
    pub x: f64,
    /// Position in the grid's CRS.
    pub y: f64,
    /// The name shown.
    pub name: String,
    /// Commune or urban unit.
    pub kind: PlaceKind,
    /// Its population: importance, and the floor below which it is not named.
    pub population: f64,
}

/// Upper bound (metres per pixel) of the local scale (a map under ~70 km wide: the CAPH
/// sample is drawn at 18 m/px): perimeter ids first, then communes of 1 000 residents or
/// more; urban units are not named.
pub const LOCAL_MAX_METRES_PER_PX: f64 = 60.0;
/// Upper bound (metres per pixel) of the regional scale (Nord: 121 m/px): urban units of
/// 20 000 or more and communes of 10 000 or more, then perimeter ids where there is room.
/// Above it, the national scale (France: 1 025 m/px): urban units of 50 000 or more, then
/// perimeter ids where there is room.
pub const REGIONAL_MAX_METRES_PER_PX: f64 = 500.0;

/// The scale of a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    Local,
    Regional,
    National,
}

impl Scale {
    /// The scale of a map drawn at `metres_per_px`.
    pub(crate) fn of(metres_per_px: f64) -> Scale {
        if metres_per_px < LOCAL_MAX_METRES_PER_PX {
            Scale::Local
        } else if metres_per_px < REGIONAL_MAX_METRES_PER_PX {
            Scale::Regional
        } else {
            Scale::National
        }
    }

    /// The smallest population named at this scale, by kind (`None`: never named).
    fn floor(self, kind: PlaceKind) -> Option<f64> {
        match (self, kind) {
            (Scale::Local, PlaceKind::Commune) => Some(1_000.0),
            (Scale::Local, PlaceKind::UrbanUnit) => None,
            (Scale::Regional, PlaceKind::Commune) => Some(10_000.0),
            (Scale::Regional, PlaceKind::UrbanUnit) => Some(20_000.0),
            (Scale::National, PlaceKind::Commune) => None,
            (Scale::National, PlaceKind::UrbanUnit) => Some(50_000.0),
        }
    }
}

/// The places named at `scale`, most populous first (then by name, for stable output).
pub(crate) fn selected(places: &[MapPlace], scale: Scale) -> Vec<&MapPlace> {
    let mut out: Vec<&MapPlace> =
        places.iter().filter(|p| scale.floor(p.kind).is_some_and(|floor| p.population >= floor)).collect();
    out.sort_by(|p, q| q.population.total_cmp(&p.population).then(p.name.cmp(&q.name)));
    out
}

/// How a name is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    pub size: f64,
    pub bold: bool,
    pub italic: bool,
}

/// Communes at local scale as before (13 px italic); elsewhere the size grows with the
/// population, so that the eye finds Paris before Creil.
fn style(place: &MapPlace, scale: Scale) -> Style {
    let italic = place.kind == PlaceKind::Commune;
    if scale == Scale::Local {
        return Style { size: 13.0, bold: false, italic };
    }
    let (size, bold) = match place.population {
        p if p >= 1_000_000.0 => (18.0, true),
        p if p >= 200_000.0 => (14.5, true),
        p if p >= 50_000.0 => (12.5, false),
        _ => (11.5, false),
    };
    Style { size, bold, italic }
}

/// A name placed on the map, in pixels.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Label<'a> {
    pub x: f64,
    pub y: f64,
    pub text: &'a str,
    pub style: Style,
}

/// Places the names of `places` shown at `scale`, most important first, leaving out a
/// name that would overlap one already placed (in `placed`, shared with the perimeter
/// ids) or that repeats one already shown (the commune of Lille beside its urban unit).
///
/// A name is centred on its point unless it would cover one of `avoid` (the perimeters'
/// symbols, what the map is about): then it moves just above, below, right or left of
/// the point, to the first of these that overlaps neither a symbol nor a name, and stays
/// centred if none does. Without symbols, names are placed as before.
pub(crate) fn place<'a>(
    places: &'a [MapPlace],
    scale: Scale,
    f: &Frame,
    placed: &mut Placed,
    avoid: &[[f64; 4]],
) -> Vec<Label<'a>> {
    let mut out: Vec<Label> = Vec::new();
    for p in selected(places, scale) {
        if !f.inside(p.x, p.y) || out.iter().any(|l| l.text == p.name) {
            continue;
        }
        let style = style(p, scale);
        // Grown with the map's other text when drawn for paper.
        let style = Style { size: style.size * f.m, ..style };
        let (x, y) = (f.x(p.x), f.y(p.y));
        let half = Placed::half_width(&p.name, style.size);
        let around = [
            (x, y),
            (x, y - 0.8 * style.size),
            (x, y + 1.1 * style.size),
            (x + half + 3.0, y + 0.4 * style.size),
            (x - half - 3.0, y + 0.4 * style.size),
        ];
        let covers = |&(x, y): &(f64, f64)| {
            let b = Placed::text_box(x, y, &p.name, style.size);
            avoid.iter().any(|o| crate::draw::overlap(&b, o))
        };
        let free =
            |c: &(f64, f64)| !covers(c) && !placed.overlaps(&Placed::text_box(c.0, c.1, &p.name, style.size));
        let at = if covers(&around[0]) {
            around[1..].iter().find(|c| free(c)).copied().unwrap_or((x, y))
        } else {
            (x, y)
        };
        if placed.take(at.0, at.1, &p.name, style.size) {
            out.push(Label { x: at.0, y: at.1, text: &p.name, style });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::coord;

    /// A frame 1 160 km wide (1 000 m per pixel): national scale.
    fn national() -> Frame {
        Frame::new(coord! { x: 3_000_000.0, y: 2_000_000.0 }, coord! { x: 4_160_000.0, y: 3_160_000.0 })
    }

    fn place_at(x: f64, y: f64, name: &str, kind: PlaceKind, population: f64) -> MapPlace {
        MapPlace { x, y, name: name.into(), kind, population }
    }

    #[test]
    fn scales_follow_metres_per_pixel() {
        assert_eq!(Scale::of(22.0), Scale::Local, "the CAPH sample");
        assert_eq!(Scale::of(150.0), Scale::Regional, "Nord");
        assert_eq!(Scale::of(1_100.0), Scale::National, "France");
        assert_eq!(Scale::of(LOCAL_MAX_METRES_PER_PX), Scale::Regional, "bounds belong to the smaller scale");
        assert_eq!(Scale::of(national().metres_per_px()), Scale::National);
    }

    #[test]
    fn a_city_of_two_million_beats_a_village_at_the_same_place() {
        // The village comes first in the input and would win if the input order counted.
        let places = [
            place_at(3_500_000.0, 2_500_000.0, "Osséja", PlaceKind::UrbanUnit, 51_000.0),
            place_at(3_505_000.0, 2_500_000.0, "Grande-Ville", PlaceKind::UrbanUnit, 2_000_000.0),
        ];
        let labels = place(&places, Scale::National, &national(), &mut Placed::default(), &[]);
        let names: Vec<&str> = labels.iter().map(|l| l.text).collect();
        assert_eq!(names, ["Grande-Ville"]);
        assert!(labels[0].style.bold && labels[0].style.size > style(&places[0], Scale::National).size);
    }

    #[test]
    fn small_places_and_communes_are_not_named_at_national_scale() {
        let places = [
            place_at(3_500_000.0, 2_500_000.0, "Wormhout", PlaceKind::Commune, 5_000.0),
            place_at(3_800_000.0, 2_500_000.0, "Frévent", PlaceKind::UrbanUnit, 3_000.0),
            place_at(3_200_000.0, 2_900_000.0, "Lyon", PlaceKind::UrbanUnit, 1_700_000.0),
        ];
        let names: Vec<&str> = selected(&places, Scale::National).iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Lyon"]);
        // At local scale the communes are named and the urban units are not.
        let names: Vec<&str> = selected(&places, Scale::Local).iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Wormhout"]);
    }

    #[test]
    fn placed_names_never_overlap() {
        // A crowd of cities 5 km apart (5 px): most are left out, none overlaps another.
        let places: Vec<MapPlace> = (0..200)
            .map(|k| {
                let (i, j) = (f64::from(k % 20), f64::from(k / 20));
                let x = 3_400_000.0 + i * 5_000.0;
                place_at(
                    x,
                    2_600_000.0 + j * 5_000.0,
                    &format!("City {k}"),
                    PlaceKind::UrbanUnit,
                    1e5 + f64::from(k),
                )
            })
            .collect();
        let mut placed = Placed::default();
        let labels = place(&places, Scale::National, &national(), &mut placed, &[]);
        assert!(labels.len() > 3 && labels.len() < 100, "{}", labels.len());
        assert_eq!(labels[0].text, "City 199", "the most populous first");
        let boxes = &placed.0;
        for (a, p) in boxes.iter().enumerate() {
            for q in &boxes[a + 1..] {
                assert!(!(p[0] < q[2] && q[0] < p[2] && p[1] < q[3] && q[1] < p[3]), "{p:?} {q:?}");
            }
        }
    }

    #[test]
    fn a_name_moves_off_a_symbol_when_it_can_and_stays_when_it_cannot() {
        let f = national();
        let places = [place_at(3_500_000.0, 2_500_000.0, "Grande-Ville", PlaceKind::UrbanUnit, 2_000_000.0)];
        let (x, y) = (f.x(3_500_000.0), f.y(2_500_000.0));
        // A symbol just on the point: the name goes above it.
        let symbol = [x - 4.0, y - 4.0, x + 4.0, y + 4.0];
        let labels = place(&places, Scale::National, &f, &mut Placed::default(), &[symbol]);
        assert_eq!(labels.len(), 1);
        assert_eq!(labels[0].x, x);
        assert!(
            labels[0].y < y - 4.0
                && !crate::draw::overlap(&Placed::text_box(x, labels[0].y, "Grande-Ville", 18.0), &symbol)
        );
        // Symbols all around: the name stays on its point rather than disappear.
        let crowd = [x - 200.0, y - 60.0, x + 200.0, y + 60.0];
        let labels = place(&places, Scale::National, &f, &mut Placed::default(), &[crowd]);
        assert_eq!((labels[0].x, labels[0].y), (x, y));
    }

    #[test]
    fn a_commune_named_like_its_urban_unit_is_named_once_and_outside_places_not_at_all() {
        let places = [
            place_at(3_500_000.0, 2_500_000.0, "Lille", PlaceKind::UrbanUnit, 1_000_000.0),
            place_at(3_560_000.0, 2_500_000.0, "Lille", PlaceKind::Commune, 230_000.0),
            place_at(9_000_000.0, 2_500_000.0, "Far", PlaceKind::UrbanUnit, 900_000.0),
        ];
        let f =
            Frame::new(coord! { x: 3_400_000.0, y: 2_400_000.0 }, coord! { x: 3_700_000.0, y: 2_700_000.0 });
        let scale = Scale::of(f.metres_per_px());
        assert_eq!(scale, Scale::Regional);
        let labels = place(&places, scale, &f, &mut Placed::default(), &[]);
        assert_eq!(labels.len(), 1);
        assert!(!labels[0].style.italic, "the urban unit, upright");
    }
}

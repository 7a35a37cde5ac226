//! Every colour `qpv` draws with, in one place: the maps ([`crate::svg`], the PNG and the
//! HTML map), the atlas pages, and the `qpv serve` page, whose colour literals a test
//! below holds to these values (the page is plain JavaScript, served as written: it
//! cannot import them).
//!
//! Colours are `#rrggbb` texts, written as they are into SVG, CSS and JavaScript.

/// Classes of estimated median for squares: upper bound (€) and colour, from the lowest
/// incomes (dark red) to the highest (dark blue): a diverging ramp (ColorBrewer RdBu)
/// whose middle, pale, is around the national median, so that the eye goes to the ends.
pub const MEDIAN_CLASSES: [(f64, &str); 6] = [
    (12_000.0, "#b2182b"),
    (15_000.0, "#ef8a62"),
    (18_000.0, "#fddbc7"),
    (21_000.0, "#d1e5f0"),
    (25_000.0, "#67a9cf"),
    (f64::INFINITY, "#2166ac"),
];

/// The colour of a square of estimated median `median` (€).
pub fn median_colour(median: f64) -> &'static str {
    MEDIAN_CLASSES.iter().find(|c| median < c.0).map_or(MEDIAN_CLASSES[5].1, |c| c.1)
}

/// Fills of a perimeter by how far its median is below the threshold, one per class of
/// `qpv_layers::styles::MARGIN_CLASSES` (the same reds as its QGIS style), lightest for
/// the smallest margin.
pub const PERIMETER_FILLS: [&str; 4] = ["#fcbba1", "#fc6a4a", "#de2d26", "#a50f15"];
/// Fill of a perimeter whose margin is not known.
pub const PERIMETER_FILL_UNKNOWN: &str = PERIMETER_FILLS[1];
/// Outline of a perimeter.
pub const PERIMETER_LINE: &str = "#67000d";
/// Perimeter ids on the map, and the outline of perimeters drawn as symbols.
pub const PERIMETER_INK: &str = "#3b0008";
/// Outline of the perimeter a map is about (an atlas page's), on a white casing: near
/// black, so that it reads over every median class and in greyscale.
pub const FOCUS_LINE: &str = "#111111";

/// A perimeter in both sets of a comparison: fill and outline.
pub const KEPT: (&str, &str) = ("#bdbdbd", "#525252");
/// A perimeter (or inhabitants) only in the compared set: fill and outline.
pub const ADDED: (&str, &str) = ("#31a354", "#00441b");
/// A perimeter (or inhabitants) only in the reference: fill and outline.
pub const REMOVED: (&str, &str) = ("#de2d26", "#67000d");

/// A REP+ school (collège) dot.
pub const REP_PLUS: &str = "#08306b";
/// A REP school (collège) dot.
pub const REP: &str = "#4292c6";

/// Place names on the map.
pub const PLACE_INK: &str = "#252525";

/// Classes of the population-density background: upper bound (inhabitants per km² of a
/// cell) and colour. Light greys, so that perimeters (reds) and labels (dark, with a
/// white halo) read over the darkest of them; the breaks separate the countryside (under
/// 150 per km² on the national map's 1 km cells), villages and suburbs, towns and dense
/// city centres.
pub const DENSITY_CLASSES: [(f64, &str); 5] = [
    (250.0, "#e9e6e0"),
    (1_000.0, "#dcd7ce"),
    (4_000.0, "#cbc5ba"),
    (15_000.0, "#b8b1a4"),
    (f64::INFINITY, "#a39b8d"),
];

/// Text of the atlas pages.
pub const INK: &str = "#1a1a1a";
/// Secondary text (notes, column heads).
pub const GREY: &str = "#5a5a5a";
/// Rules and map frames of the atlas pages.
pub const RULE_LINE: &str = "#c8c8c8";
/// A criterion met, a perimeter meeting the rule (atlas text and badges).
pub const MET: &str = "#1a7f37";
/// A criterion not met.
pub const FAILED: &str = "#b42318";
/// A criterion that the public grid cannot decide.
pub const UNDECIDED: &str = "#b54708";
/// Bars of the atlas's chart: the perimeter, its urban unit, France.
pub const CHART: [&str; 3] = ["#a50f15", "#f4a582", "#bababa"];

#[cfg(test)]
mod tests {
    use super::*;

    /// The `const NAME = [...]` or `{...}` line of a script, without its comments.
    fn line<'a>(script: &'a str, name: &str) -> &'a str {
        let start = format!("const {name} = ");
        let l = script.lines().find(|l| l.starts_with(&start)).unwrap_or_else(|| panic!("no {start}"));
        l.split("//").next().unwrap_or(l)
    }

    /// The `'#rrggbb'` texts of a line, in order.
    fn colours(line: &str) -> Vec<&str> {
        line.split('\'').filter(|t| t.starts_with('#')).collect()
    }

    #[test]
    fn the_serve_page_draws_median_classes_with_these_colours_and_bounds() {
        let app = include_str!("../../serve/page/app.js");
        let expected: Vec<&str> = MEDIAN_CLASSES.iter().map(|c| c.1).collect();
        assert_eq!(colours(line(app, "MEDIAN_COLOURS")), expected, "app.js MEDIAN_COLOURS");
        let bounds: String = MEDIAN_CLASSES
            .iter()
            .filter(|c| c.0.is_finite())
            .map(|c| format!("{}", c.0))
            .collect::<Vec<_>>()
            .join(", ");
        assert_eq!(line(app, "MEDIAN_BREAKS").trim_end(), format!("const MEDIAN_BREAKS = [{bounds}];"));
    }

    #[test]
    fn the_serve_page_compares_with_the_added_and_removed_colours() {
        let tools = include_str!("../../serve/page/tools.js");
        let compare: Vec<&str> = tools.lines().filter(|l| l.contains("layers.compare.addLayer")).collect();
        assert_eq!(compare.len(), 1, "one line draws the comparison");
        assert_eq!(colours(compare[0]), [ADDED.0, ADDED.1, REMOVED.0, REMOVED.1]);
        // The key under it shows the same two fills as swatches.
        let key: Vec<&str> =
            tools.lines().flat_map(|l| l.split("background:").skip(1)).filter_map(|t| t.get(..7)).collect();
        assert_eq!(key, [ADDED.0, REMOVED.0]);
    }

    #[test]
    fn a_median_takes_the_class_below_its_upper_bound() {
        assert_eq!(median_colour(11_999.0), MEDIAN_CLASSES[0].1);
        assert_eq!(median_colour(12_000.0), MEDIAN_CLASSES[1].1, "a bound belongs to the class above");
        assert_eq!(median_colour(1e9), MEDIAN_CLASSES[5].1);
        assert_eq!(median_colour(f64::NAN), MEDIAN_CLASSES[5].1, "as the maps drew it");
    }
}

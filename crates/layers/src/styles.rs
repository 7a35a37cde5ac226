//! QGIS layer styles (`.qml`), written next to each layer file (QGIS loads
//! `candidates.qml` with `candidates.geojson` or `candidates.shp`) and stored in the
//! GeoPackage's `layer_styles` table as the default style.
//!
//! Candidates are coloured by their margin below the applied threshold (€: how far the
//! estimated median is under it), adjusted and checked perimeters by their verdict
//! (meets, undecided: cannot be decided from the public grid, fails), comparison
//! pieces by kept / added / removed. Symbol properties use the
//! `<prop k v>` form every QGIS 3 release reads.

/// Which style a layer gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Candidates, graduated on `margin`.
    Candidates,
    /// Near misses: outline only.
    NearMisses,
    /// Adjusted and checked perimeters, categorised on `verdict`.
    Adjusted,
    /// Poches de pauvreté.
    Poches,
    /// Comparison pieces, categorised on `change`.
    Diff,
}

fn fill(name: &str, color: &str, outline: &str, style: &str, outline_style: &str) -> String {
    format!(
        r#"<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0"><layer class="SimpleFill" enabled="1" locked="0" pass="0"><prop k="color" v="{color}"/><prop k="style" v="{style}"/><prop k="outline_color" v="{outline}"/><prop k="outline_style" v="{outline_style}"/><prop k="outline_width" v="0.5"/><prop k="outline_width_unit" v="MM"/><prop k="joinstyle" v="miter"/></layer></symbol>"#
    )
}

fn labels(field: &str) -> String {
    format!(
        r#"<labeling type="simple"><settings calloutType="simple"><text-style fieldName="{field}" fontSize="8" fontWeight="75" textColor="40,40,40,255" fontFamily="Sans Serif" isExpression="0"><text-buffer bufferDraw="1" bufferSize="0.8" bufferColor="255,255,255,255"/></text-style><placement placement="1" dist="0"/><rendering scaleVisibility="0"/></settings></labeling>"#
    )
}

fn document(renderer: String, label_field: &str) -> String {
    format!(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.22.0\" styleCategories=\"Symbology|Labeling\">\n{renderer}\n{}\n</qgis>\n",
        labels(label_field)
    )
}

/// Classes of `margin` (€ below the threshold) for candidates, with their colours.
pub const MARGIN_CLASSES: [(f64, f64, &str, &str); 4] = [
    (0.0, 500.0, "252,187,161,200", "0–500 € below the threshold"),
    (500.0, 1500.0, "252,106,74,200", "500–1 500 € below"),
    (1500.0, 3000.0, "222,45,38,200", "1 500–3 000 € below"),
    (3000.0, 1e9, "165,15,21,200", "more than 3 000 € below"),
];

/// The QML of a style.
pub fn qml(style: Style) -> String {
    match style {
        Style::Candidates => {
            let ranges: String = MARGIN_CLASSES
                .iter()
                .enumerate()
                .map(|(k, (lo, hi, _, label))| {
                    format!(
                        r#"<range lower="{lo}" upper="{hi}" symbol="{k}" label="{label}" render="true"/>"#
                    )
                })
                .collect();
            let symbols: String = MARGIN_CLASSES
                .iter()
                .enumerate()
                .map(|(k, (_, _, color, _))| fill(&k.to_string(), color, "103,0,13,255", "solid", "solid"))
                .collect();
            document(
                format!(
                    r#"<renderer-v2 type="graduatedSymbol" attr="margin" graduatedMethod="GraduatedColor" symbollevels="0" forceraster="0" enableorderby="0"><ranges>{ranges}</ranges><symbols>{symbols}</symbols></renderer-v2>"#
                ),
                "id",
            )
        }
        Style::NearMisses => single(fill("0", "255,255,255,0", "230,120,0,255", "no", "dash"), "id"),
        Style::Poches => single(fill("0", "117,107,177,160", "63,0,125,255", "solid", "solid"), "id"),
        // `verdict` is text in every format (GeoJSON, GeoPackage, shapefile).
        Style::Adjusted => categorised(
            "verdict",
            &[
                ("meets", "meets the rule", "49,130,189,170", "solid"),
                ("undecided", "undecided: cannot be decided from the public grid", "253,174,97,170", "dot"),
                ("fails", "fails the rule", "222,45,38,170", "dash"),
            ],
            "id",
        ),
        Style::Diff => categorised(
            "change",
            &[
                ("kept", "in both", "189,189,189,170", "solid"),
                ("added", "added (only in the other set)", "49,163,84,200", "solid"),
                ("removed", "removed (only in the reference)", "222,45,38,200", "solid"),
            ],
            "change",
        ),
    }
}

fn single(symbol: String, label_field: &str) -> String {
    document(
        format!(
            r#"<renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" enableorderby="0"><symbols>{symbol}</symbols></renderer-v2>"#
        ),
        label_field,
    )
}

fn categorised(attr: &str, classes: &[(&str, &str, &str, &str)], label_field: &str) -> String {
    let categories: String = classes
        .iter()
        .enumerate()
        .map(|(k, (value, label, _, _))| {
            format!(r#"<category value="{value}" symbol="{k}" label="{label}" render="true"/>"#)
        })
        .collect();
    let symbols: String = classes
        .iter()
        .enumerate()
        .map(|(k, (_, _, color, outline))| fill(&k.to_string(), color, "60,60,60,255", "solid", outline))
        .collect();
    document(
        format!(
            r#"<renderer-v2 type="categorizedSymbol" attr="{attr}" symbollevels="0" forceraster="0" enableorderby="0"><categories>{categories}</categories><symbols>{symbols}</symbols></renderer-v2>"#
        ),
        label_field,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every style is well-formed XML with one renderer (checked with a tiny tag matcher:
    /// every opening tag is closed in order).
    #[test]
    fn styles_are_well_formed() {
        for s in [Style::Candidates, Style::NearMisses, Style::Adjusted, Style::Poches, Style::Diff] {
            let q = qml(s);
            assert_eq!(q.matches("<renderer-v2").count(), 1, "{s:?}");
            let body = &q[q.find("<qgis").unwrap()..];
            let mut stack: Vec<String> = Vec::new();
            for tag in body.split('<').skip(1) {
                let tag = &tag[..tag.find('>').unwrap()];
                if let Some(name) = tag.strip_prefix('/') {
                    assert_eq!(stack.pop().as_deref(), Some(name), "{s:?}");
                } else if !tag.ends_with('/') {
                    stack.push(tag.split_whitespace().next().unwrap().to_owned());
                }
            }
            assert!(stack.is_empty(), "{s:?}: unclosed {stack:?}");
        }
        assert!(qml(Style::Candidates).contains(r#"attr="margin""#));
        assert!(qml(Style::Diff).contains(r#"value="removed""#));
    }
}

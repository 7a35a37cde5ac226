//! `qpv map` against the real binary: the CAPH sample at local scale, the Nord grid at
//! regional scale (the national grid is checked by looking: README, benches/RESULTS.md).

mod common;
use common::*;

/// The names drawn in the SVG's group of place names.
fn names(svg: &str) -> Vec<String> {
    let start = svg.find(r#"<g id="communes""#).expect("a group of names");
    let group = &svg[start..start + svg[start..].find("</g>").unwrap()];
    group
        .split("<text ")
        .skip(1)
        .map(|t| t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].to_owned())
        .collect()
}

/// The `<text>` element naming `name`.
fn text_of<'a>(svg: &'a str, name: &str) -> &'a str {
    let end = svg.find(&format!(">{name}</text>")).unwrap_or_else(|| panic!("{name} is named"));
    &svg[svg[..end].rfind("<text ").unwrap()..end]
}

#[test]
fn the_sample_map_writes_its_three_files_with_the_background_and_local_names() {
    let dir = tempfile::tempdir().unwrap();
    let err = ok(&qpv(&["map"], dir.path()));
    assert!(err.contains("drew the map: SVG"), "{err}");
    let out = dir.path().join("qpv-map");
    for f in ["map.svg", "map.png", "map.html"] {
        assert!(std::fs::metadata(out.join(f)).unwrap().len() > 1_000, "{f}");
    }
    let svg = std::fs::read_to_string(out.join("map.svg")).unwrap();
    assert!(svg.contains(r#"<g id="density""#) && svg.contains("inhabitants per km²"));
    // Local scale, as before: communes named in italics, the urban unit (Valenciennes)
    // not, every perimeter outlined (none is under a few pixels at 20 m a pixel). Denain
    // itself is not named: the id of 59701-01, placed first, lies over its name.
    let named = names(&svg);
    assert!(named.iter().any(|n| n == "Raismes") && !named.iter().any(|n| n == "Valenciennes"), "{named:?}");
    assert!(text_of(&svg, "Raismes").contains(r#"font-style="italic""#));
    assert!(!svg.contains(r#"<circle class="feature""#));
    let png = std::fs::read(out.join("map.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 1200);
    let page = std::fs::read_to_string(out.join("map.html")).unwrap();
    assert!(page.contains(r#"<g id="density""#) && page.contains(".feature[data-k="));
}

/// The Nord grid (45 884 squares) at regional scale: the urban units and the large
/// communes named, Lille first and largest; no village; the small perimeters as symbols;
/// an SVG of sane size.
#[test]
#[ignore = "needs ../shared/data (Nord grid)"]
fn the_nord_map_names_lille_and_the_large_places_only() {
    let nord = qpv_tests::shared_file("filosofi2019/carreaux_200m_dep59.csv");
    let nord = nord.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&qpv(&["run", "--grid", nord], d));
    ok(&qpv(&["map", "--grid", nord], d));
    let svg = std::fs::read_to_string(d.join("qpv-map/map.svg")).unwrap();
    let named = names(&svg);
    let lille = text_of(&svg, "Lille");
    assert!(lille.contains(r#"font-weight="bold""#) && !lille.contains("italic"), "the urban unit: {lille}");
    // Communes in italics, all of them large: the floor is 10 000 residents counted in
    // the grid, where a square shared by two communes counts for both, hence the looser
    // bound on the legal population here. Wormhout (5 672), named on the national map
    // before, is not.
    let (table, _) = qpv_grid::communes::embedded_communes(qpv_grid::communes::CommuneVintage::Cog2021);
    let communes: Vec<&String> =
        named.iter().filter(|n| n.as_str() != "Lille" && text_of(&svg, n).contains("italic")).collect();
    assert!(communes.len() >= 5, "{communes:?}");
    for name in &communes {
        let c = table.communes().iter().find(|c| &&c.name == name && c.departement == "59").unwrap();
        assert!(c.population >= 8_000.0, "{name}: {}", c.population);
    }
    assert!(!named.iter().any(|n| n == "Wormhout"), "{named:?}");
    // Béthune's unit lives mostly in Pas-de-Calais: its Nord communes are not "Béthune".
    assert!(!named.iter().any(|n| n == "Béthune"), "{named:?}");
    // Every candidate drawn once, outlined or as a symbol.
    let candidates = std::fs::read_to_string(d.join("qpv-out/candidates.csv")).unwrap().lines().count() - 1;
    assert_eq!(svg.matches(r#"class="feature""#).count(), candidates);
    let symbols = svg.matches(r#"<circle class="feature""#).count();
    assert!(symbols > 0 && symbols < candidates, "{symbols} of {candidates}");
    assert!(svg.len() < 2_000_000, "{} bytes", svg.len());
}

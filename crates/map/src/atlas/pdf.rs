//! The pages as one PDF, through `krilla-svg` on the `usvg` that draws the PNG maps.

use super::Atlas;
use qpv_grid::IoError;
use resvg::usvg::fontdb;

/// The pages as one PDF: each SVG page drawn by `krilla-svg`, text kept as text in the
/// system fonts (subset and embedded: searchable, accents as written); a bookmark per
/// page; title, author program and date in the metadata.
pub fn pdf(atlas: &Atlas, pages: &[String]) -> Result<Vec<u8>, IoError> {
    pdf_with(atlas, pages, fonts())
}

/// [`pdf`] with these fonts.
fn pdf_with(atlas: &Atlas, pages: &[String], fonts: fontdb::Database) -> Result<Vec<u8>, IoError> {
    use krilla::destination::XyzDestination;
    use krilla::geom::{Point, Size};
    use krilla::metadata::{DateTime, Metadata};
    use krilla::outline::{Outline, OutlineNode};
    use krilla::page::PageSettings;
    use krilla_svg::{SurfaceExt, SvgSettings};
    use rayon::prelude::*;
    use resvg::usvg;
    let enc = |m: String| IoError::Encode { what: "atlas PDF", message: m };
    let options = usvg::Options { fontdb: std::sync::Arc::new(fonts), ..usvg::Options::default() };
    if options.fontdb.is_empty() {
        return Err(enc(
            "no system font found: the PDF would have no text; install one (Debian: apt-get install \
             fonts-dejavu-core)"
                .into(),
        ));
    }
    let mut document = krilla::Document::new();
    let mut outline = Outline::new();
    // Parsing (text shaped, fonts resolved) is half the time: on every core, a few pages
    // at a time (a parsed page holds about 3 MB).
    for (c, chunk) in pages.chunks(16).enumerate() {
        let trees: Vec<usvg::Tree> = chunk
            .par_iter()
            .enumerate()
            .map(|(i, svg)| {
                let k = c * 16 + i;
                usvg::Tree::from_str(svg, &options).map_err(|e| enc(format!("page {}: {e}", k + 1)))
            })
            .collect::<Result<_, _>>()?;
        for (i, tree) in trees.iter().enumerate() {
            let k = c * 16 + i;
            let size = tree.size();
            let settings = PageSettings::from_wh(size.width(), size.height())
                .ok_or_else(|| enc(format!("page {}: empty page", k + 1)))?;
            let mut page = document.start_page_with(settings);
            let mut surface = page.surface();
            let drawn = Size::from_wh(size.width(), size.height())
                .and_then(|s| surface.draw_svg(tree, s, SvgSettings::default()));
            surface.finish();
            page.finish();
            drawn.ok_or_else(|| enc(format!("page {}: krilla-svg could not draw it", k + 1)))?;
            let title = match k {
                0 => "Cover: every perimeter".to_owned(),
                _ => {
                    let p = &atlas.pages[k - 1];
                    if p.name.is_empty() { p.id.clone() } else { format!("{} — {}", p.id, p.name) }
                }
            };
            outline.push_child(OutlineNode::new(title, XyzDestination::new(k, Point::from_xy(0.0, 0.0))));
        }
    }
    document.set_outline(outline);
    let d = atlas.date;
    let date = DateTime::new(d.year.clamp(0, 9999) as u16).month(d.month).day(d.day);
    document.set_metadata(
        Metadata::new()
            .title(atlas.title.clone())
            .creator(atlas.creator.clone())
            .language("en".into())
            .creation_date(date),
    );
    document.finish().map_err(|e| enc(format!("{e:?}")))
}

/// The system fonts, with the faces the pages ask for (DejaVu Sans, else the sans-serif
/// font, in its four styles) read into memory once: `fontdb` otherwise maps or reads a
/// font file again for every run of text, which was 75 % of the time of a Nord atlas
/// (2.8 s of parsing for 79 pages; 0.7 s with the faces in memory). Other faces stay on
/// disk for the glyphs these lack.
fn fonts() -> fontdb::Database {
    use fontdb::{Family, Query, Source, Stretch, Style, Weight};
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    let families = [Family::Name("DejaVu Sans"), Family::Name("Arial"), Family::SansSerif];
    let mut files = Vec::new();
    for (weight, style) in [
        (Weight::NORMAL, Style::Normal),
        (Weight::BOLD, Style::Normal),
        (Weight::NORMAL, Style::Italic),
        (Weight::BOLD, Style::Italic),
    ] {
        let query = Query { families: &families, weight, stretch: Stretch::Normal, style };
        if let Some((Source::File(path), _)) = db.query(&query).and_then(|id| db.face_source(id))
            && !files.contains(&path)
        {
            files.push(path);
        }
    }
    for path in files {
        // A file that cannot be read stays as it was: fontdb reports it when used.
        if let Ok(data) = std::fs::read(&path) {
            let old: Vec<fontdb::ID> = db
                .faces()
                .filter(|f| matches!(&f.source, Source::File(p) if *p == path))
                .map(|f| f.id)
                .collect();
            old.into_iter().for_each(|id| db.remove_face(id));
            db.load_font_data(data);
        }
    }
    db
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::page_svgs;
    use crate::atlas::tests::atlas;

    #[test]
    fn a_machine_without_fonts_gets_no_pdf() {
        let a = atlas(1);
        let pages = page_svgs(&a).unwrap();
        let e = pdf_with(&a, &pages, fontdb::Database::new()).unwrap_err().to_string();
        assert!(e.contains("no system font found") && e.contains("fonts-dejavu-core"), "{e}");
    }
}

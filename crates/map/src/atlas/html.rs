//! The pages as one self-contained HTML document, for the screen.

use super::Atlas;
use super::text::escape;
use qpv_core::verdict::State;
use std::fmt::Write as _;

/// Gives every `id` of a page's SVG (and the references to it) the prefix `p`, so that
/// several pages' maps can share one HTML document.
fn prefix_ids(svg: &str, p: &str) -> String {
    svg.replace(" id=\"", &format!(" id=\"{p}-"))
        .replace("url(#", &format!("url(#{p}-"))
        .replace("href=\"#", &format!("href=\"#{p}-"))
}

/// The pages as one self-contained HTML document (no network): a contents list, then
/// each page's SVG, one printed page each.
pub fn html(atlas: &Atlas, pages: &[String]) -> String {
    let mut contents = String::new();
    for (k, p) in atlas.pages.iter().enumerate() {
        let verdict = match p.verdict {
            State::Meets => "",
            State::Fails => " (fails the rule)",
            State::Undecided => " (undecided)",
        };
        let _ = write!(
            contents,
            r##"<li><a href="#page-{}">{}</a> {}{verdict}</li>"##,
            k + 2,
            escape(&p.id),
            escape(&p.name)
        );
    }
    let mut body = String::new();
    for (k, svg) in pages.iter().enumerate() {
        let _ = write!(
            body,
            r#"<section class="page" id="page-{}">{}</section>"#,
            k + 1,
            prefix_ids(svg, &format!("p{}", k + 1))
        );
    }
    format!(
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ margin: 0; background: #e8e8e8; font-family: "DejaVu Sans", Arial, sans-serif; }}
nav {{ max-width: 900px; margin: 16px auto; background: #ffffff; padding: 12px 20px; font-size: 13px; }}
nav ol {{ columns: 3; }}
section.page {{ max-width: 900px; margin: 16px auto; background: #ffffff; box-shadow: 0 1px 4px #999999; }}
section.page svg {{ display: block; width: 100%; height: auto; }}
@media print {{ nav {{ display: none; }} body {{ background: none; }}
  section.page {{ margin: 0; box-shadow: none; max-width: none; break-after: page; }}
  @page {{ size: A4; margin: 0; }} }}
</style></head><body>
<nav><h2>{title}</h2><p>{subtitle}</p><p>Page 1: <a href="#page-1">cover</a>, then one page per perimeter (the same pages as atlas.pdf):</p><ol start="2">{contents}</ol></nav>
{body}
</body></html>
"##,
        title = escape(&atlas.title),
        subtitle = escape(&atlas.subtitle),
    )
}

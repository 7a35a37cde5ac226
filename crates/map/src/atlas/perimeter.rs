//! A perimeter's page: title and verdict, its map beside or above its figures and the
//! decree's criteria, the key indicators and their chart.

use super::text::{Page, embed_map, fit, fit_map, footer, footer_height, percent, style, value, width, wrap};
use super::{Atlas, GREY, IndicatorLine, Kind, MARGIN, PAGE_HEIGHT, PAGE_WIDTH, PerimeterPage, look};
use qpv_core::verdict::State;
use qpv_grid::IoError;
use std::fmt::Write as _;

pub(super) fn perimeter_page(
    atlas: &Atlas,
    p: &PerimeterPage,
    number: usize,
    total: usize,
) -> Result<String, IoError> {
    let mut page = Page::new();
    let w = PAGE_WIDTH - 2.0 * MARGIN;
    page.text(MARGIN, MARGIN - 8.0, style(7.0).fill(GREY), &fit(&atlas.running_head, 7.0, false, w - 60.0));
    // Title: id, then the name; the verdict on the right.
    let badge = match p.verdict {
        State::Meets => "meets the rule",
        State::Fails => "fails the rule",
        State::Undecided => "undecided",
    };
    let colour = look(p.verdict).0;
    let badge_w = width(badge, 9.0, true) + 16.0;
    let mut y = MARGIN + 14.0;
    page.text(MARGIN, y, style(17.0).bold(), &p.id);
    let id_w = width(&p.id, 17.0, true) + 10.0;
    page.text(MARGIN + id_w, y, style(12.0), &fit(&p.name, 12.0, false, w - id_w - badge_w - 10.0));
    let _ = writeln!(
        page.s,
        r#"<rect x="{:.2}" y="{:.2}" width="{badge_w:.2}" height="16" rx="8" fill="{colour}"/>"#,
        PAGE_WIDTH - MARGIN - badge_w,
        y - 12.5
    );
    page.text(
        PAGE_WIDTH - MARGIN - badge_w / 2.0,
        y - 1.5,
        style(9.0).bold().fill("#ffffff").middle(),
        badge,
    );
    y += 13.0;
    for line in wrap(&p.subtitle, 8.5, false, w) {
        page.text(MARGIN, y, style(8.5).fill(GREY), &line);
        y += 10.5;
    }
    if p.verdict != State::Meets && !p.problems.is_empty() {
        let why = match p.verdict {
            State::Fails => "Why not",
            _ => "Cannot be decided from the public 200 m grid",
        };
        for line in wrap(&format!("{why}: {}", p.problems.join("; ")), 8.5, true, w) {
            page.text(MARGIN, y, style(8.5).bold().fill(colour), &line);
            y += 10.5;
        }
    }
    y += 2.0;
    let bottom = PAGE_HEIGHT - MARGIN - footer_height(&atlas.notes);
    // The bottom band: the indicator table and the chart side by side.
    let half = (w - GUTTER) / 2.0;
    let band = measure(|pg| table_block(pg, p, 0.0, 0.0, half))
        .max(measure(|pg| chart_block(pg, p, 0.0, 0.0, half)));
    let band_top = bottom - band;
    let caption: Vec<String> = p.caption.iter().flat_map(|c| wrap(c, 7.0, false, w)).collect();
    let caption_h = caption.len() as f64 * 8.8 + 4.0;
    // The map is drawn for its frame, its text at the page's body size whatever its
    // width. Two layouts, the one giving the wider map wins: (A) the map across the page,
    // figures and criteria side by side under it; (B) the map on the left, figures and
    // criteria in a column on its right.
    let figures_a = measure(|pg| figures_block(pg, p, 0.0, 0.0, half))
        .max(measure(|pg| criteria_block(pg, p, 0.0, 0.0, half)));
    let room_a = (band_top - y - figures_a - caption_h - 16.0).max(120.0);
    let (svg_a, map_a) = fit_map(&p.map, w, room_a)?;
    let side = 200.0;
    let column_b = measure(|pg| {
        let end = figures_block(pg, p, 0.0, 0.0, side);
        criteria_block(pg, p, 0.0, end + 8.0, side)
    });
    let room_b = band_top - y - caption_h - 12.0;
    let b = if column_b <= room_b { Some(fit_map(&p.map, w - side - GUTTER, room_b)?) } else { None };
    if let Some((svg_b, map_b)) = b.filter(|b| b.1 > map_a) {
        let h = embed_map(&mut page, &svg_b, MARGIN, y, map_b, room_b)?;
        let x = MARGIN + map_b + GUTTER;
        let end = figures_block(&mut page, p, x, y + 9.0, w - map_b - GUTTER);
        let end = criteria_block(&mut page, p, x, end + 8.0, w - map_b - GUTTER);
        y = (y + h).max(end) + 10.0;
        for c in &caption {
            page.text(MARGIN, y, style(7.0).fill(GREY), c);
            y += 8.8;
        }
    } else {
        let h = embed_map(&mut page, &svg_a, MARGIN, y, w, room_a)?;
        y += h + 10.0;
        for c in &caption {
            page.text(MARGIN, y, style(7.0).fill(GREY), c);
            y += 8.8;
        }
        y += 4.0;
        let left = figures_block(&mut page, p, MARGIN, y, half);
        y = left.max(criteria_block(&mut page, p, MARGIN + half + GUTTER, y, half));
    }
    // Right under the rest: what room is left stays at the foot of the page.
    let y = (y + 8.0).min(band_top + 4.0);
    table_block(&mut page, p, MARGIN, y, half);
    chart_block(&mut page, p, MARGIN + half + GUTTER, y, half);
    footer(&mut page, &atlas.notes, number, total);
    Ok(page.finish())
}

/// Space between columns, points.
const GUTTER: f64 = 16.0;

/// The height a block takes, drawn on a page thrown away.
fn measure(block: impl FnOnce(&mut Page) -> f64) -> f64 {
    block(&mut Page::new())
}

/// Figures: label and value (wrapped); returns the y below them.
fn figures_block(page: &mut Page, p: &PerimeterPage, x: f64, y: f64, w: f64) -> f64 {
    let mut y = page.heading(x, y, w, "Figures");
    let label_w = (w * 0.36).min(80.0);
    for (label, value) in &p.figures {
        page.text(x, y, style(7.2).fill(GREY), &fit(label, 7.2, false, label_w - 4.0));
        for line in wrap(value, 7.2, false, w - label_w) {
            page.text(x + label_w, y, style(7.2), &line);
            y += 9.2;
        }
    }
    y
}

/// The decree's criteria, each with its figure and verdict; returns the y below them.
fn criteria_block(page: &mut Page, p: &PerimeterPage, x: f64, y: f64, w: f64) -> f64 {
    let mut y = page.heading(x, y, w, "Criteria of the decree");
    page.text(x, y, style(6.3).fill(GREY).italic(), "décret n° 2014-767 as amended by décret n° 2023-1312");
    y += 11.0;
    for c in &p.criteria {
        let (colour, mark, word) = c.state.map_or((GREY, "–", "n/a"), look);
        page.text(x, y, style(9.0).bold().fill(colour), mark);
        page.text(x + 12.0, y, style(7.2), &fit(&c.rule, 7.2, false, w - 12.0 - 34.0));
        page.text(x + w, y, style(7.2).bold().fill(colour).end(), word);
        for line in wrap(&c.figure, 6.8, false, w - 12.0) {
            y += 8.4;
            page.text(x + 12.0, y, style(6.8).fill(GREY), &line);
        }
        y += 11.5;
    }
    y
}

/// The indicator table; returns the y below it.
fn table_block(page: &mut Page, p: &PerimeterPage, x: f64, y: f64, w: f64) -> f64 {
    let mut y = page.heading(x, y, w, "Key indicators");
    let edges = [0.62, 0.81, 1.0];
    for (k, name) in ["perimeter", "urban unit", "France"].iter().enumerate() {
        page.text(x + edges[k] * w - 2.0, y, style(6.5).bold().fill(GREY).end(), name);
    }
    y += 10.0;
    for (r, line) in p.indicators.iter().enumerate() {
        if r % 2 == 0 {
            page.rect(x, y - 6.9, w, 9.2, "#f3f3f3");
        }
        page.text(x + 2.0, y, style(7.0), &fit(&line.label, 7.0, false, w * 0.44 - 2.0));
        for (k, e) in edges.iter().enumerate() {
            let st = if k == 0 { style(7.0).bold() } else { style(7.0) };
            page.text(x + e * w - 2.0, y, st.end(), &value(line, k));
        }
        y += 9.2;
    }
    y += 3.0;
    let names = format!(
        "By area share of the squares, as qpv indicators. Urban unit: {}; France: {}.",
        p.indicator_columns[1], p.indicator_columns[2]
    );
    for line in wrap(&names, 6.3, false, w) {
        y += 1.0;
        page.text(x, y + 5.0, style(6.3).fill(GREY), &line);
        y += 7.6;
    }
    y
}

/// The bar chart of the shares: the perimeter, its urban unit and France; returns the y
/// below it.
fn chart_block(page: &mut Page, p: &PerimeterPage, x: f64, y: f64, w: f64) -> f64 {
    let shares: Vec<&IndicatorLine> = p.indicators.iter().filter(|l| l.kind == Kind::Share).collect();
    if shares.is_empty() {
        return y;
    }
    let mut y = page.heading(x, y, w, "Shares beside the urban unit and France");
    let colours = crate::palette::CHART;
    let mut lx = x;
    for (k, name) in p.indicator_columns.iter().enumerate() {
        page.rect(lx, y - 6.0, 7.0, 7.0, colours[k]);
        page.text(lx + 10.0, y, style(6.3), &fit(name, 6.3, false, w / 3.0 - 13.0));
        lx += w / 3.0;
    }
    y += 6.0;
    let max = shares.iter().flat_map(|l| l.values).filter(|v| v.is_finite()).fold(0.0f64, f64::max).max(0.05);
    let (label_w, bar_w) = (w * 0.36, w * 0.64 - 28.0);
    for line in shares {
        page.text(x, y + 8.0, style(7.0), &fit(&line.label, 7.0, false, label_w - 4.0));
        for (k, v) in line.values.iter().enumerate() {
            let by = y + 1.5 + k as f64 * 4.6;
            let len = if v.is_finite() { v / max * bar_w } else { 0.0 };
            page.rect(x + label_w, by, len.max(0.3), 3.8, colours[k]);
            page.text(x + label_w + len + 2.0, by + 3.6, style(4.8).fill(GREY), &percent(*v));
        }
        y += 16.5;
    }
    y
}

//! The cover: the map of every perimeter, the statements, the summary table.

use super::text::{
    Page, Style, embed_map, fit, fit_map, footer, footer_height, map_size, style, width, wrap,
};
use super::{Atlas, GREY, INK, MARGIN, PAGE_HEIGHT, PAGE_WIDTH, RULE_LINE, look};
use qpv_core::verdict::State;
use qpv_grid::{IoError, thousands};

/// Leading of the summary table: one column, several columns.
const ROW_ONE: f64 = 9.4;
const ROW_MANY: f64 = 8.2;

/// The summary table's columns for `n` rows beside a map of aspect `vw / vh` in `room`
/// points of height: the fewest columns (1 to 3) that leave the map within 15 % of its
/// widest, with the rows per column, the leading and the map's height; `None` when even three columns
/// leave the map less than 40 % of the room.
fn cover_layout(n: usize, room: f64, vw: f64, vh: f64) -> Option<(usize, usize, f64, f64)> {
    let mut best: Option<(usize, usize, f64, f64, f64)> = None;
    for columns in 1..=3 {
        let row = if columns == 1 { ROW_ONE } else { ROW_MANY };
        let per_column = n.div_ceil(columns).max(1);
        let map_h = room - (per_column as f64 * row + 14.0);
        if map_h < 0.4 * room {
            continue;
        }
        let map_w = (PAGE_WIDTH - 2.0 * MARGIN).min(map_h * vw / vh);
        // More (and so narrower: three leave out the median and the verdict) columns
        // only for a map wider by more than 15 %.
        if best.is_none_or(|b| map_w > b.4 * 1.15) {
            best = Some((columns, per_column, row, map_h, map_w));
        }
    }
    best.map(|(c, p, r, h, _)| (c, p, r, h))
}

pub(super) fn cover(atlas: &Atlas, total: usize) -> Result<String, IoError> {
    let mut page = Page::new();
    let w = PAGE_WIDTH - 2.0 * MARGIN;
    let mut y = MARGIN + 16.0;
    for line in wrap(&atlas.title, 17.0, true, w) {
        page.text(MARGIN, y, style(17.0).bold(), &line);
        y += 20.0;
    }
    for line in wrap(&atlas.subtitle, 8.5, false, w) {
        page.text(MARGIN, y, style(8.5).fill(GREY), &line);
        y += 11.0;
    }
    y += 4.0;
    let bottom = PAGE_HEIGHT - MARGIN - footer_height(&atlas.notes);
    let statements: Vec<String> = atlas.cover_lines.iter().flat_map(|l| wrap(l, 8.0, false, w)).collect();
    let text_h = statements.len() as f64 * 10.5 + 18.0;
    let room = bottom - y - text_h - 6.0;
    let (vw, vh) = map_size(&fit_map(&atlas.cover_map, w, f64::MAX)?.0)?;
    let n = atlas.summary.len();
    let (columns, per_column, row, map_h, shown) = match cover_layout(n, room, vw, vh) {
        Some((c, p, r, h)) => (c, p, r, h, n),
        None => {
            // Too many for the cover: the map keeps 40 % of the room, the table the rest,
            // its last row saying how many are left out.
            let map_h = 0.4 * room;
            let p = ((room - map_h - 14.0) / ROW_MANY).floor().max(1.0) as usize;
            (3, p, ROW_MANY, map_h, (p * 3).saturating_sub(1))
        }
    };
    let (map, _) = fit_map(&atlas.cover_map, w, map_h)?;
    let h = embed_map(&mut page, &map, MARGIN, y, w, map_h)?;
    y += h + 14.0;
    for l in &statements {
        page.text(MARGIN, y, style(8.0), l);
        y += 10.5;
    }
    y += 4.0;
    summary_table(&mut page, atlas, y, columns, per_column, row, shown);
    footer(&mut page, &atlas.notes, 1, total);
    Ok(page.finish())
}

/// The summary table in `columns` columns of `per_column` rows.
fn summary_table(
    page: &mut Page,
    atlas: &Atlas,
    y: f64,
    columns: usize,
    per_column: usize,
    row: f64,
    shown: usize,
) {
    let gap = 14.0;
    let cw = (PAGE_WIDTH - 2.0 * MARGIN - gap * (columns as f64 - 1.0)) / columns as f64;
    let size = if columns == 1 { 7.2 } else { 6.8 };
    // Three columns leave out the median and the verdict (a failing id is red).
    let compact = columns >= 3;
    let heads: &[(&str, bool)] = if compact {
        &[("id", false), ("place", false), ("inhab.", true), ("margin", true), ("p.", true)]
    } else {
        &[
            ("perimeter", false),
            ("place", false),
            ("inhabitants", true),
            ("median", true),
            ("margin", true),
            ("rule", false),
            ("page", true),
        ]
    };
    let number = |x: Option<f64>| x.map_or("–".to_owned(), thousands);
    let cells: Vec<Vec<(String, &'static str)>> = atlas.summary[..shown]
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let verdict = s.verdict.word();
            let colour = look(s.verdict).0;
            let page = ((k + 2).to_string(), GREY);
            if compact {
                vec![
                    (s.id.clone(), colour_if(compact, s.verdict)),
                    (s.place.clone(), INK),
                    (thousands(s.inhabitants), INK),
                    (number(s.margin), INK),
                    page,
                ]
            } else {
                vec![
                    (s.id.clone(), INK),
                    (s.place.clone(), INK),
                    (thousands(s.inhabitants), INK),
                    (number(s.median), INK),
                    (number(s.margin), INK),
                    (verdict.to_owned(), colour),
                    page,
                ]
            }
        })
        .collect();
    // Every column as wide as its widest entry; the place takes what is left.
    let pad = 5.0;
    let mut widths: Vec<f64> = heads.iter().map(|(h, _)| width(h, size, true)).collect();
    for r in &cells {
        for (i, (text, _)) in r.iter().enumerate() {
            widths[i] = widths[i].max(width(text, size, false));
        }
    }
    widths[1] =
        (cw - widths.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, w)| w + pad).sum::<f64>() - pad)
            .max(20.0);
    let mut lefts = Vec::with_capacity(widths.len());
    let mut x = 0.0;
    for w in &widths {
        lefts.push(x);
        x += w + pad;
    }
    let put = |page: &mut Page, x0: f64, yy: f64, i: usize, text: &str, st: Style| {
        if heads[i].1 {
            page.text(x0 + lefts[i] + widths[i], yy, st.end(), text);
        } else {
            page.text(x0 + lefts[i], yy, st, &fit(text, st.size, st.bold, widths[i]));
        }
    };
    for c in 0..columns {
        let x0 = MARGIN + c as f64 * (cw + gap);
        let rows = (c * per_column).min(shown)..((c + 1) * per_column).min(shown);
        if rows.is_empty() && c > 0 {
            break;
        }
        for (i, (head, _)) in heads.iter().enumerate() {
            put(page, x0, y, i, head, style(size).bold().fill(GREY));
        }
        page.line(x0, y + 3.0, x0 + cw, y + 3.0, RULE_LINE, 0.6);
        for (r, k) in rows.enumerate() {
            let yy = y + 14.0 + r as f64 * row;
            if r % 2 == 1 {
                page.rect(x0, yy - row + 2.2, cw, row, "#f3f3f3");
            }
            for (i, (text, fill)) in cells[k].iter().enumerate() {
                put(page, x0, yy, i, text, style(size).fill(fill));
            }
        }
    }
    if shown < atlas.summary.len() {
        let yy = y + 14.0 + per_column as f64 * row - row;
        let x0 = MARGIN + (columns as f64 - 1.0) * (cw + gap);
        page.text(
            x0,
            yy,
            style(size).italic().fill(GREY),
            &format!(
                "… and {} more (pages {}–{})",
                atlas.summary.len() - shown,
                shown + 2,
                atlas.summary.len() + 1
            ),
        );
    }
}

/// A perimeter's id in its verdict's colour where the table has no verdict column.
fn colour_if(compact: bool, verdict: State) -> &'static str {
    if compact && verdict != State::Meets { look(verdict).0 } else { INK }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_table_takes_more_columns_as_rows_grow() {
        // Eight rows beside a wide map: one column, the map as wide as the page anyway.
        assert_eq!(cover_layout(8, 600.0, 2.0, 1.0).map(|t| t.0), Some(1));
        // Beside a square map too: two columns would widen it by 8 % only.
        assert_eq!(cover_layout(8, 600.0, 1.0, 1.0).map(|t| t.0), Some(1));
        // Eighty rows beside a square map: more columns leave it wider.
        let (columns, per_column, _, map_h) = cover_layout(80, 600.0, 1.0, 1.0).unwrap();
        assert!(columns >= 2 && columns * per_column >= 80 && map_h >= 240.0);
        assert_eq!(
            cover_layout(2_000, 600.0, 1.0, 1.0),
            None,
            "too many: the cover says how many are left out"
        );
        assert_eq!(
            cover_layout(0, 600.0, 1.0, 1.0).map(|t| t.1),
            Some(1),
            "an empty table still has its head"
        );
    }
}

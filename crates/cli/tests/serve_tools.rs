//! Every tool of `qpv serve`'s page used as a person uses it, in Debian's headless chromium
//! driven through chromedriver (WebDriver) by fantoccini: real pointer actions on the map
//! (brush, lasso and rectangle drags, polygon clicks and a double click), real clicks on
//! buttons and dialog fields, keys typed into inputs. On the CAPH sample with its REP
//! collèges, each tool makes its one step; a conflict with another client and a refused
//! step are shown as the page shows them; the export is what `qpv run --edits` writes from
//! the session file, byte for byte.
//!
//! Ignored by default like `serve_page.rs` (a clone may have no chromium); `.ci/run` runs it
//! with `-- --include-ignored`. Screenshots go where `serve_page.rs` puts its own
//! (`$QPV_SCREENSHOTS`, else a folder of the target directory), named `tools-*.png`.

mod common;
mod serve_common;

use fantoccini::Client;
use serde_json::{Value, json};
use serve_common::browser::*;
use serve_common::*;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// The ids the test gives to the perimeters it makes.
const CREATED: &str = "59701-50";
const SPLIT_OFF: &str = "59701-60";
/// The perimeter merged into Denain (Lourches, Escaudain, Rœulx).
const MERGED: &str = "59701-06";
const SIDE: i64 = 200;
const AXES: [(i64, i64); 4] = [(0, SIDE), (0, -SIDE), (SIDE, 0), (-SIDE, 0)];

/// A square's place in the grid, (north, east) in metres of EPSG:3035, read from its id
/// (`CRS3035RES200mN2970000E3794000`).
fn cell(square: &Value) -> (i64, i64) {
    let id = square["id"].as_str().expect("an id");
    let (_, ne) = id.split_once("200mN").unwrap_or_else(|| panic!("unexpected square id {id}"));
    let (n, e) = ne.split_once('E').unwrap_or_else(|| panic!("unexpected square id {id}"));
    (n.parse().unwrap(), e.parse().unwrap())
}

fn shift((n, e): (i64, i64), (dn, de): (i64, i64), k: i64) -> (i64, i64) {
    (n + k * dn, e + k * de)
}

/// The squares of the grid as `/api/squares` gives them now, found by cell.
struct Grid {
    squares: Vec<Value>,
    at: HashMap<(i64, i64), usize>,
}

impl Grid {
    fn now(server: &Server) -> Grid {
        let squares = server.all_squares();
        let at = squares.iter().enumerate().map(|(k, s)| (cell(s), k)).collect();
        Grid { squares, at }
    }

    fn at(&self, c: (i64, i64)) -> Option<&Value> {
        self.at.get(&c).map(|&k| &self.squares[k])
    }

    fn free(&self, c: (i64, i64)) -> bool {
        self.at(c).is_some_and(|s| s["perimeter"].is_null())
    }

    /// A square of `perimeter` shares a side with the square at `c`.
    fn touches(&self, c: (i64, i64), perimeter: &str) -> bool {
        AXES.iter().any(|&d| self.at(shift(c, d, 1)).is_some_and(|s| s["perimeter"] == perimeter))
    }

    /// The squares `keep` takes, nearest to `perimeter`'s centre first.
    fn nearest(&self, perimeter: &str, keep: impl Fn(&Value) -> bool) -> Vec<&Value> {
        let inside: Vec<[f64; 2]> =
            self.squares.iter().filter(|s| s["perimeter"] == perimeter).map(centre).collect();
        let mid = [0, 1].map(|k| inside.iter().map(|p| p[k]).sum::<f64>() / inside.len() as f64);
        let gap = |s: &Value| {
            let p = centre(s);
            ((p[0] - mid[0]) * 0.64).hypot(p[1] - mid[1]) // a degree of longitude is 0.64 of one of latitude here
        };
        let mut list: Vec<&Value> = self.squares.iter().filter(|s| keep(s)).collect();
        list.sort_by(|a, b| gap(a).total_cmp(&gap(b)));
        list
    }
}

/// One-square groups of the squares `keep` takes, nearest Denain's centre first.
fn singles(grid: &Grid, keep: impl Fn(&Value) -> bool) -> Vec<Vec<&Value>> {
    grid.nearest(DENAIN, keep).into_iter().map(|s| vec![s]).collect()
}

/// The first group of squares whose every square a person can point at now.
async fn first_shown(c: &Client, groups: &[Vec<&Value>], what: &str) -> Vec<Target> {
    let pool: Vec<&Value> = groups.iter().flatten().copied().collect();
    let shown = targets(c, &pool).await;
    groups
        .iter()
        .find_map(|g| g.iter().map(|s| shown.iter().find(|t| t.id == s["id"]).cloned()).collect())
        .unwrap_or_else(|| panic!("no {what} can be pointed at on the map ({} groups tried)", groups.len()))
}

/// The one square of a group, pointed at again now (the layout may have moved).
async fn again(c: &Client, square: &Target, grid: &Grid) -> Target {
    let s = grid.squares.iter().find(|s| s["id"] == square.id).unwrap();
    let t = targets(c, &[s]).await;
    t.into_iter().next().unwrap_or_else(|| panic!("{} can no longer be pointed at", square.id))
}

/// Figures summed in another order than the server's: equal to a rounding error.
fn same(shown: f64, expected: f64, what: &str) {
    assert!((shown - expected).abs() < 1e-6, "{what}: the page shows {shown}, expected {expected}");
}

/// The last step the server holds, as posted.
fn last_step(server: &Server) -> Value {
    server.state()["steps"].as_array().unwrap().last().expect("a step")["step"].clone()
}

fn id_set(list: &Value) -> BTreeSet<String> {
    list.as_array().expect("a list").iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

fn ids_of(squares: &[Target]) -> BTreeSet<String> {
    squares.iter().map(|t| t.id.clone()).collect()
}

/// The `op` of each step of an adjustments file.
fn ops_in(session: &Path) -> Vec<String> {
    let doc: toml::Table = toml::from_str(&std::fs::read_to_string(session).unwrap()).unwrap();
    let steps = doc.get("step").and_then(|s| s.as_array()).cloned().unwrap_or_default();
    steps.iter().map(|s| s["op"].as_str().expect("an op").to_owned()).collect()
}

fn geometry_files(server: &Server) -> usize {
    std::fs::read_dir(server.dir.join("geometry")).map_or(0, |d| d.count())
}

/// Which perimeter holds a square now, as the server tells.
fn holder(server: &Server, id: &str) -> Value {
    Grid::now(server).squares.iter().find(|s| s["id"] == id).expect("the square")["perimeter"].clone()
}

async fn dialog_shows(c: &Client, field: &str) {
    until(
        c,
        &format!(
            "!document.getElementById('dialog-backdrop').hidden && !!document.getElementById('{field}')"
        ),
    )
    .await;
}

/// Clicks the perimeter in the side list and waits until the panel shows it.
async fn select(c: &Client, id: &str) {
    click(c, &format!("#perimeter-list li[data-id='{id}']")).await;
    until(
        c,
        &format!(
            "document.getElementById('selected-id').textContent === '{id}' && !document.body.dataset.busy"
        ),
    )
    .await;
}

/// Draws a polygon with the polygon tool (a click on each vertex, a double click on the
/// last), and waits for the dialog asking what to do with it.
async fn draw_polygon(c: &Client, vertices: &[(f64, f64)]) {
    click(c, "#tool-polygon").await;
    let (last, rest) = vertices.split_last().unwrap();
    for &(x, y) in rest {
        click_at(c, x, y).await;
    }
    double_click_at(c, last.0, last.1).await;
    dialog_shows(c, "dialog-add").await;
}

/// The text of an element.
async fn text(c: &Client, id: &str) -> String {
    js(c, &format!("document.getElementById('{id}').textContent")).await.as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver (Debian's packages)"]
async fn every_tool_of_the_page_makes_its_step_and_the_replay_agrees() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, _driver, c) = session_with_browser(tmp.path()).await;
    open(&c, &server).await;
    no_error_shown(&c, "loaded").await;
    let session = server.dir.join("session.toml");

    // 1. Denain chosen in the list, and the map zoomed on it (the view only).
    select(&c, DENAIN).await;
    let state = server.state();
    for id in [CREATED, SPLIT_OFF] {
        assert!(
            state["perimeters"]["features"].as_array().unwrap().iter().all(|f| f["properties"]["id"] != id)
        );
    }
    zoom_on(&c, &state, DENAIN, 60).await;
    let start = inhabitants_shown(&c).await;
    let mut used: BTreeSet<String> = BTreeSet::new();

    // 2. Add tool, brush: one drag across three free squares in a row next to Denain.
    click(&c, "#tool-add").await;
    click(&c, "#gesture-brush").await;
    let grid = Grid::now(&server);
    let mut rows: Vec<Vec<&Value>> = Vec::new();
    for s in grid.nearest(DENAIN, |s| s["perimeter"].is_null() && grid.touches(cell(s), DENAIN)) {
        for d in AXES {
            if (1..3).all(|k| grid.free(shift(cell(s), d, k))) {
                rows.push((0..3).map(|k| grid.at(shift(cell(s), d, k)).unwrap()).collect());
            }
        }
    }
    let row = first_shown(&c, &rows, "row of three free squares next to Denain").await;
    let side = row[0].side();
    assert!(side >= 20.0, "squares of {side:.0} px: too small to draw around");
    let mid = |a: &Target, b: &Target| ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0);
    let loaded = squares_loaded(&c).await;
    drag(
        &c,
        &[
            (row[0].x, row[0].y),
            mid(&row[0], &row[1]),
            (row[1].x, row[1].y),
            mid(&row[1], &row[2]),
            (row[2].x, row[2].y),
        ],
    )
    .await;
    reloaded_at(&c, 1, loaded).await;
    no_error_shown(&c, "brush").await;
    let step = last_step(&server);
    assert_eq!((&step["op"], &step["candidate"]), (&json!("add"), &json!(DENAIN)), "{step}");
    assert_eq!(id_set(&step["squares"]), ids_of(&row), "the three squares brushed, one step");
    let of = |id: &str| grid.squares.iter().find(|s| s["id"] == id).unwrap()["inhabitants"].as_f64().unwrap();
    let added: f64 = row.iter().map(|t| of(&t.id)).sum();
    same(inhabitants_shown(&c).await, start + added, "up by the three squares");
    used.extend(ids_of(&row));

    // 3. Remove tool, lasso: a freehand loop around the last of them.
    click(&c, "#tool-remove").await;
    click(&c, "#gesture-lasso").await;
    let out = again(&c, &row[2], &grid).await;
    let r = 0.35 * out.side();
    let lasso: Vec<(f64, f64)> = (0..=10)
        .map(|k| f64::from(k) * std::f64::consts::TAU / 10.0)
        .map(|a| (out.x + r * a.cos(), out.y + r * a.sin()))
        .collect();
    let loaded = squares_loaded(&c).await;
    drag(&c, &lasso).await;
    reloaded_at(&c, 2, loaded).await;
    no_error_shown(&c, "lasso").await;
    let step = last_step(&server);
    assert_eq!((&step["op"], &step["candidate"]), (&json!("remove"), &json!(DENAIN)), "{step}");
    assert_eq!(id_set(&step["squares"]), BTreeSet::from([out.id.clone()]), "only the square looped around");
    same(inhabitants_shown(&c).await, start + added - of(&out.id), "down by the square looped around");

    // 4. Undo, then Redo.
    click_for_step(&c, "#undo", 3, "undo").await;
    assert_eq!(steps_in(&session), 1, "undone");
    same(inhabitants_shown(&c).await, start + added, "undone");
    assert_eq!(js(&c, "document.getElementById('redo').disabled").await, false);
    click_for_step(&c, "#redo", 4, "redo").await;
    assert_eq!(steps_in(&session), 2, "redone");
    same(inhabitants_shown(&c).await, start + added - of(&out.id), "redone");
    assert_eq!(js(&c, "document.querySelectorAll('#steps > li').length").await, 2);

    // 5. Pick tool, rectangle over a block of 2 × 2 free squares; then New perimeter.
    click(&c, "#tool-pick").await;
    click(&c, "#gesture-rect").await;
    let grid = Grid::now(&server);
    let block = |s: &Value| [(0, 0), (0, SIDE), (SIDE, 0), (SIDE, SIDE)].map(|d| shift(cell(s), d, 1));
    let blocks: Vec<Vec<&Value>> = grid
        .nearest(DENAIN, |s| {
            block(s)
                .iter()
                .all(|&q| grid.free(q) && !used.contains(grid.at(q).unwrap()["id"].as_str().unwrap()))
        })
        .into_iter()
        .map(|s| block(s).iter().map(|&q| grid.at(q).unwrap()).collect())
        .collect();
    let picked = first_shown(&c, &blocks, "block of 2 × 2 free squares").await;
    let m = 0.3 * side;
    let (x0, x1) = picked.iter().fold((f64::MAX, f64::MIN), |(a, b), t| (a.min(t.x), b.max(t.x)));
    let (y0, y1) = picked.iter().fold((f64::MAX, f64::MIN), |(a, b), t| (a.min(t.y), b.max(t.y)));
    drag(&c, &[(x0 - m, y0 - m), ((x0 + x1) / 2.0, (y0 + y1) / 2.0), (x1 + m, y1 + m)]).await;
    let on_page: BTreeSet<String> = serde_json::from_value(js(&c, "qpv.picked").await).unwrap();
    assert_eq!(on_page, ids_of(&picked), "the rectangle picks the block");
    assert_eq!(text(&c, "picked-count").await, "(4 picked)");
    click(&c, "#tool-create").await;
    dialog_shows(&c, "dialog-name").await;
    type_into(&c, "#dialog-id", CREATED).await;
    type_into(&c, "#dialog-name", "Cité des Fleurs").await;
    click_for_step(&c, "#dialog-ok", 5, "create").await;
    let step = last_step(&server);
    assert_eq!(
        (&step["op"], &step["id"], &step["name"]),
        (&json!("create"), &json!(CREATED), &json!("Cité des Fleurs"))
    );
    assert_eq!(id_set(&step["squares"]), ids_of(&picked));
    assert_eq!(text(&c, "selected-id").await, CREATED, "the new perimeter is selected");
    assert_eq!(text(&c, "selected-name").await, "Cité des Fleurs");
    used.extend(ids_of(&picked));

    // 6. Draw polygon around a free square next to Denain: add.
    select(&c, DENAIN).await;
    let grid = Grid::now(&server);
    let free_next = |s: &Value| {
        s["perimeter"].is_null() && grid.touches(cell(s), DENAIN) && !used.contains(s["id"].as_str().unwrap())
    };
    let inside = first_shown(&c, &singles(&grid, free_next), "free square next to Denain").await.remove(0);
    used.insert(inside.id.clone());
    draw_polygon(&c, &inside.ring(0.7)).await;
    assert!(
        text(&c, "dialog-text").await.starts_with("1 loaded square "),
        "{}",
        text(&c, "dialog-text").await
    );
    click_for_step(&c, "#dialog-add", 6, "polygon add").await;
    let step = last_step(&server);
    assert_eq!((&step["op"], &step["candidate"]), (&json!("add"), &json!(DENAIN)), "{step}");
    assert!(step["squares"].is_null() && !step["polygon"].is_null(), "a polygon, no squares: {step}");
    assert_eq!(geometry_files(&server), 1, "the polygon written in geometry/");
    assert_eq!(holder(&server, &inside.id), json!(DENAIN));

    // 7. Another polygon, around a square of Denain on its edge: split it off.
    let grid = Grid::now(&server);
    let edge = |s: &Value| {
        s["perimeter"] == DENAIN
            && !used.contains(s["id"].as_str().unwrap())
            && AXES.iter().any(|&d| grid.free(shift(cell(s), d, 1)))
    };
    let piece = first_shown(&c, &singles(&grid, edge), "square on Denain's edge").await.remove(0);
    used.insert(piece.id.clone());
    draw_polygon(&c, &piece.ring(0.7)).await;
    click(&c, "#dialog-split").await;
    dialog_shows(&c, "dialog-new_id").await;
    type_into(&c, "#dialog-new_id", SPLIT_OFF).await;
    click_for_step(&c, "#dialog-ok", 7, "split").await;
    let step = last_step(&server);
    assert_eq!(
        (&step["op"], &step["candidate"], &step["new_id"]),
        (&json!("split"), &json!(DENAIN), &json!(SPLIT_OFF))
    );
    assert_eq!(text(&c, "selected-id").await, SPLIT_OFF);
    assert_eq!((geometry_files(&server), holder(&server, &piece.id)), (2, json!(SPLIT_OFF)));

    // 8. Merge 59701-06 into Denain, rename Denain, poches, the REP collèges.
    select(&c, DENAIN).await;
    let (denain, merged) = (inhabitants(&server.state(), DENAIN), inhabitants(&server.state(), MERGED));
    click(&c, "#tool-merge").await;
    dialog_shows(&c, "dialog-candidates").await;
    click(&c, &format!("#dialog-candidates input[value='{MERGED}']")).await;
    click_for_step(&c, "#dialog-ok", 8, "merge").await;
    let step = last_step(&server);
    assert_eq!((&step["op"], &step["into"]), (&json!("merge"), &json!(DENAIN)), "{step}");
    assert_eq!(id_set(&step["candidates"]), BTreeSet::from([DENAIN.to_owned(), MERGED.to_owned()]));
    assert_eq!(
        js(&c, &format!("!document.querySelector(\"#perimeter-list li[data-id='{MERGED}']\")")).await,
        true
    );
    same(inhabitants_shown(&c).await, denain + merged, "Denain and 59701-06 as one");

    click(&c, "#tool-rename").await;
    dialog_shows(&c, "dialog-name").await;
    type_into(&c, "#dialog-name", "Denain centre").await;
    click_for_step(&c, "#dialog-ok", 9, "rename").await;
    let step = last_step(&server);
    assert_eq!(
        (&step["op"], &step["candidate"], &step["name"]),
        (&json!("rename"), &json!(DENAIN), &json!("Denain centre"))
    );
    assert!(step["to"].is_null(), "the id kept: {step}");
    assert_eq!(
        (text(&c, "selected-id").await, text(&c, "selected-name").await),
        (DENAIN.into(), "Denain centre".into())
    );

    for (button, field, version, op) in [
        ("#tool-poches", "dialog-floor", 10, "poches"),
        ("#tool-schools", "dialog-distance_m", 11, "include_schools"),
    ] {
        click(&c, button).await;
        dialog_shows(&c, field).await;
        click_for_step(&c, "#dialog-ok", version, op).await;
        assert_eq!(last_step(&server)["op"], op);
    }
    assert_eq!(last_step(&server)["distance_m"].as_f64(), Some(300.0), "the dialog's distance");

    // 9. Another client renames a perimeter through the API while the page has not heard
    // of it yet (its long poll held: otherwise it would redraw within a second); then the
    // person clicks a square with the add tool: 409, the page reloads and says so.
    click(&c, "#tool-add").await;
    click(&c, "#gesture-brush").await;
    js(&c, "(qpv.holdEvents(true), true)").await;
    let elsewhere = server.state()["perimeters"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap().to_owned())
        .find(|id| ![DENAIN, CREATED, SPLIT_OFF].contains(&id.as_str()))
        .expect("another perimeter");
    server.edit(json!({ "op": "rename", "candidate": elsewhere, "name": "Renamed elsewhere" }));
    let grid = Grid::now(&server);
    let free_next = |s: &Value| {
        s["perimeter"].is_null() && grid.touches(cell(s), DENAIN) && !used.contains(s["id"].as_str().unwrap())
    };
    let late = first_shown(&c, &singles(&grid, free_next), "free square next to Denain").await.remove(0);
    let loaded = squares_loaded(&c).await;
    click_at(&c, late.x, late.y).await;
    until(&c, "!document.getElementById('error').hidden && !document.body.dataset.busy").await;
    reloaded_at(&c, 12, loaded).await;
    let notice = text(&c, "error-text").await;
    assert!(notice.contains("Another window changed the session to version 12"), "{notice}");
    assert!(notice.contains("your step was not applied"), "{notice}");
    js(&c, "(qpv.holdEvents(false), true)").await;
    assert_eq!(js(&c, "document.getElementById('error').className").await, "notice");
    let name =
        format!("document.querySelector(\"#perimeter-list li[data-id='{elsewhere}'] .pname\").textContent");
    assert_eq!(js(&c, &name).await, "Renamed elsewhere", "the other client's edit is shown");
    assert_eq!(
        (steps_in(&session), holder(&server, &late.id)),
        (10, Value::Null),
        "the click was not applied"
    );
    screenshot(&c, "tools-conflict.png").await;
    // Done again, as the message says (the same square, unless the message now hides it).
    let grid = Grid::now(&server);
    let free_next = |s: &Value| {
        s["perimeter"].is_null() && grid.touches(cell(s), DENAIN) && !used.contains(s["id"].as_str().unwrap())
    };
    let late = first_shown(&c, &singles(&grid, free_next), "free square next to Denain").await.remove(0);
    let loaded = squares_loaded(&c).await;
    click_at(&c, late.x, late.y).await;
    reloaded_at(&c, 13, loaded).await;
    no_error_shown(&c, "added again").await;
    assert_eq!(id_set(&last_step(&server)["squares"]), BTreeSet::from([late.id.clone()]));
    used.insert(late.id.clone());

    // 10. A polygon holding no square of Denain, and remove: the server's 400 shown.
    let grid = Grid::now(&server);
    let lone = |s: &Value| s["perimeter"].is_null() && !used.contains(s["id"].as_str().unwrap());
    let outside = first_shown(&c, &singles(&grid, lone), "free square").await.remove(0);
    draw_polygon(&c, &outside.ring(0.7)).await;
    click(&c, "#dialog-remove").await;
    until(&c, "!document.getElementById('error').hidden && !document.body.dataset.busy").await;
    let refused = text(&c, "error-text").await;
    assert!(refused.starts_with("step 12: the polygon drawn ("), "{refused}");
    assert!(refused.ends_with(&format!("selects no square of \"{DENAIN}\"")), "{refused}");
    assert_eq!(js(&c, "document.getElementById('error').className").await, "", "shown as an error");
    assert_eq!(text(&c, "version").await, "version 13");
    assert_eq!(steps_in(&session), 11, "nothing written");
    assert_eq!(geometry_files(&server), 2, "the refused polygon's file is not left behind");
    screenshot(&c, "tools-refused.png").await;
    click(&c, "#error-close").await;
    click(&c, "#tool-pan").await;

    // 11. Export, with the GeoPackage.
    click(&c, "#export-gpkg").await;
    click(&c, "#export").await;
    until(&c, "document.querySelectorAll('#export-result li').length > 0 && !document.body.dataset.busy")
        .await;
    no_error_shown(&c, "export").await;
    let mut listed: Vec<String> = serde_json::from_value(
        js(&c, "[...document.querySelectorAll('#export-result li')].map((li) => li.textContent)").await,
    )
    .unwrap();
    listed.sort();
    let export = server.dir.join("export");
    let written: Vec<String> = files_under(&export).iter().map(|f| f.display().to_string()).collect();
    assert_eq!(listed, written, "the page lists every file written in {}", export.display());
    for f in ["adjusted.geojson", "qpv.gpkg", "manifest.json", "check/check.md"] {
        assert!(listed.iter().any(|l| l == f), "{f} not listed: {listed:?}");
    }
    // Scrolled to the list, as a person reading it would.
    c.execute("document.getElementById('export-result').scrollIntoView({ block: 'end' });", vec![])
        .await
        .unwrap();
    screenshot(&c, "tools-end.png").await;

    // 12. From the outside: the steps, the replay, the figures.
    let expected = [
        "add",
        "remove",
        "create",
        "add",
        "split",
        "merge",
        "rename",
        "poches",
        "include_schools",
        "rename",
        "add",
    ];
    assert_eq!(ops_in(&session), expected, "session.toml");
    let other = tmp.path().join("replay");
    replay(&server, &other, &["--format", "gpkg"]);
    assert_same_files(
        &export,
        &other,
        &["adjusted.geojson", "qpv.gpkg", "poches.geojson", "audit.csv", "schools.csv", "manifest.json"],
    );
    let adjusted: Value =
        serde_json::from_slice(&std::fs::read(other.join("adjusted.geojson")).unwrap()).unwrap();
    assert_eq!(text(&c, "selected-id").await, DENAIN);
    assert_eq!(
        inhabitants_shown(&c).await,
        inhabitants(&adjusted, DENAIN),
        "what the replay writes for Denain"
    );
    c.close().await.unwrap();
}

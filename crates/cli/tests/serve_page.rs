//! `qpv serve`'s page (crates/serve/page/) in a real browser, used as a person uses it:
//! Debian's chromium, headless, driven through Debian's chromedriver (WebDriver) by
//! fantoccini. The test opens the address the server prints, selects Denain in the list,
//! paints two of its squares out with real mouse clicks on the map, and undoes one; the
//! figures the page shows must be those `qpv run --edits` writes from the session file.
//!
//! Ignored by default (a clone may have no chromium); `.ci/run` installs chromium and
//! chromium-driver and runs it with `-- --include-ignored`, and then a missing tool fails it.
//! Screenshots of each stage go to `$QPV_SCREENSHOTS` (the README's `docs/serve/`:
//! `QPV_SCREENSHOTS=docs/serve`, as `scripts/docs-serve.sh` does), else to a folder of
//! the target directory, so that a test run never rewrites the repository's images.

mod common;
mod serve_common;

use serde_json::{Value, json};
use serve_common::browser::*;
use serve_common::*;
use std::path::Path;

/// What `qpv run --settings DIR/settings.toml --edits DIR/session.toml` writes for `id`.
fn replayed_inhabitants(server: &Server, other: &Path, id: &str) -> f64 {
    replay(server, other, &[]);
    let adjusted: Value =
        serde_json::from_slice(&std::fs::read(other.join("adjusted.geojson")).unwrap()).unwrap();
    inhabitants(&adjusted, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver (Debian's packages)"]
async fn a_person_paints_two_squares_out_of_denain_and_undoes_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, _driver, c) = session_with_browser(tmp.path()).await;

    // The printed address: the token becomes a cookie and leaves the address bar.
    open(&c, &server).await;
    let url = c.current_url().await.unwrap();
    assert_eq!((url.path(), url.query()), ("/", None), "{url}");
    no_error_shown(&c, "loaded").await;

    // Denain, chosen in the list.
    click(&c, &format!("#perimeter-list li[data-id='{DENAIN}']")).await;
    until(&c, &format!("document.getElementById('selected-id').textContent === '{DENAIN}'")).await;
    let state = server.state();
    let before = inhabitants_shown(&c).await;
    assert_eq!(before, inhabitants(&state, DENAIN), "the page shows the server's figure");
    let criteria = js(&c, "[...document.querySelectorAll('#criteria li[data-key]')].map((li) => [li.dataset.key, li.dataset.ok])").await;
    let expected: Vec<Value> = feature(&state, DENAIN)["properties"]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| json!([k["key"], k["ok"].as_bool().unwrap().to_string()]))
        .collect();
    assert_eq!(criteria, json!(expected), "each criterion of the decree, as the server judged it");
    screenshot(&c, "page.png").await;

    // Zoomed on Denain (the view only, as the mouse wheel would; not under test), squares loaded.
    zoom_on(&c, &state, DENAIN, 30).await;

    // The remove tool, and two squares of Denain clicked on the map.
    click(&c, "#tool-remove").await;
    let squares = server.squares_of(DENAIN);
    let targets = targets(&c, &squares.iter().collect::<Vec<_>>()).await;
    assert!(targets.len() >= 2, "fewer than two squares of {DENAIN} can be clicked: {targets:?}");
    let (first, second) = (&targets[0], &targets[targets.len() / 2]);
    let of = |id: &str| squares.iter().find(|s| s["id"] == id).unwrap()["inhabitants"].as_f64().unwrap();
    click_at(&c, first.x, first.y).await;
    at_version(&c, 1).await;
    click_at(&c, second.x, second.y).await;
    at_version(&c, 2).await;
    no_error_shown(&c, "painted").await;
    let painted = inhabitants_shown(&c).await;
    assert!(painted < before, "{painted} < {before}");
    assert_eq!(painted, before - of(&first.id) - of(&second.id), "down by the two squares clicked");
    let other = tmp.path().join("replay");
    assert_eq!(
        painted,
        replayed_inhabitants(&server, &other, DENAIN),
        "what qpv run --edits session.toml writes"
    );
    let steps = js(&c, "document.querySelectorAll('#steps > li').length").await;
    assert_eq!(steps, 2, "one step per click");
    assert_eq!(steps_in(&server.dir.join("session.toml")), 2);
    screenshot(&c, "painted.png").await;

    // The compare view: the statistical candidates against the perimeters now.
    click(&c, "#compare-toggle").await;
    until(&c, "document.querySelectorAll('#compare tbody tr').length > 0 && !document.body.dataset.busy")
        .await;
    let row = js(
        &c,
        &format!("document.querySelector('#compare tr[data-id=\"{DENAIN}\"] td:nth-child(2)').textContent"),
    )
    .await;
    assert_eq!(row, "changed", "Denain's row in the compare table");
    // Scrolled to the table, as a person reading it would.
    c.execute("document.getElementById('compare').scrollIntoView({ block: 'end' });", vec![]).await.unwrap();
    screenshot(&c, "compare.png").await;
    click(&c, "#compare-toggle").await;

    // Undo: the second square comes back.
    click(&c, "#undo").await;
    at_version(&c, 3).await;
    no_error_shown(&c, "undone").await;
    assert_eq!(inhabitants_shown(&c).await, painted + of(&second.id), "up by the second square");
    assert_eq!(steps_in(&server.dir.join("session.toml")), 1, "session.toml has one step");
    assert_eq!(js(&c, "document.querySelectorAll('#steps > li').length").await, 1);
    assert_eq!(js(&c, "document.getElementById('redo').disabled").await, false);
    screenshot(&c, "undone.png").await;
    c.close().await.unwrap();
}

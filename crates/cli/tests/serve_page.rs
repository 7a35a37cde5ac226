//! `qpv serve`'s page (crates/serve/page/) in a real browser, used as a person uses it:
//! Debian's chromium, headless, driven through Debian's chromedriver (WebDriver) by
//! fantoccini. One test opens the address the server prints, selects Denain in the list,
//! paints two of its squares out with real mouse clicks on the map, and undoes one; the
//! figures the page shows must be those `qpv run --edits` writes from the session file.
//! Another reads, on a file's drawn perimeters, the three verdicts of the decree (meets,
//! fails, cannot be decided from the public 200 m grid) wherever the page shows them. A
//! third opens two browsers on one session, as at a meeting (the laptop that edits, a
//! second screen), then the read-only link: each follows the other's steps within a
//! second, a stale undo is refused and explained, and the read-only page cannot edit.
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
use std::time::Duration;

/// The criteria the panel lists for the selected perimeter: `[key, data-state, data-ok]`.
async fn criteria_shown(c: &fantoccini::Client) -> Value {
    js(c, "[...document.querySelectorAll('#criteria li[data-key]')].map((li) => [li.dataset.key, li.dataset.state, li.dataset.ok])")
        .await
}

/// The criteria the server sent for `id`, as `criteria_shown` reads them.
fn criteria_sent(state: &Value, id: &str) -> Value {
    let sent = feature(state, id)["properties"]["criteria"].as_array().unwrap().iter();
    Value::Array(
        sent.map(|k| json!([k["key"], k["state"], k["ok"].as_bool().unwrap().to_string()])).collect(),
    )
}

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

    // The printed address: the token goes from its fragment into the tab's sessionStorage,
    // and leaves the address bar; no cookie holds it.
    open(&c, &server).await;
    let url = c.current_url().await.unwrap();
    assert_eq!((url.path(), url.query(), url.fragment()), ("/", None, None), "{url}");
    token_kept_out(&c, &server.token).await;
    no_error_shown(&c, "loaded").await;

    // Denain, chosen in the list.
    click(&c, &format!("#perimeter-list li[data-id='{DENAIN}']")).await;
    until(&c, &format!("document.getElementById('selected-id').textContent === '{DENAIN}'")).await;
    let state = server.state();
    let before = inhabitants_shown(&c).await;
    assert_eq!(before, inhabitants(&state, DENAIN), "the page shows the server's figure");
    assert_eq!(
        criteria_shown(&c).await,
        criteria_sent(&state, DENAIN),
        "each criterion of the decree, as the server judged it"
    );
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

/// The drawn perimeters of the sample file, as the server judges them (README, "Checking
/// and adjusting any perimeter file").
const UNDECIDED: &str = "DOU-01";
const FAILING: &str = "RAI-01";
const MEETING: &str = "DEN-01";

/// The inhabitants of a drawn perimeter, as `panel` read them, are the server's: the
/// point estimate and its range in the words of the population criterion ("786
/// inhabitants, between 402 and 1 536"), and the values behind them.
fn range_shown(shown: &Value, p: &Value) {
    let figure =
        p["criteria"].as_array().unwrap().iter().find(|k| k["key"] == "population").unwrap()["figure"]
            .as_str()
            .unwrap();
    let (point, range) =
        figure.split_once(" inhabitants, ").unwrap_or_else(|| panic!("no range in {figure:?}"));
    assert_eq!(shown["inhabitants"], format!("{point} ({range})"), "{shown}");
    let number = |k: &str| shown[k].as_str().unwrap().parse::<f64>().unwrap();
    assert_eq!(
        [number("value"), number("low"), number("high")],
        ["inhabitants", "inhabitants_low", "inhabitants_high"].map(|k| p[k].as_f64().unwrap())
    );
}

/// What the panel shows of the selected perimeter: its verdict line, the reasons under its
/// criteria, and its inhabitants (the text, the value behind it and the range's ends).
async fn panel(c: &fantoccini::Client) -> Value {
    js(
        c,
        "(() => { const v = document.getElementById('verdict'), i = document.getElementById('inhabitants');
           return { verdict: v.textContent, state: v.dataset.state, class: v.className,
                    reasons: Object.fromEntries([...document.querySelectorAll('#criteria li[data-key]')]
                      .map((li) => [li.dataset.key, li.querySelector('.reason')?.textContent ?? null])),
                    inhabitants: i.textContent.replace(/\\s+/g, ' '), value: i.dataset.value,
                    low: i.dataset.low, high: i.dataset.high }; })()",
    )
    .await
}

/// The outline the map draws for a perimeter: its colour and dashes, as Leaflet draws them.
async fn outline(c: &fantoccini::Client, id: &str) -> Value {
    js(c, &format!("qpv.perimeterOutline('{id}')")).await
}

/// How many pixels of the map's perimeter layer, within `extent` (`[[south, west], [north,
/// east]]`) and a few pixels around it, have the colour `#rrggbb`: what a person sees drawn.
async fn pixels_of(c: &fantoccini::Client, extent: &Value, colour: &str) -> u64 {
    let script = r#"
        const [extent, hex] = arguments, m = qpv.map;
        const rgb = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
        const canvas = m.getPane('perimeters').querySelector('canvas');
        const cr = canvas.getBoundingClientRect(), mr = m.getContainer().getBoundingClientRect();
        const sx = canvas.width / cr.width, sy = canvas.height / cr.height;
        const [a, b] = extent.map((ll) => m.latLngToContainerPoint(ll));
        const x0 = Math.max(0, Math.floor((Math.min(a.x, b.x) - 8 + mr.left - cr.left) * sx));
        const y0 = Math.max(0, Math.floor((Math.min(a.y, b.y) - 8 + mr.top - cr.top) * sy));
        const x1 = Math.min(canvas.width, Math.ceil((Math.max(a.x, b.x) + 8 + mr.left - cr.left) * sx));
        const y1 = Math.min(canvas.height, Math.ceil((Math.max(a.y, b.y) + 8 + mr.top - cr.top) * sy));
        if (x1 <= x0 || y1 <= y0) return 0;
        const data = canvas.getContext('2d').getImageData(x0, y0, x1 - x0, y1 - y0).data;
        let n = 0;
        for (let k = 0; k < data.length; k += 4) {
          const d = Math.abs(data[k] - rgb[0]) + Math.abs(data[k + 1] - rgb[1]) + Math.abs(data[k + 2] - rgb[2]);
          if (data[k + 3] > 200 && d < 24) n += 1;
        }
        return n;"#;
    let n =
        c.execute(script, vec![extent.clone(), json!(colour)]).await.expect("the perimeter layer's pixels");
    n.as_u64().expect("a count")
}

/// The extent holding two extents.
fn union(a: &Value, b: &Value) -> Value {
    let f = |v: &Value, i: usize, j: usize| v[i][j].as_f64().unwrap();
    json!([
        [f(a, 0, 0).min(f(b, 0, 0)), f(a, 0, 1).min(f(b, 0, 1))],
        [f(a, 1, 0).max(f(b, 1, 0)), f(a, 1, 1).max(f(b, 1, 1))]
    ])
}

/// Shows an extent on the map (the view only, as the mouse wheel would; not under test) and
/// waits for its squares, which are loaded after the map is redrawn.
async fn view(c: &fantoccini::Client, extent: &Value) {
    let loaded = squares_loaded(c).await;
    c.execute(
        "qpv.map.fitBounds(arguments[0], { animate: false, padding: [20, 20] });",
        vec![extent.clone()],
    )
    .await
    .unwrap();
    until(c, &format!("qpv.squaresLoaded > {loaded} && !document.body.dataset.busy")).await;
}

/// Clicks a perimeter in the side list and waits until the panel shows it.
async fn select(c: &fantoccini::Client, id: &str) {
    click(c, &format!("#perimeter-list li[data-id='{id}']")).await;
    until(
        c,
        &format!(
            "document.getElementById('selected-id').textContent === '{id}' && !document.body.dataset.busy"
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver (Debian's packages)"]
async fn a_person_reads_which_drawn_perimeters_meet_fail_or_cannot_be_decided() {
    let tmp = tempfile::tempdir().unwrap();
    let server =
        Server::start(&tmp.path().join("session"), &["--perimeters", &sample("drawn_perimeters_l93.shp")]);
    let driver = Chromedriver::start(&tmp.path().join("chromedriver.log"));
    let c = driver.browser(&tmp.path().join("profile")).await;
    open(&c, &server).await;
    no_error_shown(&c, "loaded").await;
    let state = server.state();
    let sent = |id: &str| feature(&state, id)["properties"].clone();
    // The sample file's three verdicts, so that the page below is read on each of them.
    for (id, verdict) in [(UNDECIDED, "undecided"), (FAILING, "fails"), (MEETING, "meets")] {
        assert_eq!(sent(id)["verdict"], verdict, "{id}: {}", sent(id));
    }

    // The list: each perimeter's mark in its verdict's state, and how many fail or cannot
    // be decided.
    let list = js(&c, "[...document.querySelectorAll('#perimeter-list li[data-id]')].map((li) => [li.dataset.id, li.dataset.verdict, li.querySelector('.verdict-mark').textContent])").await;
    let features = state["perimeters"]["features"].as_array().unwrap();
    let marks = json!({ "meets": "✓", "fails": "✗", "undecided": "?" });
    let mark = |v: &Value| marks[v.as_str().unwrap()].clone();
    let expected: Vec<Value> = features
        .iter()
        .map(|f| &f["properties"])
        .map(|p| json!([p["id"], p["verdict"], mark(&p["verdict"])]))
        .collect();
    assert_eq!(list, json!(expected), "the list, as the server judged each perimeter");
    let count = |v: &str| features.iter().filter(|f| f["properties"]["verdict"] == v).count();
    assert_eq!(
        js(&c, "document.getElementById('perimeter-count').textContent").await,
        format!("{}, {} failing, {} undecided", features.len(), count("fails"), count("undecided"))
    );

    // Cité Émile-Zola: the line cuts squares, so its inhabitants are a range across the
    // 1 000 floor, and the page says the grid cannot decide.
    select(&c, UNDECIDED).await;
    let p = sent(UNDECIDED);
    let shown = panel(&c).await;
    assert_eq!(shown["verdict"], "? cannot be decided from the public 200 m grid", "{shown}");
    assert_eq!((&shown["state"], &shown["class"]), (&json!("undecided"), &json!("verdict undecided")));
    assert_eq!(criteria_shown(&c).await, criteria_sent(&state, UNDECIDED));
    let population = p["criteria"].as_array().unwrap().iter().find(|k| k["key"] == "population").unwrap();
    assert_eq!(population["state"], "undecided", "{p}");
    assert_eq!(shown["reasons"]["population"], population["reason"], "the server's reason, in plain words");
    assert!(shown["reasons"]["population"].as_str().unwrap().contains("cannot be decided"), "{shown}");
    assert_eq!(shown["reasons"]["median"], Value::Null, "no reason under a criterion that meets: {shown}");
    let (low, high) = (p["inhabitants_low"].as_f64().unwrap(), p["inhabitants_high"].as_f64().unwrap());
    assert!(low < 1000.0 && 1000.0 <= high, "{low} – {high}");
    range_shown(&shown, &p);
    // In view with Denain's quartier, which meets.
    let both = union(&extent(&state, UNDECIDED), &extent(&state, MEETING));
    view(&c, &both).await;
    screenshot(&c, "undecided.png").await;

    // Deux-Rives: two parts 5 km apart, which fails the one continuous area.
    select(&c, FAILING).await;
    let p = sent(FAILING);
    let shown = panel(&c).await;
    assert_eq!(shown["verdict"], "✗ fails the decree", "{shown}");
    assert_eq!(shown["state"], "fails");
    assert_eq!(criteria_shown(&c).await, criteria_sent(&state, FAILING));
    let continuity = p["criteria"].as_array().unwrap().iter().find(|k| k["key"] == "continuity").unwrap();
    assert_eq!((&continuity["state"], &p["parts"]), (&json!("fails"), &json!(2)), "{p}");
    assert_eq!(shown["reasons"]["continuity"], continuity["reason"]);
    assert!(shown["reasons"]["continuity"].as_str().unwrap().contains("not one continuous area"), "{shown}");
    range_shown(&shown, &p);

    // The map: with another perimeter selected, the undecided one is outlined in amber
    // dots, the failing ones in magenta dashes, the one that meets in a black line; and the
    // amber is what is drawn where Cité Émile-Zola lies.
    view(&c, &both).await;
    assert_eq!(outline(&c, UNDECIDED).await, json!({ "color": "#fdae61", "dashArray": "1 6" }));
    assert_eq!(outline(&c, "UU-01").await, json!({ "color": "#c51b7d", "dashArray": "9 6" }));
    assert_eq!(outline(&c, MEETING).await, json!({ "color": "#111111", "dashArray": null }));
    let amber = pixels_of(&c, &extent(&state, UNDECIDED), "#fdae61").await;
    assert!(amber > 20, "{amber} amber pixels drawn around {UNDECIDED}");
    assert_eq!(
        pixels_of(&c, &extent(&state, UNDECIDED), "#c51b7d").await,
        0,
        "no magenta around {UNDECIDED}"
    );
    let legend = js(&c, "document.querySelector('.legend').textContent").await;
    assert!(
        legend.as_str().unwrap().contains("undecided: cannot be decided from the public 200 m grid"),
        "{legend}"
    );

    // Denain's quartier meets every criterion: no reason under any.
    select(&c, MEETING).await;
    let p = sent(MEETING);
    let shown = panel(&c).await;
    assert_eq!(shown["verdict"], "✓ meets the decree", "{shown}");
    assert_eq!(criteria_shown(&c).await, criteria_sent(&state, MEETING));
    assert!(shown["reasons"].as_object().unwrap().values().all(Value::is_null), "{shown}");
    range_shown(&shown, &p);

    // A step on the undecided perimeter: its warning is listed under the step like any other.
    select(&c, UNDECIDED).await;
    click(&c, "#tool-rename").await;
    until(
        &c,
        "!document.getElementById('dialog-backdrop').hidden && !!document.getElementById('dialog-name')",
    )
    .await;
    type_into(&c, "#dialog-name", "Cité Émile-Zola (Douchy)").await;
    click_for_step(&c, "#dialog-ok", 1, "rename").await;
    let warnings = server.state()["steps"][0]["warnings"].clone();
    let wanted = format!("{UNDECIDED} cannot be decided against the rule: ");
    assert!(
        warnings.as_array().unwrap().iter().any(|w| w.as_str().unwrap().starts_with(&wanted)),
        "{warnings}"
    );
    let listed = js(&c, "[...document.querySelectorAll('#steps li.warn')].map((li) => li.textContent)").await;
    let expected: Vec<String> =
        warnings.as_array().unwrap().iter().map(|w| format!("⚠ {}", w.as_str().unwrap())).collect();
    assert_eq!(listed, json!(expected), "the step's warnings, as the server wrote them");
    c.close().await.unwrap();
}

/// The token is in the tab's sessionStorage only: not in a cookie (which every other server
/// on 127.0.0.1 would receive), not in the address bar.
async fn token_kept_out(c: &fantoccini::Client, token: &str) {
    let seen = js(c, "[document.cookie, location.href, sessionStorage.getItem('qpv_token')]").await;
    assert_eq!(seen[0], "", "no cookie");
    let href = seen[1].as_str().unwrap();
    assert!(!href.contains(token) && !href.contains('#'), "the address bar shows {href}");
    assert_eq!(seen[2], token, "the token the page sends");
}

/// Records, in the page, when `#version` first showed each version and when the mouse
/// was last pressed (`Date.now()`, ms): what a person does and sees, timed by the page
/// itself, comparable between two browsers on one machine.
async fn watch_versions(c: &fantoccini::Client) {
    js(
        c,
        "(() => { const v = document.getElementById('version'); window.seen = {};
           new MutationObserver(() => { if (!(v.dataset.value in seen)) seen[v.dataset.value] = Date.now(); })
             .observe(v, { attributes: true, childList: true, subtree: true, characterData: true });
           document.addEventListener('mousedown', () => { window.pressed = Date.now(); }, true);
           return true; })()",
    )
    .await;
}

/// When the page first showed `version` (see `watch_versions`).
async fn seen_at(c: &fantoccini::Client, version: u64) -> f64 {
    js(c, &format!("seen['{version}']"))
        .await
        .as_f64()
        .unwrap_or_else(|| panic!("version {version} not seen"))
}

/// The page's status line and its error (or notice) line.
async fn lines(c: &fantoccini::Client) -> (String, String) {
    let v = js(
        c,
        "[document.getElementById('status').textContent,
          document.getElementById('error').hidden ? '' : document.getElementById('error-text').textContent]",
    )
    .await;
    (v[0].as_str().unwrap().to_owned(), v[1].as_str().unwrap().to_owned())
}

/// A write sent by the page's own `fetch`, with the token it holds: `[status, body]`.
async fn fetch_post(c: &fantoccini::Client, path: &str, body: &Value) -> Value {
    let script = r#"
        const [path, body] = arguments;
        return fetch(path, { method: 'POST', body: JSON.stringify(body), headers: {
            Authorization: `Bearer ${sessionStorage.getItem('qpv_token')}`, 'Content-Type': 'application/json' } })
          .then(async (r) => [r.status, await r.text()]);"#;
    c.execute(script, vec![json!(path), body.clone()]).await.expect("the page's fetch")
}

/// The editing controls, none of which the read-only link may show.
const EDITING: [&str; 13] = [
    "#tool-pan",
    "#tool-add",
    "#tool-remove",
    "#tool-pick",
    "#tool-polygon",
    "#tool-create",
    "#tool-merge",
    "#tool-rename",
    "#tool-poches",
    "#tool-schools",
    "#undo",
    "#redo",
    "#export",
];

/// The editing controls a page shows (laid out on screen).
async fn editing_shown(c: &fantoccini::Client) -> Value {
    js(
        c,
        &format!(
            "{}.filter((css) => document.querySelector(css).getClientRects().length > 0)",
            json!(EDITING)
        ),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver (Debian's packages)"]
async fn two_windows_follow_one_session_and_the_read_only_link_cannot_edit() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, driver, a) = session_with_browser(tmp.path()).await;
    // A second browser of its own (a second screen, another laptop), not a tab in the
    // background, which the browser would slow down.
    let b = driver.browser(&tmp.path().join("profile-b")).await;
    let state = server.state();
    // A opens the address printed; B an old bookmark's `/?token=`, which the server sends
    // to `/#token=`.
    let bookmark = format!("{}/?token={}", server.base, server.token);
    for (c, address) in [(&a, &server.url), (&b, &bookmark)] {
        c.goto(address).await.unwrap();
        until(c, "document.body.dataset.ready === '1'").await;
        token_kept_out(c, &server.token).await;
        no_error_shown(c, "loaded").await;
        select(c, DENAIN).await;
        zoom_on(c, &state, DENAIN, 30).await;
        watch_versions(c).await;
    }
    assert_eq!(editing_shown(&a).await, json!(EDITING), "the edit link shows every control");

    // A paints a square out of Denain: B shows the new version within a second, its map
    // and panel redrawn, and says the step came from another window.
    let squares = server.squares_of(DENAIN);
    let of = |id: &str| squares.iter().find(|s| s["id"] == id).unwrap()["inhabitants"].as_f64().unwrap();
    let before = inhabitants_shown(&b).await;
    let loaded_b = squares_loaded(&b).await;
    click(&a, "#tool-remove").await;
    let targets = targets(&a, &squares.iter().collect::<Vec<_>>()).await;
    assert!(targets.len() >= 2, "fewer than two squares of {DENAIN} can be clicked: {targets:?}");
    let (first, second) = (&targets[0], &targets[targets.len() / 2]);
    click_at(&a, first.x, first.y).await;
    at_version(&a, 1).await;
    reloaded_at(&b, 1, loaded_b).await;
    // Timed from the click in A: the server's re-check, A's answer and B's long poll.
    let clicked = js(&a, "pressed").await.as_f64().unwrap();
    let (shown_a, shown_b) = (seen_at(&a, 1).await, seen_at(&b, 1).await);
    eprintln!(
        "after the click in A: A showed version 1 in {} ms, B in {} ms",
        shown_a - clicked,
        shown_b - clicked
    );
    assert!(
        shown_b - clicked < 1000.0,
        "page B showed the step {} ms after the click in A",
        shown_b - clicked
    );
    assert_eq!(inhabitants_shown(&b).await, before - of(&first.id), "B's panel: Denain down by the square");
    assert_eq!(inhabitants_shown(&a).await, inhabitants_shown(&b).await);
    assert_eq!(
        js(&b, &format!("qpv.square('{}').perimeter", first.id)).await,
        Value::Null,
        "B's map: the square is out of {DENAIN}"
    );
    let change = server.state()["last_change"].clone();
    assert_eq!((&change["kind"], &change["version"]), (&json!("edit"), &json!(1)), "{change}");
    let said = format!("{}, from another window", change["summary"].as_str().unwrap());
    assert!(said.starts_with("step 1 "), "{said}");
    assert_eq!(lines(&b).await, (said, String::new()), "B's status line");
    let (status, error) = lines(&a).await;
    assert!(!status.contains("another window") && error.is_empty(), "A made the step: {status} {error}");

    // B has not heard of A's second step yet (its poll held, as a slow network would):
    // its undo would take back A's step, which it has never shown. The server refuses it
    // (409); B explains, and shows the session as it is.
    js(&b, "(qpv.holdEvents(true), true)").await;
    click_at(&a, second.x, second.y).await;
    at_version(&a, 2).await;
    assert_eq!(js(&b, "document.getElementById('version').dataset.value").await, "1", "B held at version 1");
    click(&b, "#undo").await;
    at_version(&b, 2).await;
    let (status, notice) = lines(&b).await;
    let change = server.state()["last_change"].clone();
    let told = format!(
        "Another window changed the session to version 2 ({}): ",
        change["summary"].as_str().unwrap()
    );
    assert!(
        notice.starts_with(&told) && notice.contains("your undo was not applied"),
        "B's notice: {notice}"
    );
    assert!(status.starts_with("reloaded:"), "{status}");
    assert_eq!(server.state()["version"], 2, "the stale undo changed nothing");
    assert_eq!(steps_in(&server.dir.join("session.toml")), 2);
    assert_eq!(inhabitants_shown(&b).await, before - of(&first.id) - of(&second.id));
    js(&b, "(qpv.holdEvents(false), true)").await;
    screenshot(&a, "two-windows-a.png").await;
    screenshot(&b, "two-windows-b.png").await;

    // The session file, downloaded by the page with its token (a plain link would get 401).
    click(&a, "#download-session").await;
    until(&a, "!!document.getElementById('download-session').dataset.bytes").await;
    no_error_shown(&a, "downloaded").await;
    let toml = server.get("/api/edits.toml");
    assert_eq!(toml.status, 200);
    assert_eq!(
        js(&a, "document.getElementById('download-session').dataset.bytes").await,
        toml.text.len().to_string(),
        "the page saved the whole session file"
    );
    b.close().await.unwrap();

    // The read-only link, in a fresh browser: no editing control, "read-only link" in the
    // top bar, its writes refused (403) even sent by hand from the page, and still live.
    // First the page's bare address, which holds no token: the page says which address to
    // open, and asks nothing of the server.
    let v = driver.browser(&tmp.path().join("profile-v")).await;
    v.goto(&format!("{}/", server.base)).await.unwrap();
    until(&v, "!document.getElementById('error').hidden").await;
    let (status, error) = lines(&v).await;
    assert_eq!(
        (status.as_str(), error.as_str()),
        ("not loaded", "No token: open the address qpv serve printed (it ends with #token=…).")
    );
    assert_eq!(js(&v, "qpv.polls").await, 0);
    v.goto(&server.view_url).await.unwrap();
    until(
        &v,
        "!!document.body && document.body.dataset.ready === '1' && !!window.qpv && qpv.access === 'view'",
    )
    .await;
    token_kept_out(&v, &server.view_token).await;
    no_error_shown(&v, "read-only link loaded").await;
    assert_eq!(js(&v, "qpv.access").await, "view");
    assert_eq!(editing_shown(&v).await, json!([]), "the read-only link shows no editing control");
    assert_eq!(
        js(&v, "[document.getElementById('access').hidden, document.getElementById('access').textContent]")
            .await,
        json!([false, "read-only link"])
    );
    for (path, body) in [
        ("api/edit", json!({ "version": 2, "step": { "op": "rename", "candidate": DENAIN, "name": "x" } })),
        ("api/undo", json!({ "version": 2 })),
        ("api/export", json!({ "formats": ["geojson"] })),
    ] {
        let answer = fetch_post(&v, path, &body).await;
        assert_eq!(answer[0], 403, "{path}: {answer}");
        assert!(answer[1].as_str().unwrap().contains("this link is read-only"), "{path}: {answer}");
    }
    assert_eq!(server.state()["version"], 2, "the read-only link changed nothing");
    select(&v, DENAIN).await;
    zoom_on(&v, &state, DENAIN, 30).await;
    watch_versions(&v).await;
    let loaded_v = squares_loaded(&v).await;
    click_for_step(&a, "#undo", 3, "undo in A").await;
    reloaded_at(&v, 3, loaded_v).await;
    let clicked = js(&a, "pressed").await.as_f64().unwrap();
    let lag = seen_at(&v, 3).await - clicked;
    eprintln!("after the undo's click in A: the read-only page showed version 3 in {lag} ms");
    assert!(lag < 1000.0, "the read-only page showed the undo {lag} ms after the click in A");
    let change = server.state()["last_change"].clone();
    assert_eq!(change["kind"], "undo", "{change}");
    assert_eq!(lines(&v).await.0, format!("{}, from another window", change["summary"].as_str().unwrap()));
    assert_eq!(inhabitants_shown(&v).await, before - of(&first.id), "the second square is back");
    screenshot(&v, "read-only.png").await;

    // Idle, a page keeps one request open and waits: no loop of requests.
    let polls = js(&v, "qpv.polls").await.as_u64().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(js(&v, "qpv.polls").await.as_u64().unwrap(), polls, "an idle page asked again");

    // The read-only link pasted into the tab that edits: only the fragment changes, which
    // loads nothing; the page takes the new token and loads itself again.
    a.goto(&server.view_url).await.unwrap();
    until(
        &a,
        "!!document.body && document.body.dataset.ready === '1' && !!window.qpv && qpv.access === 'view'",
    )
    .await;
    token_kept_out(&a, &server.view_token).await;

    // The server gone: the page says so and asks again after a delay that grows (1 s, 2 s,
    // 4 s…), not in a loop.
    let polls = js(&v, "qpv.polls").await.as_u64().unwrap();
    server.kill();
    until(
        &v,
        "document.getElementById('status').textContent.startsWith('the server does not answer; retrying')",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let asked = js(&v, "qpv.polls").await.as_u64().unwrap() - polls;
    eprintln!("{asked} polls in the 4 s after the server went");
    assert!((2..=4).contains(&asked), "{asked} polls in the 4 s after the server went");
    v.close().await.unwrap();
    a.close().await.unwrap();
}

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

mod serve_common;

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use serve_common::*;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the page may take to show what a step changed.
const PATIENCE: Duration = Duration::from_secs(60);

/// The flags that work headless as root on this project's machines (and in CI).
const CHROME_ARGS: [&str; 9] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
];

/// chromedriver in a process group of its own: dropping it kills the group, the browser
/// it started included, even when the test fails half-way.
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    fn start(log: &Path) -> Chromedriver {
        assert!(
            qpv_tests::have_chromedriver(),
            "missing prerequisite: chromium and chromedriver (apt-get install chromium chromium-driver; \
             .ci/run installs them); without them, run `cargo test` without `--include-ignored` and this \
             test is reported as ignored"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let driver = Chromedriver { child, port };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < PATIENCE, "chromedriver does not listen on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        driver
    }

    /// A browser with a fresh profile in `profile`.
    async fn browser(&self, profile: &Path) -> Client {
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args },
        });
        let Value::Object(capabilities) = capabilities else { unreachable!() };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a chromium session")
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The group chromedriver leads (process_group(0)): itself and the browser.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// The value of a JavaScript expression in the page.
async fn js(c: &Client, expression: &str) -> Value {
    c.execute(&format!("return ({expression});"), vec![])
        .await
        .unwrap_or_else(|e| panic!("{expression}: {e}"))
}

/// Waits until a JavaScript expression is true in the page.
async fn until(c: &Client, expression: &str) {
    let start = Instant::now();
    while js(c, expression).await != Value::Bool(true) {
        if start.elapsed() > PATIENCE {
            let error = js(c, "document.getElementById('error-text').textContent").await;
            panic!("waited {PATIENCE:?} for {expression}; the page's error line: {error}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the page shows `version` and has nothing under way.
async fn at_version(c: &Client, version: u64) {
    until(
        c,
        &format!(
            "document.getElementById('version').dataset.value === '{version}' && !document.body.dataset.busy"
        ),
    )
    .await;
}

/// The inhabitants the page shows for the selected perimeter (`#inhabitants`), checking
/// that the figure written agrees with the value behind it.
async fn inhabitants_shown(c: &Client) -> f64 {
    let cell = c.find(Locator::Css("#inhabitants")).await.unwrap();
    let value: f64 = cell.attr("data-value").await.unwrap().expect("data-value").parse().expect("a number");
    let text = cell.text().await.unwrap();
    assert_eq!(
        text.replace([' ', '\u{a0}', '\u{202f}'], ""),
        format!("{}", value.round()),
        "written as {text:?}"
    );
    value
}

/// A click where a person would click: the mouse moved to the viewport point, pressed, released.
async fn click_at(c: &Client, x: i64, y: i64) {
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo { duration: Some(Duration::from_millis(50)), x: x as f64, y: y as f64 })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    c.perform_actions(mouse).await.expect("the click");
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
}

async fn no_error_shown(c: &Client, stage: &str) {
    let shown = js(
        c,
        "document.getElementById('error').hidden ? '' : document.getElementById('error-text').textContent",
    )
    .await;
    assert_eq!(shown, "", "{stage}: the page shows an error");
}

fn screenshot_dir() -> PathBuf {
    let dir = match std::env::var_os("QPV_SCREENSHOTS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-page"),
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

/// The squares of Denain a person can click: on the map, not under a control, a popup
/// or a collège's marker; as `[id, x, y]` in viewport pixels.
async fn clickable(c: &Client, ids: &[&str]) -> Vec<(String, i64, i64)> {
    let script = r#"
        const [ids] = arguments, m = qpv.map, box = m.getContainer().getBoundingClientRect();
        const schools = (qpv.state.schools?.features || [])
          .map((f) => m.latLngToContainerPoint([f.geometry.coordinates[1], f.geometry.coordinates[0]]));
        const out = [];
        for (const id of ids) {
          const p = qpv.squareScreenPoint(id);
          if (!p || p.x < 40 || p.y < 40 || p.x > box.width - 40 || p.y > box.height - 40) continue;
          if (schools.some((s) => Math.hypot(s.x - p.x, s.y - p.y) < 20)) continue;
          const [x, y] = [Math.round(box.left + p.x), Math.round(box.top + p.y)];
          const el = document.elementFromPoint(x, y);
          if (!el || !m.getContainer().contains(el) || el.closest('.leaflet-control, .leaflet-popup')) continue;
          out.push([id, x, y]);
        }
        return out;"#;
    let found = c.execute(script, vec![json!(ids)]).await.expect("the squares' screen points");
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v[0].as_str().unwrap().to_owned(), v[1].as_i64().unwrap(), v[2].as_i64().unwrap()))
        .collect()
}

/// Denain's extent, `[[south, west], [north, east]]`, from the state's geometry.
fn extent(state: &Value, id: &str) -> Value {
    let mut points = Vec::new();
    fn walk(v: &Value, out: &mut Vec<(f64, f64)>) {
        match v.as_array() {
            Some(a) if a.len() == 2 && a[0].is_number() => {
                out.push((a[0].as_f64().unwrap(), a[1].as_f64().unwrap()))
            }
            Some(a) => a.iter().for_each(|x| walk(x, out)),
            None => {}
        }
    }
    walk(&feature(state, id)["geometry"]["coordinates"], &mut points);
    let (w, e) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (s, n) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    json!([[s, w], [n, e]])
}

/// What `qpv run --settings DIR/settings.toml --edits DIR/session.toml` writes for `id`.
fn replayed_inhabitants(server: &Server, other: &Path, id: &str) -> f64 {
    let (settings, session) = (server.dir.join("settings.toml"), server.dir.join("session.toml"));
    qpv_ok(
        &[
            "run",
            "--settings",
            settings.to_str().unwrap(),
            "--edits",
            session.to_str().unwrap(),
            "--out",
            other.to_str().unwrap(),
        ],
        other.parent().unwrap(),
    );
    let adjusted: Value =
        serde_json::from_slice(&std::fs::read(other.join("adjusted.geojson")).unwrap()).unwrap();
    inhabitants(&adjusted, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver (Debian's packages)"]
async fn a_person_paints_two_squares_out_of_denain_and_undoes_one() {
    let tmp = tempfile::tempdir().unwrap();
    let server =
        Server::start(&tmp.path().join("session"), &["--schools", &sample("rep_colleges_caph_2021.geojson")]);
    let driver = Chromedriver::start(&tmp.path().join("chromedriver.log"));
    let c = driver.browser(&tmp.path().join("profile")).await;

    // The printed address: the token becomes a cookie and leaves the address bar.
    c.goto(&server.url).await.unwrap();
    until(&c, "document.body.dataset.ready === '1'").await;
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
    let loaded = js(&c, "qpv.squaresLoaded").await.as_u64().unwrap();
    c.execute(
        "qpv.map.fitBounds(arguments[0], { animate: false, padding: [30, 30] });",
        vec![extent(&state, DENAIN)],
    )
    .await
    .unwrap();
    until(&c, &format!("qpv.squaresLoaded > {loaded} && !document.body.dataset.busy")).await;

    // The remove tool, and two squares of Denain clicked on the map.
    click(&c, "#tool-remove").await;
    let squares = server.squares_of(DENAIN);
    let ids: Vec<&str> = squares.iter().map(|s| s["id"].as_str().unwrap()).collect();
    let targets = clickable(&c, &ids).await;
    assert!(targets.len() >= 2, "fewer than two squares of {DENAIN} can be clicked: {targets:?}");
    let (first, second) = (&targets[0], &targets[targets.len() / 2]);
    let of = |id: &str| squares.iter().find(|s| s["id"] == id).unwrap()["inhabitants"].as_f64().unwrap();
    click_at(&c, first.1, first.2).await;
    at_version(&c, 1).await;
    click_at(&c, second.1, second.2).await;
    at_version(&c, 2).await;
    no_error_shown(&c, "painted").await;
    let painted = inhabitants_shown(&c).await;
    assert!(painted < before, "{painted} < {before}");
    assert_eq!(painted, before - of(&first.0) - of(&second.0), "down by the two squares clicked");
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
    assert_eq!(inhabitants_shown(&c).await, painted + of(&second.0), "up by the second square");
    assert_eq!(steps_in(&server.dir.join("session.toml")), 1, "session.toml has one step");
    assert_eq!(js(&c, "document.querySelectorAll('#steps > li').length").await, 1);
    assert_eq!(js(&c, "document.getElementById('redo').disabled").await, false);
    screenshot(&c, "undone.png").await;
    c.close().await.unwrap();
}

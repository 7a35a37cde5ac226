//! The browser side of the page tests (`serve_page.rs`, `serve_tools.rs`): Debian's chromium,
//! headless, driven through Debian's chromedriver (WebDriver) by fantoccini; waits on the
//! page's hooks (`#version[data-value]`, `body[data-busy]`, `qpv.squaresLoaded`), real
//! pointer actions on the map, and screenshots.

use super::Server;
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the page may take to show what a step changed.
pub const PATIENCE: Duration = Duration::from_secs(60);

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
pub struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    pub fn start(log: &Path) -> Chromedriver {
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
    pub async fn browser(&self, profile: &Path) -> Client {
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
pub async fn js(c: &Client, expression: &str) -> Value {
    c.execute(&format!("return ({expression});"), vec![])
        .await
        .unwrap_or_else(|e| panic!("{expression}: {e}"))
}

/// Waits until a JavaScript expression is true in the page.
pub async fn until(c: &Client, expression: &str) {
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
pub async fn at_version(c: &Client, version: u64) {
    until(
        c,
        &format!(
            "document.getElementById('version').dataset.value === '{version}' && !document.body.dataset.busy"
        ),
    )
    .await;
}

/// How many times the page has loaded squares (`qpv.squaresLoaded`).
pub async fn squares_loaded(c: &Client) -> u64 {
    js(c, "qpv.squaresLoaded").await.as_u64().expect("qpv.squaresLoaded")
}

/// Waits until the page shows `version`, has loaded squares since `loaded` (it reloads
/// them after every edit, undo, redo or reload) and has nothing under way.
pub async fn reloaded_at(c: &Client, version: u64, loaded: u64) {
    at_version(c, version).await;
    until(c, &format!("qpv.squaresLoaded > {loaded} && !document.body.dataset.busy")).await;
}

/// Clicks `button` and waits for the step it makes: the page at `version`, its squares
/// reloaded, and no error shown (`stage` names the step in a failure).
pub async fn click_for_step(c: &Client, button: &str, version: u64, stage: &str) {
    let loaded = squares_loaded(c).await;
    click(c, button).await;
    reloaded_at(c, version, loaded).await;
    no_error_shown(c, stage).await;
}

/// The inhabitants the page shows for the selected perimeter (`#inhabitants`), checking
/// that the figure written agrees with the value behind it.
pub async fn inhabitants_shown(c: &Client) -> f64 {
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

fn move_to(x: f64, y: f64) -> PointerAction {
    PointerAction::MoveTo { duration: Some(Duration::from_millis(50)), x: x.round(), y: y.round() }
}

/// A click where a person would click: the mouse moved to the viewport point, pressed, released.
pub async fn click_at(c: &Client, x: f64, y: f64) {
    let mouse = MouseActions::new("mouse".into())
        .then(move_to(x, y))
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    c.perform_actions(mouse).await.expect("the click");
}

/// A double click at a viewport point: two presses in quick succession, not moving.
pub async fn double_click_at(c: &Client, x: f64, y: f64) {
    let mouse = MouseActions::new("mouse".into())
        .then(move_to(x, y))
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    c.perform_actions(mouse).await.expect("the double click");
}

/// A drag through viewport points: moved to the first, pressed, moved through the others
/// (each move in steps of its own), released at the last.
pub async fn drag(c: &Client, points: &[(f64, f64)]) {
    let (first, rest) = points.split_first().expect("a point to start from");
    let mut mouse = MouseActions::new("mouse".into())
        .then(move_to(first.0, first.1))
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT });
    for &(x, y) in rest {
        mouse = mouse.then(move_to(x, y));
    }
    mouse = mouse.then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    c.perform_actions(mouse).await.expect("the drag");
}

pub async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
}

/// Types `text` into an input as a person does: the field emptied, then the keys.
pub async fn type_into(c: &Client, css: &str, text: &str) {
    let input = c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap_or_else(|e| panic!("typing into {css}: {e}"));
}

pub async fn no_error_shown(c: &Client, stage: &str) {
    let shown = js(
        c,
        "document.getElementById('error').hidden ? '' : document.getElementById('error-text').textContent",
    )
    .await;
    assert_eq!(shown, "", "{stage}: the page shows an error");
}

pub fn screenshot_dir() -> PathBuf {
    let dir = match std::env::var_os("QPV_SCREENSHOTS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-page"),
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

/// A square as the page draws it now, in viewport pixels.
#[derive(Clone, Debug)]
pub struct Target {
    pub id: String,
    pub x: f64,
    pub y: f64,
    /// The four corners, in the ring's order.
    pub corners: [(f64, f64); 4],
}

impl Target {
    /// The point `k` of the way from the centre to each corner: with `k` < 1, a ring around
    /// the square's centre that holds no other square's centre.
    pub fn ring(&self, k: f64) -> Vec<(f64, f64)> {
        self.corners
            .iter()
            .map(|&(cx, cy)| (self.x + k * (cx - self.x), self.y + k * (cy - self.y)))
            .collect()
    }

    /// The side, in pixels (mean of the four edges).
    pub fn side(&self) -> f64 {
        (0..4)
            .map(|i| {
                let (a, b) = (self.corners[i], self.corners[(i + 1) % 4]);
                (a.0 - b.0).hypot(a.1 - b.1)
            })
            .sum::<f64>()
            / 4.0
    }
}

/// The squares among `squares` (as `/api/squares` gives them) that the page has loaded and
/// that a person can point at: their centre and the ring `Target::ring(0.7)` on the map, in
/// view, not under a control, a popup, a banner, a label or a collège's marker; with
/// viewport pixels read now (the map's offset moves with the layout).
pub async fn targets(c: &Client, squares: &[&Value]) -> Vec<Target> {
    let script = r#"
        const [squares] = arguments, m = qpv.map, box = m.getContainer().getBoundingClientRect();
        const schools = (qpv.state.schools?.features || [])
          .map((f) => m.latLngToContainerPoint([f.geometry.coordinates[1], f.geometry.coordinates[0]]));
        const labels = [...m.getContainer().querySelectorAll('.leaflet-tooltip')].map((e) => e.getBoundingClientRect());
        const clear = ([x, y]) => {
          const [px, py] = [x - box.left, y - box.top];
          if (px < 40 || py < 40 || px > box.width - 40 || py > box.height - 40) return false;
          if (schools.some((s) => Math.hypot(s.x - px, s.y - py) < 20)) return false;
          if (labels.some((r) => x > r.left - 4 && x < r.right + 4 && y > r.top - 4 && y < r.bottom + 4)) return false;
          const el = document.elementFromPoint(x, y);
          return !!el && m.getContainer().contains(el) && !el.closest('.leaflet-control, .leaflet-popup');
        };
        const out = [];
        for (const [id, ring] of squares) {
          const p = qpv.squareScreenPoint(id);
          if (!p) continue;
          const centre = [box.left + p.x, box.top + p.y];
          const corners = ring.slice(0, 4).map(([lon, lat]) => {
            const q = m.latLngToContainerPoint([lat, lon]);
            return [box.left + q.x, box.top + q.y];
          });
          const probes = [centre, ...corners.map(([x, y]) => [centre[0] + 0.7 * (x - centre[0]), centre[1] + 0.7 * (y - centre[1])])];
          if (probes.every(clear)) out.push([id, centre, corners]);
        }
        return out;"#;
    let arg: Vec<Value> = squares.iter().map(|s| json!([s["id"], s["ring"]])).collect();
    let found = c.execute(script, vec![json!(arg)]).await.expect("the squares' screen points");
    let point = |v: &Value| (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Target {
            id: v[0].as_str().unwrap().to_owned(),
            x: v[1][0].as_f64().unwrap(),
            y: v[1][1].as_f64().unwrap(),
            corners: [0, 1, 2, 3].map(|k| point(&v[2][k])),
        })
        .collect()
}

/// A perimeter's extent, `[[south, west], [north, east]]`, from the state's geometry.
pub fn extent(state: &Value, id: &str) -> Value {
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
    walk(&super::feature(state, id)["geometry"]["coordinates"], &mut points);
    let (w, e) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (s, n) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    json!([[s, w], [n, e]])
}

/// A server on the CAPH sample with the REP collèges, chromedriver and a browser in `tmp`
/// (what each browser test starts from); the page is not opened yet.
pub async fn session_with_browser(tmp: &std::path::Path) -> (Server, Chromedriver, Client) {
    let server =
        Server::start(&tmp.join("session"), &["--schools", &super::sample("rep_colleges_caph_2021.geojson")]);
    let driver = Chromedriver::start(&tmp.join("chromedriver.log"));
    let c = driver.browser(&tmp.join("profile")).await;
    (server, driver, c)
}

/// Opens the address the server printed and waits for the page to be drawn.
pub async fn open(c: &Client, server: &Server) {
    c.goto(&server.url).await.unwrap();
    until(c, "document.body.dataset.ready === '1'").await;
}

/// Zooms on a perimeter (the view only, as the mouse wheel would; not under test) and
/// waits for the squares of the new view.
pub async fn zoom_on(c: &Client, state: &Value, id: &str, padding: u32) {
    let loaded = squares_loaded(c).await;
    c.execute(
        "qpv.map.fitBounds(arguments[0], { animate: false, padding: [arguments[1], arguments[1]] });",
        vec![extent(state, id), json!(padding)],
    )
    .await
    .unwrap();
    until(c, &format!("qpv.squaresLoaded > {loaded} && !document.body.dataset.busy")).await;
}

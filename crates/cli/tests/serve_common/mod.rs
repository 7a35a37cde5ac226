//! Shared by the tests of `qpv serve` (`serve_api.rs`, `serve_page.rs`, `serve_tools.rs`):
//! the real binary started on a folder, the address it prints, requests to it, and the
//! replays by `qpv run` / `qpv adjust` that its files must equal; `browser` drives the page.

// Each test file uses part of this module.
#![allow(dead_code)]

pub mod browser;

// The binary and the samples, as every CLI test file has them.
pub use crate::common::{QPV, qpv, sample};

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// The perimeter of the CAPH sample the tests edit (Denain).
pub const DENAIN: &str = "59701-01";

/// What the server prints once listening (API.md): the edit address, then the read-only one.
const READY: &str = "qpv serve: open ";
const READ_ONLY: &str = "qpv serve: read-only link (projector, participants who look): ";

/// How long the server may take to read the sample and print its address (debug build).
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// `qpv ARGS`, which must succeed.
pub fn qpv_ok(args: &[&str], cwd: &Path) {
    let o = qpv(args, cwd);
    assert!(o.status.success(), "qpv {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
}

/// `qpv run --settings DIR/settings.toml --edits DIR/session.toml ARGS --out OTHER`, which
/// must succeed: the session replayed outside the server.
pub fn replay(server: &Server, other: &Path, args: &[&str]) {
    let (settings, session) = (server.dir.join("settings.toml"), server.dir.join("session.toml"));
    let mut all = vec!["run", "--settings", settings.to_str().unwrap(), "--edits", session.to_str().unwrap()];
    all.extend_from_slice(args);
    all.extend(["--out", other.to_str().unwrap()]);
    qpv_ok(&all, other.parent().unwrap());
}

/// An answer of the server.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Answer {
    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The first header of that name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The `error` of a JSON error answer.
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_else(|| panic!("no \"error\" in {}", self.text)).to_owned()
    }
}

/// `qpv serve --port 0 --out OUT ARGS` that must not start: its exit code and stderr
/// (killed after two minutes if it serves after all).
pub fn refused_start(out: &Path, args: &[&str]) -> (Option<i32>, String) {
    let child = Command::new(QPV)
        .args(["serve", "--port", "0", "--out"])
        .arg(out)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qpv serve starts");
    let o = wait_for(child, Duration::from_secs(120));
    (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// A running `qpv serve`, killed (SIGKILL) when dropped so that no test leaves one behind.
///
/// Its two addresses: `url` edits, `view_url` is the read-only link; each carries its token
/// in the fragment (`http://127.0.0.1:PORT/#token=TOKEN`). [`Server::get`] and
/// [`Server::post`] send the edit token; [`Server::viewer`] is the same server seen
/// through the view token.
pub struct Server {
    /// The process; `None` for a [`Server::viewer`], which does not own it.
    child: Option<Child>,
    /// The edit address printed, `http://127.0.0.1:PORT/#token=TOKEN`.
    pub url: String,
    /// The read-only address printed, `http://127.0.0.1:PORT/#token=VIEW_TOKEN`.
    pub view_url: String,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub port: u16,
    /// The token the requests of this handle send (the edit token, or the view token of a
    /// [`Server::viewer`]).
    pub token: String,
    /// The edit token.
    pub edit_token: String,
    /// The view token.
    pub view_token: String,
    /// `--out`.
    pub dir: PathBuf,
    log: Arc<Mutex<String>>,
    agent: ureq::Agent,
}

impl Server {
    /// `qpv serve --port 0 --out DIR ARGS`, once it has printed its address.
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(QPV)
            .args(["serve", "--port", "0", "--out"])
            .arg(dir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("qpv serve starts");
        let log = Arc::new(Mutex::new(String::new()));
        let (ready, address) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr piped");
        let kept = Arc::clone(&log);
        // Reads stderr to its end, so that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut edit = None;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix(READY) {
                    edit = Some(url.to_owned());
                }
                if let (Some(view), Some(edit)) = (line.strip_prefix(READ_ONLY), &edit) {
                    let _ = ready.send((edit.clone(), view.to_owned()));
                }
                kept.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let (url, view_url) = match address.recv_timeout(START_TIMEOUT) {
            Ok(urls) => urls,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                panic!("qpv serve printed no address ({status:?}):\n{}", log.lock().unwrap());
            }
        };
        let (base, token) =
            url.split_once("/#token=").unwrap_or_else(|| panic!("unexpected address line: {url}"));
        let (view_base, view_token) = view_url
            .split_once("/#token=")
            .unwrap_or_else(|| panic!("unexpected read-only line: {view_url}"));
        assert_eq!(base, view_base, "one server, two tokens");
        assert_ne!(token, view_token, "two tokens");
        let port = base.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port in the address");
        assert!(base.starts_with("http://127.0.0.1:"), "{url}");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .into();
        Server {
            child: Some(child),
            url: url.clone(),
            view_url: view_url.clone(),
            base: base.to_owned(),
            port,
            token: token.to_owned(),
            edit_token: token.to_owned(),
            view_token: view_token.to_owned(),
            dir: dir.canonicalize().expect("--out exists"),
            log,
            agent,
        }
    }

    /// This server through its view token (the read-only link): `viewer().state()`,
    /// `viewer().post(…)`…
    pub fn viewer(&self) -> Server {
        Server {
            child: None,
            url: self.view_url.clone(),
            view_url: self.view_url.clone(),
            base: self.base.clone(),
            port: self.port,
            token: self.view_token.clone(),
            edit_token: self.edit_token.clone(),
            view_token: self.view_token.clone(),
            dir: self.dir.clone(),
            log: Arc::clone(&self.log),
            agent: self.agent.clone(),
        }
    }

    /// What the server printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The process id (for `kill`).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server's own handle").id()
    }

    /// Any request: `headers` as given (no token unless among them).
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Answer {
        let url = format!("{}{path}", self.base);
        let mut answer = match method {
            "GET" => {
                let mut r = self.agent.get(&url);
                for (n, v) in headers {
                    r = r.header(*n, *v);
                }
                r.call()
            }
            "POST" => {
                let mut r = self.agent.post(&url);
                for (n, v) in headers {
                    r = r.header(*n, *v);
                }
                r.send(body.unwrap_or_default())
            }
            _ => panic!("method {method}"),
        }
        .unwrap_or_else(|e| panic!("{method} {path}: {e}\nserver stderr:\n{}", self.stderr()));
        let headers = answer
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let text = answer.body_mut().with_config().limit(1 << 30).read_to_string().expect("a text body");
        Answer { status: answer.status().as_u16(), headers, text }
    }

    /// `Authorization: Bearer TOKEN`.
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// GET with the token.
    pub fn get(&self, path: &str) -> Answer {
        self.request("GET", path, &[("Authorization", &self.bearer())], None)
    }

    /// POST of a JSON body with the token.
    pub fn post(&self, path: &str, body: &Value) -> Answer {
        let body = serde_json::to_vec(body).unwrap();
        let headers = [("Authorization", self.bearer()), ("Content-Type", "application/json".into())];
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        self.request("POST", path, &headers, Some(&body))
    }

    /// POST of a JSON body with the token, from the browser tab `window` (`X-Qpv-Window`).
    pub fn post_from(&self, window: &str, path: &str, body: &Value) -> Answer {
        let body = serde_json::to_vec(body).unwrap();
        let bearer = self.bearer();
        let headers = [
            ("Authorization", bearer.as_str()),
            ("Content-Type", "application/json"),
            ("X-Qpv-Window", window),
        ];
        self.request("POST", path, &headers, Some(&body))
    }

    /// `POST /api/undo` (or `"redo"`) at `version`.
    pub fn undo_at(&self, which: &str, version: u64) -> Answer {
        self.post(&format!("/api/{which}"), &json!({ "version": version }))
    }

    /// `POST /api/undo` (or `"redo"`) at the current version, which must be acknowledged.
    pub fn undo(&self, which: &str) -> Value {
        let version = self.state()["version"].as_u64().expect("a version");
        ok(self.undo_at(which, version))
    }

    /// `GET /api/events?since=V`, the long poll.
    pub fn events(&self, since: u64) -> Answer {
        self.get(&format!("/api/events?since={since}"))
    }

    /// `GET /api/state`, which must answer 200.
    pub fn state(&self) -> Value {
        ok(self.get("/api/state"))
    }

    /// `POST /api/edit` of `step` at `version`.
    pub fn edit_at(&self, version: u64, step: Value) -> Answer {
        self.post("/api/edit", &json!({ "version": version, "step": step }))
    }

    /// `step` at the current version, which must be acknowledged; the new state.
    pub fn edit(&self, step: Value) -> Value {
        let version = self.state()["version"].as_u64().expect("a version");
        ok(self.edit_at(version, step))
    }

    /// The squares whose centre is in `bbox`.
    pub fn squares(&self, bbox: [f64; 4]) -> Value {
        let [a, b, c, d] = bbox;
        ok(self.get(&format!("/api/squares?bbox={a},{b},{c},{d}")))
    }

    /// Every square of the grid (the state's bbox holds them all).
    pub fn all_squares(&self) -> Vec<Value> {
        let b = &self.state()["bbox"];
        let bbox = [0, 1, 2, 3].map(|k| b[k].as_f64().expect("a bbox"));
        let answer = self.squares(bbox);
        assert!(answer.get("too_many").is_none(), "{answer}");
        answer["squares"].as_array().unwrap().clone()
    }

    /// The squares of a perimeter, as `/api/squares` tells, sorted by id.
    pub fn squares_of(&self, perimeter: &str) -> Vec<Value> {
        let mut list: Vec<Value> =
            self.all_squares().into_iter().filter(|s| s["perimeter"] == perimeter).collect();
        list.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        assert!(list.len() >= 2, "{perimeter} has {} squares", list.len());
        list
    }

    /// SIGKILL, as `kill -9`.
    pub fn kill(mut self) {
        let mut child = self.child.take().expect("the server's own handle");
        child.kill().expect("kill -9");
        child.wait().expect("reaped");
    }

    /// Stops the server as `kill PID` (SIGTERM) does, and waits for it: its exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("the server's own handle");
        let sent = Command::new("kill").arg(child.id().to_string()).status().expect("kill runs");
        assert!(sent.success(), "kill {}", child.id());
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("waited") {
                return status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("still running 20 s after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The JSON of a 200 answer; panics with the answer otherwise.
pub fn ok(answer: Answer) -> Value {
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()
}

/// A GET sent by hand with any `Host` header (an HTTP client sets its own); the status.
pub fn raw_get(port: u16, host: &str, path: &str, token: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{text}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// The feature of a perimeter in a state or a FeatureCollection.
pub fn feature<'a>(collection: &'a Value, id: &str) -> &'a Value {
    let features =
        collection.get("perimeters").unwrap_or(collection)["features"].as_array().expect("features");
    features.iter().find(|f| f["properties"]["id"] == id).unwrap_or_else(|| panic!("no perimeter {id}"))
}

/// A perimeter's inhabitants in a state.
pub fn inhabitants(state: &Value, id: &str) -> f64 {
    feature(state, id)["properties"]["inhabitants"].as_f64().expect("inhabitants")
}

/// The number of steps of an adjustments file.
pub fn steps_in(session: &Path) -> usize {
    let text = std::fs::read_to_string(session).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    doc.get("step").and_then(|s| s.as_array()).map_or(0, Vec::len)
}

/// The centre of a square (mean of its corners), lon/lat.
pub fn centre(square: &Value) -> [f64; 2] {
    let ring = square["ring"].as_array().expect("a ring");
    let mean = |k: usize| ring.iter().map(|c| c[k].as_f64().unwrap()).sum::<f64>() / ring.len() as f64;
    [mean(0), mean(1)]
}

/// A GeoJSON Polygon (lon/lat) a little larger than the square: its centre is inside,
/// no other square's is.
pub fn polygon_around(square: &Value) -> Value {
    let [x, y] = centre(square);
    let (dx, dy) = (0.0009, 0.0006); // about 65 m each way: the neighbours' centres are 200 m off
    json!({ "type": "Polygon",
            "coordinates": [[[x - dx, y - dy], [x + dx, y - dy], [x + dx, y + dy], [x - dx, y + dy], [x - dx, y - dy]]] })
}

/// The square outside any perimeter whose centre is nearest to a square of `perimeter`.
pub fn free_neighbour(squares: &[Value], perimeter: &str) -> Value {
    let inside: Vec<[f64; 2]> = squares.iter().filter(|s| s["perimeter"] == perimeter).map(centre).collect();
    let gap = |s: &Value| {
        let c = centre(s);
        inside.iter().map(|i| (i[0] - c[0]).powi(2) + (i[1] - c[1]).powi(2)).fold(f64::MAX, f64::min)
    };
    squares
        .iter()
        .filter(|s| s["perimeter"].is_null())
        .min_by(|a, b| gap(a).total_cmp(&gap(b)))
        .expect("a free square")
        .clone()
}

/// Every file under `dir`, relative, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The JSON paths where two values differ (for a manifest that is not the same).
pub fn json_differences(a: &Value, b: &Value, at: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let (u, v) = (x.get(key).unwrap_or(&Value::Null), y.get(key).unwrap_or(&Value::Null));
                json_differences(u, v, &format!("{at}.{key}"), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (k, (u, v)) in x.iter().zip(y).enumerate() {
                json_differences(u, v, &format!("{at}[{k}]"), out);
            }
        }
        _ if a != b => out.push(format!("{at}: {a} ≠ {b}")),
        _ => {}
    }
}

/// Every file `replay` holds has the same bytes in `export`; for a JSON file that differs,
/// the keys that do. `wanted` must be among them.
pub fn assert_same_files(export: &Path, replay: &Path, wanted: &[&str]) {
    let files = files_under(replay);
    for w in wanted {
        assert!(files.iter().any(|f| f == Path::new(w)), "the replay wrote no {w}: {files:?}");
    }
    let mut differ = Vec::new();
    for f in &files {
        let (a, b) = (export.join(f), replay.join(f));
        let Ok(exported) = std::fs::read(&a) else {
            differ.push(format!("{}: not in the export", f.display()));
            continue;
        };
        let replayed = std::fs::read(&b).unwrap();
        if exported == replayed {
            continue;
        }
        let mut keys = Vec::new();
        if let (Ok(x), Ok(y)) =
            (serde_json::from_slice::<Value>(&exported), serde_json::from_slice::<Value>(&replayed))
        {
            json_differences(&x, &y, "", &mut keys);
        }
        differ.push(format!(
            "{} differs ({} against {} bytes) {keys:?}",
            f.display(),
            exported.len(),
            replayed.len()
        ));
    }
    assert!(
        differ.is_empty(),
        "export {} against replay {}:\n  {}",
        export.display(),
        replay.display(),
        differ.join("\n  ")
    );
}

/// Waits for a process to end, at most `limit`; kills it and panics past that.
pub fn wait_for(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!("still running after {limit:?} (killed): {}", String::from_utf8_lossy(&o.stderr));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

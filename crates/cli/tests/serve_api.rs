//! `qpv serve`'s HTTP API (crates/serve/API.md) against the real binary on the embedded
//! CAPH sample: the session's rules (versions, bad steps, undo, resuming after `kill -9`),
//! the server's guards (token, Host, Origin, body size), and the promise that the page
//! shows and exports nothing the adjustments file, replayed by `qpv run` or `qpv adjust`,
//! would not give byte for byte.

mod common;
mod serve_common;

use serde_json::{Value, json};
use serve_common::*;
use std::path::Path;

fn fresh(args: &[&str]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("session"), args);
    (dir, server)
}

/// Two squares of Denain, as the server tells them.
fn two_denain_squares(server: &Server) -> [Value; 2] {
    let squares = server.squares_of(DENAIN);
    [squares[0].clone(), squares[squares.len() / 2].clone()]
}

fn remove_step(squares: &[Value]) -> Value {
    json!({ "op": "remove", "candidate": DENAIN, "squares": squares.iter().map(|s| s["id"].clone()).collect::<Vec<_>>() })
}

fn session_bytes(server: &Server) -> Vec<u8> {
    std::fs::read(server.dir.join("session.toml")).unwrap()
}

#[test]
fn stale_version_is_409_with_the_current_version_and_changes_nothing() {
    let (_dir, server) = fresh(&[]);
    let [a, b] = two_denain_squares(&server);
    server.edit(remove_step(std::slice::from_ref(&a)));
    let before = session_bytes(&server);
    let answer = server.edit_at(0, remove_step(std::slice::from_ref(&b)));
    assert_eq!(answer.status, 409, "{}", answer.text);
    assert_eq!(answer.json()["version"], 1, "{}", answer.text);
    assert!(answer.error().contains("version 1"), "{}", answer.text);
    assert_eq!(session_bytes(&server), before, "a refused edit leaves session.toml as it was");
    let state = server.state();
    assert_eq!(state["version"], 1);
    assert_eq!(state["steps"].as_array().unwrap().len(), 1);
    // A version ahead of the session is as stale as one behind.
    assert_eq!(server.edit_at(7, remove_step(&[b])).status, 409);
    assert_eq!(session_bytes(&server), before);
}

#[test]
fn bad_steps_are_400_naming_the_problem() {
    let (_dir, server) = fresh(&[]);
    let before = session_bytes(&server);
    let [a, _] = two_denain_squares(&server);
    let id = a["id"].clone();
    let refused = |step: Value, needles: &[&str]| {
        let answer = server.edit_at(0, step.clone());
        assert_eq!(answer.status, 400, "{step}: {}", answer.text);
        let message = answer.error();
        for n in needles {
            assert!(message.contains(n), "{step}: expected {n:?} in {message:?}");
        }
        message
    };
    refused(json!({ "op": "frobnicate", "candidate": DENAIN }), &["frobnicate", "remove", "include_schools"]);
    let known: Vec<String> = server.state()["perimeters"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap().to_owned())
        .collect();
    let message = refused(json!({ "op": "remove", "candidate": "59999-99", "squares": [id] }), &["59999-99"]);
    for k in &known {
        assert!(message.contains(k.as_str()), "the known ids are listed ({k} missing): {message}");
    }
    refused(
        json!({ "op": "remove", "candidate": DENAIN, "polygon": "/etc/passwd" }),
        &["polygon", "file paths are refused"],
    );
    refused(
        json!({ "op": "add", "candidate": DENAIN, "polygon": "geometry/x.geojson" }),
        &["file paths are refused"],
    );
    refused(
        json!({ "op": "include_schools", "schools": sample("rep_colleges_caph_2021.geojson") }),
        &["\"schools\" is refused"],
    );
    refused(json!({ "op": "remove", "squares": [id] }), &["candidate"]);
    // A polygon drawn far from Denain: refused in the user's words (no session path, the
    // polygon called so), and its file is not left behind.
    let far = json!({ "type": "Polygon",
                      "coordinates": [[[3.0, 50.0], [3.001, 50.0], [3.001, 50.001], [3.0, 50.0]]] });
    let message = refused(
        json!({ "op": "remove", "candidate": DENAIN, "polygon": far }),
        &["step 1: the polygon drawn (", "selects no square of"],
    );
    assert!(!message.contains("session.toml"), "{message}");
    let geometry = server.dir.join("geometry");
    let left = std::fs::read_dir(&geometry).map_or(0, |d| d.count());
    assert_eq!(left, 0, "a refused step leaves no geometry file in {}", geometry.display());
    let state = server.state();
    assert_eq!(state["version"], 0, "no refused step is acknowledged");
    assert_eq!(state["steps"], json!([]));
    assert_eq!(session_bytes(&server), before, "nor written");
}

#[test]
fn requests_without_the_token_are_401_and_no_answer_sets_a_cookie() {
    let (_dir, server) = fresh(&[]);
    assert!(server.url.starts_with(&format!("{}/#token=", server.base)), "{}", server.url);
    for path in [
        "/api/state",
        "/api/nothing-here",
        "/api/events?since=0",
        &format!("/api/state?token={}", server.token),
    ] {
        let answer = server.request("GET", path, &[], None);
        assert_eq!(answer.status, 401, "{path}: {}", answer.text);
        assert!(answer.text.contains("open the address qpv serve printed"), "{}", answer.text);
    }
    let wrong = format!("Bearer {}", "0".repeat(server.token.len()));
    assert_eq!(server.request("GET", "/api/state", &[("Authorization", &wrong)], None).status, 401);
    // A cookie with the right token under the old name opens nothing: no cookie is read.
    let cookie = format!("qpv_token_{}={}", server.port, server.token);
    assert_eq!(server.request("GET", "/api/state", &[("Cookie", &cookie)], None).status, 401);
    let edit = serde_json::to_vec(&json!({ "version": 0, "step": { "op": "poches" } })).unwrap();
    assert_eq!(server.request("POST", "/api/edit", &[], Some(&edit)).status, 401);
    assert_eq!(server.request("GET", "/?token=nope", &[], None).status, 401);
    assert_eq!(server.state()["version"], 0);

    // The page itself holds no session data: no token needed. An old `/?token=` bookmark
    // is sent to the fragment.
    let page = server.request("GET", "/", &[], None);
    assert_eq!(page.status, 200, "{}", page.text);
    let old = server.request("GET", &format!("/?token={}", server.token), &[], None);
    assert_eq!(
        (old.status, old.header("Location")),
        (303, Some(format!("/#token={}", server.token).as_str()))
    );

    // No answer of any route, to either token, sets a cookie.
    let viewer = server.viewer();
    let answers = [
        page,
        old,
        server.request("GET", "/app.js", &[], None),
        server.get("/api/state"),
        server.get("/api/edits.toml"),
        server.events(7),
        server.edit_at(0, json!({ "op": "poches" })),
        server.undo_at("undo", 1),
        viewer.get("/api/state"),
        viewer.post("/api/undo", &json!({ "version": 2 })),
        server.request("GET", "/api/state", &[], None),
    ];
    for answer in &answers {
        assert!(answer.header("Set-Cookie").is_none(), "{answer:?}");
    }
}

/// The read-only link: the state says `view`, the long poll and every GET answer, every
/// POST is 403 before the session sees it.
#[test]
fn the_view_token_reads_and_follows_but_every_post_is_403() {
    let (_dir, server) = fresh(&[]);
    let viewer = server.viewer();
    assert_eq!(viewer.state()["access"], "view");
    assert_eq!(server.state()["access"], "edit");
    let before = session_bytes(&server);
    let [a, _] = two_denain_squares(&server);
    for (path, body) in [
        ("/api/edit", json!({ "version": 0, "step": remove_step(std::slice::from_ref(&a)) })),
        ("/api/undo", json!({ "version": 0 })),
        ("/api/redo", json!({ "version": 0 })),
        ("/api/export", json!({ "formats": ["geojson"] })),
    ] {
        let answer = viewer.post(path, &body);
        assert_eq!(answer.status, 403, "{path}: {}", answer.text);
        assert!(answer.error().starts_with("this link is read-only: "), "{}", answer.text);
    }
    assert_eq!(session_bytes(&server), before, "nothing written");
    assert!(!server.dir.join("export").exists(), "no export");
    for path in ["/api/state", "/api/events?since=5", "/api/edits.toml", "/api/compare"] {
        assert_eq!(viewer.get(path).status, 200, "{path}");
    }
    assert_eq!(viewer.squares([3.2, 50.2, 3.6, 50.6])["count"], 3205);
    // An edit by the editor is seen by the viewer.
    server.edit(remove_step(&[a]));
    assert_eq!(viewer.state()["version"], 1);
}

/// Two windows on one session: the one that did not see a change cannot undo or redo it
/// (409, as for an edit, with the current version); a missing version is 400.
#[test]
fn undo_and_redo_from_a_stale_window_are_409() {
    let (_dir, server) = fresh(&[]);
    let [a, b] = two_denain_squares(&server);
    server.edit(remove_step(&[a]));
    // Window B is at version 1; window A then makes step 2.
    server.post_from("A", "/api/edit", &json!({ "version": 1, "step": remove_step(&[b]) }));
    let before = session_bytes(&server);
    let answer = server.undo_at("undo", 1);
    assert_eq!(answer.status, 409, "{}", answer.text);
    assert_eq!(answer.json()["version"], 2);
    assert!(answer.error().contains("version 2, not 1"), "{}", answer.text);
    assert_eq!(session_bytes(&server), before, "the stale undo took nothing back");
    ok(server.undo_at("undo", 2));
    let answer = server.undo_at("redo", 2);
    assert_eq!((answer.status, answer.json()["version"].clone()), (409, json!(3)), "{}", answer.text);
    for which in ["undo", "redo"] {
        let answer = server.post(&format!("/api/{which}"), &json!({}));
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert!(answer.error().contains("missing \"version\""), "{}", answer.text);
    }
    assert_eq!(server.state()["version"], 3);
}

/// A long poll waiting on the session answers within a second of an edit made by another
/// client, with who changed what; a page already behind is answered at once.
#[test]
fn the_long_poll_answers_within_a_second_of_another_windows_edit() {
    let (_dir, server) = fresh(&[]);
    let [a, _] = two_denain_squares(&server);
    let viewer = server.viewer();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let answer = viewer.events(0);
            tx.send((std::time::Instant::now(), answer)).unwrap();
        });
        // The poll is waiting (nothing changes for 25 s otherwise).
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert!(rx.try_recv().is_err(), "the poll answered before any change");
        // The session is free while the poll waits: the state and the edit answer.
        assert_eq!(server.state()["version"], 0);
        ok(server.post_from("tab-A", "/api/edit", &json!({ "version": 0, "step": remove_step(&[a]) })));
        let edited = std::time::Instant::now();
        let (answered, answer) =
            rx.recv_timeout(std::time::Duration::from_secs(5)).expect("the poll answers");
        let took = answered.saturating_duration_since(edited);
        assert!(took < std::time::Duration::from_secs(1), "answered {took:?} after the edit");
        let body = ok(answer);
        assert_eq!(body["version"], 1);
        assert_eq!(
            body["last_change"],
            json!({ "version": 1, "kind": "edit", "step": 1, "window": "tab-A",
                    "summary": format!("step 1 remove 1 square from {DENAIN}") })
        );
    });
    assert_eq!(ok(viewer.events(0))["version"], 1, "behind: at once");
    let undone = server.undo("undo");
    assert_eq!(undone["last_change"]["summary"], format!("undo step 1 (remove 1 square from {DENAIN})"));
    assert_eq!(undone["last_change"]["window"], Value::Null);
    assert_eq!(viewer.state()["last_change"], undone["last_change"]);
}

/// `kill PID` (SIGTERM, a service manager's stop) is a clean stop, as Ctrl-C: the server
/// exits 0 and leaves the folder's lock empty, so the next start takes no folder over.
#[test]
fn sigterm_stops_the_server_cleanly() {
    let (_dir, server) = fresh(&[]);
    server.edit(json!({ "op": "rename", "candidate": DENAIN, "name": "Denain" }));
    let dir = server.dir.clone();
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    assert_eq!(std::fs::read_to_string(dir.join("serve.lock")).unwrap(), "", "the lock file emptied");
    let session = dir.join("session.toml");
    let next = Server::start(&dir, &["--edits", session.to_str().unwrap()]);
    assert!(!next.stderr().contains("taking the folder over"), "{}", next.stderr());
    assert_eq!(next.state()["steps"].as_array().unwrap().len(), 1);
}

/// One server per folder: a second one on the same `--out`, new or resuming, is refused
/// before reading the grid, naming the first's address and pid; after `kill -9` of the
/// first, the next one takes the folder over and says so.
#[test]
fn a_second_server_on_one_folder_is_refused_and_a_killed_ones_folder_is_taken_over() {
    let (_dir, server) = fresh(&[]);
    server.edit(json!({ "op": "rename", "candidate": DENAIN, "name": "Denain" }));
    let session = server.dir.join("session.toml");
    let before = std::fs::read(&session).unwrap();
    let resume = ["--edits", session.to_str().unwrap()];
    // A grid that does not exist: refused for the folder, so before the grid is read.
    let no_grid = ["--grid", "/nonexistent/carreaux.csv"];
    for args in [&[][..], &resume[..], &no_grid[..]] {
        let started = std::time::Instant::now();
        let (code, message) = refused_start(&server.dir, args);
        assert_eq!(code, Some(2), "{args:?}: {message}");
        let holder = format!("pid {}, {}/", server.pid(), server.base);
        assert!(message.contains(&holder), "{args:?}: names the first ({holder}): {message}");
        assert!(
            message.contains("is served by another qpv serve") && message.contains("another --out"),
            "{message}"
        );
        assert!(!message.contains(&server.token), "the tokens stay out of the lock file: {message}");
        assert!(!message.contains("qpv serve: open"), "{message}");
        assert!(!message.contains("carreaux.csv"), "{message}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    }
    assert_eq!(std::fs::read(&session).unwrap(), before, "the session is not touched");
    assert_eq!(server.state()["version"], 1, "the first server still serves");

    let (dir, pid) = (server.dir.clone(), server.pid());
    server.kill();
    let next = Server::start(&dir, &resume);
    assert!(
        next.stderr().contains(&format!(
            "taking the folder over from a qpv serve that did not stop cleanly (pid {pid}"
        )),
        "{}",
        next.stderr()
    );
    assert_eq!(next.state()["steps"].as_array().unwrap().len(), 1);
    let (code, message) = refused_start(&dir, &resume);
    assert_eq!(code, Some(2));
    assert!(message.contains(&format!("pid {}", next.pid())), "the new holder is named: {message}");
}

#[test]
fn foreign_host_and_origin_are_403_and_bodies_over_1_mib_are_413() {
    let (_dir, server) = fresh(&[]);
    let port = server.port;
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        assert_eq!(raw_get(port, &host, "/api/state", &server.token).0, 200, "{host}");
    }
    for host in
        [format!("evil.example:{port}"), format!("127.0.0.1:{}", port.wrapping_add(1)), "127.0.0.1".into()]
    {
        let (status, body) = raw_get(port, &host, "/api/state", &server.token);
        assert_eq!(status, 403, "Host {host}: {body}");
        assert!(body.contains("foreign Host header refused"), "{body}");
    }
    let bearer = server.bearer();
    let edit = serde_json::to_vec(&json!({ "version": 0, "step": { "op": "poches" } })).unwrap();
    let from = |origin: &str| {
        let headers =
            [("Authorization", bearer.as_str()), ("Origin", origin), ("Content-Type", "application/json")];
        server.request("POST", "/api/edit", &headers, Some(&edit))
    };
    let answer = from("http://evil.example");
    assert_eq!(answer.status, 403, "{}", answer.text);
    assert_eq!(from(&format!("http://127.0.0.1:{}", port.wrapping_add(1))).status, 403);
    assert_eq!(server.state()["version"], 0, "a refused POST changes nothing");
    assert_eq!(from(&server.base).status, 200, "the page's own origin is allowed");

    let mut big = b"{\"formats\": [\"geojson\"], \"pad\": \"".to_vec();
    big.resize((1 << 20) + 10, b'x');
    big.extend_from_slice(b"\"}");
    for path in ["/api/edit", "/api/export"] {
        let answer = server.request("POST", path, &[("Authorization", &bearer)], Some(&big));
        assert_eq!(answer.status, 413, "{path}: {}", answer.text);
    }
    assert!(!server.dir.join("export").exists(), "the refused export wrote nothing");
}

/// `--listen 0.0.0.0` (a meeting room's network): a warning, the machine's addresses (IP
/// literals) accepted as Host, names other than localhost still refused.
#[test]
fn listening_on_every_interface_warns_and_still_refuses_foreign_names() {
    let (_dir, server) = fresh(&["--listen", "0.0.0.0"]);
    let port = server.port;
    assert!(server.stderr().contains("warning: listening on 0.0.0.0"), "{}", server.stderr());
    for host in [format!("127.0.0.1:{port}"), format!("192.168.1.20:{port}")] {
        assert_eq!(raw_get(port, &host, "/api/state", &server.token).0, 200, "{host}");
    }
    assert_eq!(raw_get(port, &format!("evil.example:{port}"), "/api/state", &server.token).0, 403);
    assert_eq!(raw_get(port, &format!("127.0.0.1:{port}"), "/api/state", "wrong").0, 401);
}

#[test]
fn painting_two_squares_out_lowers_inhabitants_by_theirs() {
    let (_dir, server) = fresh(&[]);
    let before = inhabitants(&server.state(), DENAIN);
    let squares = two_denain_squares(&server);
    let theirs: f64 = squares.iter().map(|s| s["inhabitants"].as_f64().unwrap()).sum();
    assert!(theirs > 0.0);
    let state = server.edit(remove_step(&squares));
    assert_eq!(state["version"], 1);
    let after = inhabitants(&state, DENAIN);
    assert_eq!(after, before - theirs, "{before} − {theirs}");
    assert_eq!(feature(&state, DENAIN)["properties"]["touched"], true);
    assert_eq!(inhabitants(&server.state(), DENAIN), after, "GET /api/state agrees");
    let ids: Vec<&Value> = squares.iter().map(|s| &s["id"]).collect();
    for s in server.all_squares().iter().filter(|s| ids.contains(&&s["id"])) {
        assert!(s["perimeter"].is_null(), "a removed square belongs to nobody: {s}");
    }
    assert_eq!(steps_in(&server.dir.join("session.toml")), 1);
}

#[test]
fn undo_and_redo_move_the_version_and_the_session_file() {
    let (_dir, server) = fresh(&[]);
    let session = server.dir.join("session.toml");
    for (path, message) in [("/api/undo", "nothing to undo"), ("/api/redo", "nothing to redo")] {
        let answer = server.post(path, &json!({ "version": 0 }));
        assert_eq!(answer.status, 400, "{path}");
        assert_eq!(answer.error(), message);
    }
    let [a, b] = two_denain_squares(&server);
    let first = server.edit(remove_step(&[a]));
    let full = inhabitants(&server.edit(remove_step(&[b])), DENAIN);
    let expect = |state: &Value, version: u64, steps: usize, undo: bool, redo: bool| {
        assert_eq!(state["version"], version, "{}", state["steps"]);
        assert_eq!(state["steps"].as_array().unwrap().len(), steps);
        assert_eq!((state["can_undo"].as_bool(), state["can_redo"].as_bool()), (Some(undo), Some(redo)));
        assert_eq!(steps_in(&session), steps, "session.toml follows");
        let toml = server.get("/api/edits.toml");
        assert_eq!(
            toml.text.as_bytes(),
            std::fs::read(&session).unwrap(),
            "GET /api/edits.toml is session.toml"
        );
    };
    expect(&server.state(), 2, 2, true, false);
    let undone = server.undo("undo");
    expect(&undone, 3, 1, true, true);
    assert_eq!(
        inhabitants(&undone, DENAIN),
        inhabitants(&first, DENAIN),
        "undo gives back step 1's perimeters"
    );
    expect(&server.undo("undo"), 4, 0, false, true);
    assert_eq!(server.undo_at("undo", 4).error(), "nothing to undo");
    expect(&server.undo("redo"), 5, 1, true, true);
    let redone = server.undo("redo");
    expect(&redone, 6, 2, true, false);
    assert_eq!(inhabitants(&redone, DENAIN), full);
    // A new step after an undo forgets what was undone.
    server.undo("undo");
    let state = server.edit(json!({ "op": "rename", "candidate": DENAIN, "name": "Denain" }));
    expect(&state, 8, 2, true, false);
}

#[test]
fn a_session_killed_with_sigkill_resumes_with_its_steps_and_perimeters() {
    let (_dir, server) = fresh(&[]);
    let dir = server.dir.clone();
    let squares = server.all_squares();
    let [a, b] = two_denain_squares(&server);
    let free = free_neighbour(&squares, DENAIN);
    server.edit(remove_step(&[a, b]));
    server.edit(json!({ "op": "add", "candidate": DENAIN, "polygon": polygon_around(&free) }));
    let last = server.edit(json!({ "op": "rename", "candidate": DENAIN, "name": "Denain, cité Lutas" }));
    server.kill();
    assert_eq!(steps_in(&dir.join("session.toml")), 3);
    let geometry = files_under(&dir.join("geometry"));
    assert_eq!(geometry.len(), 1, "the drawn polygon is a file of the session: {geometry:?}");

    let session = dir.join("session.toml");
    let resumed = Server::start(&dir, &["--edits", session.to_str().unwrap()]);
    assert!(resumed.stderr().contains("resumed 3 steps"), "{}", resumed.stderr());
    let state = resumed.state();
    assert_eq!(state["steps"], last["steps"], "the same 3 steps");
    let perimeters = |s: &Value| -> Vec<Value> {
        let mut list = s["perimeters"]["features"].as_array().unwrap().clone();
        for f in &mut list {
            f["properties"].as_object_mut().unwrap().remove("touched");
        }
        list
    };
    assert_eq!(perimeters(&state), perimeters(&last), "identical perimeters after resuming");
    assert_eq!(feature(&state, DENAIN)["properties"]["name"], "Denain, cité Lutas");
    let added = resumed.all_squares().into_iter().find(|s| s["id"] == free["id"]).unwrap();
    assert_eq!(added["perimeter"], DENAIN, "the drawn square is still in");
    assert_eq!(state["can_undo"], true);
}

#[test]
fn starting_on_a_folder_holding_a_session_without_edits_is_refused() {
    let (_dir, server) = fresh(&[]);
    let dir = server.dir.clone();
    server.edit(json!({ "op": "rename", "candidate": DENAIN, "name": "Denain" }));
    server.kill();
    let before = std::fs::read(dir.join("session.toml")).unwrap();
    let (code, message) = refused_start(&dir, &[]);
    assert_eq!(code, Some(2), "{message}");
    let session = dir.join("session.toml");
    assert!(message.contains(&format!("--edits {}", session.display())), "says how to resume: {message}");
    assert!(!message.contains("qpv serve: open"), "{message}");
    assert_eq!(std::fs::read(&session).unwrap(), before, "the session is not overwritten");
}

/// A start that fails (an adjustments file that is missing, or whose step does not apply)
/// exits 2 with the reason and leaves no `--out` folder behind.
#[test]
fn a_failed_start_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "[[step]]\nop = \"rename\"\ncandidate = \"59999-99\"\nname = \"x\"\n").unwrap();
    let cases: [(&Path, &str); 2] =
        [(&tmp.path().join("missing.toml"), "missing.toml"), (&bad, "no perimeter is called \"59999-99\"")];
    for (edits, reason) in cases {
        let out = tmp.path().join("session");
        let (code, message) = refused_start(&out, &["--edits", edits.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{message}");
        assert!(message.contains(reason), "{reason:?} in {message}");
        assert!(!out.exists(), "{} was left behind", out.display());
    }
}

/// Seven kinds of step, on the CAPH sample, for the replay tests.
fn negotiate(server: &Server) {
    let squares = server.all_squares();
    let [a, b] = two_denain_squares(server);
    let free = free_neighbour(&squares, DENAIN);
    server.edit(remove_step(&[a, b]));
    server.edit(json!({ "op": "add", "candidate": DENAIN, "polygon": polygon_around(&free) }));
    // An area drawn over a free square beside Denain, kept whole: Denain takes it.
    let beside = free_neighbour(&server.all_squares(), DENAIN);
    let state = server.edit(json!({ "op": "keep_whole", "areas": polygon_around(&beside) }));
    let summary = state["steps"][2]["summary"].as_str().unwrap().to_owned();
    assert!(summary.starts_with(&format!("keep_whole {DENAIN}: area")), "{summary}");
    // A new perimeter of two free flagged squares (far from the one added above).
    let mut fresh: Vec<&Value> = squares
        .iter()
        .filter(|s| s["perimeter"].is_null() && s["flagged"] == true && s["id"] != free["id"])
        .collect();
    fresh.sort_by(|x, y| x["id"].as_str().cmp(&y["id"].as_str()));
    let ids = [&fresh[0]["id"], &fresh[1]["id"]];
    server.edit(json!({ "op": "create", "id": "59701-90", "name": "Cité créée", "squares": ids }));
    server.edit(json!({ "op": "include_schools", "distance_m": 300 }));
    server.edit(json!({ "op": "poches", "floor": 500 }));
    let state = server
        .edit(json!({ "op": "rename", "candidate": DENAIN, "name": "Denain – Lutas, Faubourg Duchâteau" }));
    assert_eq!(state["steps"].as_array().unwrap().len(), 7);
}

fn export(server: &Server, formats: &[&str]) -> std::path::PathBuf {
    let answer = ok(server.post("/api/export", &json!({ "formats": formats })));
    let dir = Path::new(answer["dir"].as_str().unwrap()).to_owned();
    assert_eq!(dir, server.dir.join("export"));
    for f in answer["files"].as_array().unwrap() {
        assert!(dir.join(f.as_str().unwrap()).is_file(), "{f} is listed and written");
    }
    dir
}

#[test]
fn export_is_what_qpv_run_writes_from_the_session_byte_for_byte() {
    let schools = sample("rep_colleges_caph_2021.geojson");
    let (tmp, server) = fresh(&["--schools", &schools]);
    negotiate(&server);
    let exported = export(&server, &["shapefile", "gpkg"]);
    let (settings, session) = (server.dir.join("settings.toml"), server.dir.join("session.toml"));
    let other = tmp.path().join("replay");
    qpv_ok(
        &[
            "run",
            "--settings",
            settings.to_str().unwrap(),
            "--edits",
            session.to_str().unwrap(),
            "--format",
            "shapefile,gpkg",
            "--out",
            other.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_same_files(
        &exported,
        &other,
        &[
            "adjusted.geojson",
            "adjusted.shp",
            "adjusted.dbf",
            "qpv.gpkg",
            "poches.geojson",
            "audit.csv",
            "schools.csv",
            "manifest.json",
        ],
    );
    // API.md: "plus check.md"; the server writes qpv check's outputs in export/check/.
    assert!(
        exported.join("check/check.md").is_file(),
        "the export adds check.md: {:?}",
        files_under(&exported)
    );
}

#[test]
fn perimeters_mode_export_is_what_qpv_adjust_writes() {
    let drawn = sample("drawn_perimeters_l93.shp");
    let schools = sample("rep_colleges_caph_2021.geojson");
    let (tmp, server) = fresh(&["--perimeters", &drawn, "--schools", &schools]);
    let state = server.state();
    assert_eq!(state["mode"], "perimeters");
    let squares = server.all_squares();
    // The file's perimeter holding most squares, and one of them taken out.
    let ids: Vec<&str> = state["perimeters"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap())
        .collect();
    let count = |id: &str| squares.iter().filter(|s| s["perimeter"] == id).count();
    let target = *ids.iter().max_by_key(|id| count(id)).unwrap();
    let square = squares.iter().find(|s| s["perimeter"] == target).unwrap();
    // A drawn perimeter counts its inhabitants as a range; the square taken out leaves
    // the top of it (every square touched, whole) whole.
    let high = |state: &Value| feature(state, target)["properties"]["inhabitants_high"].as_f64().unwrap();
    let before = high(&state);
    let state = server.edit(json!({ "op": "remove", "candidate": target, "squares": [square["id"]] }));
    let after = high(&state);
    assert!((after - (before - square["inhabitants"].as_f64().unwrap())).abs() < 0.051, "{before} → {after}");
    server.edit(json!({ "op": "include_schools", "distance_m": 300 }));
    let exported = export(&server, &["geojson"]);
    let other = tmp.path().join("replay");
    let (settings, session) = (server.dir.join("settings.toml"), server.dir.join("session.toml"));
    qpv_ok(
        &[
            "adjust",
            "--settings",
            settings.to_str().unwrap(),
            "--perimeters",
            &drawn,
            "--edits",
            session.to_str().unwrap(),
            "--out",
            other.to_str().unwrap(),
        ],
        tmp.path(),
    );
    for f in ["adjusted.geojson", "audit.csv", "schools.csv"] {
        let (a, b) = (std::fs::read(exported.join(f)), std::fs::read(other.join(f)));
        assert!(a.is_ok() && b.is_ok(), "{f}: export {:?}, adjust {:?}", a.as_ref().err(), b.as_ref().err());
        assert!(a.unwrap() == b.unwrap(), "{f}: the export and qpv adjust differ");
    }
}

#[test]
fn squares_answer_a_bad_bbox_with_400_and_the_whole_sample_with_rings() {
    let (_dir, server) = fresh(&[]);
    for bbox in [
        "",
        "?bbox=1,2,3",
        "?bbox=a,b,c,d",
        "?bbox=3.6,50.2,3.2,50.5",
        "?bbox=3.2,50.2,200,50.5",
        "?bbox=NaN,1,2,3",
    ] {
        let answer = server.get(&format!("/api/squares{bbox}"));
        assert_eq!(answer.status, 400, "{bbox}: {}", answer.text);
        assert!(answer.error().contains("bbox"), "{}", answer.text);
    }
    let squares = server.all_squares();
    assert!(squares.len() <= 40_000);
    assert_eq!(squares.len(), 3205, "the CAPH sample's 3 205 squares");
    let b = &server.state()["bbox"];
    let within = |p: &Value| {
        let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        x >= b[0].as_f64().unwrap() - 1e-6
            && x <= b[2].as_f64().unwrap() + 1e-6
            && y >= b[1].as_f64().unwrap() - 1e-6
            && y <= b[3].as_f64().unwrap() + 1e-6
    };
    for s in &squares {
        let ring = s["ring"].as_array().unwrap();
        assert_eq!(ring.len(), 4, "{s}");
        assert!(ring.iter().all(|p| p.as_array().map(Vec::len) == Some(2) && within(p)), "{s}");
        assert!(s["id"].as_str().unwrap().starts_with("CRS3035RES200mN"), "{s}");
    }
    let counted = server.squares([3.2, 50.2, 3.6, 50.6]);
    assert_eq!(counted["count"], 3205);
}

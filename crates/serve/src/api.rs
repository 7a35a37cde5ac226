//! The routes of API.md over a [`Workbench`]: requests are parsed and checked here, so
//! that the session only ever sees a valid bbox, version, window and step; its answers
//! become JSON (or 400/409/500 through [`ApiError`]). Every acknowledged change is also
//! published on a watch channel, which `GET /api/events` waits on without touching the
//! session.

use crate::error::json_response;
use crate::security::{Access, Security, guard};
use crate::{ApiError, Workbench, page};
use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinError;

/// How long `GET /api/events` waits for a change before answering "nothing new": under
/// the idle timeout of connections, and short enough for proxies that cut long requests.
pub const EVENTS_WAIT: Duration = Duration::from_secs(25);

/// The header naming the browser tab a write comes from (API.md, Windows).
pub const WINDOW_HEADER: &str = "x-qpv-window";

/// The router of `qpv serve`: the page, the API, the checks of [`Security`] on every
/// request. [`serve`](crate::serve) runs it; tests call it with `tower::ServiceExt::oneshot`.
pub fn router<W: Workbench>(workbench: W, security: Security) -> Router {
    router_with(workbench, security, EVENTS_WAIT).0
}

/// [`router`] whose long poll waits `wait` (the tests' is short), and the sender that,
/// set to `true` when the server stops, ends every long poll at once (a page open would
/// otherwise hold the stop for up to `wait`).
pub(crate) fn router_with<W: Workbench>(
    workbench: W,
    security: Security,
    wait: Duration,
) -> (Router, Arc<watch::Sender<bool>>) {
    let body_limit = security.body_limit;
    let (changes, _) = watch::channel(Change { version: workbench.version(), last_change: Value::Null });
    let closing = Arc::new(watch::channel(false).0);
    let app = App {
        workbench: Arc::new(Mutex::new(workbench)),
        exporting: Arc::new(Mutex::new(())),
        body_limit,
        changes: Arc::new(changes),
        wait,
        closing: Arc::clone(&closing),
    };
    let router = Router::new()
        .route("/api/state", get(state::<W>))
        .route("/api/squares", get(squares::<W>))
        .route("/api/events", get(events::<W>))
        .route("/api/edit", post(edit::<W>))
        .route("/api/undo", post(undo::<W>))
        .route("/api/redo", post(redo::<W>))
        .route("/api/edits.toml", get(edits_toml::<W>))
        .route("/api/compare", get(compare::<W>))
        .route("/api/export", post(export::<W>))
        .merge(page::routes())
        .fallback(not_found)
        .with_state(app)
        .layer(DefaultBodyLimit::max(body_limit))
        // Outermost: nothing is reached, not even a 404, without passing the checks.
        .layer(from_fn_with_state(Arc::new(security), guard));
    (router, closing)
}

/// The last acknowledged change, as `GET /api/events` answers it.
#[derive(Debug, Clone, PartialEq)]
struct Change {
    version: u64,
    /// The state's `last_change` (null before any change).
    last_change: Value,
}

/// What the handlers share: the one session, the body limit for the 413's message, and the
/// channel telling every waiting long poll of a change.
struct App<W> {
    workbench: Arc<Mutex<W>>,
    /// Held while an export job runs (not the session's lock: exports one at a time).
    exporting: Arc<Mutex<()>>,
    body_limit: usize,
    changes: Arc<watch::Sender<Change>>,
    wait: Duration,
    /// `true` once the server stops.
    closing: Arc<watch::Sender<bool>>,
}

// Derived `Clone` would ask `W: Clone`; only the `Arc`s are cloned.
impl<W> Clone for App<W> {
    fn clone(&self) -> Self {
        App {
            workbench: Arc::clone(&self.workbench),
            exporting: Arc::clone(&self.exporting),
            body_limit: self.body_limit,
            changes: Arc::clone(&self.changes),
            wait: self.wait,
            closing: Arc::clone(&self.closing),
        }
    }
}

/// Runs `f` on the session: one call at a time (the session is not meant to be shared),
/// on tokio's blocking pool (a step may take seconds and must not stall the other
/// connections). A panic is a 500; the session is then refused, its state unknown.
async fn call<W: Workbench, T: Send + 'static>(
    app: &App<W>,
    f: impl FnOnce(&mut W) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let workbench = Arc::clone(&app.workbench);
    let task = tokio::task::spawn_blocking(move || {
        let mut session = workbench.lock().map_err(|_| {
            ApiError::Internal(
                "an earlier request failed inside the session, whose state is now unknown: \
                 restart qpv serve (every acknowledged step is in session.toml)"
                    .into(),
            )
        })?;
        f(&mut session)
    });
    settled(task.await, "the session")
}

/// The answer of a task on the blocking pool: a panic of `what` is a 500 naming its message.
fn settled<T>(joined: Result<Result<T, ApiError>, JoinError>, what: &str) -> Result<T, ApiError> {
    match joined {
        Ok(answer) => answer,
        Err(e) if e.is_panic() => {
            let panic = e.into_panic();
            let message =
                panic.downcast_ref::<&str>().copied().or(panic.downcast_ref::<String>().map(String::as_str));
            Err(ApiError::Internal(format!("bug: {what} panicked: {}", message.unwrap_or("(no message)"))))
        }
        Err(_) => Err(ApiError::Internal("the server is shutting down".into())),
    }
}

fn answer(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(e) => e.into_response(),
    }
}

/// A state with the `access` of the request that asked for it.
fn with_access(mut state: Value, access: Access) -> Value {
    if let Value::Object(fields) = &mut state {
        fields.insert("access".into(), json!(access.word()));
    }
    state
}

/// The answer to a write: the new state, whose version and `last_change` are first told
/// to every long poll. Two writes may finish out of order here: only a newer version is
/// published.
fn changed<W>(app: &App<W>, result: Result<Value, ApiError>) -> Response {
    if let Ok(state) = &result
        && let Some(version) = state.get("version").and_then(Value::as_u64)
    {
        let last_change = state.get("last_change").cloned().unwrap_or(Value::Null);
        app.changes.send_if_modified(|now| {
            let newer = version > now.version;
            if newer {
                *now = Change { version, last_change };
            }
            newer
        });
    }
    answer(result.map(|state| with_access(state, Access::Edit)))
}

async fn state<W: Workbench>(State(app): State<App<W>>, Extension(access): Extension<Access>) -> Response {
    answer(call(&app, |w| w.state()).await.map(|state| with_access(state, access)))
}

async fn squares<W: Workbench>(State(app): State<App<W>>, RawQuery(query): RawQuery) -> Response {
    match bbox_of(query.as_deref()) {
        Ok(bbox) => answer(call(&app, move |w| w.squares(bbox)).await),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/events?since=V`: at once when the version is not V, else at the next change
/// or after the wait. Waits on the channel only: the session stays free.
async fn events<W: Workbench>(State(app): State<App<W>>, RawQuery(query): RawQuery) -> Response {
    let since = match since_of(query.as_deref()) {
        Ok(since) => since,
        Err(e) => return e.into_response(),
    };
    let mut changes = app.changes.subscribe();
    if changes.borrow_and_update().version == since {
        let mut closing = app.closing.subscribe();
        // A change, the wait over, or the server stopping: each answers with the version
        // as it is ("nothing new" unless it changed).
        tokio::select! {
            _ = tokio::time::timeout(app.wait, changes.changed()) => {}
            _ = closing.wait_for(|closing| *closing) => {}
        }
    }
    let now = changes.borrow().clone();
    json_response(StatusCode::OK, &json!({"version": now.version, "last_change": now.last_change}))
}

async fn edit<W: Workbench>(
    State(app): State<App<W>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body_of(&app, body) {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    match (edit_of(&body), window_of(&headers)) {
        (Ok((version, step)), Ok(window)) => {
            let result = call(&app, move |w| w.edit(version, step, window.as_deref())).await;
            changed(&app, result)
        }
        (Err(e), _) | (_, Err(e)) => e.into_response(),
    }
}

/// Undo and redo: a version (409 when stale, as an edit) and a window.
async fn undo_or_redo<W: Workbench>(
    app: App<W>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    redo: bool,
) -> Response {
    let body = match body_of(&app, body) {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    let what = if redo { "redo" } else { "undo" };
    match (version_of(&body, what), window_of(&headers)) {
        (Ok(version), Ok(window)) => {
            let result = call(&app, move |w| {
                if redo { w.redo(version, window.as_deref()) } else { w.undo(version, window.as_deref()) }
            })
            .await;
            changed(&app, result)
        }
        (Err(e), _) | (_, Err(e)) => e.into_response(),
    }
}

async fn undo<W: Workbench>(
    State(app): State<App<W>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    undo_or_redo(app, headers, body, false).await
}

async fn redo<W: Workbench>(
    State(app): State<App<W>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    undo_or_redo(app, headers, body, true).await
}

async fn edits_toml<W: Workbench>(State(app): State<App<W>>) -> Response {
    match call(&app, |w| w.edits_toml()).await {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn compare<W: Workbench>(State(app): State<App<W>>) -> Response {
    answer(call(&app, |w| w.compare()).await)
}

async fn export<W: Workbench>(State(app): State<App<W>>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body_of(&app, body) {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    match export_of(&body) {
        Ok(request) => answer(export_with(&app, request).await),
        Err(e) => e.into_response(),
    }
}

/// Takes the export's job from the session (briefly, under the session's lock), then runs
/// it without that lock, one export at a time.
async fn export_with<W: Workbench>(app: &App<W>, request: Value) -> Result<Value, ApiError> {
    let job = call(app, move |w| w.export(request)).await?;
    let exporting = Arc::clone(&app.exporting);
    let task = tokio::task::spawn_blocking(move || {
        // A panic of an earlier export poisoned only this lock: the session is intact.
        let _one_at_a_time = exporting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        job()
    });
    settled(task.await, "the export")
}

async fn not_found(uri: Uri) -> Response {
    json_response(StatusCode::NOT_FOUND, &json!({"error": format!("no such path: {}", uri.path())}))
}

/// A body that could not be read: its status (413 over the limit) and message.
struct Unread(StatusCode, String);

impl IntoResponse for Unread {
    fn into_response(self) -> Response {
        json_response(self.0, &json!({"error": self.1}))
    }
}

/// The body, or why it could not be read.
fn body_of<W>(app: &App<W>, body: Result<Bytes, BytesRejection>) -> Result<Bytes, Unread> {
    body.map_err(|rejection| {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the request body is larger than {} bytes", app.body_limit)
        } else {
            format!("cannot read the request body: {}", rejection.body_text())
        };
        Unread(status, message)
    })
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest(message.into())
}

/// The `version` of a write's body: the version of the state the change was made on.
fn version_in(fields: &serde_json::Map<String, Value>, shape: &str) -> Result<u64, ApiError> {
    match fields.get("version") {
        None => Err(bad(format!(
            "missing \"version\": the version of the state the change was made on (GET /api/state): {shape}"
        ))),
        Some(v) => v.as_u64().ok_or_else(|| bad(format!("\"version\" must be a whole number ≥ 0, not {v}"))),
    }
}

/// `{"version": N, "step": {…}}`.
fn edit_of(body: &[u8]) -> Result<(u64, Value), ApiError> {
    const SHAPE: &str = "send {\"version\": N, \"step\": {\"op\": …}}";
    let mut fields = object_of(body, SHAPE)?;
    let version = version_in(&fields, SHAPE)?;
    match fields.remove("step") {
        Some(step @ Value::Object(_)) => Ok((version, step)),
        None => Err(bad(format!("missing \"step\": {SHAPE}"))),
        Some(other) => Err(bad(format!("\"step\" must be a JSON object with an \"op\", not {other}"))),
    }
}

/// `{"version": N}` of an undo or a redo.
fn version_of(body: &[u8], what: &str) -> Result<u64, ApiError> {
    let shape = format!("send {{\"version\": N}}, the version of the state whose last step to {what}");
    version_in(&object_of(body, &shape)?, &shape)
}

/// The body as a JSON object.
fn object_of(body: &[u8], shape: &str) -> Result<serde_json::Map<String, Value>, ApiError> {
    let body: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("the body is not JSON ({e}): {shape}")))?;
    match body {
        Value::Object(fields) => Ok(fields),
        _ => Err(bad(format!("the body is not a JSON object: {shape}"))),
    }
}

/// `X-Qpv-Window`: absent, or an id the page made (1 to 64 of `A-Z a-z 0-9 - _`), which
/// goes verbatim into the state other pages read.
fn window_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(WINDOW_HEADER) else { return Ok(None) };
    let fits = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    match value.to_str() {
        Ok(id) if !id.is_empty() && id.len() <= 64 && id.chars().all(fits) => Ok(Some(id.to_owned())),
        _ => Err(bad("X-Qpv-Window must be 1 to 64 characters among A-Z, a-z, 0-9, '-' and '_'")),
    }
}

/// The `since` parameter of `GET /api/events`.
fn since_of(query: Option<&str>) -> Result<u64, ApiError> {
    let raw = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("since="))
        .ok_or_else(|| bad("missing since: give since=V, the version the page shows"))?;
    raw.parse().map_err(|_| bad(format!("since {raw:?} is not a whole number ≥ 0")))
}

/// `{"formats": […]}`, passed on whole; an empty body is `{}` (the session's defaults).
fn export_of(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice(body) {
        Ok(request @ Value::Object(_)) => Ok(request),
        Ok(_) => Err(bad("the body must be a JSON object such as {\"formats\": [\"geojson\"]}")),
        Err(e) => Err(bad(format!("the body is not JSON ({e}): send {{\"formats\": [\"geojson\"]}}"))),
    }
}

/// The `bbox` parameter: `minlon,minlat,maxlon,maxlat` in WGS84 degrees.
fn bbox_of(query: Option<&str>) -> Result<[f64; 4], ApiError> {
    const FORM: &str = "bbox=minlon,minlat,maxlon,maxlat (WGS84 degrees)";
    let raw = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("bbox="))
        .ok_or_else(|| ApiError::BadRequest(format!("missing bbox: give {FORM}")))?;
    // `URLSearchParams` sends the commas as %2C.
    let text = percent_decode(raw)
        .ok_or_else(|| ApiError::BadRequest(format!("bbox {raw:?} is not a valid URL parameter")))?;
    let parts: Vec<&str> = text.split(',').collect();
    if parts.len() != 4 {
        return Err(ApiError::BadRequest(format!("bbox has {} values, not 4: give {FORM}", parts.len())));
    }
    let mut bbox = [0.0; 4];
    for (value, part) in bbox.iter_mut().zip(&parts) {
        *value = part.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
            ApiError::BadRequest(format!("bbox: {part:?} is not a finite number: give {FORM}"))
        })?;
    }
    let [minlon, minlat, maxlon, maxlat] = bbox;
    for (name, v, limit) in [
        ("minlon", minlon, 180.0),
        ("maxlon", maxlon, 180.0),
        ("minlat", minlat, 90.0),
        ("maxlat", maxlat, 90.0),
    ] {
        if v.abs() > limit {
            return Err(ApiError::BadRequest(format!("bbox: {name} {v} is outside [-{limit}, {limit}]")));
        }
    }
    if minlon >= maxlon || minlat >= maxlat {
        return Err(ApiError::BadRequest(format!(
            "bbox: the minimum must be below the maximum (lon {minlon} → {maxlon}, lat {minlat} → {maxlat})"
        )));
    }
    Ok(bbox)
}

/// Decodes `%XX` and `+` of a query parameter; `None` on a bad escape or non-UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        match b {
            b'%' => {
                let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
                bytes.push(u8::from_str_radix(hex, 16).ok()?);
                rest = &tail[2..];
                continue;
            }
            b'+' => bytes.push(b' '),
            _ => bytes.push(b),
        }
        rest = tail;
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{FakeBench, PORT, page_get, post, read, security, send, send_body};
    use tower::ServiceExt;

    fn loopback() -> Security {
        security("127.0.0.1".parse().unwrap())
    }

    #[test]
    fn bboxes() {
        assert_eq!(bbox_of(Some("bbox=3.2,50.2,3.6,50.5")).unwrap(), [3.2, 50.2, 3.6, 50.5]);
        assert_eq!(bbox_of(Some("x=1&bbox=3.2%2C50.2%2C3.6%2C50.5")).unwrap(), [3.2, 50.2, 3.6, 50.5]);
        for (query, problem) in [
            (None, "missing bbox"),
            (Some("bbox=1,2,3"), "3 values, not 4"),
            (Some("bbox=1,2,x,4"), "\"x\" is not a finite number"),
            (Some("bbox=1,2,inf,4"), "\"inf\" is not a finite number"),
            (Some("bbox=1,2,NaN,4"), "\"NaN\" is not a finite number"),
            (Some("bbox=-181,2,3,4"), "minlon -181 is outside [-180, 180]"),
            (Some("bbox=1,2,3,91"), "maxlat 91 is outside [-90, 90]"),
            (Some("bbox=3,2,1,4"), "the minimum must be below the maximum"),
            (Some("bbox=1,2,3,2"), "the minimum must be below the maximum"),
            (Some("bbox=1%2"), "not a valid URL parameter"),
        ] {
            let e = bbox_of(query).unwrap_err().to_string();
            assert!(e.contains(problem), "{query:?}: {e}");
        }
    }

    #[tokio::test]
    async fn bad_bbox_is_400_and_a_good_one_reaches_the_session() {
        let s = loopback();
        let r = send(page_get("/api/squares?bbox=1,2,3"), &s).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.json()["error"].as_str().unwrap().contains("not 4"));
        let r = send(page_get("/api/squares?bbox=3.2,50.2,3.6,50.5"), &s).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["bbox"], json!([3.2, 50.2, 3.6, 50.5]));
        assert_eq!(r.headers["content-type"], "application/json");
        assert_eq!(r.headers["cache-control"], "no-store");
    }

    #[tokio::test]
    async fn edit_bodies() {
        let s = loopback();
        let r = send_body(post("/api/edit"), r#"{"version": 0, "step": {"op": "remove"}}"#, &s).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["version"], 1);
        for (body, problem) in [
            ("{not json", "the body is not JSON"),
            ("[1]", "not a JSON object"),
            (r#"{"step": {"op": "remove"}}"#, "missing \"version\""),
            (r#"{"version": -1, "step": {}}"#, "whole number"),
            (r#"{"version": 0}"#, "missing \"step\""),
            (r#"{"version": 0, "step": "remove"}"#, "\"step\" must be a JSON object"),
            (r#"{"version": 0, "step": {"op": "bad"}}"#, "unknown op"),
        ] {
            let r = send_body(post("/api/edit"), body, &s).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
            let error = r.json()["error"].as_str().unwrap().to_string();
            assert!(error.contains(problem), "{body}: {error}");
        }
    }

    #[tokio::test]
    async fn stale_version_is_409_with_the_current_one() {
        let r =
            send_body(post("/api/edit"), r#"{"version": 5, "step": {"op": "remove"}}"#, &loopback()).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.json()["version"], 0);
        assert!(r.json()["error"].as_str().unwrap().contains("reload"));
    }

    #[tokio::test]
    async fn body_over_the_limit_is_413() {
        let mut s = loopback();
        s.body_limit = 100;
        let big = format!(r#"{{"version": 0, "step": {{"op": "remove", "pad": "{}"}}}}"#, "x".repeat(200));
        let r = send_body(post("/api/edit"), big.clone(), &s).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(r.json()["error"], "the request body is larger than 100 bytes");
        // Announced by Content-Length too.
        let r = send_body(post("/api/export").header("content-length", big.len()), big, &s).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn session_answers_in_sequence() {
        let app = router(FakeBench::default(), loopback());
        let ask = |req: axum::http::request::Builder, body: &'static str| {
            let app = app.clone();
            async move { read(app.oneshot(req.body(axum::body::Body::from(body)).unwrap()).await.unwrap()).await }
        };
        let r = ask(post("/api/undo"), r#"{"version": 0}"#).await;
        assert_eq!(
            (r.status, r.json()["error"].clone()),
            (StatusCode::BAD_REQUEST, json!("nothing to undo"))
        );
        let r = ask(post("/api/edit"), r#"{"version": 0, "step": {"op": "remove"}}"#).await;
        assert_eq!(r.json()["access"], "edit", "a write's answer is the editor's state");
        let r = ask(page_get("/api/edits.toml"), "").await;
        assert_eq!(r.headers["content-type"], "text/plain; charset=utf-8");
        assert_eq!(r.body, "# 1 steps\n");
        assert_eq!(ask(post("/api/undo"), r#"{"version": 1}"#).await.json()["version"], 2);
        assert_eq!(ask(post("/api/redo"), r#"{"version": 2}"#).await.json()["steps"][0]["op"], "remove");
        assert_eq!(ask(page_get("/api/compare"), "").await.json(), json!({"rows": []}));
        assert_eq!(ask(post("/api/export"), "").await.json()["asked"], json!({}));
        let r = ask(post("/api/export"), r#"{"formats": ["gpkg"]}"#).await;
        assert_eq!(r.json()["asked"]["formats"][0], "gpkg");
        assert_eq!(ask(post("/api/export"), "[]").await.status, StatusCode::BAD_REQUEST);
        // A panic in the session is a 500 naming it; the session is refused afterwards.
        let r = ask(post("/api/edit"), r#"{"version": 3, "step": {"op": "panic"}}"#).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(r.json()["error"].as_str().unwrap().contains("a bug in the session"));
        let r = ask(page_get("/api/state"), "").await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(r.json()["error"].as_str().unwrap().contains("restart qpv serve"));
    }

    /// A session whose export waits for the test's word before it writes.
    struct SlowExport {
        inner: FakeBench,
        started: std::sync::mpsc::Sender<()>,
        release: std::sync::Mutex<Option<std::sync::mpsc::Receiver<()>>>,
    }

    impl Workbench for SlowExport {
        fn version(&self) -> u64 {
            self.inner.version()
        }
        fn state(&self) -> Result<Value, ApiError> {
            self.inner.state()
        }
        fn squares(&self, bbox: [f64; 4]) -> Result<Value, ApiError> {
            self.inner.squares(bbox)
        }
        fn edit(&mut self, version: u64, step: Value, window: Option<&str>) -> Result<Value, ApiError> {
            self.inner.edit(version, step, window)
        }
        fn undo(&mut self, version: u64, window: Option<&str>) -> Result<Value, ApiError> {
            self.inner.undo(version, window)
        }
        fn redo(&mut self, version: u64, window: Option<&str>) -> Result<Value, ApiError> {
            self.inner.redo(version, window)
        }
        fn edits_toml(&self) -> Result<String, ApiError> {
            self.inner.edits_toml()
        }
        fn compare(&self) -> Result<Value, ApiError> {
            self.inner.compare()
        }
        fn export(&self, _request: Value) -> Result<crate::ExportJob, ApiError> {
            let release = self.release.lock().unwrap().take().expect("one export");
            let started = self.started.clone();
            Ok(Box::new(move || {
                started.send(()).unwrap();
                release.recv().unwrap();
                Ok(json!({"files": ["written"]}))
            }))
        }
    }

    /// An export takes seconds on a real grid: it runs without the session, so the other
    /// windows' reads and steps are answered while it writes.
    #[tokio::test]
    async fn an_export_under_way_leaves_the_session_free() {
        let (started_tx, started) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel();
        let bench =
            SlowExport { inner: FakeBench::default(), started: started_tx, release: Some(release_rx).into() };
        let app = router(bench, loopback());
        let export = tokio::spawn(
            app.clone().oneshot(post("/api/export").body(axum::body::Body::from("{}")).unwrap()),
        );
        tokio::task::spawn_blocking(move || started.recv()).await.unwrap().unwrap();
        let within = std::time::Duration::from_secs(5);
        let state = tokio::time::timeout(
            within,
            app.clone().oneshot(page_get("/api/state").body(axum::body::Body::empty()).unwrap()),
        );
        assert_eq!(
            read(state.await.expect("state answered during the export").unwrap()).await.status,
            StatusCode::OK
        );
        let step = post("/api/edit")
            .body(axum::body::Body::from(r#"{"version": 0, "step": {"op": "remove"}}"#))
            .unwrap();
        let edit = tokio::time::timeout(within, app.clone().oneshot(step));
        assert_eq!(
            read(edit.await.expect("edit answered during the export").unwrap()).await.json()["version"],
            1
        );
        release.send(()).unwrap();
        let r = read(export.await.unwrap().unwrap()).await;
        assert_eq!((r.status, r.json()["files"][0].clone()), (StatusCode::OK, json!("written")));
    }

    /// Undo and redo are writes like an edit: a window that has not seen the last change
    /// cannot take it back.
    #[tokio::test]
    async fn undo_and_redo_need_the_current_version() {
        let app = router(FakeBench::default(), loopback());
        let ask = |req: axum::http::request::Builder, body: &'static str| {
            let app = app.clone();
            async move { read(app.oneshot(req.body(axum::body::Body::from(body)).unwrap()).await.unwrap()).await }
        };
        ask(post("/api/edit"), r#"{"version": 0, "step": {"op": "remove"}}"#).await;
        ask(post("/api/edit"), r#"{"version": 1, "step": {"op": "add"}}"#).await;
        for path in ["/api/undo", "/api/redo"] {
            let r = ask(post(path), r#"{"version": 1}"#).await;
            assert_eq!(r.status, StatusCode::CONFLICT, "{path}");
            assert_eq!(r.json()["version"], 2, "{path}");
            for (body, problem) in [
                ("", "the body is not JSON"),
                ("{}", "missing \"version\""),
                (r#"{"version": "2"}"#, "whole number"),
                ("[2]", "not a JSON object"),
            ] {
                let r = ask(post(path), body).await;
                assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path} {body}");
                assert!(r.json()["error"].as_str().unwrap().contains(problem), "{path} {body}: {}", r.body);
            }
        }
        let r = ask(page_get("/api/state"), "").await;
        assert_eq!((r.json()["version"].clone(), r.json()["steps"].as_array().unwrap().len()), (json!(2), 2));
        assert_eq!(ask(post("/api/undo"), r#"{"version": 2}"#).await.status, StatusCode::OK);
    }

    /// The window a write names is passed on to the session; a malformed one is 400 before
    /// the session sees the write.
    #[tokio::test]
    async fn the_window_reaches_the_session() {
        let app = router(FakeBench::default(), loopback());
        let ask = |req: axum::http::request::Builder, body: &'static str| {
            let app = app.clone();
            async move { read(app.oneshot(req.body(axum::body::Body::from(body)).unwrap()).await.unwrap()).await }
        };
        let r =
            ask(post("/api/edit").header(WINDOW_HEADER, "tab-1_A"), r#"{"version": 0, "step": {"op": "x"}}"#)
                .await;
        assert_eq!(r.json()["last_change"], json!({"version": 1, "kind": "edit", "window": "tab-1_A"}));
        let r = ask(post("/api/undo"), r#"{"version": 1}"#).await;
        assert_eq!(r.json()["last_change"], json!({"version": 2, "kind": "undo", "window": null}));
        for bad in ["", "a b", "é", &"x".repeat(65)] {
            let r = ask(post("/api/redo").header(WINDOW_HEADER, bad), r#"{"version": 2}"#).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}");
            assert!(r.json()["error"].as_str().unwrap().contains("X-Qpv-Window"));
        }
        assert_eq!(ask(page_get("/api/state"), "").await.json()["version"], 2, "no refused redo was made");
    }

    /// The long poll: at once when the page is behind, at the next change otherwise (made
    /// while it waits: the wait holds nothing of the session), or "nothing new" after the
    /// wait.
    #[tokio::test]
    async fn events_answer_at_once_at_a_change_or_after_the_wait() {
        let wait = Duration::from_millis(300);
        let app = router_with(FakeBench::default(), loopback(), wait).0;
        let ask = |req: axum::http::request::Builder, body: &'static str| {
            let app = app.clone();
            async move { read(app.oneshot(req.body(axum::body::Body::from(body)).unwrap()).await.unwrap()).await }
        };
        let started = tokio::time::Instant::now();
        let r = ask(page_get("/api/events?since=0"), "").await;
        assert!(started.elapsed() >= wait, "waited {:?}", started.elapsed());
        assert_eq!(r.json(), json!({"version": 0, "last_change": null}), "nothing new");

        let long = tokio::time::Duration::from_secs(20);
        let app = router_with(FakeBench::default(), loopback(), long).0;
        let waiting = {
            let app = app.clone();
            tokio::spawn(async move {
                read(
                    app.oneshot(page_get("/api/events?since=0").body(axum::body::Body::empty()).unwrap())
                        .await
                        .unwrap(),
                )
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished());
        let started = tokio::time::Instant::now();
        let edit = post("/api/edit")
            .header(WINDOW_HEADER, "w1")
            .body(axum::body::Body::from(r#"{"version": 0, "step": {"op": "x"}}"#));
        let r = read(app.clone().oneshot(edit.unwrap()).await.unwrap()).await;
        assert_eq!(r.status, StatusCode::OK);
        let r = tokio::time::timeout(Duration::from_secs(2), waiting)
            .await
            .expect("the poll ends at the edit")
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(
            r.json(),
            json!({"version": 1, "last_change": {"version": 1, "kind": "edit", "window": "w1"}})
        );
        // Behind: at once.
        let r = read(
            app.clone()
                .oneshot(page_get("/api/events?since=0").body(axum::body::Body::empty()).unwrap())
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.json()["version"], 1);
        for (query, problem) in [("", "missing since"), ("?since=x", "not a whole number")] {
            let r = send(page_get(&format!("/api/events{query}")), &loopback()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST);
            assert!(r.json()["error"].as_str().unwrap().contains(problem), "{query}");
        }
    }

    #[tokio::test]
    async fn unknown_path_is_404_and_wrong_method_405() {
        let s = loopback();
        let r = send(page_get("/api/nothing"), &s).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.json()["error"], "no such path: /api/nothing");
        // Still behind the token.
        let r =
            send(axum::http::Request::get("/api/nothing").header("host", format!("127.0.0.1:{PORT}")), &s)
                .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = send(page_get("/api/edit"), &s).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    }
}

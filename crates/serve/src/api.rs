//! The routes of API.md over a [`Workbench`]: requests are parsed and checked here, so
//! that the session only ever sees a valid bbox, version and step; its answers become JSON
//! (or 400/409/500 through [`ApiError`]).

use crate::error::json_response;
use crate::security::{Security, guard};
use crate::{ApiError, Workbench, page};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{StatusCode, Uri, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// The router of `qpv serve`: the page, the API, the checks of [`Security`] on every
/// request. [`serve`](crate::serve) runs it; tests call it with `tower::ServiceExt::oneshot`.
pub fn router<W: Workbench>(workbench: W, security: Security) -> Router {
    let body_limit = security.body_limit;
    let app = App { workbench: Arc::new(Mutex::new(workbench)), body_limit };
    Router::new()
        .route("/api/state", get(state::<W>))
        .route("/api/squares", get(squares::<W>))
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
        .layer(from_fn_with_state(Arc::new(security), guard))
}

/// What the handlers share: the one session, and the body limit for the 413's message.
struct App<W> {
    workbench: Arc<Mutex<W>>,
    body_limit: usize,
}

// Derived `Clone` would ask `W: Clone`; only the `Arc` is cloned.
impl<W> Clone for App<W> {
    fn clone(&self) -> Self {
        App { workbench: Arc::clone(&self.workbench), body_limit: self.body_limit }
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
    match task.await {
        Ok(answer) => answer,
        Err(e) if e.is_panic() => {
            let panic = e.into_panic();
            let what =
                panic.downcast_ref::<&str>().copied().or(panic.downcast_ref::<String>().map(String::as_str));
            Err(ApiError::Internal(format!("bug: the session panicked: {}", what.unwrap_or("(no message)"))))
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

async fn state<W: Workbench>(State(app): State<App<W>>) -> Response {
    answer(call(&app, |w| w.state()).await)
}

async fn squares<W: Workbench>(State(app): State<App<W>>, RawQuery(query): RawQuery) -> Response {
    match bbox_of(query.as_deref()) {
        Ok(bbox) => answer(call(&app, move |w| w.squares(bbox)).await),
        Err(e) => e.into_response(),
    }
}

async fn edit<W: Workbench>(State(app): State<App<W>>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body_of(&app, body) {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    match edit_of(&body) {
        Ok((version, step)) => answer(call(&app, move |w| w.edit(version, step)).await),
        Err(e) => e.into_response(),
    }
}

async fn undo<W: Workbench>(State(app): State<App<W>>) -> Response {
    answer(call(&app, |w| w.undo()).await)
}

async fn redo<W: Workbench>(State(app): State<App<W>>) -> Response {
    answer(call(&app, |w| w.redo()).await)
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
        Ok(request) => answer(call(&app, move |w| w.export(request)).await),
        Err(e) => e.into_response(),
    }
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

/// `{"version": N, "step": {…}}`.
fn edit_of(body: &[u8]) -> Result<(u64, Value), ApiError> {
    const SHAPE: &str = "send {\"version\": N, \"step\": {\"op\": …}}";
    let body: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("the body is not JSON ({e}): {SHAPE}")))?;
    let Value::Object(mut fields) = body else {
        return Err(bad(format!("the body is not a JSON object: {SHAPE}")));
    };
    let version = match fields.get("version") {
        None => {
            return Err(bad(
                "missing \"version\": the version of the state the step was made on (GET /api/state)",
            ));
        }
        Some(v) => {
            v.as_u64().ok_or_else(|| bad(format!("\"version\" must be a whole number ≥ 0, not {v}")))?
        }
    };
    match fields.remove("step") {
        Some(step @ Value::Object(_)) => Ok((version, step)),
        None => Err(bad(format!("missing \"step\": {SHAPE}"))),
        Some(other) => Err(bad(format!("\"step\" must be a JSON object with an \"op\", not {other}"))),
    }
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
        let r = ask(post("/api/undo"), "").await;
        assert_eq!(
            (r.status, r.json()["error"].clone()),
            (StatusCode::BAD_REQUEST, json!("nothing to undo"))
        );
        ask(post("/api/edit"), r#"{"version": 0, "step": {"op": "remove"}}"#).await;
        let r = ask(page_get("/api/edits.toml"), "").await;
        assert_eq!(r.headers["content-type"], "text/plain; charset=utf-8");
        assert_eq!(r.body, "# 1 steps\n");
        assert_eq!(ask(post("/api/undo"), "").await.json()["version"], 2);
        assert_eq!(ask(post("/api/redo"), "").await.json()["steps"][0]["op"], "remove");
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

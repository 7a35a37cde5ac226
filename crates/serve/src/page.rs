//! The page, embedded in the binary: `qpv serve` works offline from one file, and what it
//! serves cannot be changed on disk behind its back. Every file of `page/` is in [`PAGE`]
//! (a test checks that none is forgotten).

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One file of the page: where it is served, its type, its bytes.
pub(crate) struct PageFile {
    /// The URL path.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// The embedded bytes.
    pub bytes: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
const PNG: &str = "image/png";

/// A file of `page/` served at `/` followed by its path there (`index.html` at `/`).
macro_rules! page_file {
    ($url:expr, $rel:literal, $type:expr) => {
        PageFile { path: $url, content_type: $type, bytes: include_bytes!(concat!("../page/", $rel)) }
    };
    ($rel:literal, $type:expr) => {
        page_file!(concat!("/", $rel), $rel, $type)
    };
}

/// The page's files.
pub(crate) const PAGE: &[PageFile] = &[
    page_file!("/", "index.html", HTML),
    page_file!("app.js", JS),
    page_file!("tools.js", JS),
    page_file!("app.css", CSS),
    page_file!("vendor/leaflet/leaflet.js", JS),
    page_file!("vendor/leaflet/leaflet.css", CSS),
    page_file!("vendor/README.md", TEXT),
    page_file!("vendor/leaflet/LICENSE", TEXT),
    page_file!("vendor/leaflet/images/layers.png", PNG),
    page_file!("vendor/leaflet/images/layers-2x.png", PNG),
    page_file!("vendor/leaflet/images/marker-icon.png", PNG),
    page_file!("vendor/leaflet/images/marker-icon-2x.png", PNG),
    page_file!("vendor/leaflet/images/marker-shadow.png", PNG),
];

/// A router serving every file of [`PAGE`] at its path (GET and HEAD).
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    PAGE.iter()
        .fold(Router::new(), |router, file| router.route(file.path, get(move || async move { answer(file) })))
}

fn answer(file: &'static PageFile) -> Response {
    ([(header::CONTENT_TYPE, file.content_type)], file.bytes).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{page_get, security, send};
    use axum::http::StatusCode;
    use std::path::Path;

    /// Every file under `page/` (the real page replaces the placeholders at merge) must be
    /// in [`PAGE`], or the browser would get 404 for it.
    #[test]
    fn every_file_of_page_is_embedded() {
        fn walk(dir: &Path, root: &Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, found);
                } else {
                    let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                    found.push(if rel == "index.html" { "/".into() } else { format!("/{rel}") });
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("page");
        let mut found = Vec::new();
        walk(&root, &root, &mut found);
        let listed: Vec<&str> = PAGE.iter().map(|f| f.path).collect();
        for path in &found {
            assert!(listed.contains(&path.as_str()), "page{path} is not in page.rs's PAGE");
        }
        assert_eq!(found.len(), PAGE.len());
    }

    #[tokio::test]
    async fn files_have_their_types_and_the_page_its_policy() {
        let s = security("127.0.0.1".parse().unwrap());
        let r = send(page_get("/"), &s).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["content-type"], HTML);
        let csp = r.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'self'; script-src 'self';"), "{csp}");
        let r = send(page_get("/vendor/leaflet/images/layers.png"), &s).await;
        assert_eq!((r.status, &r.headers["content-type"]), (StatusCode::OK, &PNG.parse().unwrap()));
        let r = send(page_get("/app.js"), &s).await;
        assert_eq!(r.headers["content-type"], JS);
        let r = send(page_get("/index.html.bak"), &s).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}

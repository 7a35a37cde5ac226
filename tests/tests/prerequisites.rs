//! The tests needing `../shared/data`, `ogrinfo`, poppler, PyQGIS or chromium and
//! chromedriver are `#[ignore]`d, so that a clone without them reports them as ignored
//! rather than passing having checked nothing. In CI (`CI=true`, or `QPV_REQUIRE_ALL=1` as `.ci/run` exports) they must run
//! and find what they need: this test fails otherwise, naming what is missing.

#[test]
fn in_ci_every_ignored_test_runs_with_its_prerequisites() {
    if !qpv_tests::require_all() {
        // Not CI: the tests needing them show as ignored in the summary.
        return;
    }
    let included = std::env::args().any(|a| a == "--include-ignored" || a == "--ignored");
    assert!(
        included,
        "CI must run `cargo test --workspace --all-targets -- --include-ignored`: without it the \
         tests needing ../shared/data, ogrinfo, poppler, PyQGIS and chromium are ignored"
    );
    let missing = qpv_tests::missing_prerequisites();
    assert!(missing.is_empty(), "missing prerequisites in CI:\n  {}", missing.join("\n  "));
}

//! What the CLI test files share: the real binary, the committed samples, and the check
//! that a run succeeded. Each file uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test.
pub const QPV: &str = env!("CARGO_BIN_EXE_qpv");

/// `qpv ARGS` run to its end in `cwd`.
pub fn qpv(args: &[&str], cwd: &Path) -> Output {
    Command::new(QPV).args(args).current_dir(cwd).output().expect("qpv runs")
}

/// What a run printed on stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts that a run succeeded (showing its stderr when it did not); returns its stderr.
pub fn ok(o: &Output) -> String {
    let err = stderr(o);
    assert!(o.status.success(), "{err}");
    err
}

/// `data-samples/`.
pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data-samples")
}

/// `data-samples/<name>`, absolute and canonical; panics when it is absent.
pub fn sample(name: &str) -> String {
    let p = samples().join(name);
    p.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", p.display())).display().to_string()
}

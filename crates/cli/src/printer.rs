//! All messages go through the [`Printer`], to stderr; data goes to files.

use std::io::Write;

/// How much to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printer {
    /// Errors and warnings only.
    Quiet,
    /// The run summary too.
    Default,
}

impl Printer {
    /// A progress line or summary line.
    pub fn info(self, message: impl AsRef<str>) {
        if self == Printer::Default {
            let _ = writeln!(std::io::stderr(), "{}", message.as_ref());
        }
    }

    /// A warning: always shown.
    pub fn warn(self, message: impl AsRef<str>) {
        let _ = writeln!(std::io::stderr(), "warning: {}", message.as_ref());
    }

    /// Whether progress bars may be drawn.
    pub fn shows_progress(self) -> bool {
        self == Printer::Default
    }
}

pub use qpv_grid::thousands;

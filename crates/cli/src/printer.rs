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

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1_000.0), "1 000");
        assert_eq!(thousands(62_971_073.0), "62 971 073");
        assert_eq!(thousands(-1234.0), "-1 234");
    }
}

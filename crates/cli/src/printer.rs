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

/// Formats a number with thin spaces between thousands, as French analysts write it.
pub fn thousands(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

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

//! `manifest.json`: what a run read, every parameter it used, and what it found,
//! so that a result can be traced and reproduced.

use crate::InputFile;
use serde::Serialize;

/// The manifest of a run. Field order is the file's order.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// `qpv`.
    pub tool: String,
    /// Version of qpv.
    pub version: String,
    /// The subcommand.
    pub command: String,
    /// What the figures are (estimates) and where the method is documented.
    pub note: String,
    /// Files read, with size and SHA-256.
    pub inputs: Vec<InputFile>,
    /// Every setting of the run as applied, once (`qpv run --settings manifest.json`
    /// reads them back to make the same run again).
    pub settings: serde_json::Value,
    /// What the method did that no setting says (the territory's rule, the income
    /// model; a sweep's variants; a comparison's constants).
    pub method: serde_json::Value,
    /// Medians and thresholds used.
    pub medians: serde_json::Value,
    /// Counts.
    pub results: serde_json::Value,
    /// Warnings given during the run.
    pub warnings: Vec<String>,
    /// Output files with their sizes (the manifest excluded).
    pub outputs: Vec<OutputEntry>,
}

/// One output file.
#[derive(Debug, Clone, Serialize)]
pub struct OutputEntry {
    /// File name in the output folder.
    pub file: String,
    /// Size in bytes.
    pub bytes: u64,
}

impl Manifest {
    /// Pretty JSON, with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_come_in_the_file_s_order_with_a_final_newline() {
        let m = Manifest {
            tool: "qpv".into(),
            version: "0".into(),
            command: "run".into(),
            note: "estimates".into(),
            inputs: Vec::new(),
            settings: serde_json::json!({ "ratio": 0.6 }),
            method: serde_json::Value::Null,
            medians: serde_json::Value::Null,
            results: serde_json::json!({}),
            warnings: vec!["w".into()],
            outputs: vec![OutputEntry { file: "candidates.csv".into(), bytes: 12 }],
        };
        let text = String::from_utf8(m.to_json()).unwrap();
        assert!(text.ends_with("}\n"));
        let keys: Vec<usize> = ["\"tool\"", "\"settings\"", "\"method\"", "\"outputs\""]
            .iter()
            .map(|k| text.find(k).unwrap())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}

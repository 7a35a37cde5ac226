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

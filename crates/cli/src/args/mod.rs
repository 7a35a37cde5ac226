//! Command-line arguments: clap types holding what the user typed, every knob of the
//! method an `Option` with no default of its own (see `settings.rs` for how they combine
//! with a settings file and resolve against the core defaults; [`command`] shows those
//! defaults in `--help`).
//!
//! One file per subcommand's arguments (`run.rs`, `check.rs`…), the groups several
//! commands flatten in `shared.rs` and the rule's parameters in `rule.rs`.

mod adjust;
mod atlas;
mod calibrate;
mod check;
mod compare;
mod import;
mod indicators;
mod map;
mod reference;
mod rule;
mod run;
mod serve;
mod shared;
mod sweep;

pub use adjust::AdjustArgs;
pub use atlas::AtlasArgs;
pub use calibrate::CalibrateArgs;
pub use check::CheckArgs;
pub use compare::{CompareArgs, Within};
pub use import::ImportArgs;
pub use indicators::{ByArg, IndicatorsArgs};
pub use map::MapArgs;
pub use reference::{ReferenceBuildArgs, ReferenceTotalsArgs};
pub use rule::RuleArgs;
pub use run::RunArgs;
pub use serve::ServeArgs;
pub use shared::{
    BuildingsArgs, CogVintage, FormatArg, GridArgs, PerimeterArgs, RequiredPerimeterArgs, SettingsArg,
    TableArgs, judging_options,
};
pub use sweep::SweepArgs;

use crate::settings::RunOptions;
use clap::{CommandFactory, Parser, Subcommand};

/// Statistical "quartiers prioritaires de la politique de la ville" (QPV) from
/// INSEE's 200 m Filosofi income grid.
///
/// Medians are estimated from the grid's public columns (mean niveau de vie and
/// poor-household share) with a log-normal model: every figure is an estimate.
#[derive(Debug, Parser)]
#[command(name = "qpv", version, about, long_about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Print only errors and warnings.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute candidate QPV perimeters from a Filosofi grid (the embedded CAPH
    /// sample when no --grid is given).
    Run(RunArgs),
    /// Re-run the rule for every combination of parameter values on one parsed grid:
    /// how many quartiers and inhabitants each gives, per urban unit, and how robust
    /// each baseline candidate is.
    Sweep(SweepArgs),
    /// Search the calibration factor (and optionally the contiguity) that best
    /// reproduces a published count of quartiers and inhabitants; write it as settings.
    Calibrate(CalibrateArgs),
    /// Parse a grid once into a binary cache that `qpv run --grid FILE` reads without
    /// parsing CSV again (for repeated runs on one file).
    Import(ImportArgs),
    /// Compare two sets of perimeters (e.g. statistical candidates and the negotiated
    /// QPV): areas, overlap, inhabitants gained and lost, per perimeter and per commune.
    Compare(CompareArgs),
    /// Check every perimeter of a file (GeoJSON, shapefile, GeoPackage) against each
    /// criterion of the decree, with the figure behind each: check.csv, check.geojson,
    /// check.md. Perimeters that fail are findings (exit 0).
    Check(CheckArgs),
    /// Apply an adjustments file (as `qpv run --edits`) to the perimeters of a file
    /// instead of the candidates of a run.
    Adjust(AdjustArgs),
    /// The negotiation workbench: a local map where perimeters are redrawn, the decree
    /// re-checked at every edit and the session written as an adjustments file that
    /// `qpv run --edits` replays exactly.
    Serve(ServeArgs),
    /// Key indicators (poverty, households, dwellings, ages…) of perimeters, or of the
    /// candidates of a run, next to their urban unit and metropolitan France.
    Indicators(IndicatorsArgs),
    /// Draw the candidates (or given perimeters, a comparison, squares by estimated
    /// median, REP schools) as SVG and PNG with scale bar, legend and commune labels, and
    /// as a self-contained HTML page to pan, zoom and click.
    Map(MapArgs),
    /// An atlas to hand out: atlas.pdf (and the same pages as atlas.html), a cover with
    /// the map of every perimeter and a summary table, then one page per perimeter with
    /// its map, figures, each criterion of the decree and its key indicators beside its
    /// urban unit and France.
    Atlas(AtlasArgs),
    /// Median reference tables (national and urban-unit medians of a whole grid).
    #[command(subcommand)]
    Reference(ReferenceCommand),
}

/// `qpv reference …`
#[derive(Debug, Subcommand)]
pub enum ReferenceCommand {
    /// Compute the national median, the poverty line and every urban unit's median
    /// on a whole national grid, for runs on extracts.
    Build(ReferenceBuildArgs),
    /// Sum every column of a whole national grid per urban unit and for the country,
    /// so that indicators on extracts can be set beside their urban unit and France.
    Totals(ReferenceTotalsArgs),
}

/// The `qpv` command, with the defaults of the method's options (from the core and
/// [`RunOptions::input_defaults`], never written here) shown in `--help`.
pub fn command() -> clap::Command {
    let defaults = serde_json::to_value(RunOptions::input_defaults()).expect("options serialise");
    let defaults = defaults.as_object().cloned().unwrap_or_default();
    let mut cmd = Cli::command();
    let names: Vec<String> = cmd.get_subcommands().map(|c| c.get_name().to_owned()).collect();
    for name in names {
        cmd = cmd.mut_subcommand(&name, |mut sub| {
            let ids: Vec<String> = sub.get_arguments().map(|a| a.get_id().to_string()).collect();
            for id in ids {
                let Some(shown) = defaults.get(&id).and_then(shown_default) else { continue };
                sub = sub.mut_arg(&id, |a| {
                    let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
                    let long = a.get_long_help().map(|h| format!("{h}\n\n[default: {shown}]"));
                    let a = a.help(format!("{help} [default: {shown}]"));
                    match long {
                        Some(l) => a.long_help(l),
                        None => a,
                    }
                });
            }
            sub
        });
    }
    cmd
}

/// A default as `--help` shows it (flags and unset values show none).
fn shown_default(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Number(n) => n.as_f64().map(|x| x.to_string()),
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(a) => {
            Some(a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(","))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::shared::flag;
    use super::*;
    use clap::FromArgMatches;

    fn run_args(line: &[&str]) -> RunArgs {
        let m = command().try_get_matches_from([&["qpv", "run"][..], line].concat()).unwrap();
        match Cli::from_arg_matches(&m).unwrap().command {
            Command::Run(a) => a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn nothing_typed_is_nothing_set() {
        let o = run_args(&[]).options().unwrap();
        assert_eq!(o, RunOptions::default());
    }

    #[test]
    fn flag_pairs_say_yes_no_or_nothing() {
        assert_eq!(flag(false, false), None);
        assert_eq!(flag(true, false), Some(true));
        assert_eq!(flag(false, true), Some(false));
        // The later of --keep-empty-holes / --fill-empty-holes wins, as clap overrides.
        let o = run_args(&["--keep-empty-holes", "--fill-empty-holes"]).options().unwrap();
        assert_eq!(o.keep_empty_holes, Some(false));
        let o = run_args(&["--no-skip-bad-rows", "--skip-bad-rows"]).options().unwrap();
        assert_eq!(o.skip_bad_rows, Some(true));
    }

    #[test]
    fn defaults_are_shown_as_typed() {
        assert_eq!(shown_default(&serde_json::json!(1000.0)).as_deref(), Some("1000"));
        assert_eq!(shown_default(&serde_json::json!(0.6)).as_deref(), Some("0.6"));
        assert_eq!(shown_default(&serde_json::json!(["geojson"])).as_deref(), Some("geojson"));
        assert_eq!(shown_default(&serde_json::json!(false)), None);
        assert_eq!(shown_default(&serde_json::Value::Null), None);
    }

    #[test]
    fn every_command_reading_settings_takes_the_one_argument() {
        let with = |sub: &[&str]| {
            let line = [&["qpv"][..], sub, &["--settings", "s.toml"]].concat();
            let m = command().try_get_matches_from(line).unwrap();
            let settings = match Cli::from_arg_matches(&m).unwrap().command {
                Command::Run(a) => a.settings,
                Command::Sweep(a) => a.settings,
                Command::Calibrate(a) => a.settings,
                Command::Check(a) => a.settings,
                Command::Adjust(a) => a.settings,
                Command::Atlas(a) => a.settings,
                Command::Serve(a) => a.settings,
                _ => unreachable!(),
            };
            settings.file
        };
        for sub in [
            &["run"][..],
            &["sweep", "--set", "factor=1.3"],
            &["calibrate"],
            &["check", "--perimeters", "p.geojson"],
            &["adjust", "--perimeters", "p.geojson", "--edits", "e.toml"],
            &["atlas"],
            &["serve", "--out", "s"],
        ] {
            assert_eq!(with(sub).as_deref(), Some(std::path::Path::new("s.toml")), "{sub:?}");
        }
    }

    #[test]
    fn typed_options_win_over_the_settings_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, "calibration_factor = 1.2\nratio = 0.5\n").unwrap();
        let o = run_args(&["--calibration-factor", "1.4", "--settings", path.to_str().unwrap()])
            .options()
            .unwrap();
        assert_eq!((o.calibration_factor, o.ratio), (Some(1.4), Some(0.5)));
        // No file: what was typed, unchanged.
        let typed = RunOptions { ratio: Some(0.7), ..RunOptions::default() };
        assert_eq!(SettingsArg::default().over(typed.clone()).unwrap(), typed);
        // A missing file is an error naming it.
        let missing = SettingsArg { file: Some(dir.path().join("none.toml")) };
        let e = missing.over(RunOptions::default()).unwrap_err();
        assert!(format!("{e:#}").contains("none.toml"), "{e:#}");
    }

    #[test]
    fn defaults_come_from_the_libraries() {
        let parse =
            |line: &[&str]| Cli::from_arg_matches(&command().try_get_matches_from(line).unwrap()).unwrap();
        match parse(&["qpv", "check", "--perimeters", "p.geojson"]).command {
            Command::Check(a) => assert_eq!(a.school_distance, qpv_core::DEFAULT_SCHOOL_DISTANCE_M),
            _ => unreachable!(),
        }
        match parse(&["qpv", "serve", "--out", "s"]).command {
            Command::Serve(a) => {
                assert_eq!((a.port, a.listen), (qpv_serve::DEFAULT_PORT, qpv_serve::DEFAULT_LISTEN))
            }
            _ => unreachable!(),
        }
        match parse(&["qpv", "calibrate"]).command {
            Command::Calibrate(a) => assert_eq!(
                (a.target_count, a.target_population),
                (qpv_core::GEOGRAPHY_2024_QUARTIERS, qpv_core::GEOGRAPHY_2024_INHABITANTS)
            ),
            _ => unreachable!(),
        }
        // What --help shows is that value.
        let mut cmd = command();
        let serve = cmd.find_subcommand_mut("serve").unwrap().render_help().to_string();
        assert!(serve.contains(&format!("[default: {}]", qpv_serve::DEFAULT_PORT)), "{serve}");
    }
}

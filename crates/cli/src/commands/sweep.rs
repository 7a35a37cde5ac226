//! `qpv sweep` and `qpv calibrate`: many variants of the rule on one parsed grid.
//!
//! The grid is read, indexed and placed once ([`Pipeline::prepare`]); each variant
//! only re-flags and re-groups ([`qpv_core::sweep`]), and variants run in parallel.

use crate::analysed::{self, Loaded, Reading};
use crate::args::{CalibrateArgs, GridArgs, RuleArgs, SettingsArg, SweepArgs};
use crate::printer::{Printer, thousands};
use crate::settings::{RunOptions, validate};
use anyhow::{Context, Result, bail};
use qpv_core::sweep::{Outcome, best_first, calibration_error, calibration_trials, parse_set, steps};
use qpv_core::{Connectivity, Pipeline, Prepared, RunSettings};
use qpv_grid::OutputSet;
use qpv_grid::manifest::{Manifest, OutputEntry};
use qpv_layers::tables;
use rayon::prelude::*;
use serde_json::json;

/// The grid and tables of a sweep or a calibration, read once, with the baseline settings.
fn load(input: &GridArgs, rule: &RuleArgs, settings: &SettingsArg, printer: Printer) -> Result<Loaded> {
    let options = settings.over(rule.options().combine(input.options()))?;
    analysed::load(&options, Reading::default(), printer)
}

fn run_variant(pipeline: &Pipeline<'_>, prepared: &Prepared, s: &RunSettings) -> Result<Outcome> {
    Ok(Outcome::of(pipeline, prepared, s)?)
}

/// `qpv sweep`
pub fn sweep(args: &SweepArgs, printer: Printer) -> Result<()> {
    let sets = args.set.iter().map(|s| parse_set(s)).collect::<Result<Vec<_>, _>>()?;
    let l = load(&args.input, &args.rule, &args.settings, printer)?;
    let mut variants: Vec<(Vec<f64>, RunSettings)> = vec![(Vec::new(), l.settings.clone())];
    for (param, values) in &sets {
        let mut next = Vec::with_capacity(variants.len() * values.len());
        for (vals, rule) in &variants {
            for &v in values {
                let mut r = rule.clone();
                param.apply(&mut r, v)?;
                validate(&r)?;
                let mut vv = vals.clone();
                vv.push(v);
                next.push((vv, r));
            }
        }
        variants = next;
    }
    let started = std::time::Instant::now();
    let pipeline = Pipeline::new(&l.file.grid, &l.communes).reference(l.reference.as_ref());
    let prepared = pipeline.prepare()?;
    let baseline = run_variant(&pipeline, &prepared, &l.settings)?;
    let outcomes: Vec<Outcome> =
        variants.par_iter().map(|(_, s)| run_variant(&pipeline, &prepared, s)).collect::<Result<_>>()?;
    let elapsed = started.elapsed().as_secs_f64();
    let names: Vec<&str> = sets.iter().map(|(p, _)| p.name()).collect();
    let mut out = OutputSet::new(&args.out);
    out.add("sweep.csv", tables::sweep_csv(&names, &tables::sweep_rows(&variants, &outcomes))?);
    out.add("sweep_by_uu.csv", tables::sweep_by_uu_csv(&tables::sweep_unit_rows(&prepared, &outcomes))?);
    out.add(
        "robustness.csv",
        tables::robustness_csv(&tables::robustness_rows(
            &l.file.grid,
            &l.communes,
            &prepared,
            &baseline,
            &outcomes,
        ))?,
    );
    let manifest = Manifest {
        tool: "qpv".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        command: "sweep".into(),
        note: super::run::ESTIMATE_NOTE.into(),
        inputs: l.inputs.clone(),
        settings: serde_json::to_value(&l.options).context("recording the settings")?,
        method: json!({ "set": args.set }),
        medians: json!(null),
        results: json!({ "variants": variants.len(), "baseline_quartiers": baseline.quartiers }),
        warnings: Vec::new(),
        outputs: out.listing().into_iter().map(|(file, bytes)| OutputEntry { file, bytes }).collect(),
    };
    out.add("manifest.json", manifest.to_json());
    out.commit()?;
    printer.info(format!("{} variants in {elapsed:.2} s (grid read once)", variants.len()));
    printer.info(format!(
        "{:<40} {:>9} {:>12} {:>9}",
        names.join(", "),
        "quartiers",
        "inhabitants",
        "communes"
    ));
    for ((vals, _), o) in variants.iter().zip(&outcomes).take(60) {
        let v: Vec<String> = vals.iter().map(|x| format!("{x}")).collect();
        printer.info(format!(
            "{:<40} {:>9} {:>12} {:>9}",
            v.join(", "),
            o.quartiers,
            thousands(o.inhabitants),
            o.communes
        ));
    }
    printer.info(format!("wrote {}", args.out.display()));
    Ok(())
}

/// `qpv calibrate`
pub fn calibrate(args: &CalibrateArgs, printer: Printer) -> Result<()> {
    if !(args.step > 0.0 && args.to >= args.from && args.from > 0.0) {
        bail!("--from, --to and --step must give an increasing range of positive factors");
    }
    if !(args.target_count > 0.0 && args.target_population > 0.0) {
        bail!("--target-count and --target-population must be positive");
    }
    let l = load(&args.input, &args.rule, &args.settings, printer)?;
    let n = ((args.to - args.from) / args.step + 1e-9).floor() as usize + 1;
    let factors = steps(args.from, args.step, n);
    let conns = if args.search_connectivity {
        vec![Connectivity::Eight, Connectivity::Four]
    } else {
        vec![l.settings.grouping.connectivity]
    };
    let trials = calibration_trials(&l.settings, &factors, &conns);
    let started = std::time::Instant::now();
    let pipeline = Pipeline::new(&l.file.grid, &l.communes).reference(l.reference.as_ref());
    let prepared = pipeline.prepare()?;
    let results: Vec<(f64, usize, f64)> = trials
        .par_iter()
        .map(|r| {
            let o = run_variant(&pipeline, &prepared, r)?;
            Ok((calibration_error(&o, args.target_count, args.target_population), o.quartiers, o.inhabitants))
        })
        .collect::<Result<_>>()?;
    let order = best_first(&results.iter().map(|r| r.0).collect::<Vec<_>>());
    let best = order[0];
    printer.info(format!(
        "{} trials in {:.2} s; target {} quartiers, {} inhabitants",
        trials.len(),
        started.elapsed().as_secs_f64(),
        args.target_count,
        thousands(args.target_population)
    ));
    printer.info(format!(
        "{:>8} {:>4} {:>9} {:>12} {:>10}",
        "factor", "conn", "quartiers", "inhabitants", "error"
    ));
    for &k in order.iter().take(5) {
        let conn = trials[k].grouping.connectivity.neighbours();
        let (e, q, p) = results[k];
        printer.info(format!(
            "{:>8} {conn:>4} {q:>9} {:>12} {:>10.5}",
            trials[k].rule.calibration_factor,
            thousands(p),
            e
        ));
    }
    // The calibrated settings, every other value as resolved for the baseline.
    let best = &trials[best];
    let (factor, conn) = (best.rule.calibration_factor, best.grouping.connectivity.neighbours());
    let file = RunOptions::from_settings(best).combine(l.options.clone());
    let (e, q, p) = results[order[0]];
    let comment = format!(
        "qpv calibrate: factor {factor} and {conn}-connectivity give {q} quartiers and {p:.0} inhabitants against {} \
         and {} (sum of squared relative errors {e:.6}); use with qpv run --settings FILE",
        args.target_count, args.target_population
    );
    OutputSet::write_one(&args.out, file.to_toml(&comment)?.into_bytes())?;
    printer.info(format!("best: factor {factor}, connectivity {conn}; wrote {}", args.out.display()));
    Ok(())
}

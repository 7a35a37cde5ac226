//! `qpv compare`: two sets of perimeters side by side.

use crate::analysed::{self, Reading};
use crate::args::{CompareArgs, Within};
use crate::printer::{Printer, thousands};
use anyhow::{Context, Result, anyhow, bail};
use qpv_core::compare::{Population, compare as compare_sets};
use qpv_core::within::{self, Restriction};
use qpv_grid::OutputSet;
use qpv_grid::manifest::{Manifest, OutputEntry};
use qpv_layers::comparison_out::{ComparisonReport, Extent, WithinReport};
use qpv_layers::perimeters::{PerimeterFile, parse_crs, read_perimeters};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// Reads both sets, compares them and writes the outputs.
pub fn compare(args: &CompareArgs, printer: Printer) -> Result<()> {
    let crs = args
        .crs
        .as_deref()
        .map(|c| parse_crs(c).ok_or_else(|| anyhow!("--crs {c}: unknown CRS (known: {})", known_crs())))
        .transpose()?;
    if let (Some(w @ (Within::Reference | Within::Other)), None) = (&args.within, &args.grid) {
        bail!(
            "--within {}: the extent of a set is the grid's squares in the communes its perimeters touch, \
             and there is no grid; add --grid FILE (--grid sample for the embedded one), or give \
             --within FILE with the polygons of the territory",
            w.label()
        );
    }
    let analysed = match &args.grid {
        None => {
            printer
                .info("no --grid: comparing areas only (add --grid FILE, or --grid sample, for residents)");
            None
        }
        Some(path) => {
            let grid = (path != Path::new("sample")).then(|| path.clone());
            Some(analysed::analyse(&args.tables.options(grid), Reading::default(), printer)?)
        }
    };
    let epsg = analysed.as_ref().map_or(3035, |a| a.epsg());
    let read = |path: &Path, layer: Option<&String>| -> Result<PerimeterFile> {
        let file = read_perimeters(path, crs, layer.map(String::as_str), epsg)?;
        super::report_perimeter_file(&file, printer);
        Ok(file)
    };
    let reference = read(&args.reference, args.reference_layer.as_ref())?;
    let other = read(&args.other, args.other_layer.as_ref())?;
    let within_file = match &args.within {
        Some(Within::File(path)) => {
            let mut file = read(path, args.within_layer.as_ref())?;
            file.input.role = "within".into();
            Some(file)
        }
        _ => None,
    };
    let started = Instant::now();
    let population = analysed.as_ref().map(|a| Population::new(&a.file.grid, None, a.fits()));
    let restricted = args.within.as_ref().map(|w| {
        let restrict = |extent: &within::Extent| {
            [&reference, &other].map(|f| within::restrict(&f.perimeters, extent, population.as_ref()))
        };
        match (w, &within_file, &population) {
            (Within::File(_), Some(file), _) => {
                let r = restrict(&within::Extent::Polygons(&file.perimeters));
                (Extent::File { path: file.input.path.clone(), polygons: file.perimeters.len() }, r)
            }
            (_, _, Some(population)) => {
                let (of, set) = if *w == Within::Reference {
                    ("A (reference)", &reference)
                } else {
                    ("B (other)", &other)
                };
                let communes = within::communes_touched(&set.perimeters, population);
                let r = restrict(&within::Extent::Communes { population, communes: &communes });
                (Extent::Communes { of, communes: communes.len() }, r)
            }
            _ => unreachable!("--within reference|other is refused without --grid above"),
        }
    });
    let subsets = restricted.as_ref().map(|(_, [a, b])| (reference.subset(&a.kept), other.subset(&b.kept)));
    let (compared_reference, compared_other) = match &subsets {
        Some((a, b)) => (a, b),
        None => (&reference, &other),
    };
    let comparison =
        compare_sets(&compared_reference.perimeters, &compared_other.perimeters, population.as_ref());
    printer.info(format!("compared in {:.2} s", started.elapsed().as_secs_f64()));
    let within_report = restricted.as_ref().map(|(extent, [a, b])| WithinReport {
        extent: extent.clone(),
        files: [&reference, &other],
        restrictions: [a, b],
    });
    if let Some(w) = &within_report {
        report_within(w, args, analysed.is_some(), printer);
    }
    let report = ComparisonReport {
        comparison: &comparison,
        reference: compared_reference,
        other: compared_other,
        communes: analysed.as_ref().map(|a| &a.communes),
        grid: analysed.as_ref().map(|a| a.file.input.path.clone()),
        within: within_report.as_ref(),
    };
    let mut out = OutputSet::new(&args.out);
    out.add("comparison.csv", report.comparison_csv()?);
    if let Some(w) = &within_report {
        out.add("within.csv", w.within_csv()?);
    }
    out.add("by_commune.csv", report.by_commune_csv()?);
    let formats = qpv_layers::layers::Formats::parse(&crate::args::FormatArg::names(&args.format))
        .map_err(anyhow::Error::msg)?;
    let out_crs = super::run::output_crs(args.out_crs.as_deref())?;
    let (geometries, properties) = report.diff_features();
    let layer = qpv_layers::layers::Layer {
        name: "diff",
        description: "pieces kept, added (only in the other set) and removed (only in the reference)",
        content: qpv_layers::layers::Content::Features {
            geometries: &geometries,
            properties: &properties,
            fields: &qpv_layers::comparison_out::DIFF_FIELDS,
        },
        style: qpv_layers::styles::Style::Diff,
    };
    let writer = qpv_layers::layers::LayerWriter {
        formats: qpv_layers::layers::Formats { geojson: true, ..formats },
        crs: out_crs,
        grid_epsg: epsg,
        gpkg_name: "comparison",
    };
    writer.write(&[layer], &[], &mut out)?;
    let markdown = report.markdown();
    out.add("comparison.md", markdown.clone().into_bytes());
    let mut inputs = vec![reference.input.clone(), other.input.clone()];
    inputs.extend(within_file.iter().map(|f| f.input.clone()));
    inputs.extend(analysed.iter().flat_map(|a| a.inputs.clone()));
    out.add("manifest.json", manifest(args, &report, inputs, &out).to_json());
    let written = out.commit().context("writing the comparison")?;
    summary(&report, printer);
    for p in written {
        printer.info(format!("wrote {}", p.display()));
    }
    Ok(())
}

fn known_crs() -> &'static str {
    "EPSG:2154, EPSG:3035, EPSG:4326, EPSG:5490, EPSG:2975"
}

/// What `--within` left out, on stderr; a warning when a set keeps no perimeter.
fn report_within(w: &WithinReport, args: &CompareArgs, with_people: bool, printer: Printer) {
    let [a, b] = w.restrictions;
    let n = |x: usize| thousands(x as f64);
    printer.info(format!(
        "--within {}: {}; compared {} of {} perimeters of A and {} of {} of B",
        args.within.as_ref().map(Within::label).unwrap_or_default(),
        w.extent.describe().replace('`', ""),
        n(a.kept_count()),
        n(a.kept.len()),
        n(b.kept_count()),
        n(b.kept.len())
    ));
    let left = |r: &Restriction| {
        let people = r
            .left_out
            .residents
            .as_ref()
            .filter(|_| with_people)
            .map_or(String::new(), |x| format!(", {} inhabitants", thousands(x.totals.individuals)));
        let off = match (&w.extent, r.unmeasured_count()) {
            (Extent::Communes { .. }, k) if k > 0 => format!(", {} on no square of the grid", n(k)),
            _ => String::new(),
        };
        format!(
            "{} perimeters ({} ha{people}{off})",
            n(r.left_out_count()),
            thousands(r.left_out.area_m2 / 1e4)
        )
    };
    printer.info(format!("left out: A {}, B {}", left(a), left(b)));
    for (label, r) in [("A (reference)", a), ("B (other)", b)] {
        if r.kept_count() == 0 && !r.kept.is_empty() {
            printer.warn(format!(
                "--within: no perimeter of {label} lies in {}",
                w.extent.describe().replace('`', "")
            ));
        }
    }
}

fn summary(r: &ComparisonReport, printer: Printer) {
    let c = r.comparison;
    let matched = c.matches.iter().filter(|m| m.reference.is_some() && m.other.is_some()).count();
    printer.info(format!(
        "{matched} overlapping pairs, {} reference and {} other perimeters without a match",
        c.matches.iter().filter(|m| m.other.is_none()).count(),
        c.matches.iter().filter(|m| m.reference.is_none()).count()
    ));
    if r.grid.is_some() {
        let ind = |k: usize| c.overall[k].residents.as_ref().map_or(0.0, |x| x.totals.individuals);
        printer.info(format!(
            "inhabitants (estimates): reference {}, other {}, in both {}, lost {}, gained {}",
            thousands(ind(0)),
            thousands(ind(1)),
            thousands(ind(2)),
            thousands(ind(3)),
            thousands(ind(4))
        ));
    }
}

fn manifest(
    args: &CompareArgs,
    r: &ComparisonReport,
    inputs: Vec<qpv_grid::InputFile>,
    out: &OutputSet,
) -> Manifest {
    let c = r.comparison;
    let ind =
        |k: usize| c.overall[k].residents.as_ref().map(|x| (x.totals.individuals * 10.0).round() / 10.0);
    let area = |k: usize| c.overall[k].area_m2.round();
    Manifest {
        tool: "qpv".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        command: "compare".into(),
        note: "Residents of pieces are estimated by the area share of each 200 m square inside them \
               (exact for whole squares, an estimate for cut ones); medians are model estimates."
            .into(),
        inputs,
        settings: json!({
            "reference": args.reference, "other": args.other, "crs": args.crs,
            "reference_layer": args.reference_layer, "other_layer": args.other_layer, "grid": args.grid,
            "within": args.within.as_ref().map(Within::label), "within_layer": args.within_layer,
        }),
        method: json!({
            "min_overlap_m2": qpv_core::compare::MIN_OVERLAP_M2,
            "sliver_share": qpv_core::overlay::SLIVER,
            "areas_in": "the grid's CRS (EPSG:3035 without a grid), equal-area",
        }),
        medians: serde_json::Value::Null,
        results: json!({
            "matches": c.matches.len(),
            "area_m2": { "reference": area(0), "other": area(1), "both": area(2), "reference_only": area(3), "other_only": area(4) },
            "inhabitants": { "reference": ind(0), "other": ind(1), "both": ind(2), "reference_only": ind(3), "other_only": ind(4) },
            "repaired": { "reference": r.reference.repairs.len(), "other": r.other.repairs.len() },
            "within": r.within.map(within_results),
        }),
        warnings: Vec::new(),
        outputs: out.listing().into_iter().map(|(file, bytes)| OutputEntry { file, bytes }).collect(),
    }
}

/// The manifest's account of `--within`.
fn within_results(w: &WithinReport) -> serde_json::Value {
    let set = |r: &Restriction| {
        json!({
            "read": r.kept.len(),
            "compared": r.kept_count(),
            "left_out": r.left_out_count(),
            "left_out_area_m2": r.left_out.area_m2.round(),
            "left_out_inhabitants": r.left_out.residents.as_ref().map(|x| (x.totals.individuals * 10.0).round() / 10.0),
            "left_out_unmeasured": r.unmeasured_count(),
        })
    };
    let communes = match &w.extent {
        Extent::Communes { communes, .. } => Some(*communes),
        Extent::File { .. } => None,
    };
    json!({
        "extent": w.extent.describe().replace('`', ""),
        "communes": communes,
        "rule": w.extent.rule(),
        "min_share": within::MIN_SHARE,
        "reference": set(w.restrictions[0]),
        "other": set(w.restrictions[1]),
    })
}

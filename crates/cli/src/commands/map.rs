//! `qpv map`: SVG, PNG and HTML maps of the perimeters.

use crate::analysed::{self, Analysed, Reading};
use crate::args::MapArgs;
use crate::printer::Printer;
use anyhow::{Result, anyhow};
use qpv_core::compare::Population;
use qpv_grid::{OutputSet, thousands};
use qpv_layers::perimeters::read_perimeters;
use qpv_layers::schools::{Keep, read_schools};
use qpv_map::{MapFeature, MapPlace, MapScene, content, html, png, svg};

/// Draws the map and writes its three files.
pub fn map(args: &MapArgs, printer: Printer) -> Result<()> {
    let options = args.rule.options().combine(args.input.options());
    let a = analysed::analyse(&options, Reading::default(), printer)?;
    let grid = &a.file.grid;
    let frame = grid.frame().ok_or_else(|| anyhow!("empty grid"))?;
    let file = super::perimeter_file(&args.perimeters, frame.epsg, printer)?;
    // Each feature with its inhabitants (what sizes its symbol on a small-scale map).
    let mut features = match &file {
        None => content::candidate_features(&a.output, grid, &a.communes),
        Some(file) => content::perimeter_features(&file.perimeters, &Population::new(grid, None, a.fits())),
    };
    if let Some(path) = &args.diff {
        let file = read_perimeters(path, None, None, frame.epsg)?;
        features.extend(content::diff_features(&file).into_iter().map(|f| (f, f64::NAN)));
    }
    let (features, inhabitants): (Vec<MapFeature>, Vec<f64>) = features.into_iter().unzip();
    let inhabited = content::inhabited_squares(grid);
    let squares = if args.squares { content::median_squares(grid, a.fits()) } else { Vec::new() };
    let points = match &args.schools {
        Some(path) => content::school_points(read_schools(path, None, frame.epsg, Keep::All)?),
        None => Vec::new(),
    };
    let scene = MapScene {
        title: args.title.clone().unwrap_or_else(|| format!("Quartiers prioritaires: {}", a.file.input.path)),
        note: "Estimated medians (qpv's log-normal model on Filosofi squares), not INSEE figures. Source: INSEE Filosofi, IGN, Éducation nationale."
            .into(),
        square_size: frame.square_size as f64,
        squares,
        features,
        points,
        labels: Vec::new(),
        inhabited,
        places: places(&a),
        inhabitants,
        focus: None,
    };
    let started = std::time::Instant::now();
    let svg = svg(&scene)?;
    let drawn = started.elapsed();
    let (png, fonts) = png(&svg)?;
    printer.info(format!(
        "drew the map: SVG {} KB in {:.2} s, PNG {} KB in {:.2} s",
        thousands(svg.len() as f64 / 1e3),
        drawn.as_secs_f64(),
        thousands(png.len() as f64 / 1e3),
        (started.elapsed() - drawn).as_secs_f64()
    ));
    if !fonts {
        printer.warn(
            "no system font found: the PNG has no text (install fonts-dejavu-core); the SVG and HTML do",
        );
    }
    let page = html(&scene, &svg);
    let mut out = OutputSet::new(&args.out);
    out.add("map.svg", svg.into_bytes());
    out.add("map.png", png);
    out.add("map.html", page.into_bytes());
    for p in out.commit()? {
        printer.info(format!("wrote {}", p.display()));
    }
    Ok(())
}

/// The places to name on a map of `a` ([`content::places`]).
pub fn places(a: &Analysed) -> Vec<MapPlace> {
    content::places(&a.file.grid, &a.output.placement, &a.communes, a.territory)
}

//! Scores `qpv check` on real perimeters (issue 19), with the measures of
//! `qpv_tests::verdicts`: the official 2024 perimeters of Nord on the Nord grid, the 2015
//! quartiers of Haute-Garonne and their published figures on the national grid, and the
//! same shapes moved 2.5 km onto ground that is no quartier. Prints Markdown.
//!
//!     score-verdicts QPV SHARED_DATA NATIONAL_GRID OUT_DIR
//!
//! `benches/verdicts.sh` runs it.

use qpv_tests::verdicts::{check, median_accuracy, moved_off, population_accuracy, published, states};
use std::collections::HashMap;
use std::path::PathBuf;

type Rows = Vec<HashMap<String, String>>;

fn line(name: &str, rows: &Rows) {
    let (m, u, f) = states(rows, "verdict");
    let crit = |c: &str| {
        let (m, u, f) = states(rows, c);
        format!("{m}/{u}/{f}")
    };
    println!(
        "| {name} | {} | {m} ({:.1} %) | {u} | {f} ({:.1} %) | {} | {} | {} | {} |",
        rows.len(),
        100.0 * m as f64 / rows.len() as f64,
        100.0 * f as f64 / rows.len() as f64,
        crit("population_verdict"),
        crit("median_verdict"),
        crit("continuity_verdict"),
        crit("urban_unit_verdict"),
    );
}

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [bin, shared, national, out] = args.as_slice() else {
        eprintln!("usage: score-verdicts QPV SHARED_DATA NATIONAL_GRID OUT_DIR");
        std::process::exit(2);
    };
    let absolute = |p: &PathBuf| std::fs::canonicalize(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let (bin, shared, national) = (&absolute(bin), &absolute(shared), &absolute(national));
    std::fs::create_dir_all(out).unwrap();
    let nord_grid = shared.join("filosofi2019/carreaux_200m_dep59.csv");
    let nord = shared.join("qpv-official/qpv2024_nord.geojson");
    let hg = shared.join("qpv-official/qp2015_haute_garonne.geojson");
    let nord_rows = check(bin, out, &nord_grid, &nord, "nord");
    let hg_rows = check(bin, out, national, &hg, "hg");
    let nord_moved = moved_off(bin, out, &nord_grid, &nord, "nord");
    let hg_moved = moved_off(bin, out, national, &hg, "hg");
    println!(
        "| perimeters | n | meets | undecided | fails | population m/u/f | median m/u/f | continuity m/u/f | urban unit m/u/f |"
    );
    println!("|---|---:|---:|---:|---:|---|---|---|---|");
    line("Nord, official 2024, Nord grid", &nord_rows);
    line("Haute-Garonne, 2015 list, national grid", &hg_rows);
    line("Nord shapes moved 2.5 km off the quartiers (inhabited)", &nord_moved);
    line("Haute-Garonne shapes moved 2.5 km off (inhabited)", &hg_moved);
    println!();
    println!("Not meeting, Nord official:");
    for r in nord_rows.iter().filter(|r| r["verdict"] != "meets") {
        println!("- {} {} ({}): {}", r["id"], r["name"], r["verdict"], r["problems"]);
    }
    let figures = published(&shared.join("qpv-official/qp2015_haute_garonne.csv"));
    let p = population_accuracy(&hg_rows, &figures);
    println!();
    println!(
        "Haute-Garonne populations: published within [low, high] for {} of {}; outside: {:?}",
        p.in_range, p.perimeters, p.outside
    );
    println!(
        "point estimate / published: median {:.3}, median |ln ratio| {:.3} (×{:.2}), totals {:.3}; low (area share) / published: median {:.3}; high (squares touched) / published: median {:.3}",
        p.median_ratio,
        p.median_abs_log,
        p.median_abs_log.exp(),
        p.total_ratio,
        p.low_ratio,
        p.high_ratio
    );
    for (declared, name) in [(false, "disposable (disp_q2)"), (true, "declared (decuc_q2)")] {
        let m = median_accuracy(&hg_rows, &figures, declared, 0.07);
        println!(
            "medians against published {name}: common ratio {:.3}, sd of ln {:.3}, within ±7 % of the common ratio {}/{}, 80th percentile {:.1} %, 90th {:.1} %",
            m.common_ratio,
            m.sd_log,
            (m.within_band * m.perimeters as f64).round(),
            m.perimeters,
            100.0 * m.deviation_80,
            100.0 * m.deviation_90
        );
    }
}

//! Outputs of `qpv compare`: `comparison.csv` (one row per match), `by_commune.csv`,
//! `diff.geojson` (pieces tagged kept / added / removed, RFC 7946) and
//! `comparison.md`, a short report a GIS officer can paste into a note.

use crate::error::IoError;
use crate::perimeters::PerimeterFile;
use geo_types::MultiPolygon;
use geojson::{JsonObject, JsonValue};
use qpv_core::compare::{Comparison, Match, Piece, Residents};
use qpv_core::within::Restriction;
use qpv_core::{CommuneCode, CommuneTable};
use std::fmt::Write as _;

/// Shapefile fields of `diff` (property, DBF name, numeric, length, decimals).
pub const DIFF_FIELDS: [(&str, &str, bool, u8, u8); 8] = [
    ("change", "change", false, 8, 0),
    ("reference_id", "ref_id", false, 60, 0),
    ("other_id", "other_id", false, 60, 0),
    ("area_m2", "area_m2", true, 14, 0),
    ("inhabitants", "inhabitant", true, 12, 1),
    ("households", "households", true, 12, 1),
    ("poverty_share", "pov_share", true, 8, 4),
    ("median_est", "median_est", true, 10, 0),
];

/// Names of the five pieces of a match, in [`Match::pieces`] order.
pub const PIECES: [&str; 5] = ["reference", "other", "both", "reference_only", "other_only"];

/// The territory a comparison was restricted to (`qpv compare --within`).
#[derive(Debug, Clone, PartialEq)]
pub enum Extent {
    /// The communes the perimeters of one set touch.
    Communes {
        /// Which set: `A (reference)` or `B (other)`.
        of: &'static str,
        /// How many communes.
        communes: usize,
    },
    /// The polygons of a file.
    File {
        /// The file, as given.
        path: String,
        /// Its polygons (features).
        polygons: usize,
    },
}

impl Extent {
    /// What the extent is, in a sentence's words.
    pub fn describe(&self) -> String {
        match self {
            Extent::Communes { of, communes } => {
                format!(
                    "the squares of the {} communes that the perimeters of {of} touch",
                    crate::thousands(*communes as f64)
                )
            }
            Extent::File { path, polygons } => {
                format!("the {} polygons of `{path}`", crate::thousands(*polygons as f64))
            }
        }
    }

    /// The rule applied, for the report and the manifest.
    pub fn rule(&self) -> &'static str {
        match self {
            Extent::Communes { .. } => {
                "a perimeter touches the commune of every square lying in one commune alone that it \
                 overlaps (a square on a boundary lists its communes together and would reach across \
                 it; a perimeter on boundary squares only touches all their communes); the extent is the \
                 squares any of whose communes (lcog_geo) is touched; a perimeter is compared when at \
                 least half of its area on the grid's squares lies in the extent (the grid lists only \
                 inhabited squares, so empty ones count neither way), and left out when it lies on no \
                 square of the grid"
            }
            Extent::File { .. } => {
                "a perimeter is compared when at least half of its area lies inside those polygons (their union)"
            }
        }
    }
}

/// What `--within` kept and left out of each set.
pub struct WithinReport<'a> {
    /// The extent.
    pub extent: Extent,
    /// The files as read, before the restriction: A, then B.
    pub files: [&'a PerimeterFile; 2],
    /// Which perimeters of A and of B were kept.
    pub restrictions: [&'a Restriction; 2],
}

impl WithinReport<'_> {
    /// `within.csv`: every perimeter read, its share inside the extent and whether it
    /// was compared.
    pub fn within_csv(&self) -> Result<Vec<u8>, IoError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["set", "id", "name", "share_inside", "compared"]).map_err(encode)?;
        for (set, file, r) in [
            ("reference", self.files[0], self.restrictions[0]),
            ("other", self.files[1], self.restrictions[1]),
        ] {
            for k in 0..file.perimeters.len() {
                w.write_record([
                    set,
                    &file.perimeters.ids[k],
                    &file.perimeters.names[k],
                    &r.shares[k].map_or(String::new(), |x| round(x, 4)),
                    if r.kept[k] { "yes" } else { "no" },
                ])
                .map_err(encode)?;
            }
        }
        w.into_inner().map_err(encode)
    }

    /// The section of `comparison.md`.
    fn markdown(&self, s: &mut String, with_people: bool) {
        let n = crate::thousands;
        let [a, b] = self.restrictions;
        let _ = writeln!(
            s,
            "## Restricted to {}\n\nOnly the perimeters inside {} are compared. The rule: {}. Everything below \
             is about the perimeters compared; `within.csv` lists every perimeter read with its share inside.\n",
            match &self.extent {
                Extent::Communes { of, .. } => format!("the communes of {of}"),
                Extent::File { path, .. } => format!("`{path}`"),
            },
            self.extent.describe(),
            self.extent.rule()
        );
        let _ = writeln!(s, "| | A (reference) | B (other) |\n|---|---|---|");
        let _ = writeln!(s, "| perimeters read | {} | {} |", n(a.kept.len() as f64), n(b.kept.len() as f64));
        let _ = writeln!(s, "| compared | {} | {} |", n(a.kept_count() as f64), n(b.kept_count() as f64));
        let _ =
            writeln!(s, "| left out | {} | {} |", n(a.left_out_count() as f64), n(b.left_out_count() as f64));
        let _ = writeln!(
            s,
            "| area left out | {} ha | {} ha |",
            n(a.left_out.area_m2 / 1e4),
            n(b.left_out.area_m2 / 1e4)
        );
        if with_people {
            let people =
                |r: &Restriction| r.left_out.residents.as_ref().map_or(0.0, |x| x.totals.individuals);
            let _ = writeln!(s, "| inhabitants left out (estimate) | {} | {} |", n(people(a)), n(people(b)));
            // A grid extract sees no one outside it: say how many were not counted.
            if matches!(self.extent, Extent::Communes { .. })
                && a.unmeasured_count() + b.unmeasured_count() > 0
            {
                let _ = writeln!(
                    s,
                    "| of which on no square of the grid (their inhabitants not counted) | {} | {} |",
                    n(a.unmeasured_count() as f64),
                    n(b.unmeasured_count() as f64)
                );
            }
        }
        const SHOWN: usize = 30;
        let mut straddling: Vec<(&str, &PerimeterFile, usize, f64, bool)> = Vec::new();
        for (set, file, r) in [("A", self.files[0], a), ("B", self.files[1], b)] {
            for (k, share) in r.shares.iter().enumerate() {
                if let Some(x) = share.filter(|x| *x > 0.0 && *x < 1.0) {
                    straddling.push((set, file, k, x, r.kept[k]));
                }
            }
        }
        if !straddling.is_empty() {
            straddling.sort_by(|x, y| (x.3 - 0.5).abs().total_cmp(&(y.3 - 0.5).abs()));
            let _ = writeln!(
                s,
                "\nAcross the edge of the extent, closest to one half first:\n\n| set | perimeter | share inside | |\n|---|---|---|---|"
            );
            for (set, file, k, x, kept) in straddling.iter().take(SHOWN) {
                let (id, name) = (&file.perimeters.ids[*k], &file.perimeters.names[*k]);
                let label = if name.is_empty() { id.clone() } else { format!("{id} {name}") };
                let what = if *kept { "compared" } else { "left out" };
                let _ = writeln!(s, "| {set} | {label} | {:.0} % | {what} |", 100.0 * x);
            }
            if straddling.len() > SHOWN {
                let _ = writeln!(s, "\n… {} more in `within.csv`.", straddling.len() - SHOWN);
            }
        }
    }
}

/// Everything the outputs are made of.
pub struct ComparisonReport<'a> {
    /// The result.
    pub comparison: &'a Comparison,
    /// Set A.
    pub reference: &'a PerimeterFile,
    /// Set B.
    pub other: &'a PerimeterFile,
    /// Commune names (and whether residents were estimated: a grid was given).
    pub communes: Option<&'a CommuneTable>,
    /// The grid's name, when one was given.
    pub grid: Option<String>,
    /// With `--within`: what was compared and what was left out (`reference` and
    /// `other` then hold only the perimeters compared).
    pub within: Option<&'a WithinReport<'a>>,
}

fn encode(e: impl std::fmt::Display) -> IoError {
    IoError::Encode { what: "comparison", message: e.to_string() }
}

fn round(x: f64, decimals: i32) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let f = 10f64.powi(decimals);
    let r = (x * f).round() / f;
    if r == 0.0 { "0".into() } else { format!("{r}") }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::NAN }
}

impl ComparisonReport<'_> {
    fn id(&self, set: Option<usize>, file: &PerimeterFile) -> (String, String) {
        set.map(|k| (file.perimeters.ids[k].clone(), file.perimeters.names[k].clone())).unwrap_or_default()
    }

    fn status(m: &Match) -> &'static str {
        match (m.reference, m.other) {
            (Some(_), Some(_)) => "matched",
            (Some(_), None) => "reference_only",
            _ => "other_only",
        }
    }

    fn commune_name(&self, code: CommuneCode) -> String {
        self.communes
            .and_then(|t| t.find(code).map(|i| t.get(i).name.clone()))
            .unwrap_or_else(|| code.to_string())
    }

    /// Communes of the reference and other pieces of a match, most inhabitants first.
    fn communes_of(&self, m: &Match) -> Vec<CommuneCode> {
        let mut all: Vec<(CommuneCode, f64)> = Vec::new();
        for r in m.pieces[..2].iter().filter_map(|p| p.residents.as_ref()) {
            for (c, n) in &r.communes {
                match all.iter_mut().find(|(k, _)| k == c) {
                    Some(e) => e.1 = e.1.max(*n),
                    None => all.push((*c, *n)),
                }
            }
        }
        all.sort_by(|a, b| b.1.total_cmp(&a.1));
        all.into_iter().filter(|(_, n)| *n >= 0.5).map(|(c, _)| c).collect()
    }

    /// `comparison.csv`.
    pub fn comparison_csv(&self) -> Result<Vec<u8>, IoError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> =
            ["status", "reference_id", "reference_name", "other_id", "other_name", "iou"]
                .map(String::from)
                .into();
        header.extend(PIECES.iter().map(|p| format!("area_{p}_m2")));
        let with_people = self.grid.is_some();
        if with_people {
            for what in ["inhabitants", "households", "poor_households", "poverty_share", "median_est"] {
                header.extend(PIECES.iter().map(|p| format!("{what}_{p}")));
            }
            header.extend(
                ["cut_squares_reference", "cut_squares_other", "communes", "commune_names"].map(String::from),
            );
        }
        w.write_record(&header).map_err(encode)?;
        for m in &self.comparison.matches {
            let (rid, rname) = self.id(m.reference, self.reference);
            let (oid, oname) = self.id(m.other, self.other);
            let mut row = vec![Self::status(m).to_owned(), rid, rname, oid, oname, round(m.iou(), 4)];
            row.extend(m.pieces.iter().map(|p| round(p.area_m2, 0)));
            if with_people {
                let people = |f: &dyn Fn(&Residents) -> f64, d: i32| -> Vec<String> {
                    m.pieces
                        .iter()
                        .map(|p| p.residents.as_ref().map_or(String::new(), |r| round(f(r), d)))
                        .collect()
                };
                row.extend(people(&|r| r.totals.individuals, 1));
                row.extend(people(&|r| r.totals.households, 1));
                row.extend(people(&|r| r.totals.poor_households, 1));
                row.extend(people(&|r| ratio(r.totals.poor_households, r.totals.households), 4));
                row.extend(people(&|r| r.median.unwrap_or(f64::NAN), 0));
                let cut = |p: &Piece| p.residents.as_ref().map_or(0, |r| r.cut_squares).to_string();
                row.push(cut(&m.pieces[0]));
                row.push(cut(&m.pieces[1]));
                let communes = self.communes_of(m);
                row.push(communes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(";"));
                row.push(communes.iter().map(|c| self.commune_name(*c)).collect::<Vec<_>>().join("; "));
            }
            w.write_record(&row).map_err(encode)?;
        }
        w.into_inner().map_err(encode)
    }

    /// `by_commune.csv` (empty table without a grid).
    pub fn by_commune_csv(&self) -> Result<Vec<u8>, IoError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "commune",
            "commune_name",
            "inhabitants_reference",
            "inhabitants_other",
            "inhabitants_both",
            "gained",
            "lost",
        ])
        .map_err(encode)?;
        for r in &self.comparison.by_commune {
            w.write_record([
                r.code.to_string(),
                self.commune_name(r.code),
                round(r.in_reference, 1),
                round(r.in_other, 1),
                round(r.in_both, 1),
                round(r.in_other - r.in_both, 1),
                round(r.in_reference - r.in_both, 1),
            ])
            .map_err(encode)?;
        }
        w.into_inner().map_err(encode)
    }

    /// The pieces of the difference map: geometries (grid CRS) and attributes.
    pub fn diff_features(&self) -> (Vec<MultiPolygon<f64>>, Vec<JsonObject>) {
        let mut geometries = Vec::with_capacity(self.comparison.map.len());
        let mut properties = Vec::with_capacity(self.comparison.map.len());
        for piece in &self.comparison.map {
            let mut p = JsonObject::new();
            p.insert("change".into(), piece.change.label().into());
            p.insert("reference_id".into(), self.id(piece.reference, self.reference).0.into());
            p.insert("other_id".into(), self.id(piece.other, self.other).0.into());
            p.insert("area_m2".into(), (piece.area_m2.round()).into());
            if let Some(r) = &piece.residents {
                p.insert("inhabitants".into(), ((r.totals.individuals * 10.0).round() / 10.0).into());
                p.insert("households".into(), ((r.totals.households * 10.0).round() / 10.0).into());
                let share = ratio(r.totals.poor_households, r.totals.households);
                let value = |x: f64, f: f64| {
                    if x.is_finite() { JsonValue::from((x * f).round() / f) } else { JsonValue::Null }
                };
                p.insert("poverty_share".into(), value(share, 1e4));
                p.insert("median_est".into(), value(r.median.unwrap_or(f64::NAN), 1.0));
            }
            geometries.push(piece.geometry.clone());
            properties.push(p);
        }
        (geometries, properties)
    }

    /// `comparison.md`.
    pub fn markdown(&self) -> String {
        let c = self.comparison;
        let mut s = String::new();
        let n = |x: f64| crate::thousands(x);
        let matched = c.matches.iter().filter(|m| m.reference.is_some() && m.other.is_some()).count();
        let only_ref = c.matches.iter().filter(|m| m.other.is_none()).count();
        let only_other = c.matches.iter().filter(|m| m.reference.is_none()).count();
        let _ = writeln!(s, "# Comparison of perimeters\n");
        match self.within {
            None => {
                let _ = writeln!(
                    s,
                    "| | file | format | CRS | perimeters | repaired |\n|---|---|---|---|---|---|"
                );
            }
            Some(_) => {
                let _ = writeln!(
                    s,
                    "| | file | format | CRS | perimeters | compared | repaired |\n|---|---|---|---|---|---|---|"
                );
            }
        }
        for (k, (label, f)) in
            [("A (reference)", self.reference), ("B (other)", self.other)].into_iter().enumerate()
        {
            let crs = format!("EPSG:{}{}", f.epsg, f.crs_origin.note());
            // With --within, `f` holds the perimeters compared; the file as read is the report's.
            let (read, compared) = match self.within {
                Some(w) => (w.files[k], format!(" {} |", f.perimeters.len())),
                None => (f, String::new()),
            };
            let _ = writeln!(
                s,
                "| {label} | `{}` | {} | {crs} | {} |{compared} {} |",
                f.input.path,
                f.format.label(),
                read.perimeters.len(),
                read.repairs.len()
            );
        }
        if let Some(w) = self.within {
            s.push('\n');
            w.markdown(&mut s, self.grid.is_some());
        }
        let [a, b, both, lost, gained] = &c.overall;
        let iou = ratio(both.area_m2, a.area_m2 + b.area_m2 - both.area_m2);
        let _ = writeln!(
            s,
            "\n{matched} pairs of perimeters overlap; {only_ref} perimeters of A and {only_other} of B overlap none of the other set.\n"
        );
        let _ = writeln!(
            s,
            "| | A | B | in both | only in A (removed) | only in B (added) |\n|---|---|---|---|---|---|"
        );
        let ha = |p: &Piece| format!("{} ha", n(p.area_m2 / 1e4));
        let _ =
            writeln!(s, "| area | {} | {} | {} | {} | {} |", ha(a), ha(b), ha(both), ha(lost), ha(gained));
        if self.grid.is_some() {
            let people = |p: &Piece| p.residents.as_ref().map_or(0.0, |r| r.totals.individuals);
            let pov = |p: &Piece| {
                p.residents.as_ref().map_or(String::new(), |r| {
                    let x = ratio(r.totals.poor_households, r.totals.households);
                    if x.is_finite() { format!("{:.1} %", 100.0 * x) } else { "–".into() }
                })
            };
            let med = |p: &Piece| {
                p.residents.as_ref().and_then(|r| r.median).map_or("–".into(), |m| format!("{} €", n(m)))
            };
            let _ = writeln!(
                s,
                "| inhabitants | {} | {} | {} | {} | {} |",
                n(people(a)),
                n(people(b)),
                n(people(both)),
                n(people(lost)),
                n(people(gained))
            );
            let _ = writeln!(
                s,
                "| poor-household share | {} | {} | {} | {} | {} |",
                pov(a),
                pov(b),
                pov(both),
                pov(lost),
                pov(gained)
            );
            let _ = writeln!(
                s,
                "| median (estimate) | {} | {} | {} | {} | {} |",
                med(a),
                med(b),
                med(both),
                med(lost),
                med(gained)
            );
        }
        let _ = writeln!(s, "\nIntersection over union of the two sets: {:.3}.\n", iou);
        self.matches_table(&mut s);
        self.communes_table(&mut s);
        self.repairs_section(&mut s);
        let _ = writeln!(
            s,
            "## Method\n\nAreas are measured in the grid's equal-area projection (ETRS89-LAEA, EPSG:3035 in \
             metropolitan France). {}\n",
            if self.grid.is_some() {
                format!(
                    "Residents come from the Filosofi squares of `{}`: each square counts for the share of its \
                     area inside a piece. This is exact for whole squares and an estimate for cut ones (it assumes \
                     residents spread evenly within a 200 m square). Medians are estimates of qpv's income \
                     model (METHOD.md §5), not INSEE figures. A square touching several communes is split \
                     equally between them.",
                    self.grid.as_deref().unwrap_or_default()
                )
            } else {
                "No grid was given (`--grid`): residents were not estimated.".to_owned()
            }
        );
        s
    }

    fn matches_table(&self, s: &mut String) {
        const SHOWN: usize = 30;
        let people = |p: &Piece| p.residents.as_ref().map_or(f64::NAN, |r| r.totals.individuals);
        let mut rows: Vec<&Match> = self.comparison.matches.iter().collect();
        let change = |m: &Match| {
            let p = people(&m.pieces[3]) + people(&m.pieces[4]);
            if p.is_finite() { p } else { m.pieces[3].area_m2 + m.pieces[4].area_m2 }
        };
        rows.sort_by(|x, y| change(y).total_cmp(&change(x)));
        let _ = writeln!(s, "## Perimeters, largest changes first\n");
        let _ = writeln!(
            s,
            "| A | B | IoU | inhabitants A | inhabitants B | lost | gained | communes |\n|---|---|---|---|---|---|---|---|"
        );
        for m in rows.iter().take(SHOWN) {
            let label = |k: Option<usize>, f: &PerimeterFile| {
                k.map_or("–".to_owned(), |k| {
                    let (id, name) = (&f.perimeters.ids[k], &f.perimeters.names[k]);
                    if name.is_empty() { id.clone() } else { format!("{id} {name}") }
                })
            };
            let v = |x: f64| if x.is_finite() { crate::thousands(x) } else { "–".into() };
            let communes: Vec<String> =
                self.communes_of(m).iter().take(3).map(|c| self.commune_name(*c)).collect();
            let _ = writeln!(
                s,
                "| {} | {} | {:.2} | {} | {} | {} | {} | {} |",
                label(m.reference, self.reference),
                label(m.other, self.other),
                m.iou(),
                v(people(&m.pieces[0])),
                v(people(&m.pieces[1])),
                v(people(&m.pieces[3])),
                v(people(&m.pieces[4])),
                communes.join(", ")
            );
        }
        if rows.len() > SHOWN {
            let _ = writeln!(s, "\n… {} more rows in `comparison.csv`.", rows.len() - SHOWN);
        }
        s.push('\n');
    }

    fn communes_table(&self, s: &mut String) {
        const SHOWN: usize = 30;
        if self.comparison.by_commune.is_empty() {
            return;
        }
        let mut rows: Vec<_> = self.comparison.by_commune.iter().collect();
        rows.sort_by(|x, y| y.in_reference.max(y.in_other).total_cmp(&x.in_reference.max(x.in_other)));
        let _ = writeln!(
            s,
            "## By commune\n\n| commune | in A | in B | in both | gained | lost |\n|---|---|---|---|---|---|"
        );
        let n = crate::thousands;
        for r in rows.iter().take(SHOWN) {
            let _ = writeln!(
                s,
                "| {} ({}) | {} | {} | {} | {} | {} |",
                self.commune_name(r.code),
                r.code,
                n(r.in_reference),
                n(r.in_other),
                n(r.in_both),
                n(r.in_other - r.in_both),
                n(r.in_reference - r.in_both)
            );
        }
        if rows.len() > SHOWN {
            let _ = writeln!(s, "\n… {} more communes in `by_commune.csv`.", rows.len() - SHOWN);
        }
        s.push('\n');
    }

    fn repairs_section(&self, s: &mut String) {
        let any = !self.reference.repairs.is_empty() || !self.other.repairs.is_empty();
        if !any {
            return;
        }
        let _ = writeln!(
            s,
            "## Repaired polygons\n\n| set | perimeter | problem | area before | area after |\n|---|---|---|---|---|"
        );
        for (label, f) in [("A", self.reference), ("B", self.other)] {
            for (k, r) in &f.repairs {
                let _ = writeln!(
                    s,
                    "| {label} | {} | {} | {:.0} m² | {:.0} m² |",
                    f.perimeters.ids[*k],
                    r.problems.replace('|', "/"),
                    r.area_before_m2,
                    r.area_after_m2
                );
            }
        }
        s.push('\n');
    }
}

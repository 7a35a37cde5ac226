//! One verdict for a perimeter, defined once: each criterion of the decree (décret
//! n° 2014-767 art. 2, METHOD.md §2) with the figure that decides it, in three states.
//!
//! The public 200 m grid cannot always decide. A perimeter drawn along streets cuts
//! squares whose residents may live on either side of the line; a median estimated
//! from two public moments has an error; the decree counts urban units by a population
//! our table does not hold. So each criterion is [`State::Meets`], [`State::Fails`], or
//! [`State::Undecided`] ("cannot be decided from the public 200 m grid"), with the
//! reason in plain words. A perimeter meets the rule when every criterion meets, fails
//! when one fails, and is undecided otherwise. `qpv check`, `qpv adjust`, `qpv run
//! --edits`, `qpv serve` and `qpv atlas` all render this one type.
//!
//! ```
//! use qpv_core::verdict::*;
//! use qpv_core::{Connectivity, Rule};
//!
//! let rule = Rule::metropolitan();
//! let evidence = Evidence {
//!     // A drawn perimeter: 820 inhabitants by the area share of the squares it cuts,
//!     // 1 650 in every square it touches.
//!     headcount: Headcount::from_shares([(1_000.0, 0.5), (650.0, 0.5), (0.0, 1.0)]),
//!     median: Some(14_000.0),
//!     threshold: 15_972.0,
//!     continuity: Continuity::one_part(ContinuityRule::Drawn { tolerance_m: 200.0 }),
//!     unit: UnitEvidence::single(UnitFacts::new("59701", "Valenciennes", 334_571.0)),
//!     area_km2: 0.2,
//! };
//! let verdict = judge(&rule, &Judging::default(), &evidence);
//! assert_eq!(verdict.state(), State::Undecided);
//! let population = verdict.get(Key::Population).unwrap();
//! assert_eq!(population.state, State::Undecided);
//! assert!(population.reason.contains("between 825 and 1 650 inhabitants"), "{}", population.reason);
//! assert_eq!(verdict.get(Key::Median).unwrap().state, State::Meets);
//! ```

use crate::{Connectivity, Rule, Territory};

/// Whether a criterion, or the whole rule, is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum State {
    /// Met, on the public grid's figures.
    #[default]
    Meets,
    /// Cannot be decided from the public 200 m grid: the figures allow either answer.
    Undecided,
    /// Not met, beyond what the estimates' error could explain.
    Fails,
}

impl State {
    /// `meets`, `undecided` or `fails`: the word every output uses.
    pub fn word(self) -> &'static str {
        match self {
            State::Meets => "meets",
            State::Undecided => "undecided",
            State::Fails => "fails",
        }
    }
}

/// Which criterion of the decree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// At least 1 000 inhabitants (art. 2 I 2°).
    Population,
    /// Median income below the threshold of its urban unit (art. 2 I 3°, art. 4).
    Median,
    /// One continuous urban area (art. 1).
    Continuity,
    /// In an urban unit of at least 10 000 inhabitants (art. 2 I 1° and II).
    UrbanUnit,
    /// At least 2 000 inhabitants per km², overseas only (décret 2014-1575).
    Density,
}

impl Key {
    /// The criterion's name in file columns and the API.
    pub fn name(self) -> &'static str {
        match self {
            Key::Population => "population",
            Key::Median => "median",
            Key::Continuity => "continuity",
            Key::UrbanUnit => "urban_unit",
            Key::Density => "density",
        }
    }
}

/// One criterion: what the decree asks, the figure behind it, its state and, unless it
/// meets, why in plain words.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// Which criterion.
    pub key: Key,
    /// What the decree asks ("at least 1 000 inhabitants").
    pub label: String,
    /// The figure that decides it ("1 240 inhabitants, between 1 050 and 1 480").
    pub figure: String,
    /// Met, failed or undecided.
    pub state: State,
    /// Why it does not meet; empty when it does, or a note when met by an exception.
    pub reason: String,
}

/// Every criterion of a perimeter, in the decree's order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Verdict {
    /// The criteria.
    pub criteria: Vec<Criterion>,
}

impl Verdict {
    /// The whole verdict: fails when a criterion fails, undecided when none fails and
    /// one is undecided, meets when all meet.
    pub fn state(&self) -> State {
        self.criteria.iter().map(|c| c.state).max().unwrap_or(State::Meets)
    }

    /// Whether every criterion meets.
    pub fn meets(&self) -> bool {
        self.state() == State::Meets
    }

    /// A criterion by key.
    pub fn get(&self, key: Key) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.key == key)
    }

    /// Why it does not meet: the reasons of the failing criteria, then of the undecided
    /// ones ("cannot be decided: …"), in the decree's order.
    pub fn problems(&self) -> Vec<String> {
        let of = |s: State| self.criteria.iter().filter(move |c| c.state == s);
        let fails = of(State::Fails).map(|c| c.reason.clone());
        let undecided = of(State::Undecided).map(|c| format!("undecided: {}", c.reason));
        fails.chain(undecided).collect()
    }
}

/// How drawn perimeters are judged where the decree or INSEE left it open; each is a
/// setting recorded in every manifest (README, "Checking and adjusting any perimeter file").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judging {
    /// Parts of a drawn perimeter closer than this, metres, are one continuous area: a
    /// street, a railway or a canal between them. Default: one square's side (200 m),
    /// the distance across which the method's own identification joins squares (8
    /// neighbours: squares touching at a corner are contiguous).
    pub continuity_gap_m: f64,
    /// An estimated median above the threshold by less than this share of it is
    /// undecided rather than failing: one standard deviation of the estimate against the
    /// published medians of real quartiers, their common ratio taken out (7 % on the 19
    /// of Haute-Garonne; README, "Accuracy").
    pub median_band: f64,
    /// An urban unit whose population municipale (the figure our tables hold) falls
    /// short of the floor by less than this share is undecided: the decree counts the
    /// population totale, municipale plus the population comptée à part, which we lack.
    pub unit_population_margin: f64,
    /// A perimeter lies in the urban unit where most of its residents live; when more
    /// than this share live in squares of other units, it fails "one urban unit".
    pub unit_elsewhere_share: f64,
}

impl Default for Judging {
    fn default() -> Self {
        Judging {
            continuity_gap_m: 200.0,
            median_band: 0.07,
            unit_population_margin: 0.05,
            unit_elsewhere_share: 0.1,
        }
    }
}

/// Inhabitants of a perimeter: a point estimate inside a range.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Headcount {
    /// The best estimate.
    pub point: f64,
    /// The least it can hold: each square the line cuts counted by its area share.
    pub low: f64,
    /// The most it can hold: every square it touches counted whole.
    pub high: f64,
}

impl Headcount {
    /// An exact count (a perimeter on the lattice: every square is in or out).
    pub fn exact(n: f64) -> Headcount {
        Headcount { point: n, low: n, high: n }
    }

    /// From `(residents, share inside)` of each square the perimeter covers.
    ///
    /// People live in the buildings a negotiated line goes around, not evenly over the
    /// squares it cuts: on the Haute-Garonne quartiers whose population is published,
    /// the area share of each cut square gave about 70 % of it and the squares touched
    /// about 150 % (README, "Accuracy"). So the area share is the low end, every square
    /// touched whole the high end, and the estimate is their geometric mean: the value
    /// whose worst error by ratio is smallest when the truth may lie anywhere between.
    ///
    /// ```
    /// use qpv_core::verdict::Headcount;
    /// let h = Headcount::from_shares([(400.0, 1.0), (600.0, 0.25)]);
    /// assert_eq!((h.low, h.high), (550.0, 1_000.0));
    /// assert!((h.point - (550.0f64 * 1_000.0).sqrt()).abs() < 1e-9);
    /// assert_eq!(Headcount::from_shares([(300.0, 1.0)]), Headcount::exact(300.0));
    /// ```
    pub fn from_shares(squares: impl IntoIterator<Item = (f64, f64)>) -> Headcount {
        let (mut low, mut high) = (0.0, 0.0);
        for (residents, share) in squares {
            if share > 0.0 {
                low += residents * share.min(1.0);
                high += residents;
            }
        }
        if (high - low).abs() <= 1e-9 * high.max(1.0) {
            return Headcount::exact(high);
        }
        Headcount { point: (low * high).sqrt(), low, high }
    }

    /// From squares counted by area share (as [`Headcount::from_shares`]) and squares
    /// whose residents a buildings layer places ([`crate::buildings`]): those add their
    /// own point, low and high.
    pub fn from_parts(
        by_area: impl IntoIterator<Item = (f64, f64)>,
        by_buildings: impl IntoIterator<Item = (f64, crate::buildings::PeopleShares)>,
    ) -> Headcount {
        let mut h = Headcount::from_shares(by_area);
        for (residents, s) in by_buildings {
            h.point += residents * s.point;
            h.low += residents * s.low;
            h.high += residents * s.high;
        }
        h
    }

    /// Whether the count is exact.
    pub fn is_exact(&self) -> bool {
        self.low == self.high
    }
}

/// How a perimeter's parts are joined into one area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ContinuityRule {
    /// A perimeter on the lattice: squares joined at the run's connectivity, as the
    /// method builds quartiers.
    Lattice(Connectivity),
    /// A drawn line: parts closer than the tolerance are one area.
    Drawn {
        /// Metres.
        tolerance_m: f64,
    },
}

/// The parts of a perimeter and how far apart they lie.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Continuity {
    /// Parts as they are (squares joined at the connectivity; polygons that touch).
    pub parts: usize,
    /// Areas once the gaps the rule allows are closed (one: continuous).
    pub areas: usize,
    /// The widest gap that must be bridged to make one area, metres (0 for one part).
    pub widest_gap_m: f64,
    /// The rule.
    pub rule: ContinuityRule,
}

impl Continuity {
    /// One part.
    pub fn one_part(rule: ContinuityRule) -> Continuity {
        Continuity { parts: 1, areas: 1, widest_gap_m: 0.0, rule }
    }
}

/// What is known of an urban unit.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitFacts {
    /// INSEE code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Population in the commune table (population municipale of the census).
    pub population: f64,
}

impl UnitFacts {
    /// A unit.
    pub fn new(code: &str, name: &str, population: f64) -> UnitFacts {
        UnitFacts { code: code.into(), name: name.into(), population }
    }
}

/// Where a perimeter's residents live.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnitEvidence {
    /// The unit where most of them live (`None`: outside any urban unit).
    pub unit: Option<UnitFacts>,
    /// Shares of its residents living in squares of other units (or outside any,
    /// named "hors unité urbaine"), largest first.
    pub elsewhere: Vec<(String, f64)>,
    /// Whether the perimeter was on the 2015 list (code `QP…`, or a 2024 code ending in
    /// M or I): the décret 2023-1312 deems the urban-unit criterion met for six years.
    pub listed_2015: bool,
}

impl UnitEvidence {
    /// All residents in one unit.
    pub fn single(unit: UnitFacts) -> UnitEvidence {
        UnitEvidence { unit: Some(unit), elsewhere: Vec::new(), listed_2015: false }
    }
}

/// Whether an id is that of a quartier of the 2015 list (METHOD.md §7): `QP` and six
/// digits (the 2015 codes), or a 2024 code `QN` + département + order ending in `M`
/// (contour modified) or `I` (identical), which continue a 2015 quartier.
///
/// ```
/// use qpv_core::verdict::listed_in_2015;
/// assert!(listed_in_2015("QP059054") && listed_in_2015("QN05943M") && listed_in_2015("QN09301I"));
/// assert!(!listed_in_2015("QN05990N") && !listed_in_2015("59701-01") && !listed_in_2015("QN2A001M"));
/// ```
pub fn listed_in_2015(id: &str) -> bool {
    let id = id.trim().as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match id {
        [b'Q', b'P', rest @ ..] if rest.len() == 6 => digits(rest),
        [b'Q', b'N', rest @ .., last] if rest.len() == 5 => digits(rest) && matches!(last, b'M' | b'I'),
        _ => false,
    }
}

/// Everything a verdict is read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// Inhabitants.
    pub headcount: Headcount,
    /// Estimated pooled median niveau de vie, €.
    pub median: Option<f64>,
    /// The threshold it is compared with (legal S × calibration factor), €; NaN outside
    /// any urban unit.
    pub threshold: f64,
    /// Parts and gaps.
    pub continuity: Continuity,
    /// Where the residents live.
    pub unit: UnitEvidence,
    /// Area, km² (for the overseas density).
    pub area_km2: f64,
}

/// The verdict of the decree on `e`.
pub fn judge(rule: &Rule, judging: &Judging, e: &Evidence) -> Verdict {
    let mut criteria = vec![
        population(rule, &e.headcount),
        median(judging, e.median, e.threshold),
        continuity(&e.continuity),
        urban_unit(rule, judging, &e.unit, e.headcount.high > 0.0),
    ];
    if rule.territory == Territory::Overseas {
        criteria.push(density(rule, &e.headcount, e.area_km2));
    }
    Verdict { criteria }
}

/// Thousands separated by spaces, as French analysts write them.
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

fn criterion(key: Key, label: String, figure: String, state: State, reason: String) -> Criterion {
    Criterion { key, label, figure, state, reason }
}

fn population(rule: &Rule, h: &Headcount) -> Criterion {
    let floor = rule.min_population;
    let label = format!("at least {} inhabitants", thousands(floor));
    let (low, high) = (thousands(h.low), thousands(h.high));
    let figure = if h.is_exact() {
        format!("{} inhabitants", thousands(h.point))
    } else {
        format!("{} inhabitants, between {low} and {high}", thousands(h.point))
    };
    let (state, reason) = if h.high <= 0.0 {
        (State::Fails, "no inhabitants in the grid".to_owned())
    } else if h.low >= floor {
        (State::Meets, String::new())
    } else if h.is_exact() {
        (State::Fails, format!("{} inhabitants, fewer than {}", thousands(h.point), thousands(floor)))
    } else if h.high < floor {
        let why = format!(
            "between {low} and {high} inhabitants: fewer than {} even with every square it touches",
            thousands(floor)
        );
        (State::Fails, why)
    } else {
        let why = format!(
            "between {low} and {high} inhabitants: the {} floor cannot be decided from 200 m squares",
            thousands(floor)
        );
        (State::Undecided, why)
    };
    criterion(Key::Population, label, figure, state, reason)
}

fn median(judging: &Judging, median: Option<f64>, threshold: f64) -> Criterion {
    let label = "median income below the threshold".to_owned();
    let Some(m) = median else {
        let why = "no income estimate (no resident with income figures)".to_owned();
        return criterion(Key::Median, label, "no estimate".into(), State::Undecided, why);
    };
    if !threshold.is_finite() {
        let why = "no threshold: not in an urban unit".to_owned();
        return criterion(
            Key::Median,
            label,
            format!("{} € (estimate)", thousands(m)),
            State::Undecided,
            why,
        );
    }
    let gap = m - threshold;
    let share = 100.0 * gap.abs() / threshold;
    let band = 100.0 * judging.median_band;
    let (state, figure, reason) = if gap < 0.0 {
        let figure = format!(
            "{} € against {} €: {} € ({share:.1} %) below (estimate, ±{band:.0} %)",
            thousands(m),
            thousands(threshold),
            thousands(-gap)
        );
        (State::Meets, figure, String::new())
    } else {
        let figure = format!(
            "{} € against {} €: {} € ({share:.1} %) above (estimate, ±{band:.0} %)",
            thousands(m),
            thousands(threshold),
            thousands(gap)
        );
        if gap < judging.median_band * threshold {
            let why = format!(
                "estimated median {} € is {share:.1} % above the threshold {} €, within the estimate's accuracy \
                 (±{band:.0} %): cannot be decided from the public grid",
                thousands(m),
                thousands(threshold)
            );
            (State::Undecided, figure, why)
        } else {
            let why = format!(
                "median {} € not below the threshold {} € ({share:.1} % above)",
                thousands(m),
                thousands(threshold)
            );
            (State::Fails, figure, why)
        }
    };
    criterion(Key::Median, label, figure, state, reason)
}

fn continuity(c: &Continuity) -> Criterion {
    let label = "one continuous area".to_owned();
    let parts = |n: usize| if n == 1 { "1 part".to_owned() } else { format!("{n} parts") };
    let gap = thousands(c.widest_gap_m);
    match c.rule {
        ContinuityRule::Lattice(connectivity) => {
            let n = connectivity.neighbours();
            let figure = if c.parts > 1 {
                format!("{} ({n} neighbours), {gap} m apart", parts(c.parts))
            } else {
                parts(c.parts)
            };
            let (state, reason) = match c.parts {
                1 => (State::Meets, String::new()),
                0 => (State::Fails, "no area".to_owned()),
                p => (State::Fails, format!("not one continuous area ({p} parts, {gap} m apart)")),
            };
            criterion(Key::Continuity, label, figure, state, reason)
        }
        ContinuityRule::Drawn { tolerance_m } => {
            let figure = match c.parts {
                0 | 1 => parts(c.parts),
                p => format!("{} as drawn, within {gap} m of each other", parts(p)),
            };
            let (state, reason) = match c.areas {
                1 => (State::Meets, String::new()),
                0 => (State::Fails, "no area".to_owned()),
                n => {
                    let why = format!(
                        "not one continuous area: {n} areas more than {} m apart (the widest gap {gap} m)",
                        thousands(tolerance_m)
                    );
                    (State::Fails, why)
                }
            };
            criterion(Key::Continuity, label, figure, state, reason)
        }
    }
}

fn urban_unit(rule: &Rule, judging: &Judging, e: &UnitEvidence, inhabited: bool) -> Criterion {
    let floor = rule.min_territory_population;
    let (kind, label) = match rule.territory {
        Territory::Metropolitan => ("urban unit", format!("in one urban unit of {}+", thousands(floor))),
        Territory::Overseas => ("commune", format!("in a commune of {}+", thousands(floor))),
    };
    let elsewhere: f64 = e.elsewhere.iter().map(|(_, s)| s).sum();
    let others = e
        .elsewhere
        .iter()
        .map(|(name, s)| format!("{:.0} % in {name}", 100.0 * s))
        .collect::<Vec<_>>()
        .join(", ");
    if e.unit.is_none() && !inhabited {
        let why = format!("no resident to tell its {kind}");
        return criterion(Key::UrbanUnit, label, "no resident".into(), State::Undecided, why);
    }
    let Some(unit) = &e.unit else {
        let why = format!("most of its residents live outside any {kind}");
        let figure = if others.is_empty() { format!("outside any {kind}") } else { others.clone() };
        return criterion(Key::UrbanUnit, label, figure, State::Fails, why);
    };
    let rounded = rule.round_up(unit.population);
    let mut figure = format!("{} {}, {} inhabitants", unit.code, unit.name, thousands(rounded));
    if !others.is_empty() {
        figure = format!("{figure}; {:.0} % of residents there, {others}", 100.0 * (1.0 - elsewhere));
    }
    if elsewhere > judging.unit_elsewhere_share {
        let why = format!(
            "its residents live in several {kind}s: {:.0} % in {} {}, {others}",
            100.0 * (1.0 - elsewhere),
            unit.code,
            unit.name
        );
        return criterion(Key::UrbanUnit, label, figure, State::Fails, why);
    }
    let short = format!(
        "{kind} {} {} has {} inhabitants (rounded up), fewer than {}",
        unit.code,
        unit.name,
        thousands(rounded),
        thousands(floor)
    );
    let (state, reason) = if rounded >= floor {
        (State::Meets, String::new())
    } else if e.listed_2015 && rule.territory == Territory::Metropolitan {
        let note = format!(
            "{short}; deemed met for a quartier of the 2015 list, for six years (décret n° 2014-767 art. 2 II as \
             amended in 2023)"
        );
        (State::Meets, note)
    } else if rounded >= floor * (1.0 - judging.unit_population_margin) {
        let why = format!(
            "{short} in population municipale; the decree counts the population totale (with the population \
             comptée à part), which the commune table lacks: cannot be decided"
        );
        (State::Undecided, why)
    } else {
        (State::Fails, short)
    };
    criterion(Key::UrbanUnit, label, figure, state, reason)
}

fn density(rule: &Rule, h: &Headcount, km2: f64) -> Criterion {
    let floor = rule.min_density;
    let label = format!("at least {} inhabitants/km²", thousands(floor));
    let per = |n: f64| if km2 > 0.0 { n / km2 } else { 0.0 };
    let (low, high) = (per(h.low), per(h.high));
    let figure = format!("{} inhabitants/km²", thousands(per(h.point)));
    let (state, reason) = if low >= floor {
        (State::Meets, String::new())
    } else if high < floor || h.is_exact() {
        (
            State::Fails,
            format!("{} inhabitants/km², fewer than {}", thousands(per(h.point)), thousands(floor)),
        )
    } else {
        let why = format!(
            "between {} and {} inhabitants/km²: the {} floor cannot be decided from 200 m squares",
            thousands(low),
            thousands(high),
            thousands(floor)
        );
        (State::Undecided, why)
    };
    criterion(Key::Density, label, figure, state, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(headcount: Headcount, median: f64) -> Evidence {
        Evidence {
            headcount,
            median: Some(median),
            threshold: 16_000.0,
            continuity: Continuity::one_part(ContinuityRule::Lattice(Connectivity::Eight)),
            unit: UnitEvidence::single(UnitFacts::new("59701", "Valenciennes", 334_571.0)),
            area_km2: 1.0,
        }
    }

    fn state_of(e: &Evidence, key: Key) -> State {
        judge(&Rule::metropolitan(), &Judging::default(), e).get(key).unwrap().state
    }

    #[test]
    fn a_quartier_that_meets_every_criterion() {
        let v =
            judge(&Rule::metropolitan(), &Judging::default(), &evidence(Headcount::exact(2_000.0), 14_000.0));
        assert_eq!(v.state(), State::Meets);
        assert!(v.meets() && v.problems().is_empty());
        assert_eq!(v.criteria.len(), 4, "no density criterion in metropolitan France");
    }

    #[test]
    fn the_floor_is_decided_by_the_range() {
        let meets = Headcount { point: 1_300.0, low: 1_010.0, high: 1_900.0 };
        let fails = Headcount { point: 700.0, low: 500.0, high: 990.0 };
        let open = Headcount { point: 1_100.0, low: 820.0, high: 1_650.0 };
        assert_eq!(state_of(&evidence(meets, 14_000.0), Key::Population), State::Meets);
        assert_eq!(state_of(&evidence(fails, 14_000.0), Key::Population), State::Fails);
        assert_eq!(state_of(&evidence(open, 14_000.0), Key::Population), State::Undecided);
        // An exact count below the floor fails: the one-square cité.
        assert_eq!(state_of(&evidence(Headcount::exact(406.0), 14_000.0), Key::Population), State::Fails);
    }

    #[test]
    fn empty_perimeter_fails_on_population_and_leaves_the_median_open() {
        let mut e = evidence(Headcount::default(), 0.0);
        e.median = None;
        let v = judge(&Rule::metropolitan(), &Judging::default(), &e);
        let p = v.get(Key::Population).unwrap();
        assert_eq!((p.state, p.reason.as_str()), (State::Fails, "no inhabitants in the grid"));
        assert_eq!(v.get(Key::Median).unwrap().state, State::Undecided);
        assert_eq!(v.state(), State::Fails);
    }

    #[test]
    fn a_median_just_above_the_threshold_is_undecided_a_clear_shortfall_fails() {
        let h = Headcount::exact(2_000.0);
        assert_eq!(state_of(&evidence(h, 15_999.0), Key::Median), State::Meets);
        // 16 000 is not strictly below 16 000.
        assert_eq!(state_of(&evidence(h, 16_000.0), Key::Median), State::Undecided);
        assert_eq!(state_of(&evidence(h, 16_500.0), Key::Median), State::Undecided);
        assert_eq!(state_of(&evidence(h, 17_500.0), Key::Median), State::Fails);
        let v = judge(&Rule::metropolitan(), &Judging::default(), &evidence(h, 16_500.0));
        assert!(v.problems()[0].starts_with("undecided: estimated median 16 500 €"), "{:?}", v.problems());
    }

    #[test]
    fn parts_of_a_drawn_perimeter_within_the_tolerance_are_one_area() {
        let rule = ContinuityRule::Drawn { tolerance_m: 200.0 };
        let mut e = evidence(Headcount::exact(2_000.0), 14_000.0);
        e.continuity = Continuity { parts: 3, areas: 1, widest_gap_m: 35.0, rule };
        assert_eq!(state_of(&e, Key::Continuity), State::Meets);
        e.continuity = Continuity { parts: 2, areas: 2, widest_gap_m: 850.0, rule };
        let v = judge(&Rule::metropolitan(), &Judging::default(), &e);
        let c = v.get(Key::Continuity).unwrap();
        assert_eq!(c.state, State::Fails);
        assert!(c.reason.contains("the widest gap 850 m"), "{}", c.reason);
    }

    #[test]
    fn lattice_parts_fail_at_the_runs_connectivity() {
        let mut e = evidence(Headcount::exact(2_000.0), 14_000.0);
        e.continuity.parts = 2;
        e.continuity.areas = 2;
        e.continuity.widest_gap_m = 400.0;
        let v = judge(&Rule::metropolitan(), &Judging::default(), &e);
        assert_eq!(v.get(Key::Continuity).unwrap().reason, "not one continuous area (2 parts, 400 m apart)");
    }

    #[test]
    fn a_small_urban_unit_fails_unless_close_to_the_floor_or_listed_in_2015() {
        let mut e = evidence(Headcount::exact(2_000.0), 14_000.0);
        e.unit = UnitEvidence::single(UnitFacts::new("59210", "Le Quesnoy", 7_989.0));
        assert_eq!(state_of(&e, Key::UrbanUnit), State::Fails);
        e.unit.listed_2015 = true;
        let v = judge(&Rule::metropolitan(), &Judging::default(), &e);
        let c = v.get(Key::UrbanUnit).unwrap();
        assert_eq!(c.state, State::Meets);
        assert!(c.reason.contains("2015 list"), "{}", c.reason);
        // Hirson: 9 572 in population municipale, rounded up to 9 600: within 5 % of 10 000.
        e.unit = UnitEvidence::single(UnitFacts::new("02203", "Hirson", 9_572.0));
        assert_eq!(state_of(&e, Key::UrbanUnit), State::Undecided);
        // Rounded up to 100 first: 9 901 counts as 10 000.
        e.unit = UnitEvidence::single(UnitFacts::new("x", "y", 9_901.0));
        assert_eq!(state_of(&e, Key::UrbanUnit), State::Meets);
    }

    #[test]
    fn residents_in_two_units_fail_beyond_the_share_allowed() {
        let mut e = evidence(Headcount::exact(2_000.0), 14_000.0);
        e.unit.elsewhere = vec![("59402 Saint-Amand-les-Eaux".into(), 0.04)];
        assert_eq!(state_of(&e, Key::UrbanUnit), State::Meets);
        e.unit.elsewhere = vec![("59402 Saint-Amand-les-Eaux".into(), 0.4)];
        let v = judge(&Rule::metropolitan(), &Judging::default(), &e);
        let c = v.get(Key::UrbanUnit).unwrap();
        assert_eq!(c.state, State::Fails);
        assert!(c.reason.contains("60 % in 59701 Valenciennes, 40 % in 59402"), "{}", c.reason);
        e.unit = UnitEvidence { unit: None, elsewhere: Vec::new(), listed_2015: true };
        assert_eq!(state_of(&e, Key::UrbanUnit), State::Fails);
    }

    #[test]
    fn overseas_adds_density_decided_by_the_range() {
        let rule = Rule::overseas();
        let mut e = evidence(Headcount { point: 1_400.0, low: 1_200.0, high: 2_400.0 }, 14_000.0);
        e.area_km2 = 1.0;
        let v = judge(&rule, &Judging::default(), &e);
        assert_eq!(v.get(Key::Density).unwrap().state, State::Undecided);
        e.area_km2 = 0.5;
        assert_eq!(judge(&rule, &Judging::default(), &e).get(Key::Density).unwrap().state, State::Meets);
        assert!(judge(&rule, &Judging::default(), &e).get(Key::UrbanUnit).unwrap().label.contains("commune"));
    }

    #[test]
    fn headcount_of_no_square_is_zero() {
        assert_eq!(Headcount::from_shares([]), Headcount::exact(0.0));
        assert_eq!(Headcount::from_shares([(100.0, 0.0)]), Headcount::exact(0.0));
    }

    #[test]
    fn thousands_are_separated_by_spaces() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1_000.0), "1 000");
        assert_eq!(thousands(1_234_567.4), "1 234 567");
        assert_eq!(thousands(62_971_073.0), "62 971 073");
        assert_eq!(thousands(-12_345.0), "-12 345");
    }
}

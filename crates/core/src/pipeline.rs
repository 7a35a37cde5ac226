//! The statistical pipeline, stage by stage: grid → placed squares → flagged
//! squares → candidates.

use crate::{
    Candidates, CommuneTable, FlagError, FlaggedSquares, Grid, GridError, GroupingSettings, IncomeModel,
    MedianOverrides, MedianReference, Placement, Rule, Territory, flag_squares, group_candidates,
};

/// Every setting of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    /// The decree's parameters and the calibration factor.
    pub rule: Rule,
    /// Bounds of the per-square income fit.
    pub model: IncomeModel,
    /// Contiguity, hole filling, near-miss floor.
    pub grouping: GroupingSettings,
    /// Medians given by the user.
    pub overrides: MedianOverrides,
    /// How perimeters are judged where the public grid leaves room (drawn lines,
    /// estimates near a threshold): `qpv check`, the adjustments, the workbench, the atlas.
    pub judging: crate::verdict::Judging,
}

impl RunSettings {
    /// Defaults for a grid in `territory`.
    pub fn for_territory(territory: Territory) -> Self {
        RunSettings {
            rule: match territory {
                Territory::Metropolitan => Rule::metropolitan(),
                Territory::Overseas => Rule::overseas(),
            },
            model: IncomeModel::default(),
            grouping: GroupingSettings::default(),
            overrides: MedianOverrides::default(),
            judging: crate::verdict::Judging::default(),
        }
    }
}

impl Territory {
    /// The rule that applies to a grid in this CRS (METHOD.md §4): EPSG:3035 is
    /// metropolitan France, EPSG:5490 (Antilles) and EPSG:2975 (Réunion) overseas.
    pub fn for_epsg(epsg: u32) -> Option<Territory> {
        match epsg {
            3035 => Some(Territory::Metropolitan),
            5490 | 2975 => Some(Territory::Overseas),
            _ => None,
        }
    }
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    /// The grid holds no square.
    #[error("the grid holds no square")]
    EmptyGrid,
    /// The grid's CRS is none of the three the method knows.
    #[error(
        "EPSG:{0} is not a Filosofi grid CRS (3035 metropolitan France, 5490 Martinique, 2975 La Réunion)"
    )]
    UnknownCrs(u32),
    /// A département where the priority geography does not use the income grid.
    #[error(
        "squares of département {0}: Guadeloupe, Guyane, Mayotte and Saint-Martin quartiers are defined \
         from census indicators, not from the income grid; only Martinique (972) and La Réunion (974) \
         use the grid method"
    )]
    OutOfScope(String),
    /// The squares do not form one grid.
    #[error(transparent)]
    Grid(#[from] GridError),
    /// Flagging failed.
    #[error(transparent)]
    Flag(#[from] FlagError),
}

/// All stages' results.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Which rule was applied.
    pub territory: Territory,
    /// Squares placed in communes and territory units.
    pub placement: Placement,
    /// Income estimates, thresholds and flagged squares.
    pub flagged: FlaggedSquares,
    /// Candidates and near misses.
    pub candidates: Candidates,
    /// Wall time of each stage, in order.
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

/// Runs the statistical method on a grid: built, configured, consumed.
///
/// ```
/// # use qpv_core::*;
/// # let grid = GridBuilder::new().finish();
/// # let communes = CommuneTable::default();
/// let result = Pipeline::new(&grid, &communes).run();
/// assert!(matches!(result, Err(RunError::EmptyGrid)));
/// ```
pub struct Pipeline<'a> {
    grid: &'a Grid,
    communes: &'a CommuneTable,
    settings: Option<RunSettings>,
    reference: Option<&'a MedianReference>,
}

impl<'a> Pipeline<'a> {
    /// A pipeline over `grid` with `communes` as territorial reference.
    pub fn new(grid: &'a Grid, communes: &'a CommuneTable) -> Self {
        Pipeline { grid, communes, settings: None, reference: None }
    }

    /// Uses these settings instead of the defaults for the grid's territory.
    pub fn settings(mut self, settings: RunSettings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// Takes the national and urban-unit medians from a reference of the whole grid.
    pub fn reference(mut self, reference: Option<&'a MedianReference>) -> Self {
        self.reference = reference;
        self
    }

    /// Runs every stage.
    pub fn run(self) -> Result<RunOutput, RunError> {
        let clock = std::time::Instant::now();
        let prepared = self.prepare()?;
        let mut timings = vec![("index and placement", clock.elapsed())];
        let settings =
            self.settings.clone().unwrap_or_else(|| RunSettings::for_territory(prepared.territory));
        let (flagged, candidates, stage_times) = self.run_prepared_timed(&prepared, &settings)?;
        timings.extend(stage_times);
        let Prepared { territory, placement, .. } = prepared;
        Ok(RunOutput { territory, placement, flagged, candidates, timings })
    }

    /// The part of a run that no setting changes (index, placement), to run many
    /// variants of the settings on one grid (`qpv sweep`, `qpv calibrate`).
    pub fn prepare(&self) -> Result<Prepared, RunError> {
        let frame = self.grid.frame().ok_or(RunError::EmptyGrid)?;
        let territory = Territory::for_epsg(frame.epsg).ok_or(RunError::UnknownCrs(frame.epsg))?;
        let index = self.grid.index()?;
        if territory == Territory::Overseas {
            check_overseas_scope(self.grid)?;
        }
        let placement = Placement::new(self.grid, self.communes, territory);
        Ok(Prepared { territory, index, placement })
    }

    /// Flags and groups with `settings` on a prepared grid.
    pub fn run_prepared(
        &self,
        prepared: &Prepared,
        settings: &RunSettings,
    ) -> Result<(FlaggedSquares, Candidates), RunError> {
        self.run_prepared_timed(prepared, settings).map(|(f, c, _)| (f, c))
    }

    fn run_prepared_timed(&self, prepared: &Prepared, settings: &RunSettings) -> Result<Stages, RunError> {
        let mut clock = std::time::Instant::now();
        let flagged = flag_squares(
            self.grid,
            &prepared.placement,
            &settings.rule,
            &settings.model,
            self.reference,
            settings.overrides,
        )?;
        let t_flag = clock.elapsed();
        clock = std::time::Instant::now();
        let candidates = group_candidates(
            self.grid,
            &prepared.placement,
            &flagged,
            &settings.rule,
            &settings.grouping,
            &prepared.index,
        );
        Ok((flagged, candidates, vec![("income and flags", t_flag), ("candidates", clock.elapsed())]))
    }
}

type Stages = (FlaggedSquares, Candidates, Vec<(&'static str, std::time::Duration)>);

/// The settings-independent part of a run.
#[derive(Debug)]
pub struct Prepared {
    /// Which rule applies.
    pub territory: Territory,
    /// Inhabited cells.
    pub index: crate::SquareIndex,
    /// Squares placed in communes and units.
    pub placement: Placement,
}

fn check_overseas_scope(grid: &Grid) -> Result<(), RunError> {
    for i in 0..grid.len() {
        for c in grid.communes(i) {
            let dep = c.departement();
            if dep != "972" && dep != "974" {
                return Err(RunError::OutOfScope(dep.to_owned()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cell, Commune, CommuneCode, GridBuilder, GridFrame, SquareValues};

    fn commune(code: &str, population: f64) -> Commune {
        Commune {
            code: CommuneCode::parse(code.as_bytes()).unwrap(),
            name: format!("c{code}"),
            departement: code[..3].into(),
            epci: "E".into(),
            epci_name: "EPCI".into(),
            urban_unit: "9B601".into(),
            urban_unit_name: "Fort-de-France".into(),
            population,
            urban_unit_population: Some(116_462.0),
        }
    }

    /// A 2×2 block of poor squares of `ind` inhabitants in `code`, plus one well-off square.
    fn overseas_grid(code: &str, ind: f64) -> Grid {
        let frame = GridFrame { epsg: 5490, square_size: 200 };
        let c = [CommuneCode::parse(code.as_bytes()).unwrap()];
        let v = |ind: f64, mean: f64, poor: f64| SquareValues {
            individuals: ind,
            households: ind / 2.0,
            poor_households: poor * ind / 2.0,
            income_sum: mean * ind,
            imputed: false,
        };
        let mut b = GridBuilder::new();
        for (n, (x, y)) in [(0, 0), (1, 0), (0, 1), (1, 1)].into_iter().enumerate() {
            b.push(frame, Cell::new(x, y), v(ind, 9_000.0, 0.6), &c, n as u64 + 2).unwrap();
        }
        b.push(frame, Cell::new(5, 5), v(500.0, 25_000.0, 0.05), &c, 6).unwrap();
        b.finish()
    }

    fn settings() -> RunSettings {
        let mut s = RunSettings::for_territory(Territory::Overseas);
        s.overrides.national_median = Some(21_000.0);
        s
    }

    #[test]
    fn overseas_grid_uses_the_commune_rule_and_density() {
        let table = CommuneTable::new(vec![commune("97209", 76_512.0)]);
        // 4 × 300 = 1 200 inhabitants on 0.16 km²: 7 500 per km².
        let grid = overseas_grid("97209", 300.0);
        let out = Pipeline::new(&grid, &table).settings(settings()).run().unwrap();
        assert_eq!(out.territory, Territory::Overseas);
        assert_eq!(out.placement.units[0].code, "97209");
        assert_eq!(out.candidates.candidates.len(), 1);
        // S uses 0.3 × metropolitan + 0.7 × département median.
        let unit = &out.flagged.units[0];
        let dep = unit.local_median.unwrap();
        assert_eq!(
            unit.legal.unwrap(),
            crate::threshold::round_up(0.6 * (0.3 * 21_000.0 + 0.7 * dep), 100.0)
        );
    }

    #[test]
    fn overseas_commune_under_15000_is_not_eligible() {
        let table = CommuneTable::new(vec![commune("97209", 14_000.0)]);
        let grid = overseas_grid("97209", 300.0);
        let out = Pipeline::new(&grid, &table).settings(settings()).run().unwrap();
        assert!(out.candidates.candidates.is_empty());
        assert!(out.flagged.flagged.is_empty());
    }

    #[test]
    fn overseas_sparse_area_fails_on_density() {
        let table = CommuneTable::new(vec![commune("97209", 76_512.0)]);
        let frame = GridFrame { epsg: 5490, square_size: 200 };
        let c = [CommuneCode::parse(b"97209").unwrap()];
        let mut b = GridBuilder::new();
        // 16 squares × 70 = 1 120 inhabitants on 0.64 km²: 1 750 per km².
        for x in 0..4 {
            for y in 0..4 {
                let v = SquareValues {
                    individuals: 70.0,
                    households: 35.0,
                    poor_households: 21.0,
                    income_sum: 630_000.0,
                    imputed: false,
                };
                b.push(frame, Cell::new(x, y), v, &c, (x * 4 + y) as u64 + 2).unwrap();
            }
        }
        let v = SquareValues {
            individuals: 900.0,
            households: 400.0,
            poor_households: 10.0,
            income_sum: 25e6,
            imputed: false,
        };
        b.push(frame, Cell::new(9, 9), v, &c, 20).unwrap();
        let grid = b.finish();
        let out = Pipeline::new(&grid, &table).settings(settings()).run().unwrap();
        assert!(out.candidates.candidates.is_empty());
        let miss = &out.candidates.near_misses[0];
        assert_eq!(miss.shortfalls, vec![crate::Shortfall::Density { minimum: 2_000.0 }]);
    }

    #[test]
    fn overseas_needs_the_metropolitan_median() {
        let table = CommuneTable::new(vec![commune("97209", 76_512.0)]);
        let grid = overseas_grid("97209", 300.0);
        let err = Pipeline::new(&grid, &table).run().unwrap_err();
        assert_eq!(err, RunError::Flag(FlagError::NoMetropolitanMedian));
    }

    #[test]
    fn guadeloupe_is_out_of_scope() {
        let table = CommuneTable::new(vec![commune("97101", 76_512.0)]);
        let grid = overseas_grid("97101", 300.0);
        let err = Pipeline::new(&grid, &table).settings(settings()).run().unwrap_err();
        assert_eq!(err, RunError::OutOfScope("971".into()));
        assert!(err.to_string().contains("census indicators"));
    }

    #[test]
    fn unknown_crs_is_refused() {
        let frame = GridFrame { epsg: 2154, square_size: 200 };
        let mut b = GridBuilder::new();
        let v = SquareValues {
            individuals: 1.0,
            households: 1.0,
            poor_households: 0.0,
            income_sum: 1.0,
            imputed: false,
        };
        b.push(frame, Cell::new(0, 0), v, &[], 2).unwrap();
        let err = Pipeline::new(&b.finish(), &CommuneTable::default()).run().unwrap_err();
        assert_eq!(err, RunError::UnknownCrs(2154));
    }
}

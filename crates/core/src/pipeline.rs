//! The statistical pipeline, stage by stage: grid → placed squares → flagged
//! squares → candidates.

use crate::{
    flag_squares, group_candidates, Candidates, CommuneTable, FlagError, FlaggedSquares, Grid, GridError,
    GroupingSettings, IncomeModel, MedianOverrides, MedianReference, Placement, Rule, Territory,
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
    #[error("EPSG:{0} is not a Filosofi grid CRS (3035 metropolitan France, 5490 Martinique, 2975 La Réunion)")]
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
        let frame = self.grid.frame().ok_or(RunError::EmptyGrid)?;
        let territory = Territory::for_epsg(frame.epsg).ok_or(RunError::UnknownCrs(frame.epsg))?;
        let settings = self.settings.unwrap_or_else(|| RunSettings::for_territory(territory));
        let index = self.grid.index()?;
        if territory == Territory::Overseas {
            check_overseas_scope(self.grid)?;
        }
        let placement = Placement::new(self.grid, self.communes, territory);
        let flagged = flag_squares(
            self.grid,
            &placement,
            &settings.rule,
            &settings.model,
            self.reference,
            settings.overrides,
        )?;
        let candidates =
            group_candidates(self.grid, &placement, &flagged, &settings.rule, &settings.grouping, &index);
        Ok(RunOutput { territory, placement, flagged, candidates })
    }
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

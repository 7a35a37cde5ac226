//! `qpv`: thin glue between the command line and the library crates.
//!
//! Exit codes: 0 success, 2 error (the message names the file, line or square and
//! the fix). Messages go to stderr; data goes to files.

mod analysed;
mod args;
mod commands;
mod printer;
mod progress;
mod settings;

use args::{Cli, Command, ReferenceCommand};
use clap::FromArgMatches;
use printer::Printer;
use std::process::ExitCode;

fn main() -> ExitCode {
    let matches = args::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let printer = if cli.quiet { Printer::Quiet } else { Printer::Default };
    let result = match &cli.command {
        Command::Run(args) => commands::run::run(args, printer),
        Command::Import(args) => commands::import::import(args, printer),
        Command::Sweep(args) => commands::sweep::sweep(args, printer),
        Command::Calibrate(args) => commands::sweep::calibrate(args, printer),
        Command::Reference(ReferenceCommand::Build(args)) => commands::reference::build(args, printer),
        Command::Reference(ReferenceCommand::Totals(args)) => commands::reference::totals(args, printer),
        Command::Map(args) => commands::map::map(args, printer),
        Command::Compare(args) => commands::compare::compare(args, printer),
        Command::Check(args) => commands::check::check(args, printer),
        Command::Adjust(args) => commands::adjust::adjust(args, printer),
        Command::Serve(args) => commands::serve::serve(args, printer),
        Command::Indicators(args) => commands::indicators::indicators(args, printer),
        Command::Atlas(args) => commands::atlas::atlas(args, printer),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

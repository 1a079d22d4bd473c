//! The `sgaudit` binary: parse arguments, set up logging, run, map errors to
//! exit codes. Everything else lives in the library.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use sgaudit::cli::{self, exit, Cli, UsageError};
use sgaudit::report::package::baseline::BaselineError;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let level = match cli.verbose {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    // sgaudit's own events at the chosen level; the AWS SDK's only from -vvv
    // (its warnings are about its own configuration, not about the run).
    let filter = Targets::new()
        .with_target("sgaudit", level)
        .with_default(if cli.verbose >= 3 { level } else { LevelFilter::ERROR });
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .init();

    match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`sgaudit checks | head`) is not an error.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::from(exit::OK);
            }
            eprintln!("sgaudit: {err:#}");
            let usage = err.chain().any(|e| e.is::<UsageError>());
            let tampered = err
                .chain()
                .any(|e| matches!(e.downcast_ref::<BaselineError>(), Some(BaselineError::Tampered { .. })));
            ExitCode::from(if tampered {
                exit::TAMPERED
            } else if usage {
                exit::USAGE
            } else {
                exit::ERROR
            })
        }
    }
}

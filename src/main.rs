//! The `sgaudit` binary: parse arguments, set up logging, run, map errors to
//! exit codes. Everything else lives in the library.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use sgaudit::cli::{self, exit, Cli, UsageError};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
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
            ExitCode::from(if usage { exit::USAGE } else { exit::ERROR })
        }
    }
}

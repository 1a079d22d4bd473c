//! The `sgaudit` binary: parse arguments, set up logging, run, map errors to
//! exit codes. Everything else lives in the library.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use sgaudit::cli::{self, exit, Cli, UsageError};
use sgaudit::report::package::baseline::BaselineError;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` of mimalloc.h's `mi_option_e` (the same in its
/// v2 and v3; the bindings have no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Freed memory goes back to the OS after 100 ms rather than 10: the
    // report writers free and reallocate large buffers all the time, and
    // each return made the kernel zero the pages again (a tenth of a large
    // assessment's time, in huge pages). Longer is no faster (1,000 accounts
    // of 100 groups: 15.7 s at 100 ms, 16.5 s at 1 s, 20 s at 0) and holds
    // more (50,000 accounts: 1.9 GiB at 100 ms, 2.0 at 1 s).
    // MIMALLOC_PURGE_DELAY in the environment (milliseconds) still decides.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: setting an option is allowed at any time, from any thread.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 100) };
    }
    // Where a stage frees a lot before the next allocates (the checks'
    // findings merged, the assessment done), what was freed goes back at
    // once (`mi_collect` with force: every thread's abandoned pages too).
    // SAFETY: mi_collect may be called at any time, from any thread.
    sgaudit::memory::on_return_freed(|| unsafe { libmimalloc_sys::mi_collect(true) });
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

//! Progress on stderr while collecting: accounts done of all, and failures.
//! Only when stderr is a terminal; a pipeline's log gets the summary alone.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Progress {
    inner: Arc<Inner>,
}

struct Inner {
    enabled: bool,
    total: AtomicUsize,
    done: AtomicUsize,
    failed: AtomicUsize,
    finished: AtomicBool,
    started: Instant,
}

impl Progress {
    /// Progress shown when stderr is a terminal and `quiet` is off.
    pub fn new(quiet: bool) -> Self {
        Progress::with(!quiet && std::io::stderr().is_terminal())
    }

    pub fn hidden() -> Self {
        Progress::with(false)
    }

    fn with(enabled: bool) -> Self {
        Progress {
            inner: Arc::new(Inner {
                enabled,
                total: AtomicUsize::new(0),
                done: AtomicUsize::new(0),
                failed: AtomicUsize::new(0),
                finished: AtomicBool::new(false),
                started: Instant::now(),
            }),
        }
    }

    pub(crate) fn start(&self, total: usize) {
        self.inner.total.store(total, Ordering::Relaxed);
        if !self.inner.enabled {
            return;
        }
        let inner = self.inner.clone();
        tokio::spawn(async move {
            while !inner.finished.load(Ordering::Relaxed) {
                inner.draw();
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }

    pub(crate) fn account_done(&self, ok: bool) {
        self.inner.done.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.inner.failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn finish(&self) {
        self.inner.finished.store(true, Ordering::Relaxed);
        if self.inner.enabled {
            self.inner.draw();
            eprintln!();
        }
    }
}

impl Inner {
    fn draw(&self) {
        let failed = self.failed.load(Ordering::Relaxed);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\rsgaudit: collecting: {}/{} accounts{}, {:.0} s ",
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
            if failed > 0 {
                format!(" ({failed} not collected)")
            } else {
                String::new()
            },
            self.started.elapsed().as_secs_f64()
        );
        let _ = err.flush();
    }
}

//! Data parallelism on scoped threads, written once.
//!
//! sgaudit's heavy steps (parsing a snapshot's accounts, checking them,
//! parsing a baseline, writing account pages, hashing a package) are each a
//! map over independent items. Two shapes cover them all: contiguous chunks
//! (cheap items of similar cost: one thread per chunk, no coordination) and a
//! shared queue (uneven items: each thread takes the next one, so that the
//! threads finish together). Results always come back in input order, which
//! keeps every output deterministic. No thread pool crate: the standard
//! library's scoped threads are enough for a handful of long-running maps.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads a parallel step uses: the machine's cores, at most 8
/// (beyond that the steps are limited by memory bandwidth, not by cores).
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8)
}

/// Map `items` in contiguous chunks, one thread per chunk; `f` gets each
/// chunk's offset in `items` and the chunk. The results are in chunk order.
pub fn map_chunks<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(usize, &[T]) -> R + Sync,
{
    let chunk = chunk_len(items.len());
    on_threads(items.chunks(chunk), chunk, &f)
}

/// One chunk per thread.
fn chunk_len(items: usize) -> usize {
    items.div_ceil(threads()).max(1)
}

/// `f(offset, chunk)` for every chunk, each on its own scoped thread; the
/// results in chunk order, a panic passed on.
fn on_threads<C, R, F>(chunks: impl Iterator<Item = C>, chunk: usize, f: &F) -> Vec<R>
where
    C: Send,
    R: Send,
    F: Fn(usize, C) -> R + Sync,
{
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .enumerate()
            .map(|(i, part)| scope.spawn(move || f(i * chunk, part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// A queue of items that threads take one at a time.
pub struct Queue<'a, T> {
    items: &'a [T],
    next: AtomicUsize,
}

impl<'a, T> Queue<'a, T> {
    pub fn new(items: &'a [T]) -> Self {
        Queue {
            items,
            next: AtomicUsize::new(0),
        }
    }

    /// The next item not yet taken, with its index.
    pub fn take(&self) -> Option<(usize, &'a T)> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        self.items.get(i).map(|item| (i, item))
    }
}

/// Map every item on [`threads`] threads that share a [`Queue`]; the results
/// are in input order.
pub fn map_queue<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let queue = Queue::new(items);
    drain(items.len(), || queue.take(), f)
}

/// Map `items` a run of `run` at a time on every core, a window of two runs
/// per thread at a time, and hand each run's result to `sink` in input
/// order: a file written from hundreds of thousands of items holds a few
/// runs' worth of it at once. Stops at the first error `sink` returns.
pub fn map_runs_in_order<T, R, E>(
    items: &[T],
    run: usize,
    map: impl Fn(&[T]) -> R + Sync,
    mut sink: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Sync,
    R: Send,
{
    let runs: Vec<&[T]> = items.chunks(run.max(1)).collect();
    for window in runs.chunks(threads() * 2) {
        for result in map_queue(window, |run| map(run)) {
            sink(result)?;
        }
    }
    Ok(())
}

/// [`map_queue`] over owned items, each handed over to `f` (boxed jobs that
/// run once, say); the results are in input order.
pub fn map_queue_owned<T, R, F>(items: Vec<T>, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    let count = items.len();
    let queue = std::sync::Mutex::new(items.into_iter().enumerate());
    drain(
        count,
        || queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).next(),
        f,
    )
}

/// Run `f` on what `take` gives (an item and its index) until it gives
/// nothing, on [`threads`] threads (fewer for fewer items); the results by
/// index, a panic passed on.
fn drain<T, R>(count: usize, take: impl Fn() -> Option<(usize, T)> + Sync, f: impl Fn(T) -> R + Sync) -> Vec<R>
where
    R: Send,
{
    let (take, f) = (&take, &f);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads().min(count.max(1)))
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    while let Some((i, item)) = take() {
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_and_queues_keep_the_input_order() {
        let items: Vec<u32> = (0..1000).collect();
        let sums = map_chunks(&items, |offset, part| (offset, part.iter().sum::<u32>()));
        assert_eq!(sums.iter().map(|(_, s)| s).sum::<u32>(), items.iter().sum::<u32>());
        assert!(sums.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(
            map_queue(&items, |x| x * 2),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
        assert!(map_chunks(&[] as &[u32], |_, p| p.len()).is_empty());
        assert!(map_queue(&[] as &[u32], |x| *x).is_empty());
        assert_eq!(
            map_queue_owned(items.clone(), |x| x * 2),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
    }

    #[test]
    fn runs_reach_the_sink_in_order_until_it_fails() {
        let items: Vec<u32> = (0..1000).collect();
        let mut seen = Vec::new();
        let done: Result<(), ()> = map_runs_in_order(
            &items,
            7,
            |run| run.to_vec(),
            |run| {
                seen.extend(run);
                Ok(())
            },
        );
        assert_eq!((done, &seen), (Ok(()), &items));
        let mut runs = 0;
        let failed = map_runs_in_order(
            &items,
            7,
            |run| run[0],
            |first| {
                runs += 1;
                if first >= 70 {
                    Err(first)
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!((failed, runs), (Err(70), 11));
    }
}

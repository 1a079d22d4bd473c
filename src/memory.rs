//! Handing freed memory back to the system, for the stages that free a lot
//! just before others allocate a lot.
//!
//! The binary's allocator keeps freed pages a while (mimalloc: 100 ms), on
//! the heaps of the threads that freed them; between two such stages that
//! is memory held twice. `main` says how to return it at once (mimalloc's
//! `mi_collect`); without that (tests, another allocator, sgaudit as a
//! library) [`return_freed`] does nothing, so the library stays
//! allocator-agnostic.

static RETURN_FREED: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Set what [`return_freed`] does; the first call wins.
pub fn on_return_freed(f: fn()) {
    let _ = RETURN_FREED.set(f);
}

/// Hand freed memory back to the system now; whether there was a way to.
pub fn return_freed() -> bool {
    match RETURN_FREED.get() {
        Some(f) => {
            f();
            true
        }
        None => false,
    }
}

//! A rule's sources, counted in bounded memory.
//!
//! Exact while a rule has at most [`MAX_TRACKED_SOURCES`] distinct sources
//! (the common case for anything worth tightening); past that, a
//! Misra-Gries summary keeps the busiest: any source with more than
//! `flows / (k + 1)` of the flows is still in it, and memory stays at `k`
//! entries however many records are read. Two summaries merge, so each
//! reading thread keeps its own.

use std::net::IpAddr;

use crate::model::usage::{SourceCount, MAX_TRACKED_SOURCES};

#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Randomly keyed: the sources are chosen by whoever sends the traffic,
    /// who could otherwise pick addresses that collide.
    counts: std::collections::HashMap<IpAddr, u64, crate::analyze::fasthash::KeyedFold>,
    /// Whether a count was ever lowered (the summary is no longer exact).
    approximate: bool,
}

impl Sources {
    pub fn add(&mut self, addr: IpAddr) {
        if let Some(n) = self.counts.get_mut(&addr) {
            *n += 1;
            return;
        }
        if self.counts.len() < MAX_TRACKED_SOURCES {
            self.counts.insert(addr, 1);
            return;
        }
        // Full: the new source and every kept one lose one flow.
        self.approximate = true;
        self.counts.retain(|_, n| {
            *n -= 1;
            *n > 0
        });
    }

    pub fn merge(&mut self, other: Sources) {
        self.approximate |= other.approximate;
        for (addr, n) in other.counts {
            *self.counts.entry(addr).or_default() += n;
        }
        if self.counts.len() > MAX_TRACKED_SOURCES {
            // Subtract the (k+1)-th largest count: at most k survive.
            let mut all: Vec<u64> = self.counts.values().copied().collect();
            all.sort_unstable_by(|a, b| b.cmp(a));
            let cut = all[MAX_TRACKED_SOURCES];
            self.approximate = true;
            self.counts.retain(|_, n| {
                *n = n.saturating_sub(cut);
                *n > 0
            });
        }
    }

    pub fn is_complete(&self) -> bool {
        !self.approximate
    }

    /// Distinct sources: exact when complete, else a lower bound.
    pub fn distinct(&self) -> u64 {
        if self.approximate {
            MAX_TRACKED_SOURCES as u64 + 1
        } else {
            self.counts.len() as u64
        }
    }

    /// Every source by address (complete summaries only).
    pub fn all(&self) -> Vec<SourceCount> {
        if self.approximate {
            return Vec::new();
        }
        let mut v: Vec<SourceCount> = self
            .counts
            .iter()
            .map(|(&address, &flows)| SourceCount { address, flows })
            .collect();
        v.sort_by_key(|s| s.address);
        v
    }

    /// The busiest `n`, most flows first, then by address.
    pub fn top(&self, n: usize) -> Vec<SourceCount> {
        let mut v: Vec<SourceCount> = self
            .counts
            .iter()
            .map(|(&address, &flows)| SourceCount { address, flows })
            .collect();
        v.sort_by(|a, b| b.flows.cmp(&a.flows).then(a.address.cmp(&b.address)));
        v.truncate(n);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(n: u32) -> IpAddr {
        IpAddr::V4(n.into())
    }

    #[test]
    fn exact_while_small() {
        let mut s = Sources::default();
        for i in 0..10 {
            for _ in 0..=i {
                s.add(v4(i));
            }
        }
        assert!(s.is_complete());
        assert_eq!(s.distinct(), 10);
        assert_eq!(
            s.top(2)[0],
            SourceCount {
                address: v4(9),
                flows: 10
            }
        );
        assert_eq!(s.all().len(), 10);
    }

    #[test]
    fn a_heavy_source_survives_a_flood_of_one_off_sources() {
        let mut s = Sources::default();
        for i in 0..100_000u32 {
            s.add(v4(1_000_000 + i));
            if i % 10 == 0 {
                s.add(v4(7));
            }
        }
        assert!(!s.is_complete());
        assert!(s.counts.len() <= MAX_TRACKED_SOURCES);
        assert_eq!(s.top(1)[0].address, v4(7));
        assert!(s.all().is_empty(), "an approximate summary lists no complete set");
    }

    #[test]
    fn merging_keeps_the_bound_and_the_heavy_hitters() {
        let (mut a, mut b) = (Sources::default(), Sources::default());
        for i in 0..900u32 {
            a.add(v4(i));
            b.add(v4(10_000 + i));
        }
        for _ in 0..50 {
            a.add(v4(5));
            b.add(v4(5));
        }
        a.merge(b);
        assert!(!a.is_complete());
        assert!(a.counts.len() <= MAX_TRACKED_SOURCES);
        assert_eq!(a.top(1)[0].address, v4(5));
    }
}

//! A multiply-and-fold hasher, for hash maps whose keys are ids, addresses
//! and digests read in bulk (a fraction of SipHash's cost). Not for keys an
//! adversary may pick to collide without bound: the maps it serves are either
//! keyed by the snapshot's own ids or capped in size.

use std::hash::{BuildHasherDefault, Hasher};

#[derive(Clone, Copy, Default)]
pub struct FoldHasher(u64);

impl FoldHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FoldHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    #[inline]
    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FoldBuild = BuildHasherDefault<FoldHasher>;

/// A `HashMap` with [`FoldHasher`].
pub type FoldMap<K, V> = std::collections::HashMap<K, V, FoldBuild>;

/// [`FoldHasher`] started from a random key and finished with an avalanche,
/// for maps whose keys others choose (the sources of traffic): without the
/// key, which addresses share a bucket cannot be worked out in advance.
#[derive(Clone, Copy)]
pub struct KeyedFold(u64);

impl Default for KeyedFold {
    fn default() -> Self {
        use std::hash::BuildHasher;
        thread_local! {
            static KEY: u64 = std::collections::hash_map::RandomState::new().hash_one(0x5a5a_u64);
        }
        KeyedFold(KEY.with(|k| *k))
    }
}

impl std::hash::BuildHasher for KeyedFold {
    type Hasher = Keyed;
    fn build_hasher(&self) -> Keyed {
        Keyed(FoldHasher(self.0))
    }
}

pub struct Keyed(FoldHasher);

impl Hasher for Keyed {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.0.write_u8(n);
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.0.write_u32(n);
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0.write_u64(n);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0.write_usize(n);
    }
    /// MurmurHash3's 64-bit finaliser: every bit of the state reaches the
    /// low bits a table indexes by.
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.0 .0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

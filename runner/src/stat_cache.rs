//! The stat cache: content hashes of files whose metadata has not changed.
//!
//! Hashing every source on every check would read the whole tree. Instead the
//! cache maps a path to the file's size, mtime, inode and ctime (all with
//! nanoseconds where the platform has them) and the BLAKE3 hash of its
//! contents. A file whose four values are unchanged is taken to have the
//! same contents and is not read again. ctime catches edits that restore the
//! mtime (`touch -d`), because the kernel sets ctime on every change and no
//! system call sets it back.
//!
//! Timestamps are coarse: Linux stamps files from a clock that ticks every few
//! milliseconds, so a file written twice within one tick keeps its mtime, and
//! a hash taken between the two writes would match the second version's
//! metadata. Such "racily clean" entries are not trusted, the way git treats
//! its index. An entry loaded from disk is used only when the file's mtime and
//! ctime are older than the cache file's own mtime, since the cache was
//! written after every hash in it was taken, on the same clock and with the
//! same granularity when the files share a filesystem. An entry added during
//! this run is used only when the file's timestamps are at least
//! [`RACY_WINDOW_NS`] older than the moment its hashing started. A racy file
//! is hashed again instead.
//!
//! NOTE: on a network filesystem whose server clock runs behind this host's,
//! the cache file's mtime is not a safe bound for files on another
//! filesystem; sources there may need `--clean` after an edit that kept size
//! and timestamps.
//!
//! The cache is shared by all tasks of a project and is only an accelerator:
//! deleting it costs one full rehash, never a wrong answer. Entries that no
//! check looked up during [`MAX_UNSEEN_SAVES`] saves in a row are dropped.

use std::collections::HashMap;
use std::fs::Metadata;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::codec::{Decoder, Encoder};
use crate::{Error, Result, fs};

const MAGIC: &[u8; 8] = b"RNSTATC\n";
const FORMAT_VERSION: u32 = 1;

/// How much older than the start of hashing a file's timestamps must be
/// before a hash added during this run is trusted: 2 s, which covers the 2 s
/// mtime granularity of FAT as well as the millisecond ticks of ext4, XFS and
/// btrfs.
pub(crate) const RACY_WINDOW_NS: i64 = 2_000_000_000;

/// The number of saves an entry survives without being looked up.
const MAX_UNSEEN_SAVES: u32 = 8;

/// The metadata that identifies one version of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileStat {
    pub(crate) size: u64,
    /// Modification time in nanoseconds since the Unix epoch.
    pub(crate) mtime_ns: i64,
    pub(crate) ino: u64,
    /// Status change time in nanoseconds since the Unix epoch; 0 where the
    /// platform has none.
    pub(crate) ctime_ns: i64,
}

impl FileStat {
    #[cfg(unix)]
    pub(crate) fn from_metadata(metadata: &Metadata) -> FileStat {
        use std::os::unix::fs::MetadataExt;

        FileStat {
            size: metadata.size(),
            mtime_ns: metadata.mtime().saturating_mul(1_000_000_000) + metadata.mtime_nsec(),
            ino: metadata.ino(),
            ctime_ns: metadata.ctime().saturating_mul(1_000_000_000) + metadata.ctime_nsec(),
        }
    }

    #[cfg(not(unix))]
    pub(crate) fn from_metadata(metadata: &Metadata) -> FileStat {
        let mtime_ns = metadata.modified().map(system_time_ns).unwrap_or(0);
        FileStat { size: metadata.len(), mtime_ns, ino: 0, ctime_ns: 0 }
    }

    pub(crate) fn encode(&self, encoder: &mut Encoder) {
        encoder.u64(self.size);
        encoder.i64(self.mtime_ns);
        encoder.u64(self.ino);
        encoder.i64(self.ctime_ns);
    }

    pub(crate) fn decode(decoder: &mut Decoder) -> Option<FileStat> {
        Some(FileStat {
            size: decoder.u64()?,
            mtime_ns: decoder.i64()?,
            ino: decoder.u64()?,
            ctime_ns: decoder.i64()?,
        })
    }

    /// The encoded size in bytes.
    pub(crate) const ENCODED_LEN: usize = 32;
}

/// Returns a time in nanoseconds since the Unix epoch, negative before it.
pub(crate) fn system_time_ns(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_nanos()).unwrap_or(i64::MAX),
    }
}

struct Entry {
    stat: FileStat,
    hash: blake3::Hash,
    /// The save generation in which a check last looked the entry up.
    seen: u32,
    /// When hashing started, for an entry added during this run; `None` for
    /// an entry loaded from disk.
    hashed_at_ns: Option<i64>,
}

/// Content hashes by path, loaded from and saved to one file.
pub(crate) struct StatCache {
    entries: HashMap<String, Entry>,
    generation: u32,
    /// The mtime of the loaded cache file; entries of files changed at or
    /// after it are racy.
    written_ns: i64,
    modified: bool,
}

impl StatCache {
    pub(crate) fn empty() -> StatCache {
        StatCache { entries: HashMap::new(), generation: 0, written_ns: i64::MIN, modified: false }
    }

    /// Loads the cache from `path`. A missing, truncated or foreign file gives
    /// an empty cache, since every entry can be recomputed.
    pub(crate) fn load(path: &Path) -> Result<StatCache> {
        let Some(bytes) = fs::read_if_exists(path)? else {
            return Ok(StatCache::empty());
        };
        let written_ns = match std::fs::metadata(path) {
            Ok(metadata) => FileStat::from_metadata(&metadata).mtime_ns,
            Err(err) => return Err(Error::io("read metadata of", path, err)),
        };
        match StatCache::decode(&bytes, written_ns) {
            Some(cache) => Ok(cache),
            None => {
                log::debug!("ignoring unreadable stat cache `{}`", path.display());
                Ok(StatCache::empty())
            }
        }
    }

    fn decode(bytes: &[u8], written_ns: i64) -> Option<StatCache> {
        let mut decoder = Decoder::new(bytes);
        if decoder.raw(MAGIC.len())? != MAGIC || decoder.u32()? != FORMAT_VERSION {
            return None;
        }

        let generation = decoder.u32()?.wrapping_add(1);
        let count = decoder.count(4 + FileStat::ENCODED_LEN + 32 + 4)?;
        let mut entries = HashMap::with_capacity(count);
        for _ in 0..count {
            let path = decoder.str()?.to_owned();
            let stat = FileStat::decode(&mut decoder)?;
            let hash = blake3::Hash::from_bytes(decoder.array()?);
            let seen = decoder.u32()?;
            entries.insert(path, Entry { stat, hash, seen, hashed_at_ns: None });
        }

        let cache = StatCache { entries, generation, written_ns, modified: false };
        decoder.is_empty().then_some(cache)
    }

    /// Returns the encoded cache, without the entries unseen for too long.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut encoder = Encoder::with_capacity(64 + self.entries.len() * 96);
        encoder.raw(MAGIC);
        encoder.u32(FORMAT_VERSION);
        encoder.u32(self.generation);

        let kept: Vec<_> = self
            .entries
            .iter()
            .filter(|(_, entry)| self.generation.wrapping_sub(entry.seen) < MAX_UNSEEN_SAVES)
            .collect();
        encoder.u64(kept.len() as u64);
        for (path, entry) in kept {
            encoder.str(path);
            entry.stat.encode(&mut encoder);
            encoder.raw(entry.hash.as_bytes());
            encoder.u32(entry.seen);
        }
        encoder.finish()
    }

    /// Whether entries were added or replaced since the cache was loaded.
    pub(crate) fn is_modified(&self) -> bool {
        self.modified
    }

    /// Returns the cached hash of `path` if its metadata still matches and
    /// the entry is not racy.
    pub(crate) fn lookup(&mut self, path: &str, stat: &FileStat) -> Option<blake3::Hash> {
        let entry = self.entries.get_mut(path)?;
        if entry.stat != *stat {
            return None;
        }

        let newest = stat.mtime_ns.max(stat.ctime_ns);
        let racy = match entry.hashed_at_ns {
            Some(hashed_at_ns) => newest > hashed_at_ns.saturating_sub(RACY_WINDOW_NS),
            None => newest >= self.written_ns,
        };
        if racy {
            log::trace!("hashing `{path}` again: it changed too close to its cached hash");
            return None;
        }

        entry.seen = self.generation;
        Some(entry.hash)
    }

    /// Stores the hash of `path`, taken from contents read after
    /// `hashed_at_ns`.
    pub(crate) fn insert(
        &mut self,
        path: &str,
        stat: FileStat,
        hash: blake3::Hash,
        hashed_at_ns: i64,
    ) {
        let entry = Entry { stat, hash, seen: self.generation, hashed_at_ns: Some(hashed_at_ns) };
        self.entries.insert(path.to_owned(), entry);
        self.modified = true;
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000 * 1_000_000_000;

    fn stat(mtime_ns: i64) -> FileStat {
        FileStat { size: 10, mtime_ns, ino: 42, ctime_ns: mtime_ns }
    }

    fn reload(cache: &StatCache, written_ns: i64) -> StatCache {
        StatCache::decode(&cache.encode(), written_ns).expect("decodes")
    }

    #[test]
    fn lookup_matches_only_identical_stat() {
        let mut cache = StatCache::empty();
        let hash = blake3::hash(b"contents");
        cache.insert("a.txt", stat(1), hash, NOW);

        assert_eq!(cache.lookup("a.txt", &stat(1)), Some(hash));
        assert_eq!(cache.lookup("a.txt", &stat(2)), None);
        assert_eq!(cache.lookup("b.txt", &stat(1)), None);
    }

    #[test]
    fn entry_added_in_racy_window_is_not_used() {
        let mut cache = StatCache::empty();
        cache.insert("new.txt", stat(NOW - 1_000), blake3::hash(b"x"), NOW);

        assert_eq!(cache.lookup("new.txt", &stat(NOW - 1_000)), None);
    }

    #[test]
    fn loaded_entry_newer_than_cache_file_is_not_used() {
        let mut cache = StatCache::empty();
        let hash = blake3::hash(b"x");
        cache.insert("old.txt", stat(NOW - 10), hash, NOW);
        cache.insert("same-tick.txt", stat(NOW), hash, NOW);

        let mut loaded = reload(&cache, NOW);
        assert_eq!(loaded.lookup("old.txt", &stat(NOW - 10)), Some(hash));
        assert_eq!(loaded.lookup("same-tick.txt", &stat(NOW)), None);
    }

    #[test]
    fn encode_decode_round_trip() {
        let mut cache = StatCache::empty();
        let hash = blake3::hash(b"contents");
        cache.insert("dir/a.txt", stat(5), hash, NOW);

        let mut loaded = reload(&cache, NOW);
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded.lookup("dir/a.txt", &stat(5)), Some(hash));
        assert!(!loaded.is_modified());
    }

    #[test]
    fn unseen_entries_expire() {
        let mut cache = StatCache::empty();
        cache.insert("old.txt", stat(5), blake3::hash(b"x"), NOW);

        for _ in 0..MAX_UNSEEN_SAVES {
            cache = reload(&cache, NOW);
        }
        assert_eq!(cache.len(), 1);
        cache = reload(&cache, NOW);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn corrupt_bytes_decode_to_none() {
        let mut cache = StatCache::empty();
        cache.insert("a.txt", stat(5), blake3::hash(b"x"), NOW);
        let bytes = cache.encode();

        assert!(StatCache::decode(&bytes[..bytes.len() - 1], NOW).is_none());
        assert!(StatCache::decode(b"not a cache", NOW).is_none());
    }
}

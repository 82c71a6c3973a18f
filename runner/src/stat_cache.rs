//! The stat cache: content hashes of files whose metadata has not changed.
//!
//! Hashing every source on every check would read the whole tree. Instead the
//! cache maps a path to the file's size, mtime, inode and ctime (all with
//! nanoseconds where the platform has them) and the BLAKE3 hash of its
//! contents. A file whose four values are unchanged is taken to have the
//! same contents and is not read again. ctime catches edits that restore the
//! mtime (`touch -d`), because the kernel sets ctime on every change and no
//! system call sets it back (short of changing the system clock).
//!
//! Timestamps are coarse: Linux stamps files from a clock that ticks every few
//! milliseconds, so a file written twice within one tick keeps its mtime, and
//! a hash taken between the two writes would match the second version's
//! metadata. Such "racily clean" entries are never trusted. An entry is used
//! and saved only when the file's mtime and ctime were at least
//! [`RACY_WINDOW_NS`] older than the moment its hashing started: any later
//! write then stamps a newer time. A file edited moments before a check is
//! hashed again by the next check instead. As a guard against a clock set
//! back, an entry loaded from disk is also used only when the file's
//! timestamps are older than the cache file's own mtime.
//!
//! NOTE: on a network filesystem whose server clock runs behind this host's,
//! the racy check compares times from two clocks. An edit there that keeps a
//! source's size and timestamps may need `--clean` to be seen.
//!
//! The cache is shared by all tasks of a project and is only an accelerator:
//! deleting it costs one full rehash, never a wrong result. Entries that no
//! check looked up during [`MAX_UNSEEN_SAVES`] saves in a row are dropped.

use std::collections::HashMap;
use std::fs::Metadata;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::codec::{Decoder, Encoder};
use crate::sources::MatchedFile;
use crate::{Error, Result, fs};

const MAGIC: &[u8; 8] = b"RNSTATC\n";
const FORMAT_VERSION: u32 = 1;

/// The minimum age of a file's timestamps, at the start of hashing, for a
/// hash added during this run to be trusted. 2 s covers the 2 s mtime
/// granularity of FAT as well as the millisecond ticks of ext4, XFS and btrfs.
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

/// An entry of the loaded file. Its key stays in the file's bytes.
struct LoadedEntry {
    key_start: usize,
    key_len: usize,
    stat: FileStat,
    hash: blake3::Hash,
    /// The save generation in which a check last looked the entry up.
    seen: u32,
}

/// An entry added during this run.
struct AddedEntry {
    stat: FileStat,
    hash: blake3::Hash,
    /// When hashing started, for the racy check.
    hashed_at_ns: i64,
}

impl AddedEntry {
    /// Returns whether the file's timestamps were old enough, when hashing
    /// started, that a later write cannot have kept them.
    fn is_trusted(&self) -> bool {
        newest(&self.stat) <= self.hashed_at_ns.saturating_sub(RACY_WINDOW_NS)
    }
}

/// Content hashes by path, loaded from and saved to one file.
///
/// The file stores entries sorted by key, and a check's files come sorted by
/// key too, so [`StatCache::lookup_sorted`] finds them in one merge pass over
/// the loaded bytes, without building a map or copying a key.
pub(crate) struct StatCache {
    bytes: Vec<u8>,
    /// Sorted by key.
    loaded: Vec<LoadedEntry>,
    added: HashMap<String, AddedEntry>,
    generation: u32,
    /// The mtime of the loaded cache file; entries of files changed at or
    /// after it are racy.
    written_ns: i64,
}

impl StatCache {
    pub(crate) fn empty() -> StatCache {
        StatCache {
            bytes: Vec::new(),
            loaded: Vec::new(),
            added: HashMap::new(),
            generation: 0,
            written_ns: i64::MIN,
        }
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
        match StatCache::decode(bytes, written_ns) {
            Some(cache) => Ok(cache),
            None => {
                log::debug!("ignoring unreadable stat cache `{}`", path.display());
                Ok(StatCache::empty())
            }
        }
    }

    fn decode(bytes: Vec<u8>, written_ns: i64) -> Option<StatCache> {
        let mut decoder = Decoder::new(&bytes);
        if decoder.raw(MAGIC.len())? != MAGIC || decoder.u32()? != FORMAT_VERSION {
            return None;
        }

        let generation = decoder.u32()?.wrapping_add(1);
        let count = decoder.count(4 + FileStat::ENCODED_LEN + 32 + 4)?;
        let mut loaded = Vec::with_capacity(count);
        let mut previous: &[u8] = &[];
        for _ in 0..count {
            let key = decoder.bytes()?;
            if key <= previous && !loaded.is_empty() {
                return None;
            }
            previous = key;
            let key_start = key.as_ptr() as usize - bytes.as_ptr() as usize;
            let stat = FileStat::decode(&mut decoder)?;
            let hash = blake3::Hash::from_bytes(decoder.array()?);
            let seen = decoder.u32()?;
            loaded.push(LoadedEntry { key_start, key_len: key.len(), stat, hash, seen });
        }
        if !decoder.is_empty() {
            return None;
        }

        Some(StatCache { bytes, loaded, added: HashMap::new(), generation, written_ns })
    }

    fn key(&self, entry: &LoadedEntry) -> &[u8] {
        &self.bytes[entry.key_start..entry.key_start + entry.key_len]
    }

    /// Returns the encoded cache, sorted by key, without the entries unseen
    /// for too long.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut entries: Vec<(&[u8], &FileStat, &blake3::Hash, u32)> = self
            .loaded
            .iter()
            .filter(|entry| self.generation.wrapping_sub(entry.seen) < MAX_UNSEEN_SAVES)
            .map(|entry| (self.key(entry), &entry.stat, &entry.hash, entry.seen))
            .filter(|(key, ..)| {
                std::str::from_utf8(key).map_or(true, |key| !self.added.contains_key(key))
            })
            .collect();
        entries.extend(
            self.added
                .iter()
                .filter(|(_, entry)| entry.is_trusted())
                .map(|(key, entry)| (key.as_bytes(), &entry.stat, &entry.hash, self.generation)),
        );
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));

        let mut encoder = Encoder::with_capacity(64 + entries.len() * 96);
        encoder.raw(MAGIC);
        encoder.u32(FORMAT_VERSION);
        encoder.u32(self.generation);
        encoder.u64(entries.len() as u64);
        for (key, stat, hash, seen) in entries {
            encoder.bytes(key);
            stat.encode(&mut encoder);
            encoder.raw(hash.as_bytes());
            encoder.u32(seen);
        }
        encoder.finish()
    }

    /// Returns whether entries that [`StatCache::encode`] saves were added
    /// since the cache was loaded.
    pub(crate) fn is_modified(&self) -> bool {
        self.added.values().any(AddedEntry::is_trusted)
    }

    /// Returns the cached hash of each file whose metadata still matches and
    /// whose entry is not racy. `files` must be sorted by key.
    pub(crate) fn lookup_sorted(&mut self, files: &[MatchedFile]) -> Vec<Option<blake3::Hash>> {
        let mut hashes = Vec::with_capacity(files.len());
        let mut next = 0;
        for file in files {
            if let Some(entry) = self.added.get(&file.key) {
                let usable = entry.stat == file.stat && entry.is_trusted();
                hashes.push(usable.then_some(entry.hash));
                continue;
            }

            let key = file.key.as_bytes();
            while next < self.loaded.len() && self.key(&self.loaded[next]) < key {
                next += 1;
            }
            let Some(entry) = self.loaded.get_mut(next) else {
                hashes.push(None);
                continue;
            };
            let key_start = entry.key_start;
            let matches = self.bytes[key_start..key_start + entry.key_len] == *key
                && entry.stat == file.stat
                && newest(&file.stat) < self.written_ns;
            if matches {
                entry.seen = self.generation;
            }
            hashes.push(matches.then_some(entry.hash));
        }
        hashes
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
        self.added.insert(path.to_owned(), AddedEntry { stat, hash, hashed_at_ns });
    }

    pub(crate) fn len(&self) -> usize {
        self.loaded.len() + self.added.len()
    }
}

fn newest(stat: &FileStat) -> i64 {
    stat.mtime_ns.max(stat.ctime_ns)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    const NOW: i64 = 1_000 * 1_000_000_000;

    fn stat(mtime_ns: i64) -> FileStat {
        FileStat { size: 10, mtime_ns, ino: 42, ctime_ns: mtime_ns }
    }

    fn file(key: &str, mtime_ns: i64) -> MatchedFile {
        MatchedFile {
            key: key.to_string(),
            path: PathBuf::from(key),
            stat: stat(mtime_ns),
            is_link: false,
        }
    }

    fn reload(cache: &StatCache, written_ns: i64) -> StatCache {
        StatCache::decode(cache.encode(), written_ns).expect("decodes")
    }

    #[test]
    fn lookup_matches_only_identical_stat() {
        let mut cache = StatCache::empty();
        let hash = blake3::hash(b"contents");
        cache.insert("a.txt", stat(1), hash, NOW);
        let mut loaded = reload(&cache, NOW);

        for cache in [&mut cache, &mut loaded] {
            let found = cache.lookup_sorted(&[file("a.txt", 1), file("b.txt", 1)]);
            assert_eq!(found, [Some(hash), None]);
            assert_eq!(cache.lookup_sorted(&[file("a.txt", 2)]), [None]);
        }
    }

    #[test]
    fn changed_ctime_alone_misses() {
        let mut cache = StatCache::empty();
        cache.insert("a.txt", stat(1), blake3::hash(b"contents"), NOW);
        let mut loaded = reload(&cache, NOW);

        let mut touched = file("a.txt", 1);
        touched.stat.ctime_ns = 2;

        assert_eq!(loaded.lookup_sorted(&[touched]), [None]);
    }

    #[test]
    fn sorted_lookup_finds_every_loaded_entry() {
        let mut cache = StatCache::empty();
        let keys = ["a", "a/b", "a/c", "b", "c/d/e"];
        for key in keys {
            cache.insert(key, stat(1), blake3::hash(key.as_bytes()), NOW);
        }
        let mut loaded = reload(&cache, NOW);

        let files = [file("0", 1), file("a", 1), file("a/bb", 1), file("a/c", 1), file("c/d/e", 1)];
        let found = loaded.lookup_sorted(&files);

        let hash = |key: &str| Some(blake3::hash(key.as_bytes()));
        assert_eq!(found, [None, hash("a"), None, hash("a/c"), hash("c/d/e")]);
    }

    #[test]
    fn entry_added_in_racy_window_is_not_used() {
        let mut cache = StatCache::empty();
        cache.insert("new.txt", stat(NOW - 1_000), blake3::hash(b"x"), NOW);

        assert_eq!(cache.lookup_sorted(&[file("new.txt", NOW - 1_000)]), [None]);
    }

    #[test]
    fn racy_entry_is_not_saved() {
        let mut cache = StatCache::empty();
        cache.insert("new.txt", stat(NOW - 1_000), blake3::hash(b"x"), NOW);

        assert!(!cache.is_modified());
        assert_eq!(reload(&cache, NOW + 1).len(), 0);
    }

    #[test]
    fn loaded_entry_newer_than_cache_file_is_not_used() {
        let mut cache = StatCache::empty();
        let hash = blake3::hash(b"x");
        let old = NOW - RACY_WINDOW_NS;
        cache.insert("a.txt", stat(old), hash, NOW);

        let mut written_before = reload(&cache, old);
        let mut written_after = reload(&cache, NOW);

        assert_eq!(written_before.lookup_sorted(&[file("a.txt", old)]), [None]);
        assert_eq!(written_after.lookup_sorted(&[file("a.txt", old)]), [Some(hash)]);
    }

    #[test]
    fn encode_decode_round_trip() {
        let mut cache = StatCache::empty();
        let hash = blake3::hash(b"contents");
        cache.insert("dir/a.txt", stat(5), hash, NOW);

        let mut loaded = reload(&cache, NOW);

        assert_eq!(loaded.len(), 1);
        assert!(!loaded.is_modified());
        assert_eq!(loaded.lookup_sorted(&[file("dir/a.txt", 5)]), [Some(hash)]);
    }

    #[test]
    fn added_entry_replaces_loaded_one() {
        let mut cache = StatCache::empty();
        cache.insert("a.txt", stat(5), blake3::hash(b"old"), NOW);
        let mut loaded = reload(&cache, NOW);

        let hash = blake3::hash(b"new");
        loaded.insert("a.txt", stat(6), hash, NOW);
        let mut reloaded = reload(&loaded, NOW);

        assert_eq!(reloaded.len(), 1);
        assert_eq!(reloaded.lookup_sorted(&[file("a.txt", 6)]), [Some(hash)]);
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

        assert!(StatCache::decode(bytes[..bytes.len() - 1].to_vec(), NOW).is_none());
        assert!(StatCache::decode(b"not a cache".to_vec(), NOW).is_none());
    }
}

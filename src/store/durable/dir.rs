//! The data directory (`store.data_dir`, docs/operations.md "Durability"): its lock, the salt,
//! and the journal and snapshot files, named by generation.
//!
//! ```text
//! lock                    held (flock) while a dpopd uses the directory
//! salt                    32 random octets, mode 0600: the key of every record's digest
//! snapshot.<gen>          every live record when generation <gen> began (written by compaction)
//! journal.<gen>           every change made during generation <gen>, in order
//! ```
//!
//! A start-up reads the newest snapshot, then every journal of that generation or later, in
//! order. Files are created with a temporary name, synced, renamed and the directory synced, so
//! a crash leaves either the old file or the whole new one.
use super::record::{self, header, salt_check, DiskRecord, End, HEADER_LEN};
use super::DurableError;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// How much of a file a start-up reads at a time.
const READ_CHUNK: usize = 1 << 20;

pub(super) struct DataDir {
    path: PathBuf,
    /// Holds the directory's lock for as long as the store lives.
    _lock: File,
    salt: [u8; 32],
}

/// Generations present on disk, each list in ascending order.
#[derive(Debug, Default)]
pub(super) struct Generations {
    pub snapshots: Vec<u64>,
    pub journals: Vec<u64>,
}

impl DataDir {
    /// Creates the directory (mode 0700) if needed, takes its lock and reads or makes its salt.
    pub(super) fn open(path: &Path) -> Result<DataDir, DurableError> {
        let io = |source| DurableError::io(path, source);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(io)?;
        let lock_path = path.join("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| DurableError::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(DurableError::InUse(path.to_owned()))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(DurableError::io(&lock_path, e)),
        }
        let mut dir = DataDir {
            path: path.to_owned(),
            _lock: lock,
            salt: [0; 32],
        };
        dir.salt = dir.read_or_make_salt()?;
        Ok(dir)
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn salt(&self) -> [u8; 32] {
        self.salt
    }

    fn read_or_make_salt(&self) -> Result<[u8; 32], DurableError> {
        let path = self.path.join("salt");
        match std::fs::read(&path) {
            Ok(bytes) => {
                <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| DurableError::Corrupt {
                    path: path.clone(),
                    offset: 0,
                    problem: "the salt file must hold exactly 32 octets".into(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let found = self.generations()?;
                if !found.snapshots.is_empty() || !found.journals.is_empty() {
                    // Without the salt no record can be found again: refusing to start is the
                    // only answer that does not silently forget every revocation.
                    return Err(DurableError::SaltMissing(path));
                }
                let salt = crate::store::tables::random_salt();
                self.write_new(&path, &salt)?;
                Ok(salt)
            }
            Err(e) => Err(DurableError::io(&path, e)),
        }
    }

    /// Writes `bytes` as a new file `path` (mode 0600), through a temporary name.
    fn write_new(&self, path: &Path, bytes: &[u8]) -> Result<(), DurableError> {
        let tmp = path.with_extension("tmp");
        let mut file = create(&tmp)?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| DurableError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| DurableError::io(path, e))?;
        self.sync()
    }

    /// Syncs the directory itself, so that created, renamed and removed names are durable.
    pub(super) fn sync(&self) -> Result<(), DurableError> {
        File::open(&self.path)
            .and_then(|d| d.sync_all())
            .map_err(|e| DurableError::io(&self.path, e))
    }

    pub(super) fn generations(&self) -> Result<Generations, DurableError> {
        let mut found = Generations::default();
        let entries = std::fs::read_dir(&self.path).map_err(|e| DurableError::io(&self.path, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| DurableError::io(&self.path, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let parse = |hex: &str| {
                u64::from_str_radix(hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 16)
            };
            if let Some(generation) = name.strip_prefix("journal.").and_then(parse) {
                found.journals.push(generation);
            } else if let Some(generation) = name.strip_prefix("snapshot.").and_then(parse) {
                found.snapshots.push(generation);
            }
        }
        found.snapshots.sort_unstable();
        found.journals.sort_unstable();
        Ok(found)
    }

    pub(super) fn journal_path(&self, generation: u64) -> PathBuf {
        self.path.join(format!("journal.{generation:016x}"))
    }

    pub(super) fn snapshot_path(&self, generation: u64) -> PathBuf {
        self.path.join(format!("snapshot.{generation:016x}"))
    }

    /// Creates journal `generation` with its header, synced and named durably.
    pub(super) fn create_journal(&self, generation: u64) -> Result<File, DurableError> {
        let path = self.journal_path(generation);
        let tmp = path.with_extension("tmp");
        let mut file = create(&tmp)?;
        file.write_all(&header(record::JOURNAL_MAGIC, salt_check(&self.salt)))
            .and_then(|()| file.sync_all())
            .map_err(|e| DurableError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| DurableError::io(&path, e))?;
        self.sync()?;
        Ok(file)
    }

    /// Writes snapshot `generation` from `records`, synced and named durably; returns its size.
    pub(super) fn write_snapshot(
        &self,
        generation: u64,
        records: impl FnOnce(&mut dyn FnMut(DiskRecord)),
    ) -> Result<u64, DurableError> {
        let path = self.snapshot_path(generation);
        let tmp = path.with_extension("tmp");
        let mut out = BufWriter::with_capacity(256 * 1024, create(&tmp)?);
        let mut size = HEADER_LEN as u64;
        let mut result = out.write_all(&header(record::SNAPSHOT_MAGIC, salt_check(&self.salt)));
        let mut buf = Vec::with_capacity(64);
        records(&mut |r| {
            buf.clear();
            record::encode(&r, &mut buf);
            size += buf.len() as u64;
            if result.is_ok() {
                result = out.write_all(&buf);
            }
        });
        result
            .and_then(|()| out.into_inner().map_err(|e| e.into_error()))
            .and_then(|file| file.sync_all())
            .map_err(|e| DurableError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| DurableError::io(&path, e))?;
        self.sync()?;
        Ok(size)
    }

    /// Reads every record of `path` in order. A snapshot must be whole; a journal may end in a
    /// torn write, which is cut off the file (and reported); damage followed by valid records is
    /// an error naming the file and offset. Returns the file's size after any cut.
    pub(super) fn read(
        &self,
        path: &Path,
        snapshot: bool,
        visit: impl FnMut(DiskRecord),
    ) -> Result<u64, DurableError> {
        let io = |e| DurableError::io(path, e);
        let mut file = File::open(path).map_err(io)?;
        let corrupt = |offset: usize, problem: &str| DurableError::Corrupt {
            path: path.to_owned(),
            offset: offset as u64,
            problem: problem.into(),
        };
        let magic = if snapshot {
            record::SNAPSHOT_MAGIC
        } else {
            record::JOURNAL_MAGIC
        };
        let mut head = Vec::with_capacity(HEADER_LEN);
        (&mut file)
            .take(HEADER_LEN as u64)
            .read_to_end(&mut head)
            .map_err(io)?;
        if head.len() < HEADER_LEN || head[..8] != magic {
            return Err(corrupt(0, "not a dpopd store file of this version"));
        }
        if head[8..HEADER_LEN] != salt_check(&self.salt) {
            return Err(corrupt(
                8,
                "written with another salt than this directory's",
            ));
        }
        let (end, body_len) = record::scan_from(&mut file, READ_CHUNK, visit).map_err(io)?;
        let file_len = (HEADER_LEN as u64) + body_len;
        match end {
            End::Clean => Ok(file_len),
            End::Torn { offset } if !snapshot => {
                let at = (HEADER_LEN + offset) as u64;
                tracing::warn!(file = %path.display(), offset = at, dropped = file_len - at,
                    "durable store: cutting a torn write off the end of a journal");
                OpenOptions::new()
                    .write(true)
                    .open(path)
                    .and_then(|f| f.set_len(at).and_then(|()| f.sync_all()))
                    .map_err(|e| DurableError::io(path, e))?;
                Ok(at)
            }
            End::Torn { offset } => Err(corrupt(
                HEADER_LEN + offset,
                "a snapshot ends inside a record",
            )),
            End::Corrupt { offset } => Err(corrupt(
                HEADER_LEN + offset,
                "a damaged record with valid records after it (not a torn write); \
                 move the file away to start without its records",
            )),
        }
    }

    /// Removes the files of generations before `generation`, now covered by its snapshot.
    pub(super) fn remove_before(&self, generation: u64) -> Result<(), DurableError> {
        let found = self.generations()?;
        let old_journals = found.journals.iter().filter(|g| **g < generation);
        let old_snapshots = found.snapshots.iter().filter(|g| **g < generation);
        for path in old_journals
            .map(|g| self.journal_path(*g))
            .chain(old_snapshots.map(|g| self.snapshot_path(*g)))
        {
            std::fs::remove_file(&path).map_err(|e| DurableError::io(&path, e))?;
        }
        self.sync()
    }

    /// Removes temporary files a crash left behind.
    pub(super) fn remove_temporary(&self) -> Result<(), DurableError> {
        let entries = std::fs::read_dir(&self.path).map_err(|e| DurableError::io(&self.path, e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "tmp") {
                std::fs::remove_file(&path).map_err(|e| DurableError::io(&path, e))?;
            }
        }
        Ok(())
    }
}

/// A new file, readable and writable by its owner only (the salt is a secret, and the records
/// say which clients are active when).
fn create(path: &Path) -> Result<File, DurableError> {
    OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| DurableError::io(path, e))
}

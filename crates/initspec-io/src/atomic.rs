//! A file written under a temporary name and renamed into place when complete.
//!
//! The temporary file is `.NAME.initspec-tmp-PID-K@HOST` in the directory of the final path
//! (`K` counts up from 0 when a name is taken; `NAME` is shortened so that the whole name
//! stays within the 255 bytes a file name may have), so the closing rename stays on one file
//! system and is atomic: a reader of the final path sees either the old file (or none) or the
//! complete new one, never a partial write.
//!
//! A temporary never outlives its writer: it is removed when the writer is dropped before
//! committing, and by [`remove_live_temporaries`] when the process is told to terminate
//! (the `initspec` binary installs a handler for SIGINT, SIGTERM and SIGHUP). Only SIGKILL (or a crash of the machine) can leave one behind; its
//! name records the process and the host that wrote it, and on Linux the next
//! [`AtomicFile::create`] in that directory on that host removes every temporary whose process
//! no longer runs.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::FormatError;

/// Capacity of the write buffer in front of the temporary file.
const BUFFER_BYTES: usize = 1 << 20;

/// How many `K` values are tried when a temporary name is taken.
const MAX_NAME_ATTEMPTS: u32 = 1000;

/// What marks a temporary of ours: `.NAME` + this + `PID-K@HOST`.
const TEMP_MARKER: &str = ".initspec-tmp-";

/// The longest file name Linux, macOS and Windows file systems accept, in bytes.
const MAX_FILE_NAME_BYTES: usize = 255;

/// The temporaries this process is writing now, removed on a termination signal.
static LIVE_TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The registry, also after a panic in another thread (its content is still a list of paths).
fn live_temporaries() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE_TEMPORARIES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes every temporary this process is writing, and keeps the registry locked so that no
/// writer commits or creates one afterwards: for the signal handler, just before the process
/// exits.
pub fn remove_live_temporaries() {
    let live = live_temporaries();
    for path in live.iter() {
        let _ = fs::remove_file(path);
    }
    // Held until the process exits: a commit racing with the exit waits instead of renaming.
    std::mem::forget(live);
}

/// This host's name as it goes into temporary names: the kernel's hostname with anything
/// but ASCII letters, digits, `.` and `-` dropped, at most 64 bytes.
fn host_name() -> String {
    let raw = fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let clean: String = raw
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .take(64)
        .collect();
    if clean.is_empty() {
        "localhost".to_string()
    } else {
        clean
    }
}

/// The temporary name for `file_name`: `.` + `file_name` (shortened to fit) + `suffix`.
fn temporary_name(file_name: &OsStr, suffix: &str) -> OsString {
    let room = MAX_FILE_NAME_BYTES.saturating_sub(1 + suffix.len());
    let mut name = OsString::from(".");
    name.push(shorten(file_name, room));
    name.push(suffix);
    name
}

/// `name` cut to at most `max` bytes (on a character boundary where it is UTF-8).
fn shorten(name: &OsStr, max: usize) -> OsString {
    match name.to_str() {
        Some(text) => {
            let mut end = text.len().min(max);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            OsString::from(&text[..end])
        }
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::ffi::OsStrExt;
                let bytes = name.as_bytes();
                OsStr::from_bytes(&bytes[..bytes.len().min(max)]).to_os_string()
            }
            #[cfg(not(unix))]
            {
                OsString::from(shorten(OsStr::new(&name.to_string_lossy()), max))
            }
        }
    }
}

/// The process id and host recorded in one of our temporary names, if it is one.
fn temporary_owner(name: &OsStr) -> Option<(u32, &str)> {
    let name = name.to_str()?;
    let rest = &name[name.rfind(TEMP_MARKER)? + TEMP_MARKER.len()..];
    let (ids, host) = rest.split_once('@')?;
    let pid = ids.split('-').next()?.parse().ok()?;
    Some((pid, host))
}

/// Removes the temporaries in `dir` that a process of this host wrote and that no longer
/// runs (killed by SIGKILL mid-write). Linux only: it needs `/proc` to tell whether a
/// process runs; a process id since reused keeps its file, which is the safe side.
fn remove_stale_temporaries(dir: &Path, host: &str) {
    if !cfg!(target_os = "linux") || !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let own = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((pid, owner_host)) = temporary_owner(&name) else {
            continue;
        };
        let alive = Path::new("/proc").join(pid.to_string()).exists();
        if owner_host == host && pid != own && !alive {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// A file being written under a temporary name, renamed to its final path by
/// [`AtomicFile::commit`] and removed if dropped before that.
#[derive(Debug)]
pub struct AtomicFile {
    final_path: PathBuf,
    temp_path: PathBuf,
    writer: Option<BufWriter<File>>,
    committed: bool,
}

impl AtomicFile {
    /// Creates the temporary file beside `path`; nothing is created at `path`.
    ///
    /// An existing file at `path` is replaced when the writer commits.
    ///
    /// # Errors
    ///
    /// [`FormatError::Io`] naming the path when `path` names no file or is a
    /// directory, when its directory does not exist or is not a directory, or
    /// when the temporary file cannot be created there.
    pub fn create(path: &Path) -> Result<Self, FormatError> {
        let io_err = |action, path: &Path, source| FormatError::Io {
            action,
            path: path.to_path_buf(),
            source,
        };
        let Some(file_name) = path.file_name() else {
            return Err(io_err(
                "cannot write to",
                path,
                io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"),
            ));
        };
        if path.is_dir() {
            return Err(io_err(
                "cannot write to",
                path,
                io::Error::new(io::ErrorKind::IsADirectory, "it is a directory"),
            ));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        match fs::metadata(dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(io_err(
                    "cannot write into directory",
                    dir,
                    io::Error::new(io::ErrorKind::NotADirectory, "it is not a directory"),
                ));
            }
            Err(source) => return Err(io_err("cannot write into directory", dir, source)),
        }

        let pid = std::process::id();
        let host = host_name();
        remove_stale_temporaries(dir, &host);
        let mut last_err = None;
        for attempt in 0..MAX_NAME_ATTEMPTS {
            let suffix = format!("{TEMP_MARKER}{pid}-{attempt}@{host}");
            let temp_path = dir.join(temporary_name(file_name, &suffix));
            // Registered before it exists, so a signal between the two removes it too.
            let mut live = live_temporaries();
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp_path)
            {
                Ok(file) => {
                    live.push(temp_path.clone());
                    return Ok(AtomicFile {
                        final_path: path.to_path_buf(),
                        temp_path,
                        writer: Some(BufWriter::with_capacity(BUFFER_BYTES, file)),
                        committed: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
                Err(source) => {
                    return Err(io_err(
                        "cannot create a temporary file in directory",
                        dir,
                        source,
                    ));
                }
            }
        }
        Err(io_err(
            "cannot create a temporary file in directory",
            dir,
            last_err.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)),
        ))
    }

    /// The path the file will have after [`AtomicFile::commit`].
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// The temporary path being written.
    pub fn temp_path(&self) -> &Path {
        &self.temp_path
    }

    /// Checks that the file system holding the temporary file has room for `bytes` more.
    ///
    /// # Errors
    ///
    /// [`FormatError::NoSpace`] with both figures. Where the free space cannot be read,
    /// nothing is checked (the writes then report a full disk themselves).
    pub fn check_space(&self, bytes: u64) -> Result<(), FormatError> {
        match fs4::available_space(&self.temp_path) {
            Ok(available) if available < bytes => Err(FormatError::NoSpace {
                path: self.final_path.clone(),
                needed: bytes,
                available,
            }),
            _ => Ok(()),
        }
    }

    /// Appends `bytes` to the temporary file.
    ///
    /// # Errors
    ///
    /// [`FormatError::Io`] naming the temporary path (e.g. the disk is full).
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), FormatError> {
        let result = match self.writer.as_mut() {
            Some(w) => w.write_all(bytes),
            None => Err(io::Error::other("the file was already closed")),
        };
        result.map_err(|source| self.io_err("cannot write", source))
    }

    /// Flushes, fsyncs and renames the temporary file to the final path, then
    /// (on Unix, best effort) fsyncs the directory so the rename is durable.
    ///
    /// # Errors
    ///
    /// [`FormatError::Io`] naming the path; the temporary file is removed.
    pub fn commit(mut self) -> Result<(), FormatError> {
        let Some(writer) = self.writer.take() else {
            return Err(self.io_err(
                "cannot write",
                io::Error::other("the file was already closed"),
            ));
        };
        let file = writer
            .into_inner()
            .map_err(|e| self.io_err("cannot write", e.into_error()))?;
        file.sync_all()
            .map_err(|source| self.io_err("cannot sync", source))?;
        drop(file);
        // Renamed under the registry's lock: a termination signal then finds the file either
        // still temporary (and removes it) or complete at its final path.
        let mut live = live_temporaries();
        fs::rename(&self.temp_path, &self.final_path).map_err(|source| FormatError::Io {
            action: "cannot rename the temporary file to",
            path: self.final_path.clone(),
            source,
        })?;
        live.retain(|p| p != &self.temp_path);
        drop(live);
        self.committed = true;
        #[cfg(unix)]
        {
            let dir = match self.final_path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            // Best effort: the data is complete and in place already.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    fn io_err(&self, action: &'static str, source: io::Error) -> FormatError {
        FormatError::Io {
            action,
            path: self.temp_path.clone(),
            source,
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            drop(self.writer.take());
            let mut live = live_temporaries();
            let _ = fs::remove_file(&self.temp_path);
            live.retain(|p| p != &self.temp_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_renames_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.bin");
        let mut f = AtomicFile::create(&path).unwrap();
        let tmp = f.temp_path().to_path_buf();
        assert_eq!(
            tmp.file_name().unwrap().to_string_lossy(),
            format!(
                ".w.bin.initspec-tmp-{}-0@{}",
                std::process::id(),
                host_name()
            )
        );
        assert!(live_temporaries().contains(&tmp));
        f.write_all(b"hello ").unwrap();
        f.write_all(b"world").unwrap();
        assert!(!path.exists(), "final path must not exist before commit");
        assert!(tmp.exists());
        f.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"hello world");
        assert_eq!(entries(dir.path()), ["w.bin"]);
        assert!(!live_temporaries().contains(&tmp));
    }

    #[test]
    fn temporary_names_fit_in_255_bytes_and_name_their_owner() {
        let dir = tempfile::tempdir().unwrap();
        for len in [5, 200, 245, 250, 255] {
            let name = format!("{}.npy", "n".repeat(len - 4));
            let path = dir.path().join(&name);
            let mut f = AtomicFile::create(&path).unwrap();
            let temp = f.temp_path().file_name().unwrap().to_os_string();
            assert!(temp.len() <= MAX_FILE_NAME_BYTES, "{len}: {}", temp.len());
            assert_eq!(
                temporary_owner(&temp),
                Some((std::process::id(), host_name().as_str()))
            );
            f.write_all(b"x").unwrap();
            f.commit().unwrap();
            assert_eq!(fs::read(&path).unwrap(), b"x");
        }
        // Multi-byte characters are cut on a boundary.
        let long = "é".repeat(127);
        let short = shorten(OsStr::new(&long), 100);
        assert_eq!(short.to_str().unwrap(), "é".repeat(50));
        assert_eq!(temporary_owner(OsStr::new(".w.npy")), None);
        assert_eq!(
            temporary_owner(OsStr::new(".a.initspec-tmp-x.npy.initspec-tmp-12-3@h-1")),
            Some((12, "h-1"))
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let host = host_name();
        // No process has id u32::MAX - 1 (Linux caps ids at 2^22).
        let dead = dir
            .path()
            .join(format!(".w.npy{TEMP_MARKER}{}-0@{host}", u32::MAX - 1));
        let alive = dir.path().join(format!(".v.npy{TEMP_MARKER}1-0@{host}"));
        let other_host = dir
            .path()
            .join(format!(".u.npy{TEMP_MARKER}{}-0@not-{host}", u32::MAX - 1));
        let unrelated = dir.path().join(".w.npy.tmp-12");
        for p in [&dead, &alive, &other_host, &unrelated] {
            fs::write(p, b"partial").unwrap();
        }
        let f = AtomicFile::create(&dir.path().join("x.npy")).unwrap();
        drop(f);
        assert!(!dead.exists(), "a dead process's temporary stays");
        assert!(alive.exists(), "process 1 runs: its temporary must stay");
        assert!(other_host.exists(), "another host's temporary must stay");
        assert!(unrelated.exists(), "a file that is not ours must stay");
    }

    #[test]
    fn live_temporaries_are_removed_on_request() {
        // The registry is process-wide; this test only checks its bookkeeping, without
        // calling remove_live_temporaries (which keeps the registry locked until exit).
        let dir = tempfile::tempdir().unwrap();
        let f = AtomicFile::create(&dir.path().join("w.npy")).unwrap();
        let tmp = f.temp_path().to_path_buf();
        assert!(live_temporaries().contains(&tmp));
        drop(f);
        assert!(!live_temporaries().contains(&tmp));
        assert!(!tmp.exists());
    }

    #[test]
    fn drop_removes_temporary_and_keeps_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.bin");
        fs::write(&path, b"old").unwrap();
        {
            let mut f = AtomicFile::create(&path).unwrap();
            f.write_all(&[7u8; 3 << 20]).unwrap();
        }
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(entries(dir.path()), ["w.bin"]);
    }

    #[test]
    fn two_writers_to_one_path_get_distinct_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.bin");
        let mut a = AtomicFile::create(&path).unwrap();
        let mut b = AtomicFile::create(&path).unwrap();
        assert_ne!(a.temp_path(), b.temp_path());
        a.write_all(b"a").unwrap();
        b.write_all(b"b").unwrap();
        a.commit().unwrap();
        b.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"b");
        assert_eq!(entries(dir.path()), ["w.bin"]);
    }

    #[test]
    fn bad_destinations_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no_such_dir").join("w.npy");
        let e = AtomicFile::create(&missing).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, FormatError::Io { .. }));
        assert!(msg.contains("no_such_dir"), "{msg}");

        let file = dir.path().join("plain");
        fs::write(&file, b"").unwrap();
        let e = AtomicFile::create(&file.join("w.npy")).unwrap_err();
        assert!(e.to_string().contains("plain"), "{e}");

        let e = AtomicFile::create(dir.path()).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");

        let e = AtomicFile::create(Path::new("/")).unwrap_err();
        assert!(e.to_string().contains("names no file"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn unwritable_directory_is_an_error() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let ro = dir.path().join("ro");
        fs::create_dir(&ro).unwrap();
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
        let result = AtomicFile::create(&ro.join("w.npy"));
        match result {
            Err(e) => assert!(e.to_string().contains("ro'"), "{e}"),
            // Root may write anywhere: then the write must simply work.
            Ok(f) => {
                f.commit().unwrap();
                assert!(ro.join("w.npy").exists());
            }
        }
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn directory_nobody_can_write_is_an_error() {
        // procfs refuses new files even to root.
        let e = AtomicFile::create(Path::new("/proc/initspec-test.npy")).unwrap_err();
        assert!(e.to_string().contains("'/proc'"), "{e}");
    }
}

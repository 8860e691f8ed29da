//! A file written under a temporary name and renamed into place when complete.
//!
//! The temporary file is `.NAME.tmp-PID` (or `.NAME.tmp-PID-K` when that is
//! taken) in the directory of the final path, so the closing rename stays on
//! one file system and is atomic: a reader of the final path sees either the
//! old file (or none) or the complete new one, never a partial write.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::FormatError;

/// Capacity of the write buffer in front of the temporary file.
const BUFFER_BYTES: usize = 1 << 20;

/// How many `-K` suffixes are tried when the plain temporary name is taken.
const MAX_NAME_ATTEMPTS: u32 = 1000;

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
        let mut last_err = None;
        for attempt in 0..MAX_NAME_ATTEMPTS {
            let mut name = std::ffi::OsString::from(".");
            name.push(file_name);
            if attempt == 0 {
                name.push(format!(".tmp-{pid}"));
            } else {
                name.push(format!(".tmp-{pid}-{attempt}"));
            }
            let temp_path = dir.join(name);
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp_path)
            {
                Ok(file) => {
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
        fs::rename(&self.temp_path, &self.final_path).map_err(|source| FormatError::Io {
            action: "cannot rename the temporary file to",
            path: self.final_path.clone(),
            source,
        })?;
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
            let _ = fs::remove_file(&self.temp_path);
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
            format!(".w.bin.tmp-{}", std::process::id())
        );
        f.write_all(b"hello ").unwrap();
        f.write_all(b"world").unwrap();
        assert!(!path.exists(), "final path must not exist before commit");
        assert!(tmp.exists());
        f.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"hello world");
        assert_eq!(entries(dir.path()), ["w.bin"]);
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

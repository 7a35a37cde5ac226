//! Writing a set of output files all or nothing.
//!
//! Each file is first written beside its target under a temporary name, then all
//! are renamed into place once every write succeeded. A failed run leaves the
//! previous outputs untouched and no half-written file behind.

use crate::error::IoError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Files waiting to be written to one folder.
#[derive(Debug, Default)]
pub struct OutputSet {
    dir: PathBuf,
    files: Vec<(String, Vec<u8>)>,
}

impl OutputSet {
    /// Outputs for folder `dir` (created when committing).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        OutputSet { dir: dir.into(), files: Vec::new() }
    }

    /// Adds a file named `name` with `bytes`.
    pub fn add(&mut self, name: impl Into<String>, bytes: Vec<u8>) {
        self.files.push((name.into(), bytes));
    }

    /// Writes one file, all or nothing (a temporary name beside it, then a rename).
    pub fn write_one(path: &Path, bytes: Vec<u8>) -> Result<PathBuf, IoError> {
        let name = path.file_name().ok_or_else(|| {
            IoError::file(path, std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))
        })?;
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut out = OutputSet::new(dir);
        out.add(name.to_string_lossy(), bytes);
        Ok(out.commit()?.remove(0))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Names and sizes of the files added so far.
    pub fn listing(&self) -> Vec<(String, u64)> {
        self.files.iter().map(|(n, b)| (n.clone(), b.len() as u64)).collect()
    }

    /// Writes every file, then renames them into place. Returns their paths.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let mut out = qpv_grid::OutputSet::new(dir.path().join("run"));
    /// out.add("a.txt", b"hello".to_vec());
    /// let written = out.commit()?;
    /// assert_eq!(std::fs::read_to_string(&written[0])?, "hello");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn commit(self) -> Result<Vec<PathBuf>, IoError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| IoError::file(&self.dir, e))?;
        let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
        let result = self.stage_all(&mut staged);
        if let Err(e) = result {
            for (tmp, _) in &staged {
                let _ = std::fs::remove_file(tmp);
            }
            return Err(e);
        }
        for (tmp, target) in &staged {
            std::fs::rename(tmp, target).map_err(|e| IoError::file(target, e))?;
        }
        Ok(staged.into_iter().map(|(_, t)| t).collect())
    }

    fn stage_all(&self, staged: &mut Vec<(PathBuf, PathBuf)>) -> Result<(), IoError> {
        for (name, bytes) in &self.files {
            let target = self.dir.join(name);
            let tmp = self.dir.join(format!(".{name}.qpv-tmp-{}", std::process::id()));
            staged.push((tmp.clone(), target));
            let mut f = std::fs::File::create(&tmp).map_err(|e| IoError::file(&tmp, e))?;
            f.write_all(bytes).map_err(|e| IoError::file(&tmp, e))?;
            f.sync_all().map_err(|e| IoError::file(&tmp, e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_is_written_beside_a_relative_or_absolute_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = OutputSet::write_one(&dir.path().join("r.json"), b"{}".to_vec()).unwrap();
        assert_eq!(std::fs::read(p).unwrap(), b"{}");
        assert!(OutputSet::write_one(Path::new("/"), Vec::new()).is_err());
    }

    #[test]
    fn nothing_is_left_when_the_folder_cannot_be_made() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let mut out = OutputSet::new(blocker.join("sub"));
        out.add("a.txt", b"a".to_vec());
        assert!(out.commit().is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn previous_outputs_survive_a_failed_write() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = OutputSet::new(dir.path());
        first.add("a.txt", b"old".to_vec());
        first.commit().unwrap();
        let mut second = OutputSet::new(dir.path());
        second.add("a.txt", b"new".to_vec());
        // A name that cannot be created (a folder is in the way).
        std::fs::create_dir(dir.path().join(format!(".b.qpv-tmp-{}", std::process::id()))).unwrap();
        second.add("b", b"x".to_vec());
        assert!(second.commit().is_err());
        assert_eq!(std::fs::read_to_string(dir.path().join("a.txt")).unwrap(), "old");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("a.txt.qpv-tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}

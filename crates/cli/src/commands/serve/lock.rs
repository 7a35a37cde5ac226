//! One server per session folder. Two `qpv serve` on one `--out` would both write
//! `session.toml`, each over the other's steps; so the server holds `DIR/serve.lock` while it
//! serves: an OS lock on the open file ([`File::try_lock`]), which the system releases when
//! the process ends, however it ends. A lock left by `kill -9` is therefore free, and the
//! next server takes the folder over. The file's text names the holder (pid, address; never
//! its tokens) so that a refused second server can say where the first one is.

use anyhow::{Context, Result, bail};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The lock file in `--out`.
pub const LOCK_FILE: &str = "serve.lock";

/// The folder's lock, held until dropped; a clean end empties the file.
#[derive(Debug)]
pub struct FolderLock {
    file: File,
    path: PathBuf,
}

/// What a lock file says of its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Its process id.
    pub pid: Option<u32>,
    /// The address it serves, once it listens (`http://127.0.0.1:PORT/`).
    pub address: Option<String>,
}

impl Holder {
    /// `pid 1234, http://127.0.0.1:8765/`, or what is known of it.
    fn described(&self) -> String {
        let pid = self.pid.map_or("pid unknown".to_owned(), |p| format!("pid {p}"));
        match &self.address {
            Some(address) => format!("{pid}, {address}"),
            None => format!("{pid}, still starting"),
        }
    }

    /// The holder a lock file's text names; `None` for an empty file (a clean end).
    fn parse(text: &str) -> Option<Holder> {
        let value = |key: &str| {
            text.lines().find_map(|line| {
                let (k, v) = line.split_once('=')?;
                (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
            })
        };
        let pid = value("pid").and_then(|p| p.parse().ok());
        let address = value("address").filter(|a| !a.is_empty());
        (pid.is_some() || address.is_some()).then_some(Holder { pid, address })
    }
}

impl FolderLock {
    /// Takes the lock of `dir` (which exists). Refused, naming the holder and the fix,
    /// while another process holds it; otherwise the lock and, when the folder was left
    /// locked by a server that did not stop cleanly (killed), what its file said.
    pub fn take(dir: &Path) -> Result<(FolderLock, Option<Holder>)> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("{}: cannot open the lock file", path.display()))?;
        let mut text = String::new();
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let _ = file.read_to_string(&mut text);
                let holder = Holder::parse(&text).unwrap_or(Holder { pid: None, address: None });
                let stop = holder
                    .pid
                    .map_or("stop it".to_owned(), |p| format!("stop it (Ctrl-C there, or kill {p})"));
                bail!(
                    "{} is served by another qpv serve ({}): use that one's page, or {stop} and start again, \
                     or give another --out",
                    dir.display(),
                    holder.described()
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("{}: cannot lock it", path.display()));
            }
        }
        file.read_to_string(&mut text).with_context(|| format!("{}: cannot read it", path.display()))?;
        let mut lock = FolderLock { file, path };
        lock.write(&format!("pid = {}\n", std::process::id()))?;
        Ok((lock, Holder::parse(&text)))
    }

    /// Writes the address served into the lock file, for a second server to name.
    pub fn announce(&mut self, address: &str) -> Result<()> {
        self.write(&format!("pid = {}\naddress = \"{address}\"\n", std::process::id()))
    }

    fn write(&mut self, holder: &str) -> Result<()> {
        let text = format!(
            "# qpv serve holds this folder while it serves; the system releases the lock when it ends.\n{holder}"
        );
        let file = &mut self.file;
        let written = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(text.as_bytes()))
            .and_then(|()| file.sync_data());
        written.with_context(|| format!("{}: cannot write it", self.path.display()))
    }
}

// A clean end empties the file: a holder found in it by the next server is one that was
// killed. The lock itself goes with the file handle.
impl Drop for FolderLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0).and_then(|()| self.file.sync_data());
    }
}

/// The message of a folder taken over from a killed server.
pub fn taken_over(dir: &Path, holder: &Holder) -> String {
    format!(
        "{}: taking the folder over from a qpv serve that did not stop cleanly ({}); \
         every step it acknowledged is in session.toml",
        dir.display(),
        holder.described()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_folder_is_refused_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let (mut first, before) = FolderLock::take(dir.path()).unwrap();
        assert_eq!(before, None, "a new folder had no holder");
        first.announce("http://127.0.0.1:8765/").unwrap();
        // Another open file description: refused as another process would be.
        let e = FolderLock::take(dir.path()).unwrap_err().to_string();
        let pid = std::process::id();
        assert!(e.contains(&format!("pid {pid}, http://127.0.0.1:8765/")), "{e}");
        assert!(e.contains(&format!("kill {pid}")) && e.contains("give another --out"), "{e}");
        assert!(e.starts_with(&dir.path().display().to_string()), "{e}");
    }

    #[test]
    fn a_clean_end_frees_the_folder_without_a_message() {
        let dir = tempfile::tempdir().unwrap();
        let (first, _) = FolderLock::take(dir.path()).unwrap();
        drop(first);
        assert_eq!(std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap(), "");
        let (_second, before) = FolderLock::take(dir.path()).unwrap();
        assert_eq!(before, None);
    }

    /// A file naming a holder, unlocked: what `kill -9` leaves. Taken over, naming it.
    #[test]
    fn a_lock_left_by_a_killed_server_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), "# …\npid = 4242\naddress = \"http://127.0.0.1:9000/\"\n")
            .unwrap();
        let (_lock, before) = FolderLock::take(dir.path()).unwrap();
        let holder = before.expect("the killed server is named");
        assert_eq!(holder, Holder { pid: Some(4242), address: Some("http://127.0.0.1:9000/".into()) });
        let message = taken_over(dir.path(), &holder);
        assert!(message.contains("did not stop cleanly (pid 4242, http://127.0.0.1:9000/)"), "{message}");
        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert!(
            text.contains(&format!("pid = {}\n", std::process::id())) && !text.contains("4242"),
            "{text}"
        );
    }

    #[test]
    fn holders_parse_from_what_the_file_may_hold() {
        assert_eq!(Holder::parse(""), None);
        assert_eq!(Holder::parse("# only a comment\n"), None);
        assert_eq!(Holder::parse("pid = 12\n"), Some(Holder { pid: Some(12), address: None }));
        assert_eq!(Holder::parse("pid = 12\n").unwrap().described(), "pid 12, still starting");
        assert_eq!(Holder::parse("pid = x\naddress = \"a\"").unwrap().described(), "pid unknown, a");
    }
}

//! Writing results to disk whole or not at all.
//!
//! Every file actlab produces goes through [`write_atomic`] or
//! [`write_atomic_with`]: the content is written to a hidden temporary file
//! beside the target and renamed over it only once complete, so a crash or
//! an error never leaves a half-written figure or results file behind.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |tmp| {
        let mut file = fs::File::create(tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        Ok(())
    })
}

/// Lets `write` produce the file at a temporary path (which keeps the
/// target's extension, for writers that choose a format by it), then moves
/// it into place. On any error the temporary file is removed.
pub fn write_atomic_with(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let tmp = temporary_sibling(path);

    let written = write(&tmp).and_then(|()| {
        fs::rename(&tmp, path).with_context(|| format!("cannot move {} into place", tmp.display()))
    });
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}

fn temporary_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) => (stem.to_owned(), format!(".{ext}")),
        None => (name.clone(), String::new()),
    };
    path.with_file_name(format!(".{stem}.partial-{}{ext}", std::process::id()))
}

/// Creates `dir` (and its parents) and proves it writable by creating and
/// removing a probe file, so that a run fails before any work when its
/// output folder cannot take files.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output folder {}", dir.display()))?;

    let probe = dir.join(format!(".actlab-probe-{}", std::process::id()));
    fs::write(&probe, b"")
        .with_context(|| format!("output folder {} is not writable", dir.display()))?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");

        write_atomic(&path, b"{}").unwrap();

        assert_eq!(fs::read(&path).unwrap(), b"{}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn failed_writer_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("figure.png");

        let result = write_atomic_with(&path, |tmp| {
            fs::write(tmp, b"half")?;
            anyhow::bail!("renderer failed")
        });

        assert!(result.is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn temporary_keeps_extension() {
        let tmp = temporary_sibling(Path::new("/x/figure.png"));
        assert_eq!(tmp.extension().unwrap(), "png");
        assert!(tmp.file_name().unwrap().to_string_lossy().starts_with(".figure.partial-"));
    }
}

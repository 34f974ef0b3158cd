//! Writing lines to files that other processes (a forked child) may share.

use std::fs::File;
use std::io::Write;

/// Flushes `file` to its disk; a file that cannot be synced (a device such as /dev/stdout)
/// has nothing to flush.
pub(crate) fn sync(file: &File) -> std::io::Result<()> {
    match file.sync_data() {
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Ok(()),
        other => other,
    }
}

/// Appends `line` (which ends in a newline) to `file`, opened for appending, whole or not at
/// all: when a write fails part-way (a full disk), the file is cut back to where the line
/// began, so that the next line does not continue a broken one. Nothing is cut when another
/// writer (a forked process sharing the file) appended meanwhile, or when the file is a
/// device.
pub(crate) fn append_line(file: &mut File, line: &[u8]) -> std::io::Result<()> {
    let before = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let mut written = 0;
    while written < line.len() {
        match file.write(&line[written..]) {
            Ok(0) => {
                return Err(cut_back(
                    file,
                    before,
                    written,
                    std::io::ErrorKind::WriteZero.into(),
                ))
            }
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(cut_back(file, before, written, e)),
        }
    }
    Ok(())
}

/// After a failed append of which `written` bytes reached the file: cuts it back to `before`
/// when those bytes are its end. Gives `error` back.
fn cut_back(
    file: &File,
    before: Option<u64>,
    written: usize,
    error: std::io::Error,
) -> std::io::Error {
    if let Some(before) = before {
        let now = file.metadata().map(|m| m.len()).ok();
        if written > 0 && now == Some(before + written as u64) {
            let _ = file.set_len(before);
        }
    }
    error
}

//! The on-disk queue of an OTLP exporter (OTELRS_EXPORTER_OTLP_QUEUE_DIR): every export is
//! appended to a file first, and a sender thread of its own sends what is on disk in order,
//! deleting it once delivered. An outage longer than the in-memory queue holds then loses
//! nothing until the queue reaches its size cap (OTELRS_EXPORTER_OTLP_QUEUE_MAX_BYTES), where
//! the oldest exports are deleted and counted as dropped; a process killed mid-outage leaves
//! its queue to the next one that starts with the same directory.
//!
//! Layout: `<dir>/<signal>/<start ns>-<pid>/` per process (forked workers never share a
//! file), holding `lock` (an advisory lock held for the process's life), segments
//! `<seq>.seg` of entries `[len u32][items u32][crc32 u32][payload]` (little-endian; the
//! payload is the encoded OTLP request) and `<seq>.ack`, the offset sent so far. A new
//! process adopts the directories whose lock nobody holds and sends them first, oldest first;
//! a process that shuts down with everything sent removes its directory. An entry cut short
//! by a crash fails its checksum and ends its segment.
//!
//! Crash safety: an entry is written with one `write` before the export counts as done, so a
//! `kill -9` loses only what had not reached the exporter yet (the in-memory queue and the
//! batch being made). Entries are not synced one by one: a power failure may lose what the
//! kernel had not yet written to the disk.

use crate::base::error::{Error, Result};
use crate::base::sync::Condvar;
use crate::export::health::ExporterHealth;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A segment is closed and a new one begun past this size (or a quarter of the cap, if less,
/// so that deleting the oldest segment at the cap frees a useful part of it).
const SEGMENT_BYTES: u64 = 4 << 20;
/// Entry header: length, items, checksum.
const HEADER: u64 = 12;
/// The largest entry (a corrupt length must not allocate).
const MAX_ENTRY: u32 = 256 << 20;
/// Waits between attempts while the endpoint fails: from the first to the last, doubling.
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
const BACKOFF_LAST: Duration = Duration::from_secs(10);

/// Sends one encoded request; `Err` leaves it on disk to be tried again.
pub(crate) type SendFn = Box<dyn FnMut(&[u8]) -> Result<()> + Send>;

/// A segment on disk.
#[derive(Debug)]
struct Segment {
    dir: PathBuf,
    seq: u64,
    /// Bytes written.
    bytes: u64,
    /// Bytes sent (the offset of the first entry not sent).
    acked: u64,
    /// Items written, and items sent.
    items: u64,
    sent_items: u64,
}

impl Segment {
    fn path(&self, ext: &str) -> PathBuf {
        self.dir.join(format!("{:020}.{ext}", self.seq))
    }

    fn unsent_bytes(&self) -> u64 {
        self.bytes.saturating_sub(self.acked)
    }

    fn remove_files(&self) {
        let _ = fs::remove_file(self.path("seg"));
        let _ = fs::remove_file(self.path("ack"));
    }
}

/// What the writer and the sender share.
#[derive(Default)]
struct State {
    /// Segments not yet fully sent, oldest first; the last one is the one written to.
    segments: VecDeque<Segment>,
    /// Bytes on disk not yet sent.
    unsent: u64,
    /// Bytes on disk, sent or not (the segments not yet deleted).
    on_disk: u64,
    /// Shutdown: send until the queue is empty or an attempt fails, then stop.
    stopping: bool,
    /// The segment (directory, number) an entry of which is being sent: not deleted at the
    /// cap meanwhile.
    sending: Option<(PathBuf, u64)>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// Items deleted unsent because the queue reached its cap (also in the health record's
    /// failed items, as `queue_full`).
    dropped: Arc<AtomicU64>,
    health: Arc<ExporterHealth>,
}

impl Shared {
    fn count_dropped(&self, items: u64) {
        if items > 0 {
            self.dropped.fetch_add(items, Ordering::Relaxed);
            self.health.count_dropped(items);
        }
    }
}

/// The writer's side of a spool, with its sender thread.
pub(crate) struct Spool {
    shared: Arc<Shared>,
    dir: PathBuf,
    file: File,
    seq: u64,
    max_bytes: u64,
    segment_bytes: u64,
    /// The lock held on this process's directory (a forked child closes its copy).
    lock: File,
    sender: Option<JoinHandle<()>>,
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::config(format!(
        "OTELRS_EXPORTER_OTLP_QUEUE_DIR: {what} {}: {e}",
        path.display()
    ))
}

/// Takes the advisory lock of `path` without waiting; `None` if another process holds it.
fn try_lock(path: &Path) -> std::io::Result<Option<File>> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    // SAFETY: flock on a descriptor this function owns, with no pointer arguments.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    Ok((rc == 0).then_some(file))
}

fn read_ack(path: &Path) -> u64 {
    let mut b = [0u8; 8];
    match File::open(path).and_then(|mut f| f.read_exact(&mut b)) {
        Ok(()) => u64::from_le_bytes(b),
        Err(_) => 0,
    }
}

/// The header of the entry at `offset`: (payload length, items, checksum).
fn read_header(file: &mut File, offset: u64) -> Option<(u32, u64, u32)> {
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut h = [0u8; HEADER as usize];
    file.read_exact(&mut h).ok()?;
    let word = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    (word(0) <= MAX_ENTRY).then(|| (word(0), u64::from(word(4)), word(8)))
}

/// Reads the entry at `offset`: (payload, items, next offset), or `None` where no whole
/// entry is (the end, or an entry cut short).
fn read_entry(file: &mut File, offset: u64) -> Option<(Vec<u8>, u64, u64)> {
    let (len, items, crc) = read_header(file, offset)?;
    let end = offset + HEADER + u64::from(len);
    // A length the file cannot hold (a torn or corrupt header) allocates nothing.
    if end > file.metadata().ok()?.len() {
        return None;
    }
    let mut payload = vec![0u8; len as usize];
    file.read_exact(&mut payload).ok()?;
    (crc32fast::hash(&payload) == crc).then_some((payload, items, end))
}

/// The segments an earlier process left in `dir`, in order, with their items counted.
fn segments_in(dir: &Path) -> Vec<Segment> {
    let mut found: Vec<Segment> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let seq: u64 = name.strip_suffix(".seg")?.parse().ok()?;
            let mut segment = Segment {
                dir: dir.to_owned(),
                seq,
                bytes: 0,
                acked: 0,
                items: 0,
                sent_items: 0,
            };
            segment.acked = read_ack(&segment.path("ack"));
            let mut file = File::open(e.path()).ok()?;
            let size = file.metadata().ok()?.len();
            let mut offset = 0;
            while let Some((len, items, _)) = read_header(&mut file, offset) {
                let next = offset + HEADER + u64::from(len);
                if next > size {
                    break;
                }
                segment.items += items;
                if next <= segment.acked {
                    segment.sent_items += items;
                }
                offset = next;
            }
            segment.bytes = offset;
            Some(segment)
        })
        .collect();
    found.sort_by_key(|s| s.seq);
    found
}

impl Spool {
    /// Opens this process's queue under `<base>/<signal>`, adopts what earlier processes
    /// left there, and starts the sender, which delivers through `send` and records each
    /// attempt in `health`; items deleted at the cap are added to `dropped`.
    pub(crate) fn start(
        base: &Path,
        signal: &str,
        max_bytes: u64,
        send: SendFn,
        health: Arc<ExporterHealth>,
        dropped: Arc<AtomicU64>,
    ) -> Result<Spool> {
        let root = base.join(signal);
        fs::create_dir_all(&root).map_err(|e| io_error("cannot create", &root, e))?;
        let started = crate::base::clock::now_unix_nanos();
        let dir = root.join(format!("{started:020}-{}", std::process::id()));
        fs::create_dir_all(&dir).map_err(|e| io_error("cannot create", &dir, e))?;
        let lock = try_lock(&dir.join("lock"))
            .map_err(|e| io_error("cannot lock", &dir, e))?
            .ok_or_else(|| Error::internal("a new queue directory is locked already"))?;
        // Earlier processes' directories, oldest first, whose lock nobody holds.
        let mut earlier: Vec<PathBuf> = fs::read_dir(&root)
            .map_err(|e| io_error("cannot read", &root, e))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir() && *p != dir)
            .collect();
        earlier.sort();
        let mut state = State::default();
        let mut adopted = Vec::new();
        for old in earlier {
            let Ok(Some(old_lock)) = try_lock(&old.join("lock")) else {
                continue; // a live process's
            };
            let segments = segments_in(&old);
            if segments.is_empty() {
                let _ = fs::remove_dir_all(&old);
                continue;
            }
            for segment in segments {
                state.unsent += segment.unsent_bytes();
                state.on_disk += segment.bytes;
                state.segments.push_back(segment);
            }
            crate::base::fork::close_in_child(old_lock.as_raw_fd());
            adopted.push((old, old_lock));
        }
        let file = Self::open_segment(&dir, 0)?;
        state.segments.push_back(Segment {
            dir: dir.clone(),
            seq: 0,
            bytes: 0,
            acked: 0,
            items: 0,
            sent_items: 0,
        });
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            wake: Condvar::new(),
            dropped,
            health,
        });
        let reported = Arc::clone(&shared);
        shared.health.show_disk_queue(Box::new(move || {
            let state = reported.state.lock();
            (state.unsent, state.on_disk)
        }));
        let sender = Sender {
            shared: Arc::clone(&shared),
            send,
            own: dir.clone(),
            adopted,
            reader: None,
        };
        let sender = std::thread::Builder::new()
            .name(format!("otelrs-{signal}-queue"))
            .spawn(move || sender.run())
            .map_err(|e| Error::internal(format!("cannot start the queue's sender: {e}")))?;
        crate::base::fork::close_in_child(lock.as_raw_fd());
        Ok(Spool {
            shared,
            dir,
            file,
            seq: 0,
            max_bytes,
            segment_bytes: (max_bytes / 4).clamp(64 << 10, SEGMENT_BYTES),
            lock,
            sender: Some(sender),
        })
    }

    fn open_segment(dir: &Path, seq: u64) -> Result<File> {
        let path = dir.join(format!("{seq:020}.seg"));
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_error("cannot open", &path, e))
    }

    /// Appends one encoded request of `items` items. A disk that cannot take it is an error
    /// (the export fails); a queue at its cap first deletes its oldest segments.
    pub(crate) fn append(&mut self, payload: &[u8], items: u64) -> Result<()> {
        let len = u32::try_from(payload.len())
            .ok()
            .filter(|l| *l <= MAX_ENTRY)
            .ok_or_else(|| Error::internal("an export too large for the on-disk queue"))?;
        let mut entry = Vec::with_capacity(HEADER as usize + payload.len());
        entry.extend_from_slice(&len.to_le_bytes());
        entry.extend_from_slice(&u32::try_from(items).unwrap_or(u32::MAX).to_le_bytes());
        entry.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        entry.extend_from_slice(payload);
        let size = entry.len() as u64;
        let full = {
            let state = self.shared.state.lock();
            state
                .segments
                .back()
                .is_some_and(|s| s.bytes > 0 && s.bytes + size > self.segment_bytes)
        };
        if full {
            self.seq += 1;
            self.file = Self::open_segment(&self.dir, self.seq)?;
            self.shared.state.lock().segments.push_back(Segment {
                dir: self.dir.clone(),
                seq: self.seq,
                bytes: 0,
                acked: 0,
                items: 0,
                sent_items: 0,
            });
        }
        self.make_room(size);
        crate::base::files::append_line(&mut self.file, &entry).map_err(|e| {
            crate::export::delivery::export_error(
                "on-disk queue",
                format!("{}: {e}", self.dir.display()),
            )
        })?;
        let mut state = self.shared.state.lock();
        state.unsent += size;
        state.on_disk += size;
        if let Some(s) = state.segments.back_mut() {
            s.bytes += size;
            s.items += items;
        }
        drop(state);
        self.shared.wake.notify_one();
        Ok(())
    }

    /// Deletes the oldest segments (never the one written to) until `size` more bytes fit
    /// under the cap, counting their unsent items as dropped.
    fn make_room(&self, size: u64) {
        let mut state = self.shared.state.lock();
        while state.on_disk + size > self.max_bytes {
            // The oldest segment, unless one of its entries is being sent: then the next.
            let sending = state.sending.clone();
            let at = state
                .segments
                .iter()
                .position(|s| sending.as_ref() != Some(&(s.dir.clone(), s.seq)));
            let Some(at) = at.filter(|at| at + 1 < state.segments.len()) else {
                break; // only the segment written to (or the one being sent) is left
            };
            let Some(oldest) = state.segments.remove(at) else {
                break;
            };
            state.unsent = state.unsent.saturating_sub(oldest.unsent_bytes());
            state.on_disk = state.on_disk.saturating_sub(oldest.bytes);
            self.shared
                .count_dropped(oldest.items.saturating_sub(oldest.sent_items));
            oldest.remove_files();
        }
    }

    /// Sends what it can until the queue is empty, an attempt fails, or `timeout` passes;
    /// what is left stays on disk for the next process. With everything sent, the process's
    /// directory is removed.
    pub(crate) fn shutdown(&mut self, timeout: Duration) {
        self.shared.state.lock().stopping = true;
        self.shared.wake.notify_all();
        let deadline = Instant::now() + timeout;
        let Some(sender) = self.sender.take() else {
            return;
        };
        while !sender.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        if !sender.is_finished() {
            return; // still sending: it finishes in the background
        }
        let _ = sender.join();
        let state = self.shared.state.lock();
        let own_left = state
            .segments
            .iter()
            .any(|s| s.dir == self.dir && s.unsent_bytes() > 0);
        if !own_left {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        crate::base::fork::forget_fd(self.lock.as_raw_fd());
    }
}

/// The sender thread.
struct Sender {
    shared: Arc<Shared>,
    send: SendFn,
    /// This process's directory (the others are adopted, and removed once sent).
    own: PathBuf,
    adopted: Vec<(PathBuf, File)>,
    /// The segment being read: its directory, number and file.
    reader: Option<(PathBuf, u64, File)>,
}

/// What the sender does next.
enum Next {
    /// Send the entry at `offset` of segment `seq` of `dir`.
    Entry {
        dir: PathBuf,
        seq: u64,
        offset: u64,
    },
    Stop,
}

impl Sender {
    fn run(mut self) {
        let mut backoff = BACKOFF_FIRST;
        loop {
            let (dir, seq, offset) = match self.next() {
                Next::Entry { dir, seq, offset } => (dir, seq, offset),
                Next::Stop => return,
            };
            let same = matches!(&self.reader, Some((d, s, _)) if *d == dir && *s == seq);
            if !same {
                match File::open(dir.join(format!("{seq:020}.seg"))) {
                    Ok(f) => self.reader = Some((dir.clone(), seq, f)),
                    Err(_) => {
                        self.give_up_on(&dir, seq);
                        continue;
                    }
                }
            }
            let entry = self
                .reader
                .as_mut()
                .and_then(|(_, _, file)| read_entry(file, offset));
            let Some((payload, items, next_offset)) = entry else {
                self.give_up_on(&dir, seq);
                continue;
            };
            let started = Instant::now();
            let outcome = (self.send)(&payload);
            // A failed attempt loses nothing (the entry stays queued): it counts as a failed
            // export of no items.
            let delivered = if outcome.is_ok() { items } else { 0 };
            self.shared
                .health
                .record(delivered, &outcome, started.elapsed());
            if outcome.is_ok() {
                backoff = BACKOFF_FIRST;
                self.sent(&dir, seq, offset, next_offset, items);
                continue;
            }
            let mut state = self.shared.state.lock();
            state.sending = None;
            // Wait out the backoff (new entries do not cut it short; shutdown does).
            let until = Instant::now() + backoff;
            while !state.stopping && Instant::now() < until {
                self.shared.wake.wait_until(&mut state, until);
            }
            if state.stopping {
                return;
            }
            backoff = (backoff * 2).min(BACKOFF_LAST);
        }
    }

    /// The next entry to send, deleting the segments fully sent; waits while there is none.
    fn next(&mut self) -> Next {
        let shared = Arc::clone(&self.shared);
        let mut state = shared.state.lock();
        loop {
            let writing = state.segments.len() == 1;
            let Some(front) = state.segments.front() else {
                return Next::Stop;
            };
            if front.acked < front.bytes {
                let (dir, seq, offset) = (front.dir.clone(), front.seq, front.acked);
                state.sending = Some((dir.clone(), seq));
                return Next::Entry { dir, seq, offset };
            }
            if writing {
                if state.stopping {
                    return Next::Stop;
                }
                self.shared
                    .wake
                    .wait_for(&mut state, Duration::from_secs(1));
                continue;
            }
            if let Some(done) = state.segments.pop_front() {
                state.on_disk = state.on_disk.saturating_sub(done.bytes);
                done.remove_files();
                self.forget_dir_if_sent(&done.dir, &state);
            }
        }
    }

    /// Records that the entry at `offset` of segment `seq` was delivered.
    fn sent(&mut self, dir: &Path, seq: u64, offset: u64, next_offset: u64, items: u64) {
        let mut state = self.shared.state.lock();
        state.sending = None;
        let found = state
            .segments
            .iter_mut()
            .find(|s| s.seq == seq && s.dir == dir && s.acked == offset);
        if let Some(s) = found {
            s.acked = next_offset;
            s.sent_items += items;
            let _ = fs::write(s.path("ack"), next_offset.to_le_bytes());
            state.unsent = state.unsent.saturating_sub(next_offset - offset);
        }
    }

    /// Gives up on the rest of segment `seq`: it cannot be opened, or an entry in it is cut
    /// short (a crash while it was written). The segment being written is only waited on.
    fn give_up_on(&mut self, dir: &Path, seq: u64) {
        self.reader = None;
        let shared = Arc::clone(&self.shared);
        let mut state = shared.state.lock();
        state.sending = None;
        let Some(at) = state
            .segments
            .iter()
            .position(|s| s.seq == seq && s.dir == dir)
        else {
            return;
        };
        if at + 1 == state.segments.len() {
            // The entry being written is not whole yet.
            self.shared
                .wake
                .wait_for(&mut state, Duration::from_millis(10));
            return;
        }
        if let Some(s) = state.segments.remove(at) {
            state.unsent = state.unsent.saturating_sub(s.unsent_bytes());
            state.on_disk = state.on_disk.saturating_sub(s.bytes);
            self.shared
                .count_dropped(s.items.saturating_sub(s.sent_items));
            s.remove_files();
            self.forget_dir_if_sent(&s.dir, &state);
        }
    }

    /// Removes an adopted directory once none of its segments is left.
    fn forget_dir_if_sent(&mut self, dir: &Path, state: &State) {
        if dir == self.own || state.segments.iter().any(|s| s.dir == dir) {
            return;
        }
        if let Some(at) = self.adopted.iter().position(|(d, _)| d == dir) {
            let (dir, lock) = self.adopted.remove(at);
            let _ = fs::remove_dir_all(&dir);
            crate::base::fork::forget_fd(lock.as_raw_fd());
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        for (_, lock) in &self.adopted {
            crate::base::fork::forget_fd(lock.as_raw_fd());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Exporter, Protocol};
    use crate::export::health::Signal;

    fn health() -> Arc<ExporterHealth> {
        Arc::new(ExporterHealth::new(
            Signal::Logs,
            Exporter::Otlp,
            Protocol::Grpc,
            0,
            Duration::from_secs(60),
        ))
    }

    fn base(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("otelrs-spool-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    /// A sender that keeps what it is given while `up` is set, and fails otherwise.
    fn receiver(up: Arc<AtomicU64>) -> (SendFn, Arc<Mutex<Vec<Vec<u8>>>>) {
        let got = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&got);
        let send: SendFn = Box::new(move |bytes: &[u8]| {
            if up.load(Ordering::SeqCst) == 0 {
                return Err(Error::internal("down"));
            }
            kept.lock().push(bytes.to_vec());
            Ok(())
        });
        (send, got)
    }

    /// A spool of 1 MiB under `base` for logs, with a health record and drop count of its own.
    fn spool(base: &Path, send: SendFn) -> Spool {
        Spool::start(
            base,
            "logs",
            1 << 20,
            send,
            health(),
            Arc::new(AtomicU64::new(0)),
        )
        .unwrap()
    }

    fn wait_for(got: &Mutex<Vec<Vec<u8>>>, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while got.lock().len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn delivers_in_order_and_cleans_up() {
        let base = base("order");
        let up = Arc::new(AtomicU64::new(1));
        let (send, got) = receiver(Arc::clone(&up));
        let mut queue = spool(&base, send);
        for i in 0..500u32 {
            queue.append(&i.to_le_bytes().repeat(100), 1).unwrap();
        }
        wait_for(&got, 500);
        queue.shutdown(Duration::from_secs(5));
        let got = got.lock();
        assert_eq!(got.len(), 500);
        for (i, payload) in got.iter().enumerate() {
            assert_eq!(payload[..4], (i as u32).to_le_bytes());
        }
        assert!(
            fs::read_dir(base.join("logs")).unwrap().next().is_none(),
            "the process's directory is gone once everything was sent"
        );
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn an_outage_fills_the_queue_up_to_its_cap_and_the_next_process_sends_the_rest() {
        let base = base("outage");
        let up = Arc::new(AtomicU64::new(0));
        let (send, _) = receiver(Arc::clone(&up));
        let dropped = Arc::new(AtomicU64::new(0));
        let h = health();
        let mut full = Spool::start(
            &base,
            "logs",
            1 << 20,
            send,
            Arc::clone(&h),
            Arc::clone(&dropped),
        )
        .unwrap();
        // 3 MiB of 10-item entries into a 1 MiB queue while the endpoint is down.
        let entry = vec![7u8; 10_000];
        for _ in 0..300 {
            full.append(&entry, 10).unwrap();
        }
        let on_disk: u64 = fs::read_dir(base.join("logs"))
            .unwrap()
            .flatten()
            .flat_map(|d| fs::read_dir(d.path()).unwrap().flatten())
            .map(|f| f.metadata().unwrap().len())
            .sum();
        assert!(on_disk <= 1 << 20, "{on_disk} bytes on disk");
        let lost = dropped.load(Ordering::SeqCst);
        assert!(lost > 0 && lost % 10 == 0, "{lost}");
        let (_, failed, _, _) = h.totals();
        assert_eq!(failed, vec![("queue_full".to_owned(), lost)]);
        full.shutdown(Duration::from_millis(200));
        drop(full); // as a killed process would: its lock is released

        // A new process with the endpoint up sends what was kept, oldest first.
        let (send2, got2) = receiver(Arc::new(AtomicU64::new(1)));
        let mut next = spool(&base, send2);
        wait_for(&got2, (3000 - lost as usize) / 10);
        next.shutdown(Duration::from_secs(5));
        assert_eq!(got2.lock().len() as u64 * 10 + lost, 3000);
        assert!(fs::read_dir(base.join("logs")).unwrap().next().is_none());
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn an_entry_cut_short_ends_its_segment() {
        let base = base("torn");
        let (send, _) = receiver(Arc::new(AtomicU64::new(0)));
        let mut first = spool(&base, send);
        first.append(b"first", 1).unwrap();
        first.append(b"second", 1).unwrap();
        let dir = first.dir.clone();
        first.shutdown(Duration::from_millis(100));
        drop(first);
        // A crash in the middle of a third entry.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.join(format!("{:020}.seg", 0)))
            .unwrap();
        std::io::Write::write_all(&mut f, &[50, 0, 0, 0, 1, 0, 0, 0, 9, 9]).unwrap();
        let (send2, got2) = receiver(Arc::new(AtomicU64::new(1)));
        let mut next = spool(&base, send2);
        wait_for(&got2, 2);
        next.shutdown(Duration::from_secs(5));
        assert_eq!(*got2.lock(), vec![b"first".to_vec(), b"second".to_vec()]);
        fs::remove_dir_all(&base).unwrap();
    }
}

//! Scoring one file on several threads: the file is cut at line feeds into parts, each
//! part is scored by its own [`Scorer`] (all of them make their reading choices from the
//! same head), and the parts are joined in order into exactly the result one scorer
//! would give. A cut that falls inside a quoted field, or a part that decodes its first
//! non-ASCII byte differently, is detected at the join and that part is read again by
//! the scorer before it, so the result never depends on where the cuts fell.
//!
//! The page does the same with web workers (see `www/engine-core.js`); this is the
//! command line's driver (threads; never called in the wasm build, which has none).

use std::io::{Read, Seek, SeekFrom};

use super::{FileHash, Part, Scored, Scorer};
use crate::error::{Error, Result};
use crate::features::Mapping;
use crate::ingest::HEAD_BYTES;
use crate::model::Model;

/// Bytes read at a time.
const CHUNK: usize = 4 << 20;
/// Files smaller than this are scored by one thread: starting a part costs a head.
pub const MIN_PARALLEL_BYTES: u64 = 4 * HEAD_BYTES as u64;

/// Where to cut a file of `size` bytes into `parts` parts: just after the first line
/// feed at or after each `size * k / parts`, beyond the head. `open` gives a fresh
/// reader of the file. Fewer starts (none) for small files or lines that never end.
pub fn part_starts<R: Read + Seek>(
    size: u64,
    parts: usize,
    open: &dyn Fn() -> std::io::Result<R>,
) -> std::io::Result<Vec<u64>> {
    let mut starts: Vec<u64> = Vec::new();
    if parts < 2 || size < MIN_PARALLEL_BYTES {
        return Ok(starts);
    }
    let mut r = open()?;
    let mut window = vec![0; 1 << 16];
    for k in 1..parts as u64 {
        let from = (size * k / parts as u64).max(HEAD_BYTES as u64);
        if starts.last().is_some_and(|&s| s > from) {
            continue;
        }
        r.seek(SeekFrom::Start(from))?;
        let n = read_full(&mut r, &mut window)?;
        if let Some(p) = window[..n].iter().position(|&b| b == b'\n') {
            let start = from + p as u64 + 1;
            if start < size && starts.last().is_none_or(|&s| s < start) {
                starts.push(start);
            }
        }
    }
    Ok(starts)
}

/// Scores the file of `size` bytes that `open` reads, in parts starting at `starts`
/// (see [`part_starts`]; each just after a line feed), one thread per part. The result
/// is the one [`Scorer`] gives on the whole file, its rows in lists kept apart
/// ([`Scorer::finish_apart`]): the first holds the first part's rows and the whole
/// file's figures, the others the later parts' rows, in file order.
/// Joining them would copy every later row once more (for a million rows, ~0.1 s of one
/// core and 100 MB of fresh memory): the scored CSV is written from the lists as they
/// are ([`super::write_csv_parts`]); [`Scored::join_later`] joins them.
///
/// With `digest`, the file's SHA-256 is computed alongside ([`Scored::file_sha256`]);
/// without, it stays empty, as [`Scorer::without_digest`] leaves it: the scored CSV does
/// not carry it, and for a million rows it takes ~50 ms of the run (a core's share).
#[allow(clippy::too_many_arguments)]
pub fn score_in_parts<R: Read + Seek>(
    model: &Model,
    file: &str,
    as_of: i64,
    mapping: &Mapping,
    size: u64,
    starts: &[u64],
    open: &(dyn Fn() -> std::io::Result<R> + Sync),
    digest: bool,
) -> Result<(Scored, Vec<Scored>)> {
    let io = |e: std::io::Error| Error::io(file, e);
    let mut bounds: Vec<u64> = starts
        .iter()
        .copied()
        .filter(|&s| s >= HEAD_BYTES as u64 && s < size)
        .collect();
    bounds.dedup();
    bounds.push(size);
    let head = if bounds.len() > 1 {
        let mut head = vec![0; HEAD_BYTES];
        let n = read_full(&mut open().map_err(io)?, &mut head).map_err(io)?;
        head.truncate(n);
        head
    } else {
        Vec::new()
    };
    let mut hash = FileHash::new();
    let mut first = Scorer::new(model.clone(), file, as_of, mapping.clone())
        .without_digest()
        .expect_bytes(size);

    std::thread::scope(|scope| -> Result<(Scored, Vec<Scored>)> {
        let threads: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (from, to, last) = (w[0], w[1], w[1] == size);
                let head = &head;
                scope.spawn(move || -> Result<Option<(Part, u64)>> {
                    let Some(part) =
                        Scorer::part(model.clone(), file, as_of, mapping.clone(), head)
                    else {
                        return Ok(None);
                    };
                    let part = part.expect_bytes(to - from);
                    score_part(part, file, (from, to), last, size, open).map(Some)
                })
            })
            .collect();

        // The file is hashed on a thread of its own, from its first byte, while this
        // thread and the others score: the work of three threads shared by the cores.
        // (Hashing the first part here and the rest after it left a core idle for the
        // rest's ~30 ms of a million rows, as does any fixed share of the hashing.)
        let hashing = digest.then(|| {
            scope.spawn(move || -> std::io::Result<FileHash> {
                let mut r = open()?;
                let mut chunk = vec![0; CHUNK];
                loop {
                    match read_full(&mut r, &mut chunk)? {
                        0 => return Ok(hash),
                        n => hash.update(&chunk[..n]),
                    }
                }
            })
        });
        let mut r = open().map_err(io)?;
        let mut chunk = vec![0; CHUNK];
        let mut at = 0;
        while at < bounds[0] {
            let want = ((bounds[0] - at) as usize).min(CHUNK);
            let n = read_full(&mut r, &mut chunk[..want]).map_err(io)?;
            if n == 0 {
                break;
            }
            first.push(&chunk[..n])?;
            at += n as u64;
        }
        let mut open_end = bounds.len() > 1 && first.end_part()?;

        for handle in threads {
            let part = handle.join().unwrap_or(Ok(None))?;
            if !open_end {
                continue;
            }
            let joined = match part {
                Some((part, end)) => first.join_apart(part)?.then_some(end),
                None => None,
            };
            match joined {
                Some(end) => {
                    at = end;
                    open_end = at < size;
                }
                None => {
                    first.reopen();
                    open_end = false;
                }
            }
        }
        // Whatever no part could take is read here, as a single scorer would.
        if at < size {
            first.reopen();
            r.seek(SeekFrom::Start(at)).map_err(io)?;
            loop {
                let n = read_full(&mut r, &mut chunk).map_err(io)?;
                if n == 0 {
                    break;
                }
                first.push(&chunk[..n])?;
            }
        }
        let (mut scored, later) = first.finish_apart()?;
        if let Some(hashing) = hashing {
            let hash = hashing
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the file's hashing stopped")));
            scored.file_sha256 = hash.map_err(io)?.finish();
        }
        Ok((scored, later))
    })
}

/// Scores bytes `from..to` of the file as a part; when they do not end at a record's
/// end, reads on to the end of the file. Returns the part and where its bytes ended.
fn score_part<R: Read + Seek>(
    mut part: Scorer,
    file: &str,
    (from, to): (u64, u64),
    last: bool,
    size: u64,
    open: &dyn Fn() -> std::io::Result<R>,
) -> Result<(Part, u64)> {
    let io = |e: std::io::Error| Error::io(file, e);
    let mut r = open().map_err(io)?;
    r.seek(SeekFrom::Start(from)).map_err(io)?;
    let mut chunk = vec![0; CHUNK];
    let mut at = from;
    let mut until = to;
    loop {
        while at < until {
            let want = ((until - at) as usize).min(CHUNK);
            let n = read_full(&mut r, &mut chunk[..want]).map_err(io)?;
            if n == 0 {
                until = at;
                break;
            }
            part.push(&chunk[..n])?;
            at += n as u64;
        }
        if last || until == size || part.end_part()? {
            break;
        }
        // Cut inside a quoted field: this part reads on, the next one is not used.
        until = size;
    }
    Ok((part.into_part()?, at))
}

/// Reads until `buf` is full or the file ends.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_fall_just_after_line_feeds_beyond_the_head() {
        let line = b"ACC-1,Acme,120\n";
        let bytes: Vec<u8> = line
            .iter()
            .copied()
            .cycle()
            .take(line.len() * (MIN_PARALLEL_BYTES as usize / line.len() + 10))
            .collect();
        let size = bytes.len() as u64;
        let open = || Ok(std::io::Cursor::new(&bytes[..]));
        for parts in [2, 3, 8] {
            let starts = part_starts(size, parts, &open).unwrap();
            // Cuts never fall inside the head, so 8 parts of this file make fewer.
            assert!(starts.len() < parts && !starts.is_empty());
            assert!(starts.windows(2).all(|w| w[0] < w[1]));
            for &s in &starts {
                assert_eq!(bytes[s as usize - 1], b'\n');
                assert!(s > HEAD_BYTES as u64 && s < size);
            }
            if parts <= 3 {
                assert_eq!(starts.len(), parts - 1);
                for (k, &s) in starts.iter().enumerate() {
                    let target = size * (k as u64 + 1) / parts as u64;
                    assert!(
                        s > target && s <= target + line.len() as u64,
                        "{s} vs {target}"
                    );
                }
            }
        }
        assert!(part_starts(size, 1, &open).unwrap().is_empty());
        let small = &bytes[..(MIN_PARALLEL_BYTES - 1) as usize];
        let open_small = || Ok(std::io::Cursor::new(small));
        assert!(part_starts(small.len() as u64, 2, &open_small)
            .unwrap()
            .is_empty());
        // A file with no line feed after the head cannot be cut.
        let mut one_line = vec![b'x'; MIN_PARALLEL_BYTES as usize + 100];
        one_line[10] = b'\n';
        let open_one = || Ok(std::io::Cursor::new(&one_line[..]));
        assert!(part_starts(one_line.len() as u64, 2, &open_one)
            .unwrap()
            .is_empty());
    }
}

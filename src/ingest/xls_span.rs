//! How many cells an `.xls` file's sheets would take once laid out, measured from the
//! file's own records before calamine reads it.
//!
//! calamine's `.xls` reader parses every sheet while it opens the file and lays each one
//! out as a dense rectangle: it reserves room for the rectangle the sheet's DIMENSIONS
//! record declares, then fills the rectangle spanned by the cells' positions. A damaged
//! file can make either one billions of cells (the fuzzer found a 23 GB one). So
//! [`largest_span`] walks the same records first and returns the largest of those two
//! rectangles over all sheets, which the caller compares with its limit.
//!
//! The contract: only the file's bytes are read, nothing is allocated beyond the
//! directory, the allocation tables and the workbook stream (each bounded by the file's
//! size), every chain of sectors is followed at most as many steps as the file has
//! sectors, and a structure this reader cannot follow is `Err(())` (the caller calls the
//! file damaged). The walk mirrors calamine 0.38's (`xls.rs`, `parse_workbook`): the
//! same record types carry a cell position, nested substreams (embedded charts) are
//! skipped, and DIMENSIONS is read the way calamine reads it. A file whose records are
//! encrypted (FILEPASS) is left to calamine, which refuses it as password-protected.

/// The compound file's magic number (an OLE file).
const MAGIC: [u8; 8] = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
/// Sector numbers from here on are not sectors (calamine's `RESERVED_SECTORS`).
const RESERVED: u32 = 0xFFFF_FFFA;
/// Marks a sector of the allocation table in the DIFAT; entries from here on are skipped.
const DIFSECT: u32 = 0xFFFF_FFFC;
/// The end of a chain.
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
/// Streams shorter than this live in the mini stream.
const MINI_CUTOFF: usize = 4096;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn words(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

/// One way of reading sectors: the file's (after its 512-byte header) or the mini
/// stream's 64-byte ones, each with its allocation table.
struct Sectors<'a> {
    data: &'a [u8],
    size: usize,
    /// The highest sector number calamine accepts.
    max_id: usize,
    fat: Vec<u32>,
    /// The mini stream's sectors must lie within it: past its end calamine reads
    /// whatever follows in the file, which is not part of any workbook.
    whole: bool,
}

impl Sectors<'_> {
    /// Sector `id`: cut short, or empty, past the end of the data, as calamine reads it.
    fn get(&self, id: u32) -> Option<&[u8]> {
        let id = id as usize;
        if id > self.max_id {
            return None; // calamine: "sector points past end of file"
        }
        if self.whole && (id + 1) * self.size > self.data.len() {
            return None;
        }
        let start = (id * self.size).min(self.data.len());
        Some(&self.data[start..(start + self.size).min(self.data.len())])
    }

    /// The chain from `first`, `len` bytes at most, read the way calamine's `get_chain`
    /// reads it, but `None` where calamine would fail, index its table out of bounds
    /// (a panic) or go round a cycle (which it follows until `len`, unbounded for the
    /// directory).
    fn chain(&self, first: u32, len: usize) -> Option<Vec<u8>> {
        if len == 0 {
            return Some(Vec::new()); // calamine takes nothing from the first sector
        }
        let mut out = Vec::new();
        let mut id = first;
        let mut steps = 0usize;
        while id != END_OF_CHAIN {
            let sector = self.get(id)?;
            out.extend_from_slice(&sector[..sector.len().min(len - out.len())]);
            if out.len() >= len {
                break;
            }
            steps += 1;
            if steps > self.max_id + 1 {
                return None;
            }
            id = *self.fat.get(id as usize)?;
        }
        Some(out)
    }
}

/// The stream named one of `names` (any letter case) of the compound file `bytes`
/// ([MS-CFB]), read as calamine 0.38 reads it (`cfb.rs`), after checking that every chain
/// calamine may follow in this file ends within it.
fn workbook_stream(bytes: &[u8], names: &[&str]) -> Option<Vec<u8>> {
    if bytes.get(..8)? != MAGIC {
        return None;
    }
    let size = match u16_at(bytes, 30)? {
        9 => 512,
        12 => 4096,
        _ => return None,
    };
    let max_id = bytes.len() / size;
    let mut file = Sectors {
        data: bytes.get(512..)?,
        size,
        max_id,
        fat: Vec::new(),
        whole: false,
    };
    // The DIFAT: 109 entries in the header, then a chain of sectors whose last entry
    // names the next one.
    let mut difat: Vec<u32> = words(bytes.get(76..512)?).collect();
    let mut next = u32_at(bytes, 68)?;
    let mut steps = 0usize;
    while next < RESERVED {
        steps += 1;
        if steps > max_id + 1 {
            return None;
        }
        difat.extend(words(file.get(next)?));
        next = difat.pop()?;
    }
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|&id| id < DIFSECT) {
        fat.extend(words(file.get(id)?));
    }
    file.fat = fat;
    let dir = file.chain(u32_at(bytes, 48)?, usize::MAX)?;
    let entries: Vec<(String, u32, usize)> = dir
        .chunks_exact(128)
        .map(|e| {
            let units: Vec<u16> = e[..64]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            let mut name = String::from_utf16_lossy(&units);
            name.truncate(name.find('\0').unwrap_or(name.len()));
            let len = u64::from_le_bytes(e[120..128].try_into().ok()?);
            // calamine reads 4 bytes for 512-byte sectors, 8 for 4096 (and unwraps
            // their conversion to usize: no stream may claim more than the address space).
            let len = if size == 512 { len & 0xFFFF_FFFF } else { len };
            Some((name, u32_at(e, 116)?, usize::try_from(len).ok()?))
        })
        .collect::<Option<_>>()?;
    let &(_, root_start, root_len) = entries.first()?;
    let mini_fat_sectors = u32_at(bytes, 64)? as usize;
    // Without a mini allocation table calamine has no mini stream either, and reads a
    // small stream from wherever the file happens to be: refused.
    let (mini_data, mini_fat) = if mini_fat_sectors > 0 {
        let data = file.chain(root_start, root_len)?;
        let fat_bytes = file.chain(u32_at(bytes, 60)?, mini_fat_sectors.saturating_mul(size))?;
        (Some(data), words(&fat_bytes).collect())
    } else {
        (None, Vec::new())
    };
    let mini = mini_data.as_deref().map(|data| Sectors {
        data,
        size: 64,
        max_id: max_id * 8,
        fat: mini_fat,
        whole: true,
    });
    let read = |start: u32, len: usize| match &mini {
        _ if len >= MINI_CUTOFF => file.chain(start, len),
        Some(m) => m.chain(start, len),
        None if len == 0 => Some(Vec::new()),
        None => None,
    };
    // Every stream's chain, as calamine may read any of them (the macros' streams too).
    let streams = entries[1..]
        .iter()
        .map(|(name, start, len)| Some((name, read(*start, *len)?)))
        .collect::<Option<Vec<_>>>()?;
    // calamine looks for each name in turn, taking the first entry with it.
    names.iter().find_map(|n| {
        streams
            .iter()
            .find(|(name, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, s)| s.clone())
    })
}

/// The BIFF records of `stream` from `at`: (type, data).
fn records(stream: &[u8], at: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = stream.get(at..).unwrap_or_default();
    std::iter::from_fn(move || {
        let typ = u16_at(rest, 0)?;
        let len = u16_at(rest, 2)? as usize;
        let data = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        Some((typ, data))
    })
}

/// A rectangle's cell count, from its first and last (inclusive) row and column.
fn area(rows: (u32, u32), cols: (u32, u32)) -> u64 {
    let r = u64::from(rows.1.saturating_sub(rows.0)) + 1;
    let c = u64::from(cols.1.saturating_sub(cols.0)) + 1;
    r * c
}

/// The rectangle calamine reserves for a DIMENSIONS record (its `parse_dimensions`).
fn declared(data: &[u8]) -> u64 {
    let (rf, rl, cf, cl) = match data.len() {
        10 => (
            u16_at(data, 0).map(u32::from),
            u16_at(data, 2).map(u32::from),
            u16_at(data, 4).map(u32::from),
            u16_at(data, 6).map(u32::from),
        ),
        14 | 16 => (
            u32_at(data, 0),
            u32_at(data, 4),
            u16_at(data, 8).map(u32::from),
            u16_at(data, 10).map(u32::from),
        ),
        _ => return 0, // calamine refuses the file
    };
    let (Some(rf), Some(rl), Some(cf), Some(cl)) = (rf, rl, cf, cl) else {
        return 0;
    };
    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
    if rl >= 1 && cl >= 1 {
        // calamine computes `end - start + 1` in usize: an end before the start wraps to
        // a huge count, so it counts as one here.
        if rl - 1 < rf || cl - 1 < cf {
            return u64::MAX;
        }
        area((rf, rl - 1), (cf, cl - 1))
    } else {
        1
    }
}

/// The largest rectangle (in cells) calamine would reserve or fill for any sheet of the
/// `.xls` file `bytes`; `Err(())` when its structure cannot be followed.
pub(super) fn largest_span(bytes: &[u8]) -> Result<u64, ()> {
    let stream = workbook_stream(bytes, &["Workbook", "Book"]).ok_or(())?;
    // The globals substream lists each sheet's offset (BoundSheet8).
    let mut sheets = Vec::new();
    for (typ, data) in records(&stream, 0) {
        match typ {
            0x002F => return Ok(0), // FILEPASS: encrypted, calamine refuses it
            0x0085 => sheets.push(u32_at(data, 0).ok_or(())? as usize),
            0x000A => break,
            _ => (),
        }
    }
    let mut largest = 0u64;
    for at in sheets {
        let mut bounds: Option<((u32, u32), (u32, u32))> = None;
        let mut cell = |r: u32, c: u32| {
            let ((r0, r1), (c0, c1)) = bounds.unwrap_or(((r, r), (c, c)));
            bounds = Some(((r0.min(r), r1.max(r)), (c0.min(c), c1.max(c))));
        };
        let mut seen_bof = false;
        let mut depth = 0usize;
        for (typ, data) in records(&stream, at) {
            if depth > 0 {
                match typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => (),
                }
                continue;
            }
            let pos = || Some((u32::from(u16_at(data, 0)?), u32::from(u16_at(data, 2)?)));
            match typ {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x0200 => largest = largest.max(declared(data)),
                // Number, Label, RString, BoolErr, Rk, LabelSst, Formula: one cell each.
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                    if let Some((r, c)) = pos() {
                        cell(r, c);
                    }
                }
                // MulRk: a row, its first column, and its last at the record's end.
                0x00BD => {
                    if let (Some((r, c)), Some(last)) = (
                        pos(),
                        data.len().checked_sub(2).and_then(|e| u16_at(data, e)),
                    ) {
                        cell(r, c);
                        cell(r, u32::from(last));
                    }
                }
                0x000A => break,
                _ => (),
            }
        }
        if let Some((rows, cols)) = bounds {
            largest = largest.max(area(rows, cols));
        }
    }
    Ok(largest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_dimensions_read_as_calamine_reads_them() {
        // BIFF8: rows 0..=9 (rwMac 10), columns 0..=3 (colMac 4): 40 cells.
        let mut d = Vec::new();
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&10u32.to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        d.extend_from_slice(&4u16.to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        assert_eq!(declared(&d), 40);
        // rwMac 2^32 - 1 (rows 0 to 2^32 - 2, so 2^32 - 1 of them) by 256 columns: far
        // over any limit, counted exactly.
        d[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        d[10..12].copy_from_slice(&256u16.to_le_bytes());
        assert_eq!(declared(&d), 4_294_967_295 * 256);
        // An end before the start wraps in calamine: counted as too many.
        d[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        d[4..8].copy_from_slice(&5u32.to_le_bytes());
        assert_eq!(declared(&d), u64::MAX);
    }

    #[test]
    fn not_a_compound_file_is_an_error() {
        assert_eq!(largest_span(b"not an ole file"), Err(()));
        let mut head = MAGIC.to_vec();
        head.resize(512, 0xFF);
        assert_eq!(largest_span(&head), Err(()));
    }
}

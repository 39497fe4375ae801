//! A plain little-endian byte format for handing a scored part of a file from one web
//! worker to another ([`crate::score::Part::to_bytes`]): columns go as raw arrays, so
//! a million rows cross in a copy, not a parse. Reading never panics: a short or
//! damaged buffer is an error.

/// Appends values to a byte buffer. Memory running out is remembered, not an abort
/// (a part of a huge file may not fit twice): [`Writer::finish`] then gives `None`.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
    failed: bool,
}

impl Writer {
    /// An empty buffer with room for about `bytes` bytes (when memory allows).
    pub fn with_capacity(bytes: usize) -> Writer {
        let mut w = Writer::default();
        w.room(bytes);
        w
    }
    /// The bytes written, or `None` when memory ran out.
    pub fn finish(self) -> Option<Vec<u8>> {
        (!self.failed).then_some(self.buf)
    }
    /// Whether `n` more bytes fit.
    fn room(&mut self, n: usize) -> bool {
        if !self.failed && self.buf.capacity() - self.buf.len() < n {
            self.failed = self.buf.try_reserve(n).is_err();
        }
        !self.failed
    }
    fn put(&mut self, bytes: &[u8]) {
        if self.room(bytes.len()) {
            self.buf.extend_from_slice(bytes);
        }
    }
    /// Makes room for `n` more bytes, written in place a column at a time (several
    /// times faster than value by value); `None` when memory ran out.
    fn column(&mut self, n: usize) -> Option<&mut [u8]> {
        if !self.room(n) {
            return None;
        }
        let at = self.buf.len();
        self.buf.resize(at + n, 0);
        self.buf.get_mut(at..)
    }
    /// One byte.
    pub fn u8(&mut self, v: u8) {
        self.put(&[v]);
    }
    /// A u32.
    pub fn u32(&mut self, v: u32) {
        self.put(&v.to_le_bytes());
    }
    /// A usize, as a u64.
    pub fn len(&mut self, v: usize) {
        self.put(&(v as u64).to_le_bytes());
    }
    /// An f64, bit for bit.
    pub fn f64(&mut self, v: f64) {
        self.put(&v.to_bits().to_le_bytes());
    }
    /// An i128.
    pub fn i128(&mut self, v: i128) {
        self.put(&v.to_le_bytes());
    }
    /// A string, after its length.
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    /// A column of u32, after its length.
    pub fn u32s(&mut self, v: &[u32]) {
        self.len(v.len());
        if let Some(out) = self.column(4 * v.len()) {
            for (o, x) in out.chunks_exact_mut(4).zip(v) {
                // As an array, one store: `copy_from_slice` stays a call per value in the
                // page's size-optimised engine.
                if let Ok(o) = <&mut [u8; 4]>::try_from(o) {
                    *o = x.to_le_bytes();
                }
            }
        }
    }
    /// A column of f64, after its length.
    pub fn f64s(&mut self, v: &[f64]) {
        self.len(v.len());
        if let Some(out) = self.column(8 * v.len()) {
            for (o, x) in out.chunks_exact_mut(8).zip(v) {
                if let Ok(o) = <&mut [u8; 8]>::try_from(o) {
                    *o = x.to_bits().to_le_bytes();
                }
            }
        }
    }
    /// A column of booleans, one byte each, after its length.
    pub fn bools(&mut self, v: &[bool]) {
        self.len(v.len());
        if let Some(out) = self.column(v.len()) {
            for (o, &x) in out.iter_mut().zip(v) {
                *o = u8::from(x);
            }
        }
    }
    /// A column of bytes, after its length.
    pub fn bytes(&mut self, v: &[u8]) {
        self.len(v.len());
        self.put(v);
    }
}

/// Why a buffer could not be read.
pub const DAMAGED: &str = "a scored part of the file arrived damaged";
/// Why a buffer could not be read into memory.
pub const NO_MEMORY: &str = "a scored part of the file does not fit in memory";

/// Appends the u32 values of a raw column ([`Reader::raw_column`]), each through `f`.
pub fn extend_u32s(out: &mut Vec<u32>, raw: &[u8], mut f: impl FnMut(u32) -> u32) {
    // Each value as an array, one load (not four bytes and shifts); the `try_from`
    // cannot fail on a chunk of exactly four.
    out.extend(
        raw.chunks_exact(4)
            .map(|c| f(<[u8; 4]>::try_from(c).map_or(0, u32::from_le_bytes))),
    );
}

/// Appends the f64 values of a raw column ([`Reader::raw_column`]).
pub fn extend_f64s(out: &mut Vec<f64>, raw: &[u8]) {
    out.extend(
        raw.chunks_exact(8)
            .map(|c| <[u8; 8]>::try_from(c).map_or(0.0, f64::from_le_bytes)),
    );
}

/// Reads values back in the order they were written.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        if n > self.bytes.len() {
            return Err(DAMAGED);
        }
        let (now, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(now)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], &'static str> {
        self.take(N)?.try_into().map_err(|_| DAMAGED)
    }

    /// Whether everything was read.
    pub fn is_done(&self) -> bool {
        self.bytes.is_empty()
    }
    /// One byte.
    pub fn u8(&mut self) -> Result<u8, &'static str> {
        Ok(self.array::<1>()?[0])
    }
    /// A u32.
    pub fn u32(&mut self) -> Result<u32, &'static str> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    /// A length: never more than the bytes left could hold at `unit` bytes each.
    pub fn len(&mut self, unit: usize) -> Result<usize, &'static str> {
        let n = usize::try_from(u64::from_le_bytes(self.array()?)).map_err(|_| DAMAGED)?;
        if n.saturating_mul(unit.max(1)) > self.bytes.len() && unit > 0 {
            return Err(DAMAGED);
        }
        Ok(n)
    }
    /// A number written with [`Writer::len`] that is not a length (a count of accounts).
    pub fn usize(&mut self) -> Result<usize, &'static str> {
        usize::try_from(u64::from_le_bytes(self.array()?)).map_err(|_| DAMAGED)
    }
    /// A count of things of no fixed size (checked as they are read).
    pub fn count(&mut self) -> Result<usize, &'static str> {
        self.len(1)
    }
    /// An f64.
    pub fn f64(&mut self) -> Result<f64, &'static str> {
        Ok(f64::from_bits(u64::from_le_bytes(self.array()?)))
    }
    /// An i128.
    pub fn i128(&mut self) -> Result<i128, &'static str> {
        Ok(i128::from_le_bytes(self.array()?))
    }
    /// A string.
    pub fn str(&mut self) -> Result<String, &'static str> {
        let n = self.len(1)?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| DAMAGED)
    }
    /// A column's values as raw bytes (`unit` bytes each), without copying: the count
    /// and the bytes, for [`extend_u32s`] and [`extend_f64s`].
    pub fn raw_column(&mut self, unit: usize) -> Result<(usize, &'a [u8]), &'static str> {
        let n = self.len(unit)?;
        Ok((n, self.take(n * unit)?))
    }
    /// A column of bytes.
    pub fn bytes(&mut self) -> Result<&'a [u8], &'static str> {
        let n = self.len(1)?;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_bit_for_bit_and_damage_is_an_error() {
        let mut w = Writer::default();
        w.u8(7);
        w.u32(u32::MAX);
        w.f64(-0.0);
        w.f64(f64::NAN);
        w.i128(i128::MIN + 3);
        w.str("Zoë, \"Café\"");
        w.u32s(&[1, 2, u32::MAX]);
        w.f64s(&[0.1, f64::INFINITY, -1e-300]);
        w.bytes(&[0, 1, 2]);
        w.len(1 << 40);
        w.bools(&[true, false]);
        let all = w.finish().unwrap();
        let mut r = Reader::new(&all);
        assert_eq!(r.u8(), Ok(7));
        assert_eq!(r.u32(), Ok(u32::MAX));
        assert_eq!(r.f64().unwrap().to_bits(), (-0.0f64).to_bits());
        assert!(r.f64().unwrap().is_nan());
        assert_eq!(r.i128(), Ok(i128::MIN + 3));
        assert_eq!(r.str().as_deref(), Ok("Zoë, \"Café\""));
        let (n, raw) = r.raw_column(4).unwrap();
        let mut u = vec![7];
        extend_u32s(&mut u, raw, |x| x.wrapping_add(1));
        assert_eq!((n, u), (3, vec![7, 2, 3, 0]));
        let (n, raw) = r.raw_column(8).unwrap();
        let mut f = Vec::new();
        extend_f64s(&mut f, raw);
        assert_eq!((n, f), (3, vec![0.1, f64::INFINITY, -1e-300]));
        assert_eq!(r.bytes(), Ok(&[0u8, 1, 2][..]));
        assert_eq!(r.usize(), Ok(1 << 40));
        assert_eq!(r.bytes(), Ok(&[1u8, 0][..]));
        assert!(r.is_done());
        // Every truncation fails cleanly somewhere.
        for cut in 0..all.len() {
            let mut r = Reader::new(&all[..cut]);
            let ok = (|| -> Result<(), &'static str> {
                r.u8()?;
                r.u32()?;
                r.f64()?;
                r.f64()?;
                r.i128()?;
                r.str()?;
                r.raw_column(4)?;
                r.raw_column(8)?;
                r.bytes()?;
                r.usize()?;
                r.bytes()?;
                Ok(())
            })();
            assert_eq!(ok, Err(DAMAGED), "cut at {cut}");
        }
        // A length claiming more than the buffer holds.
        let mut w = Writer::default();
        w.len(usize::MAX / 2);
        let bytes = w.finish().unwrap();
        assert_eq!(Reader::new(&bytes).raw_column(8), Err(DAMAGED));
        // Memory running out is remembered, not an abort.
        // (`black_box`: an allocation whose bytes go unused may be optimised away.)
        let mut w = Writer::with_capacity(std::hint::black_box(usize::MAX / 2));
        w.u8(1);
        assert!(std::hint::black_box(w.finish()).is_none());
    }
}

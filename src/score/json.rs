//! The JSON of a scored list ([`super::AuditResult`] with every row), written a few rows
//! at a time, the rows formatted on threads: the same bytes as serde_json's of the whole.

use super::blocks::write_blocks;
use super::Scored;

/// Rows of JSON formatted at a time (about 1.7 MB of text with reasons and warnings).
const JSON_BLOCK_ROWS: usize = 4 * 1024;

impl Scored {
    /// Writes the JSON of [`Scored::to_result`] (the same bytes) a few rows at a time:
    /// memory holds a few megabytes of text, never every row's [`ScoredRow`](super::ScoredRow).
    pub fn write_json(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        self.write_json_threaded(out, 1)
    }

    /// [`Scored::write_json`] with the rows formatted on `threads` threads, in blocks
    /// written in order: the same bytes.
    ///
    /// serde_json writes the result with its first row only; the text is cut just after
    /// that row, and the other rows go in between, each as serde_json writes an item of
    /// an array after the first: a comma, then the row.
    pub fn write_json_threaded(
        &self,
        out: &mut impl std::io::Write,
        threads: usize,
    ) -> std::io::Result<()> {
        let mut result = self.result_without_rows();
        result.portfolio.typical = self.typical();
        let lookups = self.lookups();
        let Some((first, row)) =
            (0..self.len()).find_map(|r| Some((r, self.row_with(r, &lookups)?)))
        else {
            // No rows: no `rows` field, as in `to_result`.
            serde_json::to_writer(&mut *out, &result)?;
            return Ok(());
        };
        let row_text = serde_json::to_string(&row)?;
        result.rows = vec![row];
        let text = serde_json::to_string(&result)?;
        // The first `"rows":[` is the field's: inside a string a quote is escaped, and no
        // object before it in the result has a field of that name.
        let start = text.find("\"rows\":[").map(|at| at + "\"rows\":[".len());
        let (head, tail) = start
            .and_then(|at| text.split_at_checked(at + row_text.len()))
            .filter(|(head, tail)| head.ends_with(&row_text) && tail.starts_with(']'))
            .ok_or_else(|| std::io::Error::other("the JSON of the rows could not be placed"))?;
        out.write_all(head.as_bytes())?;
        let failed = std::sync::atomic::AtomicBool::new(false);
        let rest = first + 1;
        write_blocks(
            (self.len() - rest).div_ceil(JSON_BLOCK_ROWS),
            threads,
            &|| (),
            &|(), b, block| {
                let mut bytes = std::mem::take(block).into_bytes();
                let start = rest + b * JSON_BLOCK_ROWS;
                for r in start..self.len().min(start + JSON_BLOCK_ROWS) {
                    if let Some(row) = self.row_with(r, &lookups) {
                        bytes.push(b',');
                        if serde_json::to_writer(&mut bytes, &row).is_err() {
                            failed.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                }
                // serde_json writes UTF-8: the conversion only checks it.
                *block = String::from_utf8(bytes).unwrap_or_else(|_| {
                    failed.store(true, std::sync::atomic::Ordering::Relaxed);
                    String::new()
                });
            },
            &mut |block| out.write_all(block.as_bytes()),
        )?;
        if failed.into_inner() {
            return Err(std::io::Error::other("a row could not be written as JSON"));
        }
        out.write_all(tail.as_bytes())
    }
}

//! Text formatted in blocks on threads and written in order, in bounded memory: how the
//! scored CSV and the JSON of a million rows are written.

/// Formats `blocks` blocks of text, block `b` by `format(state, b, text)` appending to
/// an empty `text`, and hands each to `write` in order. On `threads` threads: thread
/// `t` (with its own `state()`) formats blocks `t`, `t + threads`, ..., and this thread
/// takes them round robin and hands each buffer back to be refilled, so memory stays
/// at two blocks per thread. In the wasm build, which has no threads, block by block.
pub(super) fn write_blocks<S>(
    blocks: usize,
    threads: usize,
    state: &(dyn Fn() -> S + Sync),
    format: &(dyn Fn(&mut S, usize, &mut String) + Sync),
    write: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::sync::mpsc;
    let threads = if cfg!(target_arch = "wasm32") {
        1
    } else {
        threads.min(blocks)
    };
    if threads <= 1 {
        let (mut state, mut block) = (state(), String::new());
        for b in 0..blocks {
            block.clear();
            format(&mut state, b, &mut block);
            write(&block)?;
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        let lanes: Vec<_> = (0..threads)
            .map(|t| {
                let (full_tx, full_rx) = mpsc::sync_channel::<String>(1);
                let (empty_tx, empty_rx) = mpsc::channel::<String>();
                for _ in 0..2 {
                    let _ = empty_tx.send(String::new());
                }
                scope.spawn(move || {
                    let mut state = state();
                    for b in (t..blocks).step_by(threads) {
                        // Either channel closes only when the writer has stopped.
                        let Ok(mut block) = empty_rx.recv() else {
                            return;
                        };
                        block.clear();
                        format(&mut state, b, &mut block);
                        if full_tx.send(block).is_err() {
                            return;
                        }
                    }
                });
                (full_rx, empty_tx)
            })
            .collect();
        for (full_rx, empty_tx) in lanes.iter().cycle().take(blocks) {
            let block = full_rx
                .recv()
                .map_err(|_| std::io::Error::other("a thread formatting the rows stopped"))?;
            write(&block)?;
            let _ = empty_tx.send(block);
        }
        Ok(())
    })
}

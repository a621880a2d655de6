//! Independent work on every core, its results taken in the inputs' order.
//!
//! The items are cut into blocks of consecutive items; worker `k` of `n`
//! handles blocks `k`, `k + n`, `k + 2n`, … and hands each block's results
//! over a channel of its own that holds at most [`AHEAD`] blocks. The
//! calling thread takes the blocks round-robin, so it sees exactly the
//! order of the items, and no worker gets more than [`AHEAD`] blocks ahead
//! of the one the caller waits for. Blocks rather than single items keep
//! the hand-overs (and the threads waking each other) few: one result per
//! message costs more than small pieces of work themselves. What the
//! caller does with a result (printing it, keeping it) stays on one
//! thread, in order, as if the work had run sequentially.

use std::sync::mpsc::sync_channel;

/// Blocks a worker may finish before the caller takes them.
pub const AHEAD: usize = 2;
/// At most this many items in a block…
const MAX_BLOCK: usize = 64;
/// …and about this many blocks per worker, so that the work still spreads
/// evenly when a few items are much bigger than the others.
const BLOCKS_PER_WORKER: usize = 16;

/// The number of workers for `items` pieces of work: one per core, never
/// more than there are items.
pub fn workers_for(items: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items)
        .max(1)
}

/// Runs `work` on each of `items` on up to `workers` threads and hands each
/// item with its result to `take`, in the items' order. The first error
/// `take` returns stops everything: no further result is taken, the
/// workers stop at their next result, and that error is returned. With one
/// worker (or one item) everything runs on the calling thread.
pub fn map_in_order<T, R, E>(
    items: &[T],
    workers: usize,
    work: impl Fn(&T) -> R + Sync,
    mut take: impl FnMut(&T, R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Sync,
    R: Send,
{
    let workers = workers.clamp(1, items.len().max(1));
    if workers == 1 {
        return items.iter().try_for_each(|item| take(item, work(item)));
    }
    let block = (items.len() / (workers * BLOCKS_PER_WORKER)).clamp(1, MAX_BLOCK);
    let blocks: Vec<&[T]> = items.chunks(block).collect();
    std::thread::scope(|scope| {
        let work = &work;
        let blocks = &blocks;
        let receivers: Vec<_> = (0..workers)
            .map(|k| {
                let (tx, rx) = sync_channel::<Vec<R>>(AHEAD);
                scope.spawn(move || {
                    for block in blocks.iter().skip(k).step_by(workers) {
                        // A closed channel: the caller stopped.
                        if tx.send(block.iter().map(work).collect()).is_err() {
                            break;
                        }
                    }
                });
                rx
            })
            .collect();
        for (i, block) in blocks.iter().enumerate() {
            // A worker that hung up early panicked; the scope re-raises
            // that panic when it joins the threads.
            let Ok(results) = receivers[i % workers].recv() else {
                break;
            };
            for (item, result) in block.iter().zip(results) {
                take(item, result)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_the_items_order_whatever_the_workers() {
        let items: Vec<u64> = (0..500).collect();
        for workers in [1, 2, 3, 7, 600] {
            let mut seen = Vec::new();
            // Uneven work, so workers finish out of order.
            let r: Result<(), ()> = map_in_order(
                &items,
                workers,
                |&n| {
                    if n % 7 == 0 {
                        std::thread::yield_now();
                    }
                    n * 2
                },
                |&n, r| {
                    seen.push((n, r));
                    Ok(())
                },
            );
            assert_eq!(r, Ok(()));
            assert_eq!(seen, items.iter().map(|&n| (n, n * 2)).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_first_error_stops_the_taking() {
        let items: Vec<u32> = (0..100).collect();
        let mut taken = 0;
        let r = map_in_order(
            &items,
            2,
            |&n| n,
            |_, n| {
                taken += 1;
                if n == 10 {
                    Err(n)
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r, Err(10));
        assert_eq!(taken, 11);
    }

    #[test]
    fn no_items_take_nothing() {
        let r: Result<(), ()> = map_in_order(&[] as &[u8], 4, |_| 0, |_, _| Err(()));
        assert_eq!(r, Ok(()));
    }
}

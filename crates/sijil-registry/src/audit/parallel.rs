//! Runs the audit's independent checks on every core while the calling
//! thread, which owns the database connection, reads what comes next.

use std::num::NonZeroUsize;

/// Runs `check` over `items` on one worker thread per core (each worker gets
/// one contiguous part and returns one result per item of it), while this
/// thread runs `meanwhile` (typically: read the next chunk); returns the
/// results in the order of `items`, and what `meanwhile` returned.
///
/// A panic in a worker is resumed on this thread rather than dropped, so that
/// no result is silently missing.
pub(super) fn overlapped<T, R, M>(
    items: &[T],
    check: impl Fn(&[T]) -> Vec<R> + Sync,
    meanwhile: impl FnOnce() -> M,
) -> (Vec<R>, M)
where
    T: Sync,
    R: Send,
{
    let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let per_thread = items.len().div_ceil(threads).max(1);
    let check = &check;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(per_thread)
            .map(|part| scope.spawn(move || check(part)))
            .collect();
        let other = meanwhile();
        let mut results = Vec::with_capacity(items.len());
        for worker in workers {
            match worker.join() {
                Ok(part) => results.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        debug_assert_eq!(results.len(), items.len(), "one result per item");
        (results, other)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..1_001).collect();
        let (squares, other) = overlapped(
            &items,
            |part| part.iter().map(|i| i * i).collect(),
            || "read",
        );
        assert_eq!(squares, items.iter().map(|i| i * i).collect::<Vec<_>>());
        assert_eq!(other, "read");
        let (none, _) = overlapped(&[] as &[u64], |part| part.to_vec(), || ());
        assert!(none.is_empty());
    }

    #[test]
    #[should_panic(expected = "worker failed")]
    fn a_worker_panic_is_not_swallowed() {
        let items = [1, 2, 3];
        let _ = overlapped(
            &items,
            |part| {
                if part.contains(&3) {
                    panic!("worker failed");
                }
                part.to_vec()
            },
            || (),
        );
    }
}

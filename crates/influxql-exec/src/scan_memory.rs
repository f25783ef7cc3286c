//! A budget for the memory that large scans hold at once.
//!
//! A scan of a whole measurement keeps the batches it read until its groups
//! are evaluated. Run side by side, a few such scans hold several times what
//! one needs, while the CPUs they share finish them no sooner. So a scan
//! whose estimate is large first takes its share of [`SCAN_MEMORY_MIB`]; the
//! share is returned when the last group holding its batches is evaluated
//! or dropped. Small scans (dashboards' one-series reads) never wait.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// MiB that the batches of large scans may hold together: two scans of
/// every column of TSBS's 432 k-row day (~70 MiB each) at once, one per
/// core of a small machine.
pub const SCAN_MEMORY_MIB: u32 = 160;

/// Scans estimated below this many MiB do not take a share.
const SMALL_SCAN_MIB: usize = 8;

/// Bytes a scanned row costs beyond its values: its place in a group and
/// its time in the group's order.
const ROW_OVERHEAD_BYTES: usize = 32;

/// How long a scan waits for its share at most before reading anyway: a
/// statement that holds a share from one scan while it waits for another
/// (subqueries, several measurements) delays others, never blocks them.
const MAX_WAIT: Duration = Duration::from_secs(2);

/// A scan's share of the budget, held while its batches are.
pub type ScanShare = Arc<OwnedSemaphorePermit>;

fn budget() -> &'static Arc<Semaphore> {
    static BUDGET: OnceLock<Arc<Semaphore>> = OnceLock::new();
    BUDGET.get_or_init(|| Arc::new(Semaphore::new(SCAN_MEMORY_MIB as usize)))
}

/// MiB a scan of `rows` rows is expected to hold, with `values` columns of
/// 8-byte values (fields, time) and `tags` dictionary-encoded tag columns.
pub fn estimate_mib(rows: usize, values: usize, tags: usize) -> usize {
    rows.saturating_mul(values * 8 + tags * 4 + ROW_OVERHEAD_BYTES) >> 20
}

/// Waits for a share of `mib` MiB (all of the budget at most); `None` for a
/// small scan, or when [`MAX_WAIT`] passed first.
pub async fn reserve(mib: usize) -> Option<ScanShare> {
    if mib < SMALL_SCAN_MIB {
        return None;
    }
    let want = mib.min(SCAN_MEMORY_MIB as usize) as u32;
    let permit = tokio::time::timeout(MAX_WAIT, budget().clone().acquire_many_owned(want))
        .await
        .ok()?
        .ok()?;
    Some(Arc::new(permit))
}

/// MiB of the budget not taken now.
#[cfg(test)]
fn available_mib() -> usize {
    budget().available_permits()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn large_scans_wait_for_each_other_small_ones_never() {
        assert_eq!(estimate_mib(1000, 10, 1), 0);
        assert_eq!(estimate_mib(432_000, 11, 10), 65);
        assert!(reserve(estimate_mib(1000, 10, 1)).await.is_none());
        let whole = reserve(10_000).await.expect("share");
        assert_eq!(available_mib(), 0);
        // A second large scan waits while the first holds everything…
        let waiting = tokio::spawn(reserve(64));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        // …and gets its share once the first is done with its batches.
        drop(whole);
        let second = waiting.await.unwrap().expect("share");
        assert_eq!(available_mib(), SCAN_MEMORY_MIB as usize - 64);
        drop(second);
        assert_eq!(available_mib(), SCAN_MEMORY_MIB as usize);
    }
}

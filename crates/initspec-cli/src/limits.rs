//! Caps on every size-like option, and the memory check that runs before anything large is
//! allocated.
//!
//! Every option that sets a size (`--trials`, `--reps`, `--size`, `--samples`, `--width`,
//! `--depth`, `--batch`, `--threads`, a shape) is checked here, with overflow-safe arithmetic,
//! before the work starts: a value past its cap, or a request whose memory would exceed what
//! the machine can give this process, is a one-line error (exit status 2), never an abort.
//!
//! Two kinds of limit apply:
//!
//! - a fixed cap per option ([`MAX_THREADS`], [`MAX_TRIALS`], [`MAX_REPS`], [`MAX_DEPTH`]):
//!   past it the request makes no sense on any machine (a million calibration trials take
//!   days; threads beyond a thousand only add start-up time);
//! - the memory a request needs, estimated from its sizes and compared with
//!   [`memory_budget`]: the memory the kernel reports available (`MemAvailable`), or what is
//!   left under the address-space limit (`ulimit -v`) when that is smaller.

use std::fmt;

use anyhow::anyhow;

/// Most worker threads any command starts. Threads change the speed, never a result, and a
/// rayon worker reserves a 2 MiB stack: 1024 workers already reserve 2 GiB of address space
/// and take tens of milliseconds to start, far past any gain on a machine with fewer cores.
pub const MAX_THREADS: usize = 1024;

/// Most trials `initspec calibrate` runs per law and control. At the default 2¹⁸ samples a
/// trial takes ~40 ms per law on two cores, so 10⁶ trials take about a day for each of its
/// eight laws and controls; the false-positive rate at α = 1e-3 is sharp long before.
pub const MAX_TRIALS: usize = 1_000_000;

/// Most repetitions `initspec bench` times per kernel (it reports their median).
pub const MAX_REPS: usize = 10_000;

/// Most layers `initspec propagate` stacks. The classic experiment uses 10; past a few
/// hundred every statistic has long underflowed or overflowed f64.
pub const MAX_DEPTH: usize = 10_000;

/// A byte count for messages: `1.5 GiB`, `320 MiB`, `12 KiB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
        let mut value = self.0 as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit + 1 < UNITS.len() {
            value /= 1024.0;
            unit += 1;
        }
        if unit == 0 {
            write!(f, "{} bytes", self.0)
        } else {
            write!(f, "{value:.1} {}", UNITS[unit])
        }
    }
}

/// Checks `1 ≤ value ≤ max` for the option named `option`.
///
/// # Errors
/// One line naming the option, the value and the allowed range.
pub fn in_range(option: &str, value: usize, min: usize, max: usize) -> anyhow::Result<usize> {
    if value < min || value > max {
        return Err(anyhow!(
            "{option} must be between {min} and {max}, got {value}"
        ));
    }
    Ok(value)
}

/// Checks `value ≥ min` for the option named `option` (one with no upper cap).
///
/// # Errors
/// One line naming the option, the value and the minimum.
pub fn at_least(option: &str, value: usize, min: usize) -> anyhow::Result<usize> {
    if value < min {
        return Err(anyhow!("{option} must be at least {min}, got {value}"));
    }
    Ok(value)
}

/// Validates `--threads`: `None` (all cores) or 1 ..= [`MAX_THREADS`].
///
/// # Errors
/// 0 or more than [`MAX_THREADS`].
pub fn threads(value: Option<usize>) -> anyhow::Result<Option<usize>> {
    value
        .map(|n| in_range("--threads", n, 1, MAX_THREADS))
        .transpose()
}

/// Runs `work` on a rayon pool of `threads` workers (the global pool, all cores, when `None`),
/// after checking the count against [`MAX_THREADS`].
///
/// # Errors
/// A bad `--threads`, a pool that cannot start, or the error of `work`.
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    work: impl FnOnce() -> anyhow::Result<T> + Send,
) -> anyhow::Result<T> {
    match self::threads(threads)? {
        None => work(),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| anyhow!("cannot start {n} threads: {e}"))?
            .install(work),
    }
}

/// What this process may still allocate, in bytes: the smaller of the kernel's
/// `MemAvailable` and the room left under the address-space limit (`ulimit -v`), read from
/// `/proc`. `None` where neither can be read (then only the fixed caps apply).
pub fn memory_budget() -> Option<u64> {
    let available = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| kib_field(&text, "MemAvailable:"));
    let address_room = address_space_limit().map(|limit| {
        let used = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|text| kib_field(&text, "VmSize:"))
            .unwrap_or(0);
        limit.saturating_sub(used)
    });
    match (available, address_room) {
        (Some(a), Some(r)) => Some(a.min(r)),
        (a, r) => a.or(r),
    }
}

/// The `Max address space` soft limit of this process in bytes, `None` when unlimited or
/// unknown.
fn address_space_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max address space"))?;
    line["Max address space".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The value of a `Key:   123 kB` line of a `/proc` file, in bytes.
fn kib_field(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Checks that `bytes` (`None` when computing it overflowed) fits in [`memory_budget`].
///
/// # Errors
/// One line: what needs the memory, how much, and how much there is.
pub fn check_memory(what: &str, bytes: Option<u64>) -> anyhow::Result<()> {
    check_memory_against(what, bytes, memory_budget())
}

/// [`check_memory`] against a given budget (`None`: no budget known).
///
/// # Errors
/// As [`check_memory`].
pub fn check_memory_against(
    what: &str,
    bytes: Option<u64>,
    budget: Option<u64>,
) -> anyhow::Result<()> {
    match (bytes, budget) {
        (None, _) => Err(anyhow!(
            "{what} needs more memory than any machine has (the size overflows 64 bits)"
        )),
        (Some(need), Some(have)) if need > have => Err(anyhow!(
            "{what} needs {} of memory, but this process can allocate only {} more",
            Bytes(need),
            Bytes(have)
        )),
        _ => Ok(()),
    }
}

/// `count · bytes_each`, `None` on overflow: the size of an allocation computed from input.
pub fn bytes_of(count: usize, bytes_each: usize) -> Option<u64> {
    count
        .checked_mul(bytes_each)
        .and_then(|b| u64::try_from(b).ok())
}

/// A vector of `len` copies of `value`, allocated fallibly.
///
/// # Errors
/// "`what` needs N GiB" when the allocation fails.
pub fn try_vec<T: Clone>(what: &str, len: usize, value: T) -> anyhow::Result<Vec<T>> {
    let mut v = Vec::new();
    if v.try_reserve_exact(len).is_err() {
        return Err(anyhow!(
            "{what} needs {} of memory, which cannot be allocated",
            bytes_of(len, std::mem::size_of::<T>()).map_or_else(
                || "more than 2^64 bytes".to_string(),
                |b| Bytes(b).to_string()
            )
        ));
    }
    v.resize(len, value);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_print_in_binary_units() {
        assert_eq!(Bytes(0).to_string(), "0 bytes");
        assert_eq!(Bytes(1023).to_string(), "1023 bytes");
        assert_eq!(Bytes(1536).to_string(), "1.5 KiB");
        assert_eq!(Bytes(3 << 30).to_string(), "3.0 GiB");
        assert_eq!(Bytes(u64::MAX).to_string(), "16777216.0 TiB");
    }

    #[test]
    fn ranges_name_the_option() {
        assert_eq!(in_range("--reps", 5, 1, 10).unwrap(), 5);
        assert_eq!(in_range("--reps", 1, 1, 10).unwrap(), 1);
        assert_eq!(in_range("--reps", 10, 1, 10).unwrap(), 10);
        let e = in_range("--reps", 0, 1, 10).unwrap_err();
        assert_eq!(e.to_string(), "--reps must be between 1 and 10, got 0");
        assert!(in_range("--reps", 11, 1, 10).is_err());
        assert_eq!(
            at_least("--groups", 0, 1).unwrap_err().to_string(),
            "--groups must be at least 1, got 0"
        );
        assert_eq!(at_least("--groups", 3, 1).unwrap(), 3);
        assert!(threads(Some(0)).is_err());
        assert!(threads(Some(MAX_THREADS + 1)).is_err());
        assert_eq!(threads(Some(MAX_THREADS)).unwrap(), Some(MAX_THREADS));
        assert_eq!(threads(None).unwrap(), None);
    }

    #[test]
    fn memory_checks_compare_need_with_budget() {
        assert!(check_memory_against("x", Some(10), Some(10)).is_ok());
        assert!(check_memory_against("x", Some(10), None).is_ok());
        let e = check_memory_against("the audit", Some(3 << 30), Some(1 << 30)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the audit needs 3.0 GiB of memory, but this process can allocate only 1.0 GiB more"
        );
        let e = check_memory_against("the audit", None, Some(1)).unwrap_err();
        assert!(e.to_string().contains("overflows"), "{}", e.to_string());
        assert_eq!(bytes_of(usize::MAX, 2), None);
        assert_eq!(bytes_of(3, 8), Some(24));
    }

    #[test]
    fn proc_fields_parse() {
        let text = "MemTotal:       24683792 kB\nMemAvailable:   1000 kB\n";
        assert_eq!(kib_field(text, "MemAvailable:"), Some(1_024_000));
        assert_eq!(kib_field(text, "Missing:"), None);
        #[cfg(target_os = "linux")]
        assert!(memory_budget().is_some_and(|b| b > 0));
    }

    #[test]
    fn impossible_vectors_are_errors() {
        let e = try_vec("the buffer", usize::MAX / 2, 0u64).unwrap_err();
        assert!(
            e.to_string().starts_with("the buffer needs"),
            "{}",
            e.to_string()
        );
        assert_eq!(try_vec("v", 3, 1u8).unwrap(), vec![1, 1, 1]);
    }
}

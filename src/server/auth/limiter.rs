//! Failed sign-ins per client address: more than [`MAX_FAILURES`] within [`WINDOW`] block that
//! address's sign-ins for [`WINDOW`]. Kept in this process's memory: it holds addresses and
//! times, never tokens or sessions, and a restart forgetting it costs an attacker nothing worth
//! having (tokens are 192-bit random secrets).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 10;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Past this many addresses, entries with nothing recent are dropped.
const TIDY_ABOVE: usize = 10_000;

#[derive(Default)]
struct Entry {
    failures: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

impl Entry {
    fn forget_before(&mut self, now: Instant) {
        while self.failures.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            self.failures.pop_front();
        }
        if self.blocked_until.is_some_and(|u| u <= now) {
            self.blocked_until = None;
        }
    }
}

#[derive(Default)]
pub struct SignInLimiter {
    entries: Mutex<HashMap<IpAddr, Entry>>,
}

impl SignInLimiter {
    /// How long `addr` must still wait, if it is blocked.
    pub fn blocked(&self, addr: IpAddr, now: Instant) -> Option<Duration> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get_mut(&addr)?;
        entry.forget_before(now);
        entry.blocked_until.map(|u| u - now)
    }

    /// Count a failed sign-in; answers the block it caused when it was one too many.
    pub fn fail(&self, addr: IpAddr, now: Instant) -> Option<Duration> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > TIDY_ABOVE {
            entries.retain(|_, e| {
                e.forget_before(now);
                !e.failures.is_empty() || e.blocked_until.is_some()
            });
        }
        let entry = entries.entry(addr).or_default();
        entry.forget_before(now);
        entry.failures.push_back(now);
        if entry.failures.len() > MAX_FAILURES {
            entry.failures.clear();
            entry.blocked_until = Some(now + WINDOW);
            return Some(WINDOW);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn the_eleventh_failure_in_a_minute_blocks_for_a_minute() {
        let l = SignInLimiter::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES {
            assert_eq!(l.fail(A, t0 + Duration::from_secs(i as u64)), None, "failure {}", i + 1);
            assert_eq!(l.blocked(A, t0 + Duration::from_secs(i as u64)), None);
        }
        let t11 = t0 + Duration::from_secs(20);
        assert_eq!(l.fail(A, t11), Some(WINDOW));
        assert_eq!(l.blocked(A, t11 + Duration::from_secs(59)), Some(Duration::from_secs(1)));
        assert_eq!(l.blocked(B, t11), None, "another address is not affected");
        assert_eq!(l.blocked(A, t11 + WINDOW), None, "the block lasts a minute");
        // After the block the count starts again from nothing.
        assert_eq!(l.fail(A, t11 + WINDOW), None);
    }

    #[test]
    fn failures_older_than_a_minute_do_not_count() {
        let l = SignInLimiter::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES {
            l.fail(A, t0 + Duration::from_secs(i as u64));
        }
        // The first failure (t0) is a minute old by now: ten in the window, not eleven.
        assert_eq!(l.fail(A, t0 + WINDOW), None);
        assert_eq!(l.fail(A, t0 + WINDOW + Duration::from_millis(500)), Some(WINDOW));
    }

    #[test]
    fn many_addresses_are_tidied_away() {
        let l = SignInLimiter::default();
        let t0 = Instant::now();
        for i in 0..=TIDY_ABOVE as u32 {
            l.fail(IpAddr::V4(i.into()), t0);
        }
        l.fail(A, t0 + WINDOW);
        assert_eq!(l.entries.lock().unwrap().len(), 1, "only the fresh failure is kept");
    }
}

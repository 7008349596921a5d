//! A bound on the status-link requests one client address makes. A token
//! holds 256 bits, so guessing is hopeless however fast; the bound is
//! against a client that would make the desk do work for nothing (each
//! request is one indexed lookup and a small page). Per process, in memory:
//! several replicas each allow their share, which is still a bound.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Requests one address may make per window: far more than an author
/// reading and answering their page ever needs.
pub const REQUESTS_PER_WINDOW: u32 = 60;
pub const WINDOW: Duration = Duration::from_secs(60);

/// Addresses remembered at once; beyond it, windows that have ended are
/// forgotten, and if all are current the oldest go, so memory stays bounded.
const MAX_TRACKED: usize = 10_000;

#[derive(Default)]
pub struct LookupLimiter {
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl LookupLimiter {
    /// `Ok` when `address` may make another request at `now`; else the
    /// seconds until it may. An unknown address (no peer) is let through:
    /// the database gate still bounds it.
    pub fn admit(&self, address: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let Some(address) = address.map(key) else {
            return Ok(());
        };
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() >= MAX_TRACKED && !windows.contains_key(&address) {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if windows.len() >= MAX_TRACKED {
                windows.clear();
            }
        }
        let (start, count) = windows.entry(address).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= REQUESTS_PER_WINDOW {
            let left = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(left.as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }
}

/// An IPv6 client is counted by its /64, the block one subscriber gets.
fn key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::from(segments)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_share_per_window_and_others_are_unaffected() {
        let limiter = LookupLimiter::default();
        let now = Instant::now();
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..REQUESTS_PER_WINDOW {
            assert_eq!(limiter.admit(Some(one), now), Ok(()));
        }
        let refused = limiter.admit(Some(one), now + Duration::from_secs(15));
        assert_eq!(refused, Err(45));
        assert_eq!(limiter.admit(Some(other), now), Ok(()));
        assert_eq!(limiter.admit(Some(one), now + WINDOW), Ok(()));
    }

    #[test]
    fn an_ipv6_block_counts_as_one_client() {
        let limiter = LookupLimiter::default();
        let now = Instant::now();
        for n in 0..REQUESTS_PER_WINDOW {
            let address: IpAddr = format!("2001:db8::{n:x}").parse().unwrap();
            assert_eq!(limiter.admit(Some(address), now), Ok(()));
        }
        let next: IpAddr = "2001:db8::ffff".parse().unwrap();
        assert!(limiter.admit(Some(next), now).is_err());
        let elsewhere: IpAddr = "2001:db8:0:1::1".parse().unwrap();
        assert_eq!(limiter.admit(Some(elsewhere), now), Ok(()));
    }
}

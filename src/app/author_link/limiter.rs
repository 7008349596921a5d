//! A bound on the status-link requests one client address makes. A token
//! holds 256 bits, so guessing is hopeless however fast; the bound is
//! against a client that would make the desk do work for nothing (each
//! request is one indexed lookup and a small page). Per process, in memory:
//! several replicas each allow their share, which is still a bound.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Requests one address may make per window: far more than an author
/// reading and answering their page ever needs.
pub const REQUESTS_PER_WINDOW: u32 = 60;
pub const WINDOW: Duration = Duration::from_secs(60);

/// Addresses remembered at once, so memory stays bounded; beyond it one is
/// forgotten per new address (see [`Clients::forget_one`]), never all.
const MAX_TRACKED: usize = 10_000;

pub struct LookupLimiter {
    clients: Mutex<Clients>,
}

impl Default for LookupLimiter {
    fn default() -> Self {
        LookupLimiter::with_capacity(MAX_TRACKED)
    }
}

/// The addresses remembered, each in one of two orders of when it was last
/// seen: those still below the limit, and those at it (being refused).
struct Clients {
    capacity: usize,
    windows: HashMap<IpAddr, Window>,
    below_limit: BTreeSet<(Instant, IpAddr)>,
    at_limit: BTreeSet<(Instant, IpAddr)>,
}

struct Window {
    start: Instant,
    count: u32,
    last_seen: Instant,
}

impl Window {
    fn at_limit(&self) -> bool {
        self.count >= REQUESTS_PER_WINDOW
    }
}

impl LookupLimiter {
    fn with_capacity(capacity: usize) -> Self {
        LookupLimiter {
            clients: Mutex::new(Clients {
                capacity,
                windows: HashMap::new(),
                below_limit: BTreeSet::new(),
                at_limit: BTreeSet::new(),
            }),
        }
    }

    /// `Ok` when `address` may make another request at `now`; else the
    /// seconds until it may. An unknown address (no peer) is let through:
    /// the database gate still bounds it.
    pub fn admit(&self, address: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let Some(client) = address.map(key) else {
            return Ok(());
        };
        self.clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .admit(client, now)
    }
}

impl Clients {
    fn admit(&mut self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let mut window = match self.windows.remove(&client) {
            Some(window) => {
                self.order_of(&window).remove(&(window.last_seen, client));
                window
            }
            None => {
                if self.windows.len() >= self.capacity {
                    self.forget_one(now);
                }
                Window {
                    start: now,
                    count: 0,
                    last_seen: now,
                }
            }
        };
        if now.duration_since(window.start) >= WINDOW {
            window.start = now;
            window.count = 0;
        }
        window.last_seen = now;
        let verdict = if window.at_limit() {
            let left = WINDOW.saturating_sub(now.duration_since(window.start));
            Err(left.as_secs().max(1))
        } else {
            window.count += 1;
            Ok(())
        };
        self.order_of(&window).insert((now, client));
        self.windows.insert(client, window);
        verdict
    }

    fn order_of(&mut self, window: &Window) -> &mut BTreeSet<(Instant, IpAddr)> {
        if window.at_limit() {
            &mut self.at_limit
        } else {
            &mut self.below_limit
        }
    }

    /// Makes room for one address. An address at its limit whose window has
    /// ended holds nothing and goes first; then the address below its limit
    /// seen longest ago; an address being refused goes only when no other is
    /// left, so a flood of new addresses (a rotation through a block of
    /// IPv6 /64s) gives none of them a fresh count.
    fn forget_one(&mut self, now: Instant) {
        let ended = self.at_limit.first().copied().filter(|(_, client)| {
            self.windows
                .get(client)
                .is_some_and(|window| now.duration_since(window.start) >= WINDOW)
        });
        let oldest = ended
            .or_else(|| self.below_limit.first().copied())
            .or_else(|| self.at_limit.first().copied());
        if let Some(entry @ (_, client)) = oldest {
            self.below_limit.remove(&entry);
            self.at_limit.remove(&entry);
            self.windows.remove(&client);
        }
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

    /// Distinct /64s of 2001:db8::/32, one per `n`.
    fn block(n: u32) -> IpAddr {
        format!("2001:db8:{:x}:{:x}::1", n >> 16, n & 0xffff)
            .parse()
            .unwrap()
    }

    #[test]
    fn a_rotation_through_new_blocks_frees_no_address_at_its_limit() {
        let limiter = LookupLimiter::default();
        let now = Instant::now();
        let limited: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..REQUESTS_PER_WINDOW {
            assert_eq!(limiter.admit(Some(limited), now), Ok(()));
        }
        for n in 0..=MAX_TRACKED as u32 {
            let at = now + Duration::from_millis(u64::from(n));
            assert_eq!(limiter.admit(Some(block(n)), at), Ok(()));
        }
        let later = now + Duration::from_secs(20);
        assert_eq!(limiter.admit(Some(limited), later), Err(40));
        // Memory stayed bounded: the two blocks seen first were forgotten,
        // one for each address past the bound, and no other.
        let clients = limiter.clients.lock().unwrap();
        assert_eq!(clients.windows.len(), MAX_TRACKED);
        assert!(!clients.windows.contains_key(&key(block(0))));
        assert!(!clients.windows.contains_key(&key(block(1))));
        assert!(clients.windows.contains_key(&key(block(2))));
        assert!(
            clients
                .windows
                .contains_key(&key(block(MAX_TRACKED as u32)))
        );
    }

    #[test]
    fn the_address_seen_longest_ago_is_forgotten_first() {
        let limiter = LookupLimiter::with_capacity(3);
        let start = Instant::now();
        let at = |seconds| start + Duration::from_secs(seconds);
        let [a, b, c, d] = [1, 2, 3, 4].map(block);
        for (client, seconds) in [(a, 0), (b, 1), (c, 2)] {
            for _ in 1..REQUESTS_PER_WINDOW {
                assert_eq!(limiter.admit(Some(client), at(seconds)), Ok(()));
            }
        }
        // A fourth address: `a`, seen longest ago, is forgotten.
        assert_eq!(limiter.admit(Some(d), at(3)), Ok(()));
        for client in [b, c] {
            assert_eq!(limiter.admit(Some(client), at(4)), Ok(()));
            assert!(limiter.admit(Some(client), at(4)).is_err());
        }
        // `a` starts again from nothing: two more would exceed its old count.
        assert_eq!(limiter.admit(Some(a), at(5)), Ok(()));
        assert_eq!(limiter.admit(Some(a), at(5)), Ok(()));
    }

    #[test]
    fn an_address_at_its_limit_goes_first_once_its_window_has_ended() {
        let limiter = LookupLimiter::with_capacity(2);
        let start = Instant::now();
        let [limited, recent, new] = [1, 2, 3].map(block);
        for _ in 0..REQUESTS_PER_WINDOW {
            assert_eq!(limiter.admit(Some(limited), start), Ok(()));
        }
        for _ in 1..REQUESTS_PER_WINDOW {
            assert_eq!(limiter.admit(Some(recent), start + WINDOW / 2), Ok(()));
        }
        assert_eq!(limiter.admit(Some(new), start + WINDOW), Ok(()));
        // `recent` kept its count: one more, then refused.
        assert_eq!(limiter.admit(Some(recent), start + WINDOW), Ok(()));
        assert!(limiter.admit(Some(recent), start + WINDOW).is_err());
    }
}

//! Who the client is, as the throttles and the logs count it: the TCP peer,
//! except when the peer is one of `OPED_TRUSTED_PROXIES`: then it is the
//! address that proxy (and any trusted one before it) says it forwarded
//! for, in `X-Forwarded-For`. Anyone else's `X-Forwarded-For` is ignored: a
//! client can write that header, and would then pick its own throttle
//! bucket.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header;
use ipnet::IpNet;

/// The client's address: the TCP peer, or, when the peer is a trusted
/// proxy, the nearest address in `X-Forwarded-For` that is not one (each
/// proxy appends the address it received from; only what our own proxies
/// appended can be believed).
pub fn client_address(request: &HttpRequest, proxies: &[IpNet]) -> Option<IpAddr> {
    let peer = request.peer_addr()?.ip();
    let trusted = |address: &IpAddr| proxies.iter().any(|net| net.contains(address));
    if !trusted(&peer) {
        return Some(peer);
    }
    let mut hops = request
        .headers()
        .get_all(header::X_FORWARDED_FOR)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|hop| hop.trim().parse::<IpAddr>())
        .collect::<Vec<_>>()
        .into_iter()
        .rev();
    let mut nearest = peer;
    for hop in hops.by_ref() {
        match hop {
            Ok(address) if trusted(&address) => nearest = address,
            Ok(address) => return Some(address),
            // Garbage where a trusted proxy should have written an address:
            // the last address we can vouch for stands.
            Err(_) => break,
        }
    }
    Some(nearest)
}

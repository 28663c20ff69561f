//! The listening sockets of a loopback redirect URL: its IP address, or for a name such as
//! `localhost` both loopback addresses on one port, so that no other local process can take
//! the family the browser tries first (RFC 8252 §8.3).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};

use url::Host;

use crate::errors::{Error, Result};

/// How many ports to try for `localhost:0` before giving up on one free on both addresses.
const PORT_ATTEMPTS: usize = 32;

/// Binds `host:port` (port 0: one the system picks); a name binds 127.0.0.1 and ::1.
pub fn bind(host: &Host<&str>, port: u16) -> Result<Vec<TcpListener>> {
    let ip = match host {
        Host::Ipv4(ip) => IpAddr::V4(*ip),
        Host::Ipv6(ip) => IpAddr::V6(*ip),
        Host::Domain(_) => return bind_both(port),
    };
    Ok(vec![bind_one(SocketAddr::new(ip, port))?])
}

fn bind_one(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr).map_err(|e| cannot_listen(addr, &e))
}

fn bind_both(port: u16) -> Result<Vec<TcpListener>> {
    let attempts = if port == 0 { PORT_ATTEMPTS } else { 1 };
    for _ in 0..attempts {
        let v4 = bind_one(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port))?;
        let picked = v4
            .local_addr()
            .map_err(|e| Error::transport(format!("cannot listen for the redirect: {e}")))?
            .port();
        let v6_addr = SocketAddr::new(Ipv6Addr::LOCALHOST.into(), picked);
        match TcpListener::bind(v6_addr) {
            Ok(v6) => return Ok(vec![v4, v6]),
            // No IPv6 loopback on this machine: nobody can listen there, nor browse to it.
            Err(e) if e.kind() == io::ErrorKind::AddrNotAvailable => return Ok(vec![v4]),
            Err(e) if port == 0 && e.kind() == io::ErrorKind::AddrInUse => continue,
            Err(e) => return Err(cannot_listen(v6_addr, &e)),
        }
    }
    Err(Error::transport(format!(
        "cannot listen for the redirect on localhost: no port free on both 127.0.0.1 and ::1 \
         in {PORT_ATTEMPTS} tries"
    )))
}

fn cannot_listen(addr: SocketAddr, e: &io::Error) -> Error {
    Error::transport(format!("cannot listen for the redirect on {addr}: {e}"))
}

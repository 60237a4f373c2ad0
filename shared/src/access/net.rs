//! CIDR networks for `trusted_proxies` and rule `networks`, without another dependency.

use std::net::IpAddr;

/// An address block such as `127.0.0.1/32` or `::1/128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `ADDR/PREFIX` or a bare address (a single host).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (a, p) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = a.trim().parse().map_err(|_| format!("`{text}` is not an IP network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => {
                p.trim().parse::<u8>().ok().filter(|&n| n <= max).ok_or_else(|| format!("bad prefix in `{text}`"))?
            }
            None => max,
        };
        Ok(Self { addr, prefix })
    }

    /// True when `ip` is inside the block (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: &IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(*ip, IpAddr::V4),
            v4 => *v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => mask_eq(&n.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => mask_eq(&n.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn mask_eq(net: &[u8], addr: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if net[..full] != addr[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (net[full] & mask) == (addr[full] & mask)
}

/// Parses a list, naming the bad entry.
pub fn parse_list(items: &[String]) -> Result<Vec<Cidr>, String> {
    items.iter().map(|s| Cidr::parse(s)).collect()
}

/// True when any block contains `ip`.
pub fn any_contains(list: &[Cidr], ip: &IpAddr) -> bool {
    list.iter().any(|c| c.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn matches_prefixes() {
        let c = Cidr::parse("10.1.0.0/16").unwrap_or_else(|e| panic!("{e}"));
        assert!(c.contains(&ip("10.1.2.3")));
        assert!(!c.contains(&ip("10.2.0.1")));
        let c = Cidr::parse("192.168.1.128/25").unwrap_or_else(|e| panic!("{e}"));
        assert!(c.contains(&ip("192.168.1.200")));
        assert!(!c.contains(&ip("192.168.1.100")));
        let c = Cidr::parse("127.0.0.1").unwrap_or_else(|e| panic!("{e}"));
        assert!(c.contains(&ip("127.0.0.1")) && !c.contains(&ip("127.0.0.2")));
        assert!(c.contains(&ip("::ffff:127.0.0.1")));
        let c = Cidr::parse("::1/128").unwrap_or_else(|e| panic!("{e}"));
        assert!(c.contains(&ip("::1")) && !c.contains(&ip("127.0.0.1")));
        assert!(Cidr::parse("0.0.0.0/0").map(|c| c.contains(&ip("8.8.8.8"))).unwrap_or(false));
    }

    #[test]
    fn refuses_garbage() {
        for bad in ["", "x", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "1.2.3.4/abc"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }
}

//! The `otpauth://` URI as a QR code: text for a terminal (`wicket user totp enroll`) and an
//! inline SVG for the portal's account page. Both keep the standard four-module quiet zone.

use crate::error::{Error, Result};
use qrcode::render::{svg, unicode};
use qrcode::{EcLevel, QrCode};

fn code(uri: &str) -> Result<QrCode> {
    QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).map_err(|e| Error::Invalid(format!("QR code: {e}")))
}

/// The code in Unicode half blocks, two modules per character cell vertically. Light
/// modules (and the quiet zone) are drawn as blocks, dark ones as blanks, so the code reads
/// as dark-on-light on the usual light-on-dark terminal.
pub fn terminal(uri: &str) -> Result<String> {
    Ok(code(uri)?
        .render::<unicode::Dense1x2>()
        .dark_color(unicode::Dense1x2::Light)
        .light_color(unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// The code as an `<svg>` element to put inline in an HTML page (no XML prolog), black on
/// white, at least 200 px wide.
pub fn svg(uri: &str) -> Result<String> {
    let doc = code(uri)?
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    match doc.find("<svg") {
        Some(start) => Ok(doc[start..].to_string()),
        None => Err(Error::Invalid("QR code: no <svg> element rendered".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "otpauth://totp/wicket:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
                       &issuer=wicket&algorithm=SHA1&digits=6&period=30";

    #[test]
    fn the_terminal_code_has_its_quiet_zone_and_size() {
        let width = code(URI).map(|c| c.width()).unwrap_or_else(|e| panic!("{e}"));
        let text = terminal(URI).unwrap_or_else(|e| panic!("{e}"));
        let side = width + 8;
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), side.div_ceil(2));
        assert!(lines.iter().all(|l| l.chars().count() == side), "every line is {side} cells");
        // The quiet zone is light: full blocks on the first line and down both edges.
        assert!(lines[0].chars().all(|c| c == '\u{2588}'), "{}", lines[0]);
        let (last, body) = lines.split_last().unwrap_or_else(|| panic!("no lines"));
        assert!(body.iter().all(|l| l.starts_with("\u{2588}\u{2588}") && l.ends_with("\u{2588}\u{2588}")));
        // An odd side leaves the last line half a row: its upper halves only.
        assert!(last.chars().all(|c| c == '\u{2580}'), "{last}");
    }

    #[test]
    fn the_svg_is_well_formed() {
        let svg = svg(URI).unwrap_or_else(|e| panic!("{e}"));
        assert!(svg.starts_with("<svg "), "inline, without a prolog: {svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        // Every element opened is closed, in order.
        let mut open: Vec<String> = Vec::new();
        let mut rest = svg.as_str();
        while let Some(lt) = rest.find('<') {
            let gt = rest[lt..].find('>').unwrap_or_else(|| panic!("unclosed tag")) + lt;
            let tag = &rest[lt + 1..gt];
            let name: String = tag.trim_start_matches('/').chars().take_while(|c| c.is_alphanumeric()).collect();
            if tag.starts_with('/') {
                assert_eq!(open.pop().as_deref(), Some(name.as_str()), "close of {name}");
            } else if !tag.ends_with('/') {
                open.push(name);
            }
            rest = &rest[gt + 1..];
        }
        assert!(open.is_empty(), "left open: {open:?}");
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn an_overlong_uri_is_an_error_not_a_panic() {
        assert!(terminal(&"x".repeat(5_000)).is_err());
    }
}

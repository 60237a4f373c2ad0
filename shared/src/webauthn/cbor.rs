//! The few CBOR (RFC 8949) items WebAuthn needs: an attestation object (a map of text keys)
//! and a COSE key (a map of small integer keys). Definite lengths only — CTAP2 authenticators
//! encode canonically — with a nesting limit, so hostile input is an error, never a panic or
//! a deep recursion. Floats and tags are refused: nothing WebAuthn reads contains them.

use super::WebauthnError;

/// Deepest nesting accepted (a COSE key is depth 1, an attestation statement at most 3).
const MAX_DEPTH: usize = 8;

/// A decoded item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// Major types 0 and 1 (`-1 - n` for the latter).
    Int(i128),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Value>),
    Map(Vec<(Value, Value)>),
    Bool(bool),
    Null,
}

impl Value {
    /// The value under `key` in a map.
    pub(crate) fn get(&self, key: &Value) -> Option<&Value> {
        match self {
            Self::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value under an integer key.
    pub(crate) fn int_key(&self, key: i128) -> Option<&Value> {
        self.get(&Value::Int(key))
    }

    /// The value under a text key.
    pub(crate) fn text_key(&self, key: &str) -> Option<&Value> {
        self.get(&Value::Text(key.to_string()))
    }

    pub(crate) fn as_int(&self) -> Option<i128> {
        if let Self::Int(i) = self { Some(*i) } else { None }
    }

    pub(crate) fn as_bytes(&self) -> Option<&[u8]> {
        if let Self::Bytes(b) = self { Some(b) } else { None }
    }

    pub(crate) fn as_text(&self) -> Option<&str> {
        if let Self::Text(t) = self { Some(t) } else { None }
    }
}

fn malformed() -> WebauthnError {
    WebauthnError::Malformed("CBOR")
}

/// Decodes one item from the start of `data`; the item and how many bytes it took.
pub(crate) fn decode(data: &[u8]) -> Result<(Value, usize), WebauthnError> {
    let mut pos = 0;
    let v = item(data, &mut pos, 0)?;
    Ok((v, pos))
}

/// Decodes `data`, which must be exactly one item.
pub(crate) fn decode_all(data: &[u8]) -> Result<Value, WebauthnError> {
    let (v, used) = decode(data)?;
    if used != data.len() {
        return Err(malformed());
    }
    Ok(v)
}

fn take<'a>(data: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], WebauthnError> {
    let end = pos.checked_add(n).ok_or_else(malformed)?;
    let s = data.get(*pos..end).ok_or_else(malformed)?;
    *pos = end;
    Ok(s)
}

/// The argument of a head byte: the value (or length) that follows it.
fn argument(data: &[u8], pos: &mut usize, info: u8) -> Result<u64, WebauthnError> {
    let n = match info {
        0..=23 => return Ok(u64::from(info)),
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        _ => return Err(malformed()), // reserved, or an indefinite length
    };
    Ok(take(data, pos, n)?.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

fn length(data: &[u8], pos: &mut usize, info: u8) -> Result<usize, WebauthnError> {
    let n = usize::try_from(argument(data, pos, info)?).map_err(|_| malformed())?;
    // No item is shorter than a byte: a count beyond the input cannot be real.
    if n > data.len() {
        return Err(malformed());
    }
    Ok(n)
}

fn item(data: &[u8], pos: &mut usize, depth: usize) -> Result<Value, WebauthnError> {
    if depth > MAX_DEPTH {
        return Err(malformed());
    }
    let head = *take(data, pos, 1)?.first().ok_or_else(malformed)?;
    let (major, info) = (head >> 5, head & 0x1f);
    match major {
        0 => Ok(Value::Int(i128::from(argument(data, pos, info)?))),
        1 => Ok(Value::Int(-1 - i128::from(argument(data, pos, info)?))),
        2 => {
            let n = length(data, pos, info)?;
            Ok(Value::Bytes(take(data, pos, n)?.to_vec()))
        }
        3 => {
            let n = length(data, pos, info)?;
            let s = std::str::from_utf8(take(data, pos, n)?).map_err(|_| malformed())?;
            Ok(Value::Text(s.to_string()))
        }
        4 => {
            let n = length(data, pos, info)?;
            let mut v = Vec::with_capacity(n.min(64));
            for _ in 0..n {
                v.push(item(data, pos, depth + 1)?);
            }
            Ok(Value::Array(v))
        }
        5 => {
            let n = length(data, pos, info)?;
            let mut v: Vec<(Value, Value)> = Vec::with_capacity(n.min(64));
            for _ in 0..n {
                let k = item(data, pos, depth + 1)?;
                let val = item(data, pos, depth + 1)?;
                if v.iter().any(|(seen, _)| *seen == k) {
                    return Err(malformed()); // duplicate keys are ambiguous
                }
                v.push((k, val));
            }
            Ok(Value::Map(v))
        }
        7 => match info {
            20 => Ok(Value::Bool(false)),
            21 => Ok(Value::Bool(true)),
            22 => Ok(Value::Null),
            _ => Err(malformed()),
        },
        _ => Err(malformed()), // tags (6)
    }
}

#[cfg(test)]
pub(crate) mod encode {
    //! Just enough encoding for the tests to build attestation objects and COSE keys.
    use super::Value;

    fn head(out: &mut Vec<u8>, major: u8, n: u64) {
        let m = major << 5;
        match n {
            0..=23 => out.push(m | n as u8),
            24..=0xff => out.extend([m | 24, n as u8]),
            0x100..=0xffff => {
                out.push(m | 25);
                out.extend((n as u16).to_be_bytes());
            }
            _ => {
                out.push(m | 26);
                out.extend((n as u32).to_be_bytes());
            }
        }
    }

    pub(crate) fn encode(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        put(&mut out, v);
        out
    }

    fn put(out: &mut Vec<u8>, v: &Value) {
        match v {
            Value::Int(i) if *i >= 0 => head(out, 0, *i as u64),
            Value::Int(i) => head(out, 1, (-1 - *i) as u64),
            Value::Bytes(b) => {
                head(out, 2, b.len() as u64);
                out.extend(b);
            }
            Value::Text(t) => {
                head(out, 3, t.len() as u64);
                out.extend(t.as_bytes());
            }
            Value::Array(a) => {
                head(out, 4, a.len() as u64);
                a.iter().for_each(|x| put(out, x));
            }
            Value::Map(m) => {
                head(out, 5, m.len() as u64);
                for (k, x) in m {
                    put(out, k);
                    put(out, x);
                }
            }
            Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
            Value::Null => out.push(0xf6),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::encode::encode;
    use super::*;

    #[test]
    fn round_trips_and_refuses_bad_input() {
        let v = Value::Map(vec![
            (Value::Int(1), Value::Int(2)),
            (Value::Int(-7), Value::Bytes(vec![1; 300])),
            (Value::Text("fmt".into()), Value::Array(vec![Value::Bool(true), Value::Null])),
        ]);
        let bytes = encode(&v);
        assert_eq!(decode_all(&bytes).ok(), Some(v));
        // Trailing bytes, a truncation, an indefinite length, a huge length, a float, a tag.
        let mut long = bytes.clone();
        long.push(0);
        assert!(decode_all(&long).is_err());
        assert!(decode_all(&bytes[..bytes.len() - 1]).is_err());
        for bad in [&[0x5f][..], &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], &[0xf9, 0, 0], &[0xc0, 0]] {
            assert!(decode_all(bad).is_err(), "{bad:?}");
        }
        // Deep nesting and duplicate keys.
        assert!(decode_all(&[0x81; 64].iter().copied().chain([0]).collect::<Vec<_>>()).is_err());
        assert!(decode_all(&[0xa2, 1, 1, 1, 2]).is_err());
    }
}

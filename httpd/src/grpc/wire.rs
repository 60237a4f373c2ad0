//! The protobuf wire format, as far as `ext_authz` needs it: varints and length-delimited
//! fields read from a borrowed buffer (every length checked against what is left, unknown
//! fields skipped, groups refused), and a writer for the answer.

/// Why a message could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// The value of one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 2: a string, bytes or an embedded message.
    Bytes(&'a [u8]),
    /// Wire types 1 and 5, whose value no field here needs.
    Fixed,
}

/// Reads the fields of one message in order.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over one message's bytes.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// The next field number and value; `None` at the end of the message.
    #[allow(clippy::should_implement_trait)] // fallible: not an Iterator of plain items
    pub fn next(&mut self) -> Result<Option<(u32, Value<'a>)>, Malformed> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = u32::try_from(key >> 3).map_err(|_| Malformed("field number out of range"))?;
        if field == 0 {
            return Err(Malformed("field number 0"));
        }
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| Malformed("length out of range"))?;
                Value::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Value::Fixed
            }
            _ => return Err(Malformed("unsupported wire type")),
        };
        Ok(Some((field, value)))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        if n > self.rest.len() {
            return Err(Malformed("truncated field"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn varint(&mut self) -> Result<u64, Malformed> {
        let mut value = 0u64;
        for i in 0..10 {
            let (&b, tail) = self.rest.split_first().ok_or(Malformed("truncated varint"))?;
            self.rest = tail;
            if i == 9 && b > 1 {
                return Err(Malformed("varint too long"));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Malformed("varint too long"))
    }
}

/// A length-delimited value as a string (proto3 strings are UTF-8).
pub fn text(bytes: &[u8]) -> Result<String, Malformed> {
    std::str::from_utf8(bytes).map(str::to_string).map_err(|_| Malformed("a string field is not UTF-8"))
}

/// Appends fields to a message.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    /// The message so far.
    pub buf: Vec<u8>,
}

impl Writer {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.varint((u64::from(field) << 3) | u64::from(wire));
    }

    /// A varint field (int32, uint32, enum, bool); proto3 leaves out zero.
    pub fn uint(&mut self, field: u32, v: u64) {
        if v != 0 {
            self.key(field, 0);
            self.varint(v);
        }
    }

    /// A string or bytes field; proto3 leaves out the empty value.
    pub fn bytes(&mut self, field: u32, v: &[u8]) {
        if !v.is_empty() {
            self.message(field, v);
        }
    }

    /// An embedded message (written even when empty: its presence means something).
    pub fn message(&mut self, field: u32, v: &[u8]) {
        self.key(field, 2);
        self.varint(v.len() as u64);
        self.buf.extend_from_slice(v);
    }

    /// An embedded message built by `f`.
    pub fn nested(&mut self, field: u32, f: impl FnOnce(&mut Writer)) {
        let mut inner = Writer::default();
        f(&mut inner);
        self.message(field, &inner.buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Result<Vec<(u32, Value<'_>)>, Malformed> {
        let mut r = Reader::new(bytes);
        let mut out = Vec::new();
        while let Some(f) = r.next()? {
            out.push(f);
        }
        Ok(out)
    }

    #[test]
    fn fields_round_trip() {
        let mut w = Writer::default();
        w.uint(1, 401);
        w.uint(2, u64::MAX);
        w.bytes(3, b"remote-user");
        w.nested(4, |m| m.bytes(1, b"x"));
        w.uint(5, 0);
        w.bytes(6, b"");
        let got = all(&w.buf).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            got,
            vec![
                (1, Value::Varint(401)),
                (2, Value::Varint(u64::MAX)),
                (3, Value::Bytes(b"remote-user")),
                (4, Value::Bytes(&[0x0a, 1, b'x'])),
            ]
        );
    }

    #[test]
    fn fixed_fields_are_skipped() {
        // field 1 fixed64, field 2 fixed32, then field 3 varint 7.
        let bytes = [0x09, 1, 2, 3, 4, 5, 6, 7, 8, 0x15, 1, 2, 3, 4, 0x18, 7];
        let got = all(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got, vec![(1, Value::Fixed), (2, Value::Fixed), (3, Value::Varint(7))]);
    }

    #[test]
    fn truncated_and_bad_input_is_an_error_never_a_panic() {
        let mut w = Writer::default();
        w.bytes(3, b"abcdef");
        w.uint(1, 300);
        let whole = w.buf.clone();
        // Byte 8 ends the first field: a shorter message, not a broken one.
        for cut in (1..whole.len()).filter(|&c| c != 8) {
            if let Ok(fields) = all(&whole[..cut]) {
                panic!("cut at {cut} read as {fields:?}");
            }
        }
        for bad in [
            &[0x80][..],                                                         // key varint truncated
            &[0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],       // huge length
            &[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // 10-byte varint overflow
            &[0x0b],                                                             // start group
            &[0x00, 0x01],                                                       // field 0
            &[0x0e],                                                             // wire type 6
        ] {
            assert!(all(bad).is_err(), "{bad:?}");
        }
        assert_eq!(text(&[0xff]), Err(Malformed("a string field is not UTF-8")));
    }
}

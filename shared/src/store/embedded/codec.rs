//! The embedded engine's row encoding: a small tagged binary form of an item's attributes,
//! without `pk` / `sk` (they live in their own columns).

use crate::store::{Attr, Item, PK, SK, StoreError, StoreResult};
use std::collections::BTreeMap;

/// Format version, first byte of every row, so a later encoding can coexist with this one.
const VERSION: u8 = 1;
const TAG_S: u8 = 0;
const TAG_N: u8 = 1;
const TAG_FALSE: u8 = 2;
const TAG_TRUE: u8 = 3;
const TAG_B: u8 = 4;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Encode every attribute except the primary key.
pub(super) fn encode(item: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(VERSION);
    let attrs = item.0.iter().filter(|(n, _)| *n != PK && *n != SK);
    put_varint(&mut out, attrs.clone().count() as u64);
    for (name, v) in attrs {
        put_bytes(&mut out, name.as_bytes());
        match v {
            Attr::S(s) => {
                out.push(TAG_S);
                put_bytes(&mut out, s.as_bytes());
            }
            Attr::N(n) => {
                out.push(TAG_N);
                // Zigzag so small negative numbers stay short.
                put_varint(&mut out, ((n << 1) ^ (n >> 63)) as u64);
            }
            Attr::Bool(false) => out.push(TAG_FALSE),
            Attr::Bool(true) => out.push(TAG_TRUE),
            Attr::B(b) => {
                out.push(TAG_B);
                put_bytes(&mut out, b);
            }
        }
    }
    out
}

struct Reader<'a> {
    buf: &'a [u8],
}

fn corrupt() -> StoreError {
    StoreError::Backend("corrupt item row".into())
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> StoreResult<u8> {
        let (&b, rest) = self.buf.split_first().ok_or_else(corrupt)?;
        self.buf = rest;
        Ok(b)
    }

    fn varint(&mut self) -> StoreResult<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupt())
    }

    fn bytes(&mut self) -> StoreResult<&'a [u8]> {
        let len = usize::try_from(self.varint()?).map_err(|_| corrupt())?;
        if len > self.buf.len() {
            return Err(corrupt());
        }
        let (b, rest) = self.buf.split_at(len);
        self.buf = rest;
        Ok(b)
    }

    fn string(&mut self) -> StoreResult<String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| corrupt())
    }
}

/// Decode a row back into an item, restoring its primary key.
pub(super) fn decode(data: &[u8], pk: String, sk: String) -> StoreResult<Item> {
    let mut r = Reader { buf: data };
    if r.byte()? != VERSION {
        return Err(StoreError::Backend(
            "item row written by a newer version".into(),
        ));
    }
    let n = r.varint()?;
    let mut map = BTreeMap::new();
    map.insert(PK.to_owned(), Attr::S(pk));
    map.insert(SK.to_owned(), Attr::S(sk));
    for _ in 0..n {
        let name = r.string()?;
        let v = match r.byte()? {
            TAG_S => Attr::S(r.string()?),
            TAG_N => {
                let z = r.varint()?;
                Attr::N(((z >> 1) as i64) ^ -((z & 1) as i64))
            }
            TAG_FALSE => Attr::Bool(false),
            TAG_TRUE => Attr::Bool(true),
            TAG_B => Attr::B(r.bytes()?.to_vec()),
            _ => return Err(corrupt()),
        };
        map.insert(name, v);
    }
    if !r.buf.is_empty() {
        return Err(corrupt());
    }
    Ok(Item(map))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Key;

    #[test]
    fn round_trips_every_kind() {
        let item = Item::new(&Key::new("p#1", "s#ü"))
            .with("s", "héllo")
            .with("empty", "")
            .with("zero", 0)
            .with("neg", -1)
            .with("min", i64::MIN)
            .with("max", i64::MAX)
            .with("t", true)
            .with("f", false)
            .with("b", vec![0u8, 255, 128])
            .with("eb", Vec::<u8>::new());
        let bytes = encode(&item);
        let back = decode(&bytes, "p#1".into(), "s#ü".into());
        assert_eq!(back.ok(), Some(item));
    }

    #[test]
    fn rejects_truncated_and_trailing_bytes() {
        let item = Item::new(&Key::new("p", "s")).with("s", "value");
        let bytes = encode(&item);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut], "p".into(), "s".into()).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, "p".into(), "s".into()).is_err());
    }
}

//! A small binary encoding for the state files.
//!
//! Integers are little-endian and fixed width; strings and byte strings carry
//! a `u32` length prefix. The format has no self-description: each file starts
//! with a magic string and a format version, and a reader that finds another
//! version treats the file as absent. Decoding never panics on malformed
//! input: a truncated or corrupt file yields `None`.

/// Appends values to a byte buffer.
#[derive(Default)]
pub(crate) struct Encoder {
    bytes: Vec<u8>,
}

impl Encoder {
    pub(crate) fn with_capacity(capacity: usize) -> Encoder {
        Encoder { bytes: Vec::with_capacity(capacity) }
    }

    pub(crate) fn u8(&mut self, value: u8) {
        self.bytes.push(value);
    }

    pub(crate) fn u32(&mut self, value: u32) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    pub(crate) fn u64(&mut self, value: u64) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    pub(crate) fn i64(&mut self, value: i64) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    /// Appends raw bytes without a length, for fixed-size values and magics.
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    /// Appends a length-prefixed byte string.
    ///
    /// N.B. lengths are `u32`: a string of 4 GiB or more cannot be encoded, and
    /// no path or task name comes close.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.u32(bytes.len() as u32);
        self.bytes.extend_from_slice(bytes);
    }

    pub(crate) fn str(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// Reads values back in the order an [`Encoder`] wrote them.
pub(crate) struct Decoder<'a> {
    rest: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Decoder<'a> {
        Decoder { rest: bytes }
    }

    pub(crate) fn raw(&mut self, len: usize) -> Option<&'a [u8]> {
        if self.rest.len() < len {
            return None;
        }
        let (head, tail) = self.rest.split_at(len);
        self.rest = tail;
        Some(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.raw(N)?.try_into().ok()
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.array()?))
    }

    pub(crate) fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.raw(len)
    }

    pub(crate) fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }

    /// Reads a count of items that follow, rejecting counts larger than the
    /// remaining input could hold, so a corrupt count cannot trigger a huge
    /// allocation.
    pub(crate) fn count(&mut self, min_item_size: usize) -> Option<usize> {
        let count = self.u64()? as usize;
        if count > self.rest.len() / min_item_size.max(1) {
            return None;
        }
        Some(count)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Returns the number of bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_values() {
        let mut encoder = Encoder::default();
        encoder.u8(7);
        encoder.u32(70_000);
        encoder.u64(u64::MAX);
        encoder.i64(-5);
        encoder.str("src/lib.rs");
        encoder.raw(&[1, 2, 3]);
        let bytes = encoder.finish();

        let mut decoder = Decoder::new(&bytes);
        assert_eq!(decoder.u8(), Some(7));
        assert_eq!(decoder.u32(), Some(70_000));
        assert_eq!(decoder.u64(), Some(u64::MAX));
        assert_eq!(decoder.i64(), Some(-5));
        assert_eq!(decoder.str(), Some("src/lib.rs"));
        assert_eq!(decoder.array::<3>(), Some([1, 2, 3]));
        assert!(decoder.is_empty());
    }

    #[test]
    fn truncated_input_yields_none() {
        let mut encoder = Encoder::default();
        encoder.str("a longer string");
        let bytes = encoder.finish();

        let mut decoder = Decoder::new(&bytes[..6]);
        assert_eq!(decoder.str(), None);
    }

    #[test]
    fn oversized_count_is_rejected() {
        let mut encoder = Encoder::default();
        encoder.u64(1 << 40);
        let bytes = encoder.finish();

        assert_eq!(Decoder::new(&bytes).count(8), None);
    }
}

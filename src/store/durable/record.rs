//! The on-disk record of the durable store (docs/operations.md, "Durability"): one record per
//! change, each checksummed, so that a start-up can tell a write torn by a crash (the file's
//! last bytes) from damage in the middle of a file.
//!
//! ```text
//! file    = magic (8 octets) salt-check (8 octets) record*
//! record  = tag (1) digest (16) expiry (8, u64 LE, Unix ms) [value (8, i64 LE)]
//!           [owner (16)] crc (4)
//! tag     = namespace index (bits 0-3) | 0x10 value present | 0x20 owner present
//! crc     = CRC-32C (Castagnoli) of every octet of the record before it, u32 LE
//! ```
//!
//! A record without a value stands for value 1. The salt check is the first 8 octets of
//! SHA-256 over a label and the data directory's salt: records are keyed by salted digests, so a
//! file read with another salt would silently match nothing.
use crate::store::tables::Digest;
use crate::store::{Namespace, Owner};
use std::io::Read;

pub(super) const JOURNAL_MAGIC: [u8; 8] = *b"dpopdJ1\n";
pub(super) const SNAPSHOT_MAGIC: [u8; 8] = *b"dpopdS1\n";
pub(super) const HEADER_LEN: usize = 16;

const HAS_VALUE: u8 = 0x10;
const HAS_OWNER: u8 = 0x20;
const NS_MASK: u8 = 0x0f;
const FIXED_LEN: usize = 1 + 16 + 8;
const CRC_LEN: usize = 4;
/// The longest record: a value and an owner.
pub(super) const MAX_RECORD_LEN: usize = FIXED_LEN + 8 + 16 + CRC_LEN;

/// One change as written down: what the tables hold, with the expiry on the wall clock so that
/// it means the same after a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DiskRecord {
    pub ns: Namespace,
    pub digest: Digest,
    pub expiry_unix_ms: u64,
    pub value: i64,
    pub owner: Option<Owner>,
}

/// The 16-octet header of a journal or snapshot file.
pub(super) fn header(magic: [u8; 8], salt_check: [u8; 8]) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[..8].copy_from_slice(&magic);
    out[8..].copy_from_slice(&salt_check);
    out
}

pub(super) fn salt_check(salt: &[u8; 32]) -> [u8; 8] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"dpopd store salt check\0");
    ctx.update(salt);
    let mut out = [0u8; 8];
    out.copy_from_slice(&ctx.finish().as_ref()[..8]);
    out
}

/// Appends `record` to `out`.
pub(super) fn encode(record: &DiskRecord, out: &mut Vec<u8>) {
    let start = out.len();
    let index = Namespace::ALL
        .iter()
        .position(|n| *n == record.ns)
        .unwrap_or(0) as u8;
    let mut tag = index;
    if record.value != 1 {
        tag |= HAS_VALUE;
    }
    if record.owner.is_some() {
        tag |= HAS_OWNER;
    }
    out.push(tag);
    out.extend_from_slice(&record.digest);
    out.extend_from_slice(&record.expiry_unix_ms.to_le_bytes());
    if record.value != 1 {
        out.extend_from_slice(&record.value.to_le_bytes());
    }
    if let Some(owner) = record.owner {
        out.extend_from_slice(owner.digest());
    }
    let crc = crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// What the octets at the start of a slice hold.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Decoded {
    /// A whole record and its length.
    Record(DiskRecord, usize),
    /// The slice ends inside a record.
    Short,
    /// An unknown tag or a checksum that does not match.
    Bad,
}

pub(super) fn decode(bytes: &[u8]) -> Decoded {
    let Some(&tag) = bytes.first() else {
        return Decoded::Short;
    };
    let index = usize::from(tag & NS_MASK);
    if tag & !(NS_MASK | HAS_VALUE | HAS_OWNER) != 0 || index >= Namespace::ALL.len() {
        return Decoded::Bad;
    }
    let value_len = if tag & HAS_VALUE != 0 { 8 } else { 0 };
    let owner_len = if tag & HAS_OWNER != 0 { 16 } else { 0 };
    let body = FIXED_LEN + value_len + owner_len;
    let Some(record) = bytes.get(..body + CRC_LEN) else {
        return Decoded::Short;
    };
    let (body_bytes, crc) = record.split_at(body);
    if crc32c(body_bytes).to_le_bytes() != crc {
        return Decoded::Bad;
    }
    let mut digest = [0u8; 16];
    digest.copy_from_slice(&body_bytes[1..17]);
    let mut word = [0u8; 8];
    word.copy_from_slice(&body_bytes[17..25]);
    let expiry_unix_ms = u64::from_le_bytes(word);
    let mut at = FIXED_LEN;
    let value = if value_len > 0 {
        word.copy_from_slice(&body_bytes[at..at + 8]);
        at += 8;
        i64::from_le_bytes(word)
    } else {
        1
    };
    let owner = (owner_len > 0).then(|| {
        let mut owner = [0u8; 16];
        owner.copy_from_slice(&body_bytes[at..at + 16]);
        Owner::from_digest(owner)
    });
    Decoded::Record(
        DiskRecord {
            ns: Namespace::ALL[index],
            digest,
            expiry_unix_ms,
            value,
            owner,
        },
        record.len(),
    )
}

/// How the records of a file end.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum End {
    /// Every octet belongs to a whole, valid record.
    Clean,
    /// From `offset` on, the file holds part of a record or damaged octets with no valid record
    /// after them: the trace of a write that a crash cut short.
    Torn { offset: usize },
    /// A damaged record at `offset` with valid records after it: not a torn write.
    Corrupt { offset: usize },
}

/// Calls `visit` with each record of `body` (a file's octets after its header), in order, and
/// says how the file ends.
pub(super) fn scan(body: &[u8], mut visit: impl FnMut(DiskRecord)) -> End {
    let mut offset = 0;
    while offset < body.len() {
        match decode(&body[offset..]) {
            Decoded::Record(record, len) => {
                visit(record);
                offset += len;
            }
            Decoded::Short if !any_record_after(&body[offset..]) => return End::Torn { offset },
            Decoded::Bad if !any_record_after(&body[offset..]) => return End::Torn { offset },
            Decoded::Short | Decoded::Bad => return End::Corrupt { offset },
        }
    }
    End::Clean
}

/// [`scan`] over a file's body read from `reader` `chunk` octets at a time, so that reading a
/// store back takes memory for one chunk, not for the file: a snapshot holds every live
/// record, and a start-up that read it whole would keep its size in the allocator's free
/// lists for the life of the process. Only a file that ends in a torn write or holds damage
/// is read to its end from the first bad record on, to tell the two apart as [`scan`] does.
/// Returns how the body ends and its length.
pub(super) fn scan_from(
    reader: &mut impl Read,
    chunk: usize,
    mut visit: impl FnMut(DiskRecord),
) -> std::io::Result<(End, u64)> {
    let chunk = chunk.max(MAX_RECORD_LEN);
    let mut buf = Vec::with_capacity(chunk);
    // The body offset of `buf[0]`.
    let mut base = 0usize;
    let mut eof = false;
    loop {
        if !eof {
            // Reads until the chunk is full or the file ends, retrying interrupted reads.
            let want = chunk - buf.len();
            eof = reader.by_ref().take(want as u64).read_to_end(&mut buf)? < want;
        }
        let mut offset = 0;
        while offset < buf.len() {
            match decode(&buf[offset..]) {
                Decoded::Record(record, len) => {
                    visit(record);
                    offset += len;
                }
                // The rest of the record is in the next chunk.
                Decoded::Short if !eof => break,
                Decoded::Short | Decoded::Bad => {
                    let mut rest = buf.split_off(offset);
                    reader.read_to_end(&mut rest)?;
                    let at = base + offset;
                    let end = match scan(&rest, &mut visit) {
                        End::Clean => End::Clean,
                        End::Torn { offset } => End::Torn {
                            offset: at + offset,
                        },
                        End::Corrupt { offset } => End::Corrupt {
                            offset: at + offset,
                        },
                    };
                    return Ok((end, (at + rest.len()) as u64));
                }
            }
        }
        buf.drain(..offset);
        base += offset;
        if eof && buf.is_empty() {
            return Ok((End::Clean, base as u64));
        }
    }
}

/// Whether a valid record starts anywhere after the first octet of `bytes`.
fn any_record_after(bytes: &[u8]) -> bool {
    (1..bytes.len()).any(|at| matches!(decode(&bytes[at..]), Decoded::Record(..)))
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one table lookup per octet.
pub(super) fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests;

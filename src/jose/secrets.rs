//! The one home of what handles secrets: SHA-256, hex, random octets and ids from the OS
//! source, and constant-time comparison with the stand-in digest that makes refusing an
//! unknown name cost what refusing a wrong secret costs.
use ring::rand::SecureRandom;

/// What a presented secret's SHA-256 is compared with when nothing is registered for it (an
/// unknown caller key or client, a public client), so that refusing it costs what refusing a
/// wrong secret costs and the time taken does not tell what exists. Its value does not matter:
/// nothing is granted on such a comparison.
pub const STAND_IN_SHA256: [u8; 32] = [0; 32];

/// Constant-time equality for every secret, digest, nonce, PKCE verifier and thumbprint
/// comparison: the time taken depends on the lengths only, never on where bytes differ.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    #[cfg(test)]
    ct_eq_calls::record();
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
    out
}

/// 64 hex digits (either case) as 32 octets: a SHA-256 digest written in configuration.
pub fn parse_hex32(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// `N` octets from the OS source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    let _ = ring::rand::SystemRandom::new().fill(&mut out);
    out
}

/// 16 random octets, base64url: token ids, family ids.
///
/// The octets come from the OS source like every other random value, but are drawn 512 at a
/// time into a per-thread buffer, each octet handed out once: one `getrandom` call per 32 ids
/// instead of one per token issued. Ids name things; they are not keys.
pub fn random_id() -> String {
    use std::cell::RefCell;
    const POOL: usize = 512;
    thread_local! {
        static BUFFER: RefCell<([u8; POOL], usize)> = const { RefCell::new(([0; POOL], POOL)) };
    }
    BUFFER.with(|buffer| {
        let (pool, used) = &mut *buffer.borrow_mut();
        if *used + 16 > POOL {
            // SystemRandom reads the OS source; it only fails if the OS has none, which start-up
            // checks.
            let _ = ring::rand::SystemRandom::new().fill(pool);
            *used = 0;
        }
        let id = super::b64::encode(&pool[*used..*used + 16]);
        pool[*used..*used + 16].fill(0);
        *used += 16;
        id
    })
}

/// Test builds only: counts [`ct_eq`] calls per thread, so a test can show that a comparison
/// went through it. Production builds carry neither the counter nor its cost.
#[cfg(test)]
pub(crate) mod ct_eq_calls {
    use std::cell::Cell;

    thread_local! {
        static CALLS: Cell<u64> = const { Cell::new(0) };
    }

    pub(super) fn record() {
        CALLS.with(|calls| calls.set(calls.get() + 1));
    }

    /// Runs `f` and returns its result with the number of `ct_eq` calls it made.
    pub(crate) fn during<T>(f: impl FnOnce() -> T) -> (T, u64) {
        let before = CALLS.with(Cell::get);
        let out = f();
        (out, CALLS.with(Cell::get) - before)
    }
}

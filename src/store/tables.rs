//! The in-process tables behind both in-process stores (`memory` and `durable`): per namespace,
//! a hash table of keyed digests per shard, each entry with its own expiry, and for the
//! namespaces that need one, a value and an owner.
//!
//! Room is bounded by configuration and never made by dropping a live entry: each namespace
//! has its own budget (its share of `store.max_entries`, [`Namespace::share_percent`]), and an
//! insert into a shard with no room left after dropping expired entries is refused with
//! [`StoreError::Full`]; the call fails closed. Long-lived records (revocations, refresh
//! generations) also count against their owner: one client, or one user of a public client,
//! holds at most `store.max_entries_per_owner` of them.
//!
//! Built for the replay record every DPoP request makes: an entry is a 16-octet digest and an
//! expiry (about 80 bytes resident with the table's slack), an insert is one SHA-256, one short
//! lock and one probe, and expired entries leave in expiry order as later inserts pass by.
//! Every change goes through a [`Journal`] before it is made: nothing for the memory store, the
//! file for the durable store.
use super::{
    report_refusal, Advanced, Entry, Inserted, Namespace, Owner, RoomRefusal, StoreError, StoreOp,
};
use ring::rand::SecureRandom;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The first 16 octets of SHA-256(secret salt, namespace, key). The salt is drawn at start (or,
/// for the durable store, once per data directory), so no client can choose keys that crowd one
/// shard or one probe sequence; 128 bits keep accidental collisions (a fresh key taken for a
/// seen one, never the reverse) out of reach.
pub(crate) type Digest = [u8; 16];

/// Milliseconds since the tables were created (a monotonic clock: a wall-clock step never
/// shortens or stretches a record's life while the process runs).
pub(crate) type Millis = u64;

/// The digest is already uniformly random: its first 8 octets are the hash.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // `[u8; 16]` hashes as a length prefix, then its octets in one call.
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        self.0 ^= u64::from_le_bytes(word);
    }
}

type DigestMap<V> = HashMap<Digest, V, BuildHasherDefault<DigestHasher>>;

/// A table with room for `entries`, every page of it resident before the first record
/// arrives: a slot every 2 KiB is written with a placeholder and the table emptied again
/// (`clear` keeps the allocation). Left to the first writes, the pages would fault in one by
/// one under the shard's lock as records land on them at random: in a replay table sized for
/// 8 M records, most accepted proofs of the first hundred thousand paid a page fault
/// (docs/performance.md, "The replay table's pages"). tests/resident_store.rs checks that it
/// works.
fn resident_table<S: Slot>(entries: usize) -> DigestMap<S> {
    let mut table = DigestMap::with_capacity_and_hasher(entries, Default::default());
    if table.capacity() == 0 {
        return table;
    }
    // hashbrown keeps 1/8 of its power-of-two slots free, and puts a key whose hash is `h`
    // in slot `h & (slots - 1)` when that slot is free. DigestHasher's hash is the digest's
    // first 8 octets XOR what the digest's length prefix adds, which is the hash of the zero
    // digest: so the digest below lands in slot `slot`.
    let prefix = table.hasher().hash_one([0u8; 16]);
    let slots = (table.capacity() * 8 / 7).next_power_of_two();
    let every = (2048 / std::mem::size_of::<(Digest, S)>()).max(1);
    for slot in (0..slots as u64).step_by(every) {
        let mut digest = [0u8; 16];
        digest[..8].copy_from_slice(&(slot ^ prefix).to_le_bytes());
        table.insert(digest, S::default());
    }
    table.clear();
    table
}

/// One record as the tables hold it, and as a [`Journal`] writes it down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Change {
    pub ns: Namespace,
    pub digest: Digest,
    /// On the tables' clock ([`Tables::unix_ms`] turns it into wall-clock time).
    pub expiry: Millis,
    pub value: i64,
    pub owner: Option<Owner>,
}

/// Where the durable store writes a change down. `append` runs under the shard's lock, before
/// the change is made, so the journal holds the changes of one key in the order they were made;
/// an error leaves the table unchanged and fails the call. The ticket says how far the journal
/// must be written before the caller may answer.
pub(crate) trait Journal {
    type Ticket;
    fn append(&self, change: &Change) -> Result<Self::Ticket, StoreError>;
}

/// The in-process store keeps nothing beyond the process.
impl Journal for () {
    type Ticket = ();
    fn append(&self, _: &Change) -> Result<(), StoreError> {
        Ok(())
    }
}

/// What a shard keeps per key: the expiry alone (replay records), or a record with a value.
/// `Default` is a placeholder, only ever written to make a table's memory resident.
trait Slot: Copy + Default {
    fn expiry(&self) -> Millis;
    fn change(&self, ns: Namespace, digest: Digest) -> Change;
}

impl Slot for Millis {
    fn expiry(&self) -> Millis {
        *self
    }
    fn change(&self, ns: Namespace, digest: Digest) -> Change {
        Change {
            ns,
            digest,
            expiry: *self,
            value: 1,
            owner: None,
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Record {
    expiry: Millis,
    value: i64,
    /// Kept so that a restart of the durable store can count each owner's records again.
    owner: Option<Owner>,
}

impl Slot for Record {
    fn expiry(&self) -> Millis {
        self.expiry
    }
    fn change(&self, ns: Namespace, digest: Digest) -> Change {
        Change {
            ns,
            digest,
            expiry: self.expiry,
            value: self.value,
            owner: self.owner,
        }
    }
}

struct Shard<S> {
    live: DigestMap<S>,
    /// The (expiry, digest) of every write that set a new expiry, soonest first; an entry whose
    /// expiry no longer matches `live` was rewritten and is skipped. A rewrite that keeps the
    /// expiry (a refresh family's next generation) pushes nothing, and the list is rebuilt from
    /// `live` once stale entries outnumber live ones, so it never holds more than about twice
    /// the live entries, however often one record is rewritten.
    by_expiry: Expiries,
    /// The live entries `live` was allocated for at creation (0: it grows as it fills). See
    /// [`Shard::reserved`].
    reserved: usize,
}

/// Stale expiries a shard tolerates beyond its live count before it rebuilds the list.
const STALE_SLACK: usize = 64;

impl<S: Slot> Default for Shard<S> {
    fn default() -> Self {
        Shard::reserved(0)
    }
}

impl<S: Slot> Shard<S> {
    /// A shard whose table is allocated once, for `entries` live ones, and never grows past
    /// that while they fit. For the short-lived namespaces, whose records expire as fast as
    /// they arrive: there, a growing hash table fills with the slots of removed entries, and
    /// when it runs out of free ones while more than half its capacity is live, it doubles
    /// instead of clearing them, at a moment that depends on the load. A replay table's
    /// memory would then step up once, minutes into a busy process, by as much as it held.
    /// Sized and made resident at creation ([`resident_table`]), the table clears removed
    /// slots in place of growing, so its memory is what it is from the start.
    fn reserved(entries: usize) -> Self {
        Shard {
            live: resident_table(entries),
            by_expiry: Expiries::default(),
            reserved: entries,
        }
    }

    /// Drops every entry whose expiry is at or before `now`.
    fn purge(&mut self, now: Millis) {
        while let Some((expiry, digest)) = self.by_expiry.pop_expired(now) {
            if self.live.get(&digest).is_some_and(|s| s.expiry() == expiry) {
                self.live.remove(&digest);
            }
        }
    }

    /// The live slot of `digest` at `now`: an entry whose TTL has passed is absent even before
    /// it is purged.
    fn get(&self, digest: &Digest, now: Millis) -> Option<S> {
        self.live.get(digest).copied().filter(|s| s.expiry() > now)
    }

    fn put(&mut self, digest: Digest, slot: S) {
        if self.reserved > 0 && self.live.len() == self.live.capacity() {
            self.clear_removed_slots();
        }
        let previous = self.live.insert(digest, slot);
        if previous.is_some_and(|p| p.expiry() == slot.expiry()) {
            return;
        }
        self.by_expiry.push(slot.expiry(), digest);
        if self.by_expiry.len() > 2 * self.live.len() + STALE_SLACK {
            self.by_expiry = Expiries::of(self.live.iter().map(|(d, s)| (s.expiry(), *d)));
        }
    }

    /// [`Tables::restore`] of one record: kept if it is still live at `now`, and otherwise
    /// only removing what `digest` held.
    fn restore(&mut self, digest: Digest, slot: S, now: Millis) {
        if slot.expiry() > now {
            self.put(digest, slot);
        } else {
            self.live.remove(&digest);
        }
    }

    /// Moves the live entries into a table of the reserved size, which leaves the slots of
    /// removed entries behind: the table would otherwise grow on the next insert. Each
    /// entry moves once per (capacity − live) inserts; the capacity keeps a quarter of the
    /// live count free, so even a shard held full costs at most four moves an insert.
    /// A shard restored beyond its reservation (the budget shrank since it was written)
    /// gets that headroom beyond its live count.
    fn clear_removed_slots(&mut self) {
        let len = self.live.len();
        let entries = self.reserved.max(len + len / 4 + 16);
        let mut fresh = DigestMap::with_capacity_and_hasher(entries, Default::default());
        fresh.extend(self.live.drain());
        self.live = fresh;
    }
}

/// A shard's (expiry, digest) pairs, taken soonest first. Records nearly always arrive in
/// expiry order (a namespace's records share one TTL and the clock is monotonic), so they
/// queue in arrival order, and only one that expires before the queue's last goes to a heap.
/// Taking the soonest is then reading the queue's front, in memory order, where a heap of
/// every record sifts each taken one down its full depth, and the deep levels of a heap far
/// larger than the caches are cache lines no recent request touched (benches/replay_store.rs:
/// 1.30 µs an insert with a heap, 0.85 with the queue, docs/performance.md).
#[derive(Default)]
struct Expiries {
    /// In expiry order from `head` on; the pairs before `head` were taken.
    queue: Vec<(Millis, Digest)>,
    head: usize,
    /// The pairs that arrived out of order.
    heap: BinaryHeap<Reverse<(Millis, Digest)>>,
}

impl Expiries {
    /// The pairs of `pairs`, in expiry order.
    fn of(pairs: impl Iterator<Item = (Millis, Digest)>) -> Expiries {
        let mut queue: Vec<_> = pairs.collect();
        queue.sort_unstable();
        Expiries {
            queue,
            head: 0,
            heap: BinaryHeap::new(),
        }
    }

    fn len(&self) -> usize {
        self.queue.len() - self.head + self.heap.len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push(&mut self, expiry: Millis, digest: Digest) {
        match self.queue[self.head..].last() {
            Some(&(last, _)) if expiry < last => self.heap.push(Reverse((expiry, digest))),
            _ => self.queue.push((expiry, digest)),
        }
    }

    /// Takes the soonest pair if it expires at or before `now`.
    fn pop_expired(&mut self, now: Millis) -> Option<(Millis, Digest)> {
        let queued = self.queue.get(self.head).copied();
        let heaped = self.heap.peek().map(|Reverse(pair)| *pair);
        let from_heap = match (queued, heaped) {
            (Some(q), Some(h)) => h < q,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        let soonest = if from_heap { heaped } else { queued }?;
        if soonest.0 > now {
            return None;
        }
        if from_heap {
            self.heap.pop();
        } else {
            self.head += 1;
            // The taken pairs leave once they are an eighth of the queue: each taken pair pays
            // for at most seven moves, and the queue's memory stays within 8/7 of what it
            // holds.
            if self.head == self.queue.len() {
                self.queue.clear();
                self.head = 0;
            } else if self.head * 8 >= self.queue.len() {
                self.queue.drain(..self.head);
                self.head = 0;
            }
        }
        Some(soonest)
    }
}

/// One namespace's table: shards of at most `per_shard` live entries.
struct Space<S> {
    ns: Namespace,
    shards: Box<[Mutex<Shard<S>>]>,
    per_shard: usize,
}

impl<S: Slot> Space<S> {
    fn new(ns: Namespace, capacity: u64) -> Space<S> {
        let max = usize::try_from(capacity).unwrap_or(usize::MAX).max(1);
        // Up to 64 shards, and never so many that a shard holds fewer than 4096 entries.
        let shards = (max / 4096).clamp(1, 64).next_power_of_two().min(64);
        let shards = if shards * 4096 > max && shards > 1 {
            shards / 2
        } else {
            shards
        };
        let per_shard = (max / shards).max(1);
        // Short-lived records churn: their tables are allocated for a full shard plus a
        // quarter (see `Shard::reserved`). Long-lived ones only accumulate, and grow as they do.
        let reserve = if ns.long_lived() {
            0
        } else {
            per_shard + per_shard / 4
        };
        Space {
            ns,
            shards: (0..shards)
                .map(|_| Mutex::new(Shard::reserved(reserve)))
                .collect(),
            per_shard,
        }
    }

    fn shard(&self, digest: &Digest) -> MutexGuard<'_, Shard<S>> {
        // Octet 8 on: independent of the octets the table hashes with.
        lock(&self.shards[digest[8] as usize % self.shards.len()])
    }

    fn live_count(&self, now: Millis) -> (u64, bool) {
        let mut total = 0;
        let mut any_full = false;
        for s in self.shards.iter() {
            let mut shard = lock(s);
            shard.purge(now);
            total += shard.live.len() as u64;
            any_full |= shard.live.len() >= self.per_shard;
        }
        (total, any_full)
    }

    /// Calls `visit` with every live entry, copying one shard at a time so that no lock is
    /// held while `visit` runs.
    fn for_each_live(&self, now: Millis, visit: &mut impl FnMut(Change)) {
        let mut copy = Vec::new();
        for s in self.shards.iter() {
            {
                let mut shard = lock(s);
                shard.purge(now);
                copy.clear();
                copy.extend(shard.live.iter().map(|(d, slot)| slot.change(self.ns, *d)));
            }
            copy.iter().copied().for_each(&mut *visit);
        }
    }
}

/// The expiries of each owner's live long-lived records, soonest first: an owner's count is
/// the number not yet expired, whichever namespace or shard holds them.
struct Owners {
    max: usize,
    expiries: Mutex<HashMap<Owner, BinaryHeap<Reverse<Millis>>>>,
}

impl Owners {
    /// Counts one more record of `owner`, living until `expiry`, if the owner has room.
    fn try_take(&self, owner: Owner, expiry: Millis, now: Millis) -> bool {
        let mut all = lock(&self.expiries);
        let heap = all.entry(owner).or_default();
        while heap.peek().is_some_and(|Reverse(e)| *e <= now) {
            heap.pop();
        }
        if heap.len() >= self.max {
            return false;
        }
        heap.push(Reverse(expiry));
        true
    }
}

/// The tables of every namespace, their budgets and the owners' counts.
pub(crate) struct Tables {
    /// `DpopJti`, `Ticket`, `RequestUri`: presence is all that matters.
    sets: Vec<Space<Millis>>,
    /// `Code`, `RefreshGeneration`, `GrantRevoked`, `RevokedToken`, `RevokedBefore`: a value
    /// and an owner.
    records: Vec<Space<Record>>,
    owners: Owners,
    salt: [u8; 32],
    epoch: Instant,
    /// Wall-clock milliseconds at `epoch`.
    epoch_unix_ms: u64,
}

impl Tables {
    pub(crate) fn new(max_entries: u64, max_entries_per_owner: u64, salt: [u8; 32]) -> Tables {
        let budget = |ns: Namespace| (max_entries.saturating_mul(ns.share_percent()) / 100).max(1);
        let (sets, records) = Namespace::ALL
            .into_iter()
            .partition::<Vec<_>, _>(|ns| !has_values(*ns));
        Tables {
            sets: sets
                .into_iter()
                .map(|ns| Space::new(ns, budget(ns)))
                .collect(),
            records: records
                .into_iter()
                .map(|ns| Space::new(ns, budget(ns)))
                .collect(),
            owners: Owners {
                max: usize::try_from(max_entries_per_owner)
                    .unwrap_or(usize::MAX)
                    .max(1),
                expiries: Mutex::new(HashMap::new()),
            },
            salt,
            epoch: Instant::now(),
            epoch_unix_ms: unix_now_ms(),
        }
    }

    /// The number of live entries of `ns` these tables can hold.
    pub(crate) fn capacity(&self, ns: Namespace) -> u64 {
        let of = |per_shard: usize, shards: usize| (per_shard * shards) as u64;
        match self.set(ns) {
            Some(s) => of(s.per_shard, s.shards.len()),
            None => self
                .record_space(ns)
                .map_or(0, |s| of(s.per_shard, s.shards.len())),
        }
    }

    /// Live entries of every namespace, after dropping expired ones.
    pub(crate) fn entry_count(&self) -> u64 {
        let now = self.now();
        self.sets
            .iter()
            .map(|s| s.live_count(now).0)
            .chain(self.records.iter().map(|s| s.live_count(now).0))
            .sum()
    }

    pub(crate) fn now(&self) -> Millis {
        self.epoch.elapsed().as_millis() as Millis
    }

    /// `at` on the wall clock, in milliseconds since the Unix epoch.
    pub(crate) fn unix_ms(&self, at: Millis) -> u64 {
        self.epoch_unix_ms.saturating_add(at)
    }

    /// A wall-clock time on the tables' clock; `None` if it is not after now.
    pub(crate) fn live_until(&self, unix_ms: u64) -> Option<Millis> {
        let at = unix_ms.checked_sub(self.epoch_unix_ms)?;
        (at > self.now()).then_some(at)
    }

    fn expiry(&self, now: Millis, ttl: Duration) -> Millis {
        now.saturating_add(ttl.as_millis().try_into().unwrap_or(Millis::MAX))
            .max(now + 1)
    }

    pub(crate) fn digest(&self, ns: Namespace, key: &[u8]) -> Digest {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&self.salt);
        ctx.update(ns.tag().as_bytes());
        ctx.update(&[0]);
        ctx.update(key);
        let mut out = [0u8; 16];
        out.copy_from_slice(&ctx.finish().as_ref()[..16]);
        out
    }

    fn set(&self, ns: Namespace) -> Option<&Space<Millis>> {
        self.sets.iter().find(|s| s.ns == ns)
    }

    fn record_space(&self, ns: Namespace) -> Option<&Space<Record>> {
        self.records.iter().find(|s| s.ns == ns)
    }

    /// [`SeenStore::insert`]; a new record is appended to `journal` before it is made.
    pub(crate) fn insert<J: Journal>(
        &self,
        entry: Entry<'_>,
        journal: &J,
    ) -> Result<(Inserted, Option<J::Ticket>), StoreError> {
        let digest = self.digest(entry.ns, entry.key);
        let now = self.now();
        let expiry = self.expiry(now, entry.ttl);
        // One atomic step: the lookup and the insert happen under the shard's lock, so two
        // racing callers cannot both see New.
        if let Some(space) = self.set(entry.ns) {
            let mut shard = space.shard(&digest);
            shard.purge(now);
            if shard.get(&digest, now).is_some() {
                return Ok((Inserted::AlreadyPresent(1), None));
            }
            if shard.live.len() >= space.per_shard {
                return Err(StoreError::Full(entry.ns));
            }
            let ticket = journal.append(&expiry.change(entry.ns, digest))?;
            shard.put(digest, expiry);
            return Ok((Inserted::New, Some(ticket)));
        }
        let space = self
            .record_space(entry.ns)
            .ok_or(StoreError::Full(entry.ns))?;
        let mut shard = space.shard(&digest);
        shard.purge(now);
        if let Some(record) = shard.get(&digest, now) {
            return Ok((Inserted::AlreadyPresent(record.value), None));
        }
        let ticket = self.put_record(&mut shard, space, digest, entry, expiry, journal)?;
        Ok((Inserted::New, Some(ticket)))
    }

    /// [`SeenStore::advance`]; a changed record is appended to `journal` before it is made.
    pub(crate) fn advance<J: Journal>(
        &self,
        entry: Entry<'_>,
        expected: i64,
        journal: &J,
    ) -> Result<(Advanced, Option<J::Ticket>), StoreError> {
        let digest = self.digest(entry.ns, entry.key);
        let now = self.now();
        let expiry = self.expiry(now, entry.ttl);
        let space = self
            .record_space(entry.ns)
            .ok_or(StoreError::Full(entry.ns))?;
        let mut shard = space.shard(&digest);
        shard.purge(now);
        match shard.get(&digest, now) {
            Some(record) if record.value != expected => {
                Ok((Advanced::Conflict(record.value), None))
            }
            Some(record) => {
                let record = Record {
                    expiry,
                    value: entry.value,
                    owner: record.owner,
                };
                let ticket = journal.append(&record.change(entry.ns, digest))?;
                shard.put(digest, record);
                Ok((Advanced::Done, Some(ticket)))
            }
            None => {
                let ticket = self.put_record(&mut shard, space, digest, entry, expiry, journal)?;
                Ok((Advanced::Done, Some(ticket)))
            }
        }
    }

    /// A new record of `entry` in `shard`, if the namespace and its owner have room.
    fn put_record<J: Journal>(
        &self,
        shard: &mut Shard<Record>,
        space: &Space<Record>,
        digest: Digest,
        entry: Entry<'_>,
        expiry: Millis,
        journal: &J,
    ) -> Result<J::Ticket, StoreError> {
        if shard.live.len() >= space.per_shard {
            return Err(StoreError::Full(entry.ns));
        }
        let owner = entry.owner.filter(|_| entry.ns.long_lived());
        if let Some(owner) = owner {
            if !self.owners.try_take(owner, expiry, self.now()) {
                return Err(StoreError::OwnerQuota(entry.ns));
            }
        }
        let record = Record {
            expiry,
            value: entry.value,
            owner,
        };
        // A failed append leaves the owner's count one too high until `expiry`: the error
        // fails the call closed, and the count errs on the side of refusing.
        let ticket = journal.append(&record.change(entry.ns, digest))?;
        shard.put(digest, record);
        Ok(ticket)
    }

    pub(crate) fn lookup(&self, keys: &[(Namespace, &[u8])]) -> Vec<Option<i64>> {
        let now = self.now();
        keys.iter()
            .map(|(ns, key)| {
                let digest = self.digest(*ns, key);
                match self.set(*ns) {
                    Some(space) => space.shard(&digest).get(&digest, now).map(|_| 1),
                    None => self
                        .record_space(*ns)
                        .and_then(|space| space.shard(&digest).get(&digest, now))
                        .map(|r| r.value),
                }
            })
            .collect()
    }

    /// The first namespace with a full shard, if any.
    pub(crate) fn full_namespace(&self) -> Option<Namespace> {
        let now = self.now();
        self.sets
            .iter()
            .find(|s| s.live_count(now).1)
            .map(|s| s.ns)
            .or_else(|| {
                self.records
                    .iter()
                    .find(|s| s.live_count(now).1)
                    .map(|s| s.ns)
            })
    }

    /// Calls `visit` with every live entry, one shard's copy at a time.
    pub(crate) fn for_each_live(&self, mut visit: impl FnMut(Change)) {
        let now = self.now();
        for space in &self.sets {
            space.for_each_live(now, &mut visit);
        }
        for space in &self.records {
            space.for_each_live(now, &mut visit);
        }
    }

    /// Puts back a record read from disk as it was, over whatever the key held: records are
    /// restored in the order they were written, so the last one of a key wins. A record that
    /// has expired since removes what the key held and is not kept: the files hold every
    /// change since the last compaction, most of them replay records long expired, and a
    /// start-up that kept them until the first purge would grow the tables (which never
    /// shrink) to the files' size. Room is not checked: a record that was live stays live
    /// even if the budget shrank since, and the namespace then reads as full until enough of
    /// them expire.
    pub(crate) fn restore(&self, change: &Change) {
        let now = self.now();
        if let Some(space) = self.set(change.ns) {
            space
                .shard(&change.digest)
                .restore(change.digest, change.expiry, now);
        } else if let Some(space) = self.record_space(change.ns) {
            let record = Record {
                expiry: change.expiry,
                value: change.value,
                owner: change.owner.filter(|_| change.ns.long_lived()),
            };
            space
                .shard(&change.digest)
                .restore(change.digest, record, now);
        }
    }

    /// Counts each owner's live records again, after [`Tables::restore`]; like the budgets,
    /// an owner may read as over its cap until some of its records expire.
    pub(crate) fn recount_owners(&self) {
        let now = self.now();
        let mut counted: HashMap<Owner, BinaryHeap<Reverse<Millis>>> = HashMap::new();
        for space in &self.records {
            space.for_each_live(now, &mut |change| {
                if let Some(owner) = change.owner {
                    counted
                        .entry(owner)
                        .or_default()
                        .push(Reverse(change.expiry));
                }
            });
        }
        *lock(&self.owners.expiries) = counted;
    }
}

/// The wall clock in milliseconds since the Unix epoch (0 before it, which no host is).
pub(crate) fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// 32 octets from the OS source. SystemRandom only fails if the OS has none, which start-up
/// checks (the signing and sealing keys come from the same source).
pub(crate) fn random_salt() -> [u8; 32] {
    let mut salt = [0u8; 32];
    let _ = ring::rand::SystemRandom::new().fill(&mut salt);
    salt
}

/// Namespaces whose records carry a value or an owner.
fn has_values(ns: Namespace) -> bool {
    !matches!(
        ns,
        Namespace::DpopJti
            | Namespace::Ticket
            | Namespace::RequestUri
            | Namespace::ClientAssertionJti
    )
}

/// A panic while a lock was held leaves the data consistent (each step is one map or heap call).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Registers what an in-process store (memory or durable) records, so that every series is
/// scraped from the start, at zero (docs/operations.md, "Metrics").
pub(crate) fn register_metrics() {
    for op in [StoreOp::Insert, StoreOp::Advance, StoreOp::Lookup] {
        let _ = metrics::histogram!("dpopd_store_seconds", "op" => op.label());
    }
    for ns in Namespace::ALL {
        for reason in RoomRefusal::ALL {
            metrics::counter!("dpopd_store_refusals_total",
                "namespace" => ns.label(), "reason" => reason.label())
            .increment(0);
        }
    }
}

/// Records a store call's latency and counts a refusal for room.
pub(crate) fn timed<T>(
    op: StoreOp,
    started: Instant,
    result: Result<T, StoreError>,
) -> Result<T, StoreError> {
    crate::telemetry::series().store_call(op, started.elapsed().as_secs_f64());
    if let Err(e) = &result {
        report_refusal(e);
    }
    result
}

/// The room rules every store built on these tables keeps (`memory` and `durable`), as steps each
/// store's tests run against a fresh store of its own; `capacity` is the store's room per
/// namespace.
#[cfg(test)]
pub(crate) mod room {
    use super::*;
    use crate::store::SeenStore;

    const HOUR: Duration = Duration::from_secs(3600);

    /// A full namespace refuses the next insert and keeps every live entry: nothing accepted
    /// before the pressure can be accepted again after it. `store` holds 100 entries.
    pub(crate) async fn a_full_namespace_refuses_and_keeps_every_live_entry(
        store: &dyn SeenStore,
        capacity: impl Fn(Namespace) -> u64,
    ) {
        let room = capacity(Namespace::DpopJti);
        assert_eq!(room, 72);
        for i in 0..room {
            assert_eq!(
                store
                    .insert_if_absent(Namespace::DpopJti, &i.to_be_bytes(), HOUR)
                    .await,
                Ok(Inserted::New)
            );
        }
        assert_eq!(
            store
                .insert_if_absent(Namespace::DpopJti, b"one more", HOUR)
                .await,
            Err(StoreError::Full(Namespace::DpopJti))
        );
        assert_eq!(
            store.ping().await,
            Err(StoreError::Full(Namespace::DpopJti))
        );
        for i in 0..room {
            assert_eq!(
                store
                    .insert_if_absent(Namespace::DpopJti, &i.to_be_bytes(), HOUR)
                    .await,
                Ok(Inserted::AlreadyPresent(1)),
                "entry {i} must still be there"
            );
        }
    }

    /// Budgets are per namespace: a full revocation table leaves replay records their room, and
    /// the other way round. `store` holds 100 entries.
    pub(crate) async fn one_namespace_cannot_take_the_room_of_another(
        store: &dyn SeenStore,
        capacity: impl Fn(Namespace) -> u64,
    ) {
        for ns in [Namespace::RevokedToken, Namespace::DpopJti] {
            for i in 0..capacity(ns) {
                let key = i.to_be_bytes();
                let entry = Entry::new(ns, &key, HOUR).owner(Owner::of("c", &i.to_string()));
                assert_eq!(store.insert(entry).await, Ok(Inserted::New));
            }
        }
        assert_eq!(
            store
                .insert(Entry::new(Namespace::RevokedToken, b"x", HOUR).owner(Owner::of("c", "x")))
                .await,
            Err(StoreError::Full(Namespace::RevokedToken))
        );
        assert_eq!(
            store
                .insert_if_absent(Namespace::DpopJti, b"jti", HOUR)
                .await,
            Err(StoreError::Full(Namespace::DpopJti))
        );
        assert_eq!(
            store
                .insert(Entry::new(Namespace::GrantRevoked, b"g", HOUR).owner(Owner::of("c", "g")))
                .await,
            Ok(Inserted::New)
        );
    }

    /// One owner holds at most its cap of long-lived records; another owner still has room, and
    /// the owner gets room back as its records expire. `store` allows 3 records per owner.
    pub(crate) async fn one_owner_cannot_take_the_room_of_others(store: &dyn SeenStore) {
        let greedy = Owner::of("greedy-client", "greedy-client");
        let short = Duration::from_millis(100);
        for i in 0u8..3 {
            let ttl = if i == 0 { short } else { HOUR };
            let key = [i];
            let entry = Entry::new(Namespace::GrantRevoked, &key, ttl).owner(greedy);
            assert_eq!(store.insert(entry).await, Ok(Inserted::New));
        }
        let fourth = Entry::new(Namespace::RevokedToken, b"4", HOUR).owner(greedy);
        assert_eq!(
            store.insert(fourth).await,
            Err(StoreError::OwnerQuota(Namespace::RevokedToken))
        );
        let other = Entry::new(Namespace::RevokedToken, b"4", HOUR).owner(Owner::of("c", "u"));
        assert_eq!(store.insert(other).await, Ok(Inserted::New));
        // Short-lived namespaces are not counted against the owner.
        let code = Entry::new(Namespace::Code, b"code", HOUR).owner(greedy);
        assert_eq!(store.insert(code).await, Ok(Inserted::New));
        tokio::time::sleep(Duration::from_millis(250)).await;
        let fifth = Entry::new(Namespace::RevokedToken, b"5", HOUR).owner(greedy);
        assert_eq!(store.insert(fifth).await, Ok(Inserted::New));
    }

    /// Expired entries make room again: a full namespace is only full of live entries.
    /// `store` holds 100 entries.
    pub(crate) async fn expired_entries_make_room(
        store: &dyn SeenStore,
        capacity: impl Fn(Namespace) -> u64,
    ) {
        let short = Duration::from_millis(50);
        for i in 0..capacity(Namespace::DpopJti) {
            store
                .insert_if_absent(Namespace::DpopJti, &i.to_be_bytes(), short)
                .await
                .unwrap();
        }
        assert!(store.ping().await.is_err());
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(store.ping().await, Ok(()));
        assert_eq!(
            store
                .insert_if_absent(Namespace::DpopJti, b"after", HOUR)
                .await,
            Ok(Inserted::New)
        );
    }

    /// The contract's race, harder: OS threads released together by a barrier, 20 rounds of a
    /// fresh store each, on the shard lock that makes the lookup and the insert one step.
    pub(crate) fn threads_released_together_on_one_key_yield_one_new(
        fresh: impl Fn() -> std::sync::Arc<dyn SeenStore>,
    ) {
        use std::sync::{Arc, Barrier};
        for round in 0u32..20 {
            let store = fresh();
            let barrier = Arc::new(Barrier::new(8));
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let store = Arc::clone(&store);
                    let barrier = Arc::clone(&barrier);
                    std::thread::spawn(move || {
                        barrier.wait();
                        let key = round.to_be_bytes();
                        let fut = store.insert_if_absent(Namespace::Code, &key, HOUR);
                        tokio::runtime::Builder::new_current_thread()
                            .build()
                            .unwrap()
                            .block_on(fut)
                            .unwrap()
                    })
                })
                .collect();
            let results: Vec<Inserted> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            let new = results.iter().filter(|r| **r == Inserted::New).count();
            assert_eq!(new, 1, "round {round}: {results:?}");
        }
    }
}

#[cfg(test)]
mod tests;

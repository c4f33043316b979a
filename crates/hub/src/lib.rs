//! The in-process transport of the embedded default: one delivery loop that
//! carries messages between the agencies (and the world outside them) in
//! (deliver_at, id) order. Each batch commits, in one transaction, the new
//! messages, the audit lines and the cursor that marks the batch processed.
//! Every few batches a checkpoint also writes the changed case records and
//! subjects; on open, the messages between the checkpoint and the cursor are
//! replayed through the (deterministic) agencies to rebuild the state. Killed
//! at any point and restarted on the same database, it continues exactly
//! where the last commit left it.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use scomm_domain::agency::{AuditLine, Ctx, HubState, Outbox, Ports};
use scomm_domain::ids::{BookingId, FbiNumber};
use scomm_domain::{Config, Dice, Envelope, Message, Party, SimTime};
use scomm_store::{MessageRow, Store, StoreError};

/// The parts of the world outside the system (courts, the calendar of
/// arrests) that the simulator plays. It reads the hub state, never writes it.
pub trait World {
    fn handle(&mut self, env: &Envelope, state: &HubState, out: &mut Outbox);
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database meta {0:?} is missing or malformed: the database was not written by `scomm simulate`")]
    Meta(&'static str),
}

/// Progress after each committed batch.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub processed: u64,
    pub pending: usize,
    pub now: SimTime,
    pub bookings: usize,
}

pub struct Hub {
    store: Store,
    pub state: HubState,
    queue: BinaryHeap<Reverse<Queued>>,
    next_id: u64,
    processed: u64,
    /// (deliver_at, id) of the last message processed.
    cursor: (i64, u64),
    config: Config,
    dice: Dice,
    /// Commit after this many messages (more is faster; a crash loses only uncommitted work).
    pub batch: usize,
    /// Write the changed cases and subjects every this many batches.
    pub checkpoint_every: usize,
    /// (deliver_at, id) up to which the stored cases and subjects are current.
    checkpoint: (i64, u64),
    /// Messages between checkpoint and cursor not yet replayed into `state`.
    to_replay: Vec<Envelope>,
    dirty_cases: BTreeSet<BookingId>,
    dirty_subjects: BTreeSet<FbiNumber>,
}

impl Hub {
    /// Load the hub's state and pending messages from the store.
    pub fn open(store: Store, config: Config, dice: Dice) -> Result<Hub, HubError> {
        let mut state = HubState::default();
        for c in store.cases()? {
            state.cases.insert(c.booking, c);
        }
        for s in store.subjects()? {
            state.subjects.insert(s.fbi_number, s);
        }
        for r in store.ident_records()? {
            state.ident.insert(r.fin, r);
        }
        let meta_u64 = |key: &'static str| -> Result<u64, HubError> {
            match store.meta(key)? {
                None => Ok(0),
                Some(v) => v.parse().map_err(|_| HubError::Meta(key)),
            }
        };
        state.next_fbi_number = meta_u64("next_fbi_number")?;
        let next_id = meta_u64("next_message_id")?;
        let processed = meta_u64("processed")?;
        let cursor = store.cursor()?;
        let checkpoint = store.checkpoint()?;
        let to_replay = if checkpoint < cursor {
            store.messages_after(checkpoint, Some(cursor))?
        } else {
            Vec::new()
        };
        let mut hub = Hub {
            store,
            state,
            queue: BinaryHeap::new(),
            next_id,
            processed,
            cursor,
            config,
            dice,
            batch: 20_000,
            checkpoint_every: 10,
            checkpoint,
            to_replay,
            dirty_cases: BTreeSet::new(),
            dirty_subjects: BTreeSet::new(),
        };
        for env in hub.store.pending()? {
            hub.queue.push(Reverse(Queued::new(env)));
        }
        Ok(hub)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }
    pub fn config(&self) -> &Config {
        &self.config
    }
    pub fn pending(&self) -> usize {
        self.queue.len()
    }
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// Send a message from outside the loop (the first calendar tick, an
    /// ingested transaction); committed at once.
    pub fn inject(
        &mut self,
        from: Party,
        to: Party,
        at: SimTime,
        message: Message,
    ) -> Result<u64, HubError> {
        let env = self.envelope(from, to, at, at, message);
        let tx = self.store.begin()?;
        tx.insert_message(&env)?;
        tx.set_meta("next_message_id", &self.next_id.to_string())?;
        tx.commit()?;
        let id = env.id;
        self.enqueue(env);
        Ok(id)
    }

    fn envelope(
        &mut self,
        from: Party,
        to: Party,
        sent_at: SimTime,
        deliver_at: SimTime,
        message: Message,
    ) -> Envelope {
        self.next_id += 1;
        Envelope {
            id: self.next_id,
            from,
            to,
            sent_at,
            deliver_at,
            message,
        }
    }

    fn enqueue(&mut self, env: Envelope) {
        self.queue.push(Reverse(Queued::new(env)));
    }

    /// Bring the state from the checkpoint up to the cursor by handing the
    /// messages in between to their agencies again, discarding what they send
    /// (it is stored already). Agencies are deterministic, so the state is
    /// the one the interrupted run had.
    fn replay(&mut self, ports: &mut dyn Ports) -> usize {
        let messages = std::mem::take(&mut self.to_replay);
        let mut out = Outbox::default();
        for env in &messages {
            if env.to == Party::World {
                continue; // the world keeps no state of its own
            }
            out.clear();
            let mut ctx = Ctx {
                now: env.deliver_at,
                from: env.from,
                config: &self.config,
                dice: &self.dice,
                ports,
                out: &mut out,
            };
            let _ = scomm_domain::handle(env, &mut self.state, &mut ctx);
            self.dirty_cases.extend(out.touched_cases.iter().copied());
            self.dirty_subjects
                .extend(out.touched_subjects.iter().copied());
        }
        messages.len()
    }

    /// Deliver messages until none is left.
    /// Returns the number of messages processed by this call.
    pub fn run(
        &mut self,
        world: &mut dyn World,
        ports: &mut dyn Ports,
        mut progress: impl FnMut(Progress),
    ) -> Result<u64, HubError> {
        self.replay(ports);
        let start = self.processed;
        let mut out = Outbox::default();
        let mut batches = 0usize;
        loop {
            if self.queue.is_empty() {
                break;
            }
            let mut now = SimTime(0);
            let tx = self.store.begin()?;
            let mut in_batch = 0;
            let mut rows: Vec<MessageRow> = Vec::new();
            let mut audit: Vec<(u64, i64, AuditLine)> = Vec::new();
            while in_batch < self.batch {
                let Some(Reverse(queued)) = self.queue.pop() else {
                    break;
                };
                let env = *queued.env;
                debug_assert!(
                    (env.deliver_at.0, env.id) > self.cursor,
                    "delivery order is monotonic"
                );
                self.cursor = (env.deliver_at.0, env.id);
                now = env.deliver_at;
                out.clear();
                if env.to == Party::World {
                    world.handle(&env, &self.state, &mut out);
                } else {
                    let mut ctx = Ctx {
                        now,
                        from: env.from,
                        config: &self.config,
                        dice: &self.dice,
                        ports,
                        out: &mut out,
                    };
                    if let Err(e) = scomm_domain::handle(&env, &mut self.state, &mut ctx) {
                        // A message that does not fit the protocol is recorded, not obeyed.
                        out.audit(env.to, env.message.booking(), format!("rejected: {e}"));
                    }
                }
                audit.extend(out.audit.drain(..).map(|line| (env.id, now.0, line)));
                for send in out.sends.drain(..) {
                    self.next_id += 1;
                    let new = Envelope {
                        id: self.next_id,
                        from: env.to,
                        to: send.to,
                        sent_at: now,
                        deliver_at: send.deliver_at.max(now),
                        message: send.message,
                    };
                    rows.push(MessageRow::new(&new));
                    self.queue.push(Reverse(Queued::new(new)));
                }
                self.dirty_cases.extend(out.touched_cases.iter().copied());
                self.dirty_subjects
                    .extend(out.touched_subjects.iter().copied());
                self.processed += 1;
                in_batch += 1;
            }
            tx.insert_messages(&rows)?;
            tx.insert_audits(&audit)?;
            tx.advance_cursor(self.cursor.0, self.cursor.1)?;
            tx.set_meta("next_message_id", &self.next_id.to_string())?;
            tx.set_meta("processed", &self.processed.to_string())?;
            batches += 1;
            if batches % self.checkpoint_every.max(1) == 0 || self.queue.is_empty() {
                write_checkpoint(
                    &tx,
                    &self.state,
                    &mut self.dirty_cases,
                    &mut self.dirty_subjects,
                    self.cursor,
                )?;
                self.checkpoint = self.cursor;
            }
            tx.commit()?;
            progress(Progress {
                processed: self.processed,
                pending: self.queue.len(),
                now,
                bookings: self.state.cases.len(),
            });
        }
        if self.checkpoint != self.cursor || !self.dirty_cases.is_empty() {
            let tx = self.store.begin()?;
            write_checkpoint(
                &tx,
                &self.state,
                &mut self.dirty_cases,
                &mut self.dirty_subjects,
                self.cursor,
            )?;
            tx.commit()?;
            self.checkpoint = self.cursor;
        }
        Ok(self.processed - start)
    }
}

/// A queued message, ordered for delivery by (deliver_at, id). The key is
/// kept inline so that the heap compares without chasing pointers; the
/// envelope is boxed so that the heap moves 24 bytes, not a whole message.
struct Queued {
    key: (i64, u64),
    env: Box<Envelope>,
}

impl Queued {
    fn new(env: Envelope) -> Queued {
        Queued {
            key: (env.deliver_at.0, env.id),
            env: Box::new(env),
        }
    }
    fn key(&self) -> (i64, u64) {
        self.key
    }
}
impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// Write every case and subject changed since the last checkpoint, and mark
/// the stored state current up to `cursor`.
fn write_checkpoint(
    tx: &scomm_store::Tx,
    state: &HubState,
    dirty_cases: &mut BTreeSet<BookingId>,
    dirty_subjects: &mut BTreeSet<FbiNumber>,
    cursor: (i64, u64),
) -> Result<(), HubError> {
    for b in std::mem::take(dirty_cases) {
        tx.put_case(&state.cases[&b])?;
    }
    for f in std::mem::take(dirty_subjects) {
        tx.put_subject(&state.subjects[&f])?;
    }
    tx.set_meta("next_fbi_number", &state.next_fbi_number.to_string())?;
    tx.set_checkpoint(cursor.0, cursor.1)?;
    Ok(())
}

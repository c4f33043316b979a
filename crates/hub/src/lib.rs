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
use scomm_store::{CaseRow, MessageRow, Store, StoreError, SubjectRow};

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
    /// CPU seconds of the last [`Hub::run`]'s two threads, where the OS tells.
    pub last_run_cpu: Option<RunCpu>,
}

/// CPU time of each thread of one [`Hub::run`]: on a shared machine these
/// show which side bounds the flow when wall times do not.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunCpu {
    /// The thread that runs the agencies and builds the batches.
    pub flow_seconds: f64,
    /// The thread that commits the batches.
    pub writer_seconds: f64,
    /// The thread that copies the WAL into the database file (0 in memory).
    pub wal_seconds: f64,
}

/// CPU seconds the calling thread has run: its CPU-time clock, to the
/// nanosecond (`/proc/thread-self/schedstat`, read before, moves in 4 ms
/// scheduler ticks). None where the clock cannot be read.
fn thread_cpu_seconds() -> Option<f64> {
    let now = cpu_time::ThreadTime::try_now().ok()?;
    Some(now.as_duration().as_secs_f64())
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
            checkpoint_every: 50,
            checkpoint,
            to_replay,
            dirty_cases: BTreeSet::new(),
            dirty_subjects: BTreeSet::new(),
            last_run_cpu: None,
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
    ///
    /// Two threads: this one runs the agencies and builds each batch; a
    /// writer thread commits the batches in order, one transaction each, so
    /// that the flow and SQLite work at the same time. Only the writer
    /// touches the database while the loop runs; a batch's cursor lands in
    /// the same transaction as its messages, so a crash leaves the database
    /// at the end of some batch, as before.
    pub fn run(
        &mut self,
        world: &mut dyn World,
        ports: &mut dyn Ports,
        mut progress: impl FnMut(Progress),
    ) -> Result<u64, HubError> {
        self.replay(ports);
        let start = self.processed;
        let flow_cpu_start = thread_cpu_seconds();
        let Hub {
            store,
            state,
            queue,
            next_id,
            processed,
            cursor,
            config,
            dice,
            batch,
            checkpoint_every,
            checkpoint,
            dirty_cases,
            dirty_subjects,
            ..
        } = self;
        // Copying the WAL into the database file (and its fsyncs) runs on a
        // third thread with its own connection, off the writer's path: done
        // by the writer's commits it stalled the flow for most of a second
        // at a time on oct2010.
        let wal = store.checkpointer()?;
        if wal.is_some() {
            store.set_autocheckpoint(false)?;
        }
        // Two batches in flight at most: enough to overlap, little memory.
        let (send, recv) = std::sync::mpsc::sync_channel::<Batch>(1);
        // "A batch was committed": at most one waiting, later ones fold into it.
        let (committed, commits) = std::sync::mpsc::sync_channel::<()>(1);
        let threads = std::thread::scope(|scope| -> Result<_, HubError> {
            let writer = std::thread::Builder::new()
                .name("scomm-writer".into())
                .spawn_scoped(scope, move || -> Result<Option<f64>, HubError> {
                    for b in recv {
                        b.write(store)?;
                        let _ = committed.try_send(());
                    }
                    Ok(thread_cpu_seconds())
                })
                .expect("a thread can be started");
            let wal_thread = std::thread::Builder::new()
                .name("scomm-wal".into())
                .spawn_scoped(scope, move || -> Result<Option<f64>, HubError> {
                    let Some(wal) = wal else {
                        return Ok(None);
                    };
                    // Ends when the writer ends (its sender is dropped);
                    // then once more for the last commits.
                    for () in commits {
                        wal.passive()?;
                    }
                    wal.passive()?;
                    Ok(thread_cpu_seconds())
                })
                .expect("a thread can be started");
            let mut out = Outbox::default();
            let mut batches = 0usize;
            while !queue.is_empty() {
                let mut now = SimTime(0);
                let mut in_batch = 0;
                // Sized for a batch up front: growing them copied every row again.
                let mut rows: Vec<MessageRow> = Vec::with_capacity(*batch + *batch / 4);
                let mut audit: Vec<(u64, i64, AuditLine)> = Vec::with_capacity(*batch);
                while in_batch < *batch {
                    let Some(Reverse(queued)) = queue.pop() else {
                        break;
                    };
                    let env = queued.env; // stays boxed: no copy of the message
                    debug_assert!(
                        (env.deliver_at.0, env.id) > *cursor,
                        "delivery order is monotonic"
                    );
                    *cursor = (env.deliver_at.0, env.id);
                    now = env.deliver_at;
                    out.clear();
                    if env.to == Party::World {
                        world.handle(&env, state, &mut out);
                    } else {
                        let mut ctx = Ctx {
                            now,
                            from: env.from,
                            config,
                            dice,
                            ports,
                            out: &mut out,
                        };
                        if let Err(e) = scomm_domain::handle(&env, state, &mut ctx) {
                            // A message that does not fit the protocol is recorded, not obeyed.
                            out.audit(env.to, env.message.booking(), format!("rejected: {e}"));
                        }
                    }
                    audit.extend(out.audit.drain(..).map(|line| (env.id, now.0, line)));
                    for send in out.sends.drain(..) {
                        *next_id += 1;
                        let new = Envelope {
                            id: *next_id,
                            from: env.to,
                            to: send.to,
                            sent_at: now,
                            deliver_at: send.deliver_at.max(now),
                            message: send.message,
                        };
                        rows.push(MessageRow::new(&new));
                        queue.push(Reverse(Queued::new(new)));
                    }
                    dirty_cases.extend(out.touched_cases.iter().copied());
                    dirty_subjects.extend(out.touched_subjects.iter().copied());
                    *processed += 1;
                    in_batch += 1;
                }
                batches += 1;
                let last = queue.is_empty();
                let snapshot = (batches % (*checkpoint_every).max(1) == 0 || last).then(|| {
                    *checkpoint = *cursor;
                    Snapshot::take(state, dirty_cases, dirty_subjects, *cursor)
                });
                let b = Batch {
                    rows,
                    audit,
                    cursor: *cursor,
                    next_id: *next_id,
                    processed: *processed,
                    snapshot,
                };
                if send.send(b).is_err() {
                    break; // the writer stopped on an error: returned below
                }
                progress(Progress {
                    processed: *processed,
                    pending: queue.len(),
                    now,
                    bookings: state.cases.len(),
                });
            }
            drop(send);
            let writer_cpu = writer.join().expect("the database writer does not panic");
            let wal_cpu = wal_thread
                .join()
                .expect("the WAL checkpointer does not panic");
            Ok((thread_cpu_seconds(), writer_cpu?, wal_cpu?))
        });
        self.store.set_autocheckpoint(true)?;
        let (flow_cpu, writer_cpu, wal_cpu) = threads?;
        self.last_run_cpu = match (flow_cpu_start, flow_cpu, writer_cpu) {
            (Some(a), Some(b), Some(w)) => Some(RunCpu {
                flow_seconds: b - a,
                writer_seconds: w,
                wal_seconds: wal_cpu.unwrap_or(0.0),
            }),
            _ => None,
        };
        if self.checkpoint != self.cursor || !self.dirty_cases.is_empty() {
            let snapshot = Snapshot::take(
                &self.state,
                &mut self.dirty_cases,
                &mut self.dirty_subjects,
                self.cursor,
            );
            let tx = self.store.begin()?;
            snapshot.write(&tx)?;
            tx.commit()?;
            self.checkpoint = self.cursor;
        }
        Ok(self.processed - start)
    }
}

/// What one batch commits: the messages it sent, its audit lines, the
/// cursor and counters after it, and sometimes a checkpoint of the state.
struct Batch {
    rows: Vec<MessageRow>,
    audit: Vec<(u64, i64, AuditLine)>,
    cursor: (i64, u64),
    next_id: u64,
    processed: u64,
    snapshot: Option<Snapshot>,
}

impl Batch {
    fn write(self, store: &mut Store) -> Result<(), HubError> {
        let tx = store.begin()?;
        tx.insert_messages(&self.rows)?;
        tx.insert_audits(&self.audit)?;
        tx.advance_cursor(self.cursor.0, self.cursor.1)?;
        tx.set_meta("next_message_id", &self.next_id.to_string())?;
        tx.set_meta("processed", &self.processed.to_string())?;
        if let Some(snapshot) = &self.snapshot {
            snapshot.write(&tx)?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// The cases and subjects changed since the last checkpoint, copied at a
/// batch boundary so that the writer can store them while the flow goes on.
struct Snapshot {
    cases: Vec<CaseRow>,
    subjects: Vec<SubjectRow>,
    next_fbi_number: u64,
    cursor: (i64, u64),
}

impl Snapshot {
    fn take(
        state: &HubState,
        dirty_cases: &mut BTreeSet<BookingId>,
        dirty_subjects: &mut BTreeSet<FbiNumber>,
        cursor: (i64, u64),
    ) -> Snapshot {
        Snapshot {
            cases: std::mem::take(dirty_cases)
                .into_iter()
                .map(|b| CaseRow::new(&state.cases[&b]))
                .collect(),
            subjects: std::mem::take(dirty_subjects)
                .into_iter()
                .map(|f| SubjectRow::new(&state.subjects[&f]))
                .collect(),
            next_fbi_number: state.next_fbi_number,
            cursor,
        }
    }

    /// Write the cases and subjects, and mark the stored state current up to the cursor.
    fn write(&self, tx: &scomm_store::Tx) -> Result<(), HubError> {
        tx.put_cases(&self.cases)?;
        tx.put_subjects(&self.subjects)?;
        tx.set_meta("next_fbi_number", &self.next_fbi_number.to_string())?;
        tx.set_checkpoint(self.cursor.0, self.cursor.1)?;
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::thread_cpu_seconds;

    #[test]
    fn the_thread_cpu_clock_moves_in_steps_finer_than_a_scheduler_tick() {
        // Spin until the clock moves, a few times: each step must be far
        // under the 4 ms ticks of /proc's schedstat, or the run's CPU
        // figures could not show a change of a few per cent.
        let mut smallest = f64::INFINITY;
        for _ in 0..5 {
            let start = thread_cpu_seconds().expect("the thread CPU clock is readable");
            let mut now = start;
            while now == start {
                now = thread_cpu_seconds().unwrap();
            }
            assert!(now > start, "the clock went back: {start} -> {now}");
            smallest = smallest.min(now - start);
        }
        assert!(smallest < 1e-3, "smallest step {smallest} s");
    }
}

//! The Secure Communities domain: identifiers, bookings, offences, IDENT
//! records, every message, each agency's handlers, priority schemes and
//! detainer policies as data, and the statistics. No I/O: the domain knows
//! nothing of SQL, HTTP or the transport.

pub mod agency;
pub mod case;
pub mod config;
pub mod dice;
pub mod ids;
pub mod immigration;
pub mod message;
pub mod offence;
pub mod policy;
pub mod stats;
pub mod time;

pub use agency::{handle, AuditLine, Ctx, HandleError, HubState, Outbox, Ports, Send, Subject};
pub use case::Case;
pub use config::Config;
pub use dice::Dice;
pub use message::{Envelope, Message, Party};
pub use time::SimTime;

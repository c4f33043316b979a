//! The State Identification Bureau: relays between jails and the FBI, and
//! passes IDENT and ICE responses on only where the state chose to receive them.

use super::{unexpected, Ctx, HandleError, HubState};
use crate::message::{Message, Party};

pub(super) fn handle(m: &Message, _st: &mut HubState, ctx: &mut Ctx) -> Result<(), HandleError> {
    let relay = ctx.minutes(ctx.config.timing.sib_minutes);
    match m {
        Message::TenprintSubmission { .. } | Message::DispositionReport { .. } => {
            ctx.out.send(Party::Fbi, relay, m.clone());
        }
        Message::CriminalResponse { .. } | Message::Idr { .. } | Message::Iar { .. } => {
            ctx.out.send(Party::Lea, relay, m.clone());
        }
        other => return Err(unexpected(Party::Sib, other)),
    }
    Ok(())
}

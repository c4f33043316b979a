//! IDENT: DHS's biometric repository of immigration encounters.

use super::{unexpected, Ctx, HandleError, HubState};
use crate::message::{IdentResult, Message, Party};

pub(super) fn handle(m: &Message, st: &mut HubState, ctx: &mut Ctx) -> Result<(), HandleError> {
    let Message::IdentSearch { booking, sample } = m else {
        return Err(unexpected(Party::Ident, m));
    };
    let result = match ctx.ports.ident_search(*booking, *sample) {
        Ok(fins) if fins.is_empty() => IdentResult::NoMatch,
        Ok(fins) => IdentResult::Match(
            fins.iter()
                .filter_map(|f| st.ident.get(f).cloned())
                .collect(),
        ),
        Err(e) => IdentResult::Error(e),
    };
    let said = match &result {
        IdentResult::Match(r) => format!(
            "match: {}",
            r.iter()
                .map(|r| r.fin.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        IdentResult::NoMatch => "no match".into(),
        IdentResult::Error(e) => format!("search failed: {e}"),
    };
    ctx.out.audit(Party::Ident, Some(*booking), said);
    ctx.out.send(
        Party::Fbi,
        ctx.minutes(ctx.config.timing.ident_minutes),
        Message::IdentResponse {
            booking: *booking,
            result,
        },
    );
    Ok(())
}

//! ICE's Law Enforcement Support Center: analysts answer each IAQ with an IAR.

use super::{case_mut, unexpected, Ctx, HandleError, HubState};
use crate::case::IarRecord;
use crate::immigration::{removability, status_from_record, Status};
use crate::message::{Message, Party};
use crate::offence::{level_2010, Catalogue};

pub(super) fn handle(m: &Message, st: &mut HubState, ctx: &mut Ctx) -> Result<(), HandleError> {
    let Message::Iaq {
        booking,
        ori,
        charges,
        convictions,
        records,
        ..
    } = m
    else {
        return Err(unexpected(Party::Lesc, m));
    };
    let now = ctx.now;
    if case_mut(st, m, *booking)?.iar.is_some() {
        ctx.out.audit(
            Party::Lesc,
            Some(*booking),
            "second IAQ for the same booking: answered already",
        );
        return Ok(());
    }
    // The analyst reads the most recent record; several FINs for one probe
    // are duplicates of one person or a false match among them.
    let record = records
        .iter()
        .max_by_key(|r| r.encounters.iter().map(|e| e.at).max());
    let mut status = record
        .map(|r| status_from_record(r, now))
        .unwrap_or(Status::Unknown);
    let mut checked = "";
    if let Some(r) = record {
        if !status.is_citizen()
            && ctx
                .dice
                .chance("lesc_uscis", booking.0, ctx.config.lesc.uscis_check_share)
        {
            checked = "; USCIS checked";
            if ctx.ports.uscis_naturalised(r) {
                status = Status::Naturalised;
                checked = "; USCIS shows naturalisation";
            }
        }
    }
    let cat = Catalogue::builtin();
    let removable = removability(status, convictions);
    let level = level_2010(
        convictions
            .iter()
            .map(|c| c.offence())
            .chain(charges.iter().map(|c| cat.offence(&c.kind))),
    );
    let at = ctx.delay_hours("lesc_review", *booking, ctx.config.lesc.review_hours_mean);
    let fin = record.map(|r| r.fin);
    let case = case_mut(st, m, *booking)?;
    case.iar = Some(IarRecord {
        at,
        fin,
        status,
        removability: removable,
        level_by_charges: level,
    });
    ctx.out.touch(*booking);
    ctx.out.audit(
        Party::Lesc,
        Some(*booking),
        format!(
            "IAR: {}, {:?}, {} by charges{checked}",
            status.label(),
            removable,
            level.label()
        ),
    );
    let iar = Message::Iar {
        booking: *booking,
        fin,
        status,
        removability: removable,
        level_by_charges: level,
    };
    if ctx.config.state_policy(ori).receive_iar {
        ctx.out.send(Party::Sib, at, iar.clone());
    }
    ctx.out.send(Party::Ice, at, iar);
    Ok(())
}

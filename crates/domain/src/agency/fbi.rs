//! The FBI's criminal repository (IAFIS/NGI): 1:N tenprint search,
//! enrolment, criminal history, and the Secure Communities hop to IDENT.

use super::{case_mut, jurisdiction, unexpected, Ctx, HandleError, HubState, Subject};
use crate::case::IdentOutcome;
use crate::ids::{BookingId, FbiNumber};
use crate::message::{IdentResult, Message, Party};
use crate::offence::{Conviction, Disposition};

pub(super) fn handle(m: &Message, st: &mut HubState, ctx: &mut Ctx) -> Result<(), HandleError> {
    let now = ctx.now;
    match m {
        Message::TenprintSubmission {
            booking,
            ori,
            sample,
            ..
        } => {
            let case = case_mut(st, m, *booking)?;
            if let Some(fbi_number) = case.fbi_number {
                // The same transaction again: answer as before, change nothing.
                let (ident, convictions) = (case.fbi_ident, case.prior_convictions.clone());
                ctx.out.audit(
                    Party::Fbi,
                    Some(*booking),
                    "duplicate submission: previous response repeated",
                );
                send_sre(ctx, *booking, fbi_number, ident, convictions);
                return Ok(());
            }
            let found = ctx
                .ports
                .criminal_search(*booking, *sample)
                .filter(|f| st.subjects.contains_key(f));
            let (fbi_number, ident) = match found {
                Some(f) => (f, true),
                None => {
                    st.next_fbi_number += 1;
                    let f = FbiNumber(st.next_fbi_number);
                    st.subjects.insert(
                        f,
                        Subject {
                            fbi_number: f,
                            sample: *sample,
                            convictions: vec![],
                            arrests: vec![],
                        },
                    );
                    ctx.ports.criminal_enrol(*sample, f);
                    (f, false)
                }
            };
            let subject = st.subjects.get_mut(&fbi_number).expect("subject exists");
            subject.arrests.push(*booking);
            let convictions = subject.convictions.clone();
            ctx.out.touched_subjects.push(fbi_number);
            let j = jurisdiction(ctx.config, m, ori)?;
            let forward = j.activated_at(now);
            let case = case_mut(st, m, *booking)?;
            case.submitted_at = Some(now);
            case.fbi_number = Some(fbi_number);
            case.fbi_ident = ident;
            case.prior_convictions = convictions.clone();
            case.ident = Some(if forward {
                IdentOutcome::Pending
            } else {
                IdentOutcome::NotForwarded
            });
            case.forwarded_despite_opt_out = forward && j.opt_out_requested;
            ctx.out.touch(*booking);
            ctx.out.audit(
                Party::Fbi,
                Some(*booking),
                format!(
                    "{} {fbi_number}; {}",
                    if ident {
                        "ident"
                    } else {
                        "non-ident, enrolled"
                    },
                    if forward {
                        "forwarded to IDENT"
                    } else {
                        "county not activated: not forwarded"
                    }
                ),
            );
            send_sre(ctx, *booking, fbi_number, ident, convictions);
            if forward {
                ctx.out.send(
                    Party::Ident,
                    ctx.minutes(2.0),
                    Message::IdentSearch {
                        booking: *booking,
                        sample: *sample,
                    },
                );
            }
        }
        Message::DispositionReport {
            booking,
            disposition,
        } => {
            let case = case_mut(st, m, *booking)?;
            let (Some(fbi_number), Disposition::Convicted { sentence_days }) =
                (case.fbi_number, disposition)
            else {
                return Ok(());
            };
            let at = case.disposition.map(|(t, _)| t).unwrap_or(now);
            let new: Vec<Conviction> = case
                .charges
                .iter()
                .map(|c| Conviction {
                    kind: c.kind.clone(),
                    at,
                    sentence_days: *sentence_days,
                })
                .collect();
            if let Some(s) = st.subjects.get_mut(&fbi_number) {
                s.convictions.extend(new);
                ctx.out.touched_subjects.push(fbi_number);
                ctx.out.audit(
                    Party::Fbi,
                    Some(*booking),
                    format!("conviction added to {fbi_number}"),
                );
            }
        }
        Message::IdentResponse { booking, result } => {
            let ori = case_mut(st, m, *booking)?.ori.clone();
            let receive_idr = ctx.config.state_policy(&ori).receive_idr;
            let case = case_mut(st, m, *booking)?;
            if case.ident != Some(IdentOutcome::Pending) {
                ctx.out.audit(
                    Party::Fbi,
                    Some(*booking),
                    "IDENT response for a settled search ignored",
                );
                return Ok(());
            }
            ctx.out.touch(*booking);
            match result {
                IdentResult::Match(records) => {
                    case.ident = Some(IdentOutcome::Match);
                    case.ident_fins = records.iter().map(|r| r.fin).collect();
                    case.iaq_at = Some(now);
                    let iaq = Message::Iaq {
                        booking: *booking,
                        ori: ori.clone(),
                        fbi_number: case.fbi_number.expect("searched after enrolment"),
                        charges: case.charges.clone(),
                        convictions: case.convictions_at(now),
                        records: records.clone(),
                    };
                    ctx.out
                        .audit(Party::Fbi, Some(*booking), "IDENT match: IAQ sent to LESC");
                    ctx.out.send(Party::Lesc, ctx.minutes(1.0), iaq);
                }
                IdentResult::NoMatch => case.ident = Some(IdentOutcome::NoMatch),
                IdentResult::Error(_) => case.ident = Some(IdentOutcome::Error),
            }
            if receive_idr && !matches!(result, IdentResult::Error(_)) {
                let matched = matches!(result, IdentResult::Match(_));
                ctx.out.send(
                    Party::Sib,
                    ctx.minutes(1.0),
                    Message::Idr {
                        booking: *booking,
                        matched,
                    },
                );
            }
        }
        other => return Err(unexpected(Party::Fbi, other)),
    }
    Ok(())
}

/// The submission results (SRE) back to the state bureau.
fn send_sre(
    ctx: &mut Ctx,
    booking: BookingId,
    fbi_number: FbiNumber,
    ident: bool,
    convictions: Vec<Conviction>,
) {
    let at = ctx.minutes(ctx.config.timing.fbi_minutes);
    ctx.out.send(
        Party::Sib,
        at,
        Message::CriminalResponse {
            booking,
            fbi_number,
            ident,
            convictions,
        },
    );
}

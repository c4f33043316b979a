//! The jail (LEA): books, submits prints, decides on detainers, holds and releases.

use super::{case_mut, jurisdiction, unexpected, Ctx, HandleError, HubState};
use crate::case::{Case, Custody, DetainerRecord};
use crate::message::{Message, Party};
use crate::offence::level_2010;
use crate::time::{hold_expiry, HOUR};

pub(super) fn handle(m: &Message, st: &mut HubState, ctx: &mut Ctx) -> Result<(), HandleError> {
    let now = ctx.now;
    match m {
        Message::Arrest(b) => {
            jurisdiction(ctx.config, m, &b.ori)?;
            if st.cases.contains_key(&b.id) {
                ctx.out
                    .audit(Party::Lea, Some(b.id), "duplicate booking ignored");
                return Ok(());
            }
            st.cases.insert(
                b.id,
                Case::new(b.id, b.ori.clone(), now, b.sample, b.charges.clone()),
            );
            ctx.out.touch(b.id);
            ctx.out.audit(
                Party::Lea,
                Some(b.id),
                format!("booked at {} on {} charge(s)", b.ori, b.charges.len()),
            );
            let submit_at = ctx.minutes(ctx.config.timing.livescan_minutes);
            ctx.out.send(
                Party::Sib,
                submit_at,
                Message::TenprintSubmission {
                    booking: b.id,
                    ori: b.ori.clone(),
                    charges: b.charges.clone(),
                    sample: b.sample,
                },
            );
            ctx.out.send(
                Party::World,
                ctx.minutes(60.0),
                Message::CourtFiling { booking: b.id },
            );
        }
        Message::CriminalResponse {
            booking,
            fbi_number,
            ..
        } => {
            case_mut(st, m, *booking)?;
            ctx.out.audit(
                Party::Lea,
                Some(*booking),
                format!("SRE received: {fbi_number}"),
            );
        }
        Message::Idr { booking, matched } => {
            let case = case_mut(st, m, *booking)?;
            case.lea_received_idr = true;
            ctx.out.touch(*booking);
            ctx.out.audit(
                Party::Lea,
                Some(*booking),
                format!(
                    "IDR received: {}",
                    if *matched { "match" } else { "no match" }
                ),
            );
        }
        Message::Iar {
            booking, status, ..
        } => {
            let case = case_mut(st, m, *booking)?;
            case.lea_received_iar = true;
            ctx.out.touch(*booking);
            ctx.out.audit(
                Party::Lea,
                Some(*booking),
                format!("IAR received: {}", status.label()),
            );
        }
        Message::CourtDisposition {
            booking,
            disposition,
        } => {
            let case = case_mut(st, m, *booking)?;
            case.disposition = Some((now, *disposition));
            ctx.out.touch(*booking);
            ctx.out.audit(
                Party::Lea,
                Some(*booking),
                format!("disposition {disposition:?}"),
            );
            ctx.out.send(
                Party::Sib,
                ctx.minutes(60.0),
                Message::DispositionReport {
                    booking: *booking,
                    disposition: *disposition,
                },
            );
        }
        Message::Detainer {
            booking,
            form,
            priority,
            judicial_warrant,
        } => {
            let ori = case_mut(st, m, *booking)?.ori.clone();
            let j = jurisdiction(ctx.config, m, &ori)?;
            let case = case_mut(st, m, *booking)?;
            if case.detainer.is_some() {
                ctx.out.audit(
                    Party::Lea,
                    Some(*booking),
                    "second detainer for the same booking ignored",
                );
                return Ok(());
            }
            let conviction_level = level_2010(case.convictions_at(now).iter().map(|c| c.offence()));
            let honoured = if case.custody != Custody::Jail {
                false // already released (or gone): nothing to honour
            } else if form.requests_hold() {
                j.detainer_policy
                    .honours(*judicial_warrant, conviction_level)
            } else {
                j.notify_release
            };
            case.detainer = Some(DetainerRecord {
                form: *form,
                priority: priority.clone(),
                judicial_warrant: *judicial_warrant,
                issued_at: now,
                honoured: Some(honoured),
            });
            ctx.out.touch(*booking);
            let why = if case.custody != Custody::Jail {
                "person already released"
            } else if honoured {
                "policy honours it"
            } else {
                "declined under the jail's policy"
            };
            ctx.out.audit(
                Party::Lea,
                Some(*booking),
                format!(
                    "{} ({priority}) {}: {why}",
                    form.label(),
                    if honoured { "honoured" } else { "declined" }
                ),
            );
            ctx.out.send(
                Party::Ice,
                ctx.minutes(10.0),
                Message::DetainerDecision {
                    booking: *booking,
                    honoured,
                },
            );
        }
        Message::ReleaseDue { booking } => {
            let ori = case_mut(st, m, *booking)?.ori.clone();
            let j = jurisdiction(ctx.config, m, &ori)?;
            let case = case_mut(st, m, *booking)?;
            if case.custody != Custody::Jail {
                return Ok(());
            }
            case.release_due_at = Some(now);
            ctx.out.touch(*booking);
            let hold = case
                .detainer
                .as_ref()
                .is_some_and(|d| d.honoured == Some(true) && d.form.requests_hold());
            if hold {
                let until = hold_expiry(now);
                case.custody = Custody::DetainerHold;
                case.hold_until = Some(until);
                // A jail that lets holds run over releases late: the hold's end fires later.
                let late = if ctx.dice.chance("overhold", booking.0, j.overhold_share) {
                    (2.0 + 46.0 * ctx.dice.unit("overhold_hours", booking.0, 0)) * HOUR as f64
                } else {
                    0.0
                };
                ctx.out.audit(
                    Party::Lea,
                    Some(*booking),
                    format!("held on detainer until {until}"),
                );
                ctx.out.send(
                    Party::Ice,
                    now,
                    Message::ReleaseNotice {
                        booking: *booking,
                        hold_until: Some(until),
                    },
                );
                ctx.out.send(
                    Party::Lea,
                    until.plus(late as i64),
                    Message::HoldExpired { booking: *booking },
                );
            } else {
                case.custody = Custody::Released;
                case.released_at = Some(now);
                ctx.out.audit(Party::Lea, Some(*booking), "released");
                if case.detainer.is_some() && j.notify_release {
                    ctx.out.send(
                        Party::Ice,
                        now,
                        Message::ReleaseNotice {
                            booking: *booking,
                            hold_until: None,
                        },
                    );
                }
            }
        }
        Message::HoldExpired { booking } => {
            let case = case_mut(st, m, *booking)?;
            if case.custody == Custody::DetainerHold {
                case.custody = Custody::Released;
                case.released_at = Some(now);
                ctx.out.touch(*booking);
                let over = case.hours_past_hold().unwrap_or(0.0);
                let note = if over > 0.0 {
                    format!("; {over:.1} h past the legal end")
                } else {
                    String::new()
                };
                ctx.out.audit(
                    Party::Lea,
                    Some(*booking),
                    format!("hold ended, ICE did not come: released{note}"),
                );
            }
        }
        Message::Pickup { booking } => {
            let case = case_mut(st, m, *booking)?;
            let transferred = case.custody == Custody::DetainerHold;
            if transferred {
                case.custody = Custody::Ice;
                case.ice_custody_at = Some(now);
                ctx.out.touch(*booking);
                ctx.out.audit(Party::Lea, Some(*booking), "handed to ICE");
            } else {
                ctx.out.audit(
                    Party::Lea,
                    Some(*booking),
                    "ICE came, person no longer held",
                );
            }
            ctx.out.send(
                Party::Ice,
                now,
                Message::CustodyTransfer {
                    booking: *booking,
                    transferred,
                },
            );
        }
        other => return Err(unexpected(Party::Lea, other)),
    }
    Ok(())
}

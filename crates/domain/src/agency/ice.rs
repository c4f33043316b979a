//! The ICE field office: applies the priority scheme in force, lodges
//! detainers, collects people from jails, and places them in proceedings.

use super::{case_mut, unexpected, Ctx, HandleError, HubState};
use crate::case::Custody;
use crate::immigration::Status;
use crate::message::{Message, Party};
use crate::offence::level_2010;
use crate::policy::{Facts, Priority};

pub(super) fn handle(m: &Message, st: &mut HubState, ctx: &mut Ctx) -> Result<(), HandleError> {
    let now = ctx.now;
    match m {
        Message::Iar {
            booking,
            status,
            removability,
            ..
        } => {
            let case = st.cases.get(booking).ok_or(HandleError::UnknownBooking {
                kind: m.kind(),
                booking: *booking,
            })?;
            if case.priority.is_some() || case.priority_not_met {
                ctx.out.audit(
                    Party::Ice,
                    Some(*booking),
                    "second IAR for the same booking ignored",
                );
                return Ok(());
            }
            let record = case
                .iar
                .as_ref()
                .and_then(|i| i.fin)
                .and_then(|f| st.ident.get(&f));
            let (last_removal, first_encounter) = Facts::record_dates(record);
            let convictions = case.convictions_at(now);
            let facts = Facts {
                status: *status,
                removability: *removability,
                convictions: &convictions,
                charges: &case.charges,
                last_removal,
                first_encounter,
            };
            let priority = ctx.config.scheme.evaluate(&facts);
            let case = case_mut(st, m, *booking)?;
            ctx.out.touch(*booking);
            match priority {
                Priority::NotEligible | Priority::NotMet => {
                    case.priority_not_met = true;
                    let why = if priority == Priority::NotEligible {
                        "not eligible (status / removability)"
                    } else {
                        "priority not met"
                    };
                    ctx.out.audit(
                        Party::Ice,
                        Some(*booking),
                        format!("{}: {why}", ctx.config.scheme.id),
                    );
                }
                Priority::Met {
                    label,
                    detainer,
                    lodge_share,
                } => {
                    case.priority = Some(label.clone());
                    if !ctx.dice.chance("ice_lodge", booking.0, lodge_share) {
                        ctx.out.audit(
                            Party::Ice,
                            Some(*booking),
                            format!("{label}: no detainer lodged (field office discretion)"),
                        );
                        return Ok(());
                    }
                    let judicial_warrant = *status == Status::PriorRemoval
                        && ctx.dice.chance(
                            "judicial_warrant",
                            booking.0,
                            ctx.config.ice.judicial_warrant_share,
                        );
                    let at = ctx.delay_hours(
                        "ice_decision",
                        *booking,
                        ctx.config.ice.decision_hours_mean,
                    );
                    ctx.out.audit(
                        Party::Ice,
                        Some(*booking),
                        format!("{label}: {} lodged", detainer.label()),
                    );
                    ctx.out.send(
                        Party::Lea,
                        at,
                        Message::Detainer {
                            booking: *booking,
                            form: detainer,
                            priority: label,
                            judicial_warrant,
                        },
                    );
                }
            }
        }
        Message::DetainerDecision { booking, honoured } => {
            ctx.out.audit(
                Party::Ice,
                Some(*booking),
                format!(
                    "jail {} the detainer",
                    if *honoured { "honours" } else { "declines" }
                ),
            );
        }
        Message::ReleaseNotice {
            booking,
            hold_until,
        } => {
            let key = booking.0;
            match hold_until {
                Some(_) => {
                    if ctx
                        .dice
                        .chance("ice_pickup", key, ctx.config.ice.pickup_share)
                    {
                        let at = ctx.delay_hours(
                            "ice_pickup_time",
                            *booking,
                            ctx.config.ice.pickup_hours_mean,
                        );
                        ctx.out
                            .send(Party::Lea, at, Message::Pickup { booking: *booking });
                    } else {
                        ctx.out.audit(
                            Party::Ice,
                            Some(*booking),
                            "no officer available for pickup",
                        );
                    }
                }
                None => {
                    // Notification only: officers try to arrest at the jail's door.
                    if ctx
                        .dice
                        .chance("ice_at_large", key, ctx.config.ice.pickup_share * 0.5)
                    {
                        let case = case_mut(st, m, *booking)?;
                        case.ice_custody_at = Some(now);
                        case.custody = Custody::Ice;
                        ctx.out.touch(*booking);
                        ctx.out.audit(
                            Party::Ice,
                            Some(*booking),
                            "arrested on release after notification",
                        );
                        ctx.out.send(
                            Party::World,
                            now,
                            Message::NoticeToAppear { booking: *booking },
                        );
                    }
                }
            }
        }
        Message::CustodyTransfer {
            booking,
            transferred,
        } => {
            if *transferred {
                ctx.out.audit(
                    Party::Ice,
                    Some(*booking),
                    "in ICE custody: notice to appear",
                );
                ctx.out.send(
                    Party::World,
                    now,
                    Message::NoticeToAppear { booking: *booking },
                );
            } else {
                ctx.out.audit(
                    Party::Ice,
                    Some(*booking),
                    "pickup failed: released before officers arrived",
                );
            }
        }
        Message::ProceedingsConcluded { booking, outcome } => {
            let case = case_mut(st, m, *booking)?;
            if case.outcome.is_some() {
                return Ok(());
            }
            let level = level_2010(case.convictions_at(now).iter().map(|c| c.offence()));
            case.outcome = Some((now, *outcome));
            case.level_at_outcome = Some(level);
            ctx.out.touch(*booking);
            ctx.out.audit(
                Party::Ice,
                Some(*booking),
                format!("{outcome:?} ({} by convictions)", level.label()),
            );
        }
        other => return Err(unexpected(Party::Ice, other)),
    }
    Ok(())
}

//! Every branch of the flow, one booking at a time, through a small
//! in-memory delivery loop with scripted matchers.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use chrono::NaiveDate;

use super::*;
use crate::case::{Custody, IdentOutcome};
use crate::config::{IceConfig, Jurisdiction, LescConfig, StatePolicy, Timing};
use crate::ids::{Ori, StateCode};
use crate::immigration::{Encounter, EncounterKind, Status};
use crate::message::{Biographic, Booking, ImmigrationOutcome, Sex};
use crate::offence::{Charge, Disposition};
use crate::policy::{DetainerForm, DetainerPolicy};
use crate::time::{hold_expiry, DAY, HOUR};

struct Script {
    criminal: Option<FbiNumber>,
    ident: Result<Vec<Fin>, String>,
    naturalised: bool,
}

impl Ports for Script {
    fn criminal_search(&mut self, _: BookingId, _: SampleRef) -> Option<FbiNumber> {
        self.criminal
    }
    fn criminal_enrol(&mut self, _: SampleRef, _: FbiNumber) {}
    fn ident_search(&mut self, _: BookingId, _: SampleRef) -> Result<Vec<Fin>, String> {
        self.ident.clone()
    }
    fn uscis_naturalised(&self, _: &IdentRecord) -> bool {
        self.naturalised
    }
}

struct Setup {
    scheme: &'static str,
    activated: Option<&'static str>,
    policy: DetainerPolicy,
    receive: bool,
    uscis_check: f64,
    pickup: f64,
    overhold: f64,
    lodge_all: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            scheme: "2010-levels",
            activated: Some("2009-01-01"),
            policy: DetainerPolicy::All,
            receive: true,
            uscis_check: 0.0,
            pickup: 1.0,
            overhold: 0.0,
            lodge_all: true,
        }
    }
}

struct Mini {
    st: HubState,
    queue: BinaryHeap<Reverse<(i64, u64)>>,
    envs: HashMap<u64, Envelope>,
    next: u64,
    config: Config,
    dice: Dice,
    ports: Script,
    seen: Vec<(Party, Message)>,
    audit: Vec<String>,
}

const ORI: &str = "TX2270000";
const B: BookingId = BookingId(1);

fn t0() -> SimTime {
    SimTime::from_date(NaiveDate::from_ymd_opt(2010, 10, 4).unwrap()).plus(9 * HOUR)
    // Monday 09:00
}

impl Mini {
    fn new(s: Setup, ports: Script) -> Mini {
        let j = Jurisdiction {
            ori: Ori::new(ORI).unwrap(),
            county: "Travis".into(),
            activated: s
                .activated
                .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
            detainer_policy: s.policy,
            notify_release: true,
            opt_out_requested: false,
            overhold_share: s.overhold,
        };
        let mut states = BTreeMap::new();
        states.insert(
            StateCode::new("TX").unwrap(),
            StatePolicy {
                receive_idr: s.receive,
                receive_iar: s.receive,
            },
        );
        let mut ice = IceConfig {
            scheme: s.scheme.into(),
            pickup_share: s.pickup,
            ..IceConfig::default()
        };
        if s.lodge_all {
            for r in &crate::policy::Schemes::builtin()
                .get(s.scheme)
                .unwrap()
                .rules
            {
                ice.lodge_share.insert(r.label.clone(), 1.0);
            }
        }
        let lesc = LescConfig {
            uscis_check_share: s.uscis_check,
            ..LescConfig::default()
        };
        let config = Config::new(vec![j], states, ice, lesc, Timing::default()).unwrap();
        Mini {
            st: HubState::default(),
            queue: BinaryHeap::new(),
            envs: HashMap::new(),
            next: 0,
            config,
            dice: Dice::new(1),
            ports,
            seen: vec![],
            audit: vec![],
        }
    }

    fn record(&mut self, fin: u64, enc: &[(EncounterKind, i64)]) {
        let encounters = enc
            .iter()
            .map(|(k, days_ago)| Encounter {
                kind: *k,
                at: t0().plus(-days_ago * DAY),
                valid_until: Some(t0().plus(-(days_ago - 365) * DAY)),
            })
            .collect();
        self.st.ident.insert(
            Fin(fin),
            IdentRecord {
                fin: Fin(fin),
                sample: SampleRef(fin),
                encounters,
            },
        );
    }

    fn prior(&mut self, fbi: u64, kinds: &[&str]) {
        let convictions = kinds
            .iter()
            .map(|k| Conviction {
                kind: k.to_string(),
                at: SimTime(0),
                sentence_days: 0,
            })
            .collect();
        self.st.subjects.insert(
            FbiNumber(fbi),
            Subject {
                fbi_number: FbiNumber(fbi),
                sample: SampleRef(7),
                convictions,
                arrests: vec![],
            },
        );
        self.st.next_fbi_number = 1000;
    }

    fn inject(&mut self, to: Party, at: SimTime, message: Message) {
        self.next += 1;
        let env = Envelope {
            id: self.next,
            from: Party::World,
            to,
            sent_at: at,
            deliver_at: at,
            message,
        };
        self.queue.push(Reverse((at.0, env.id)));
        self.envs.insert(env.id, env);
    }

    fn arrest(&mut self, charges: &[&str]) {
        let b = Booking {
            id: B,
            ori: Ori::new(ORI).unwrap(),
            booked_at: t0(),
            person: Biographic {
                name: "A B".into(),
                date_of_birth: NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(),
                sex: Sex::M,
                place_of_birth: "MX".into(),
            },
            charges: charges
                .iter()
                .map(|k| Charge {
                    kind: k.to_string(),
                })
                .collect(),
            sample: SampleRef(7),
        };
        self.inject(Party::Lea, t0(), Message::Arrest(b));
    }

    /// Deliver everything due up to `until`; messages to the world are only recorded.
    fn pump(&mut self, until: SimTime) {
        let mut out = Outbox::default();
        while let Some(Reverse((at, id))) = self.queue.peek().copied() {
            if at > until.0 {
                break;
            }
            self.queue.pop();
            let env = self.envs.remove(&id).unwrap();
            self.seen.push((env.to, env.message.clone()));
            if env.to == Party::World {
                continue;
            }
            out.clear();
            let mut ctx = Ctx {
                now: env.deliver_at,
                from: env.from,
                config: &self.config,
                dice: &self.dice,
                ports: &mut self.ports,
                out: &mut out,
            };
            handle(&env, &mut self.st, &mut ctx).unwrap();
            self.audit.extend(
                out.audit
                    .iter()
                    .map(|a| format!("{}: {}", a.party.name(), a.event)),
            );
            for s in out.sends.drain(..) {
                self.next += 1;
                let e = Envelope {
                    id: self.next,
                    from: env.to,
                    to: s.to,
                    sent_at: env.deliver_at,
                    deliver_at: s.deliver_at,
                    message: s.message,
                };
                self.queue.push(Reverse((e.deliver_at.0, e.id)));
                self.envs.insert(e.id, e);
            }
        }
    }

    fn case(&self) -> &Case {
        &self.st.cases[&B]
    }
    fn sent(&self, kind: &str) -> usize {
        self.seen.iter().filter(|(_, m)| m.kind() == kind).count()
    }
    fn saw(&self, text: &str) -> bool {
        self.audit.iter().any(|a| a.contains(text))
    }
}

fn matched(fins: &[u64]) -> Script {
    Script {
        criminal: None,
        ident: Ok(fins.iter().map(|f| Fin(*f)).collect()),
        naturalised: false,
    }
}

fn overstay(m: &mut Mini) {
    m.record(50, &[(EncounterKind::Visa, 3000)]);
}

#[test]
fn county_not_activated_is_not_forwarded() {
    let mut m = Mini::new(
        Setup {
            activated: Some("2011-01-01"),
            ..Setup::default()
        },
        matched(&[50]),
    );
    overstay(&mut m);
    m.arrest(&["dui"]);
    m.pump(t0().plus(10 * DAY));
    assert_eq!(m.case().ident, Some(IdentOutcome::NotForwarded));
    assert_eq!(m.sent("ident_search"), 0);
    assert!(m.case().detainer.is_none());
    assert!(m.saw("county not activated"));
}

#[test]
fn no_match_ends_at_idr() {
    let mut m = Mini::new(Setup::default(), matched(&[]));
    m.arrest(&["dui"]);
    m.pump(t0().plus(DAY));
    assert_eq!(m.case().ident, Some(IdentOutcome::NoMatch));
    assert_eq!(m.sent("iaq"), 0);
    assert!(m.case().lea_received_idr, "the state receives IDRs");
}

#[test]
fn state_that_does_not_receive_gets_no_idr_or_iar() {
    let mut m = Mini::new(
        Setup {
            receive: false,
            ..Setup::default()
        },
        matched(&[50]),
    );
    overstay(&mut m);
    m.arrest(&["dui"]);
    m.pump(t0().plus(DAY));
    assert_eq!(m.sent("idr"), 0);
    assert!(m.case().iar.is_some(), "ICE still gets the IAR");
    assert!(!m.case().lea_received_iar && !m.case().lea_received_idr);
}

#[test]
fn overstay_detained_held_picked_up_and_removed() {
    let mut m = Mini::new(Setup::default(), matched(&[50]));
    overstay(&mut m);
    m.arrest(&["dui"]);
    m.pump(t0().plus(DAY));
    let iar = m.case().iar.clone().unwrap();
    assert_eq!(
        (iar.status, iar.level_by_charges),
        (Status::Overstay, crate::offence::Level::L3)
    );
    let d = m.case().detainer.clone().expect("detainer lodged");
    assert_eq!(
        (d.form, d.priority.as_str(), d.honoured),
        (DetainerForm::I247, "Level 3", Some(true))
    );
    let release = t0().plus(2 * DAY);
    m.inject(Party::Lea, release, Message::ReleaseDue { booking: B });
    m.pump(release.plus(10 * DAY));
    assert_eq!(m.case().hold_until, Some(hold_expiry(release)));
    assert_eq!(m.case().custody, Custody::Ice);
    assert!(m.case().ice_custody_at.unwrap() <= m.case().hold_until.unwrap());
    assert_eq!(m.sent("notice_to_appear"), 1);
    let at = release.plus(20 * DAY);
    m.inject(
        Party::Ice,
        at,
        Message::ProceedingsConcluded {
            booking: B,
            outcome: ImmigrationOutcome::Removed,
        },
    );
    m.pump(at);
    assert_eq!(m.case().outcome, Some((at, ImmigrationOutcome::Removed)));
    assert_eq!(
        m.case().level_at_outcome,
        Some(crate::offence::Level::NonCriminal),
        "no conviction: removed as non-criminal"
    );
}

#[test]
fn conviction_before_removal_changes_the_level() {
    let mut m = Mini::new(Setup::default(), matched(&[50]));
    overstay(&mut m);
    m.arrest(&["burglary"]);
    m.pump(t0().plus(DAY));
    let t = t0().plus(3 * DAY);
    m.inject(
        Party::Lea,
        t,
        Message::CourtDisposition {
            booking: B,
            disposition: Disposition::Convicted { sentence_days: 0 },
        },
    );
    m.inject(Party::Lea, t.plus(HOUR), Message::ReleaseDue { booking: B });
    m.pump(t.plus(5 * DAY));
    let at = t.plus(9 * DAY);
    m.inject(
        Party::Ice,
        at,
        Message::ProceedingsConcluded {
            booking: B,
            outcome: ImmigrationOutcome::Removed,
        },
    );
    m.pump(at);
    assert_eq!(m.case().level_at_outcome, Some(crate::offence::Level::L2));
    let fbi = m.case().fbi_number.unwrap();
    assert_eq!(
        m.st.subjects[&fbi].convictions.len(),
        1,
        "the disposition reached the criminal history"
    );
}

#[test]
fn naturalised_with_current_record_is_not_eligible() {
    let mut m = Mini::new(Setup::default(), matched(&[50]));
    m.record(
        50,
        &[
            (EncounterKind::LprGrant, 4000),
            (EncounterKind::Naturalisation, 1000),
        ],
    );
    m.arrest(&["drug_sale"]);
    m.pump(t0().plus(DAY));
    assert_eq!(m.case().iar.as_ref().unwrap().status, Status::Naturalised);
    assert!(m.case().priority_not_met && m.case().detainer.is_none());
}

#[test]
fn stale_record_detains_a_citizen_unless_uscis_is_checked() {
    for (check, naturalised, want_detainer) in [(0.0, true, true), (1.0, true, false)] {
        let ports = Script {
            naturalised,
            ..matched(&[50])
        };
        let mut m = Mini::new(
            Setup {
                uscis_check: check,
                ..Setup::default()
            },
            ports,
        );
        m.record(50, &[(EncounterKind::LprGrant, 4000)]); // naturalisation missing
        m.prior(9, &["drug_possession"]);
        m.ports.criminal = Some(FbiNumber(9));
        m.arrest(&["petty_theft"]);
        m.pump(t0().plus(DAY));
        let iar = m.case().iar.clone().unwrap();
        assert_eq!(
            iar.status,
            if want_detainer {
                Status::Lpr
            } else {
                Status::Naturalised
            },
            "check {check}"
        );
        assert_eq!(m.case().detainer.is_some(), want_detainer, "check {check}");
    }
}

#[test]
fn lawful_resident_without_grounds_is_not_eligible_and_priority_can_be_unmet() {
    let mut m = Mini::new(
        Setup {
            scheme: "2012-detainer-criteria",
            ..Setup::default()
        },
        matched(&[50]),
    );
    m.record(50, &[(EncounterKind::LprGrant, 4000)]);
    m.arrest(&["dui"]);
    m.pump(t0().plus(DAY));
    assert!(m.case().priority_not_met && m.saw("not eligible"));

    let mut m = Mini::new(
        Setup {
            scheme: "2012-detainer-criteria",
            ..Setup::default()
        },
        matched(&[50]),
    );
    m.record(50, &[(EncounterKind::Apprehension, 4000)]);
    m.arrest(&["driving_without_license"]);
    m.pump(t0().plus(DAY));
    assert!(m.case().priority_not_met && m.saw("priority not met"));
}

#[test]
fn declined_by_policy_releases_and_notifies() {
    let mut m = Mini::new(
        Setup {
            policy: DetainerPolicy::None,
            pickup: 0.0,
            ..Setup::default()
        },
        matched(&[50]),
    );
    overstay(&mut m);
    m.arrest(&["dui"]);
    m.pump(t0().plus(DAY));
    assert_eq!(m.case().detainer.as_ref().unwrap().honoured, Some(false));
    let release = t0().plus(2 * DAY);
    m.inject(Party::Lea, release, Message::ReleaseDue { booking: B });
    m.pump(release.plus(5 * DAY));
    assert_eq!(
        (m.case().custody, m.case().released_at, m.case().hold_until),
        (Custody::Released, Some(release), None)
    );
    assert_eq!(m.sent("release_notice"), 1);
}

#[test]
fn hold_expires_when_ice_does_not_come_and_overholds_are_measured() {
    for (overhold, past) in [(0.0, false), (1.0, true)] {
        let mut m = Mini::new(
            Setup {
                pickup: 0.0,
                overhold,
                ..Setup::default()
            },
            matched(&[50]),
        );
        overstay(&mut m);
        m.arrest(&["dui"]);
        m.pump(t0().plus(DAY));
        let release = t0().plus(4 * DAY); // Friday 09:00
        m.inject(Party::Lea, release, Message::ReleaseDue { booking: B });
        m.pump(release.plus(10 * DAY));
        let c = m.case();
        assert_eq!(
            c.hold_until,
            Some(release.plus(5 * DAY)),
            "Fri 8 Oct 09:00 + 48 h without the weekend and Columbus Day = Wed 09:00"
        );
        assert_eq!(c.custody, Custody::Released);
        assert_eq!(c.hours_past_hold().is_some(), past, "overhold {overhold}");
        if !past {
            assert_eq!(c.released_at, c.hold_until);
        }
    }
}

#[test]
fn detainer_after_release_is_not_honoured() {
    let mut m = Mini::new(Setup::default(), matched(&[50]));
    overstay(&mut m);
    m.arrest(&["dui"]);
    m.inject(
        Party::Lea,
        t0().plus(HOUR),
        Message::ReleaseDue { booking: B },
    );
    m.pump(t0().plus(3 * DAY));
    assert_eq!(m.case().released_at, Some(t0().plus(HOUR)));
    assert_eq!(m.case().detainer.as_ref().unwrap().honoured, Some(false));
    assert!(m.saw("person already released"));
}

#[test]
fn duplicates_have_no_second_effect() {
    let mut m = Mini::new(Setup::default(), matched(&[50]));
    overstay(&mut m);
    m.arrest(&["dui"]);
    m.arrest(&["dui"]);
    m.pump(t0().plus(DAY));
    assert!(m.saw("duplicate booking ignored"));
    assert_eq!(
        m.sent("tenprint_submission"),
        2,
        "one submission, relayed once by the SIB"
    );
    let subjects = m.st.subjects.len();
    let sub = Message::TenprintSubmission {
        booking: B,
        ori: Ori::new(ORI).unwrap(),
        charges: vec![],
        sample: SampleRef(7),
    };
    m.inject(Party::Fbi, t0().plus(DAY), sub);
    let det = Message::Detainer {
        booking: B,
        form: DetainerForm::I247,
        priority: "x".into(),
        judicial_warrant: false,
    };
    m.inject(Party::Lea, t0().plus(DAY), det);
    let iar = Message::Iar {
        booking: B,
        fin: None,
        status: Status::Overstay,
        removability: crate::immigration::Removability::Removable,
        level_by_charges: crate::offence::Level::L3,
    };
    m.inject(Party::Ice, t0().plus(DAY), iar);
    m.pump(t0().plus(2 * DAY));
    assert_eq!(m.st.subjects.len(), subjects, "no second enrolment");
    assert!(m.saw("duplicate submission"));
    assert!(m.saw("second detainer"));
    assert!(m.saw("second IAR"));
    assert_eq!(m.case().detainer.as_ref().unwrap().priority, "Level 3");
    assert_eq!(
        m.sent("detainer"),
        2,
        "the original and the injected one; no third"
    );
}

#[test]
fn judicial_warrant_policy_declines_administrative_detainers() {
    let mut m = Mini::new(
        Setup {
            policy: DetainerPolicy::JudicialWarrant,
            ..Setup::default()
        },
        matched(&[50]),
    );
    overstay(&mut m);
    m.arrest(&["dui"]);
    m.pump(t0().plus(DAY));
    let d = m.case().detainer.clone().unwrap();
    assert!(!d.judicial_warrant && d.honoured == Some(false));
}

#[test]
fn ident_error_is_recorded() {
    let mut m = Mini::new(
        Setup::default(),
        Script {
            criminal: None,
            ident: Err("quality".into()),
            naturalised: false,
        },
    );
    m.arrest(&["dui"]);
    m.pump(t0().plus(DAY));
    assert_eq!(m.case().ident, Some(IdentOutcome::Error));
    assert!(m.saw("search failed: quality"));
}

#[test]
fn message_outside_protocol_is_an_error() {
    let mut m = Mini::new(Setup::default(), matched(&[]));
    let env = Envelope {
        id: 1,
        from: Party::World,
        to: Party::Ident,
        sent_at: t0(),
        deliver_at: t0(),
        message: Message::Pickup { booking: B },
    };
    let mut out = Outbox::default();
    let mut ctx = Ctx {
        now: t0(),
        from: Party::World,
        config: &m.config,
        dice: &m.dice,
        ports: &mut m.ports,
        out: &mut out,
    };
    let err = handle(&env, &mut m.st, &mut ctx).unwrap_err();
    assert_eq!(
        err,
        HandleError::Unexpected {
            party: "IDENT",
            kind: "pickup"
        }
    );
    let env = Envelope {
        to: Party::Lea,
        ..env
    };
    assert_eq!(
        handle(&env, &mut m.st, &mut ctx).unwrap_err(),
        HandleError::UnknownBooking {
            kind: "pickup",
            booking: B
        }
    );
}

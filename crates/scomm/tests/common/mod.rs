//! What several of the binary's tests build: an EBTS criminal tenprint
//! submission (CAR) around the finger images given.

use scomm_nist::ebts::{
    Arrest, Charge, CriminalTenprint, FingerImage, Header, ImageRecordKind, Name, Subject,
};

/// A CAR from `ori` with control number `tcn`, one charge with NCIC code
/// `ncic` (and one without), the images as Type-4 records.
pub fn criminal_tenprint(ori: &str, tcn: &str, ncic: &str, images: Vec<FingerImage>) -> Vec<u8> {
    let car = CriminalTenprint {
        header: Header {
            date: "20101102".into(),
            priority: 2,
            destination: "WVIAFIS0Z".into(),
            originating: ori.into(),
            control_number: tcn.into(),
            control_reference: None,
        },
        subject: Subject {
            name: Name {
                surname: "ROE".into(),
                given: "RICHARD".into(),
            },
            date_of_birth: "19850211".into(),
            sex: 'M',
            race: 'W',
            place_of_birth: "MX".into(),
            citizenship: None,
            height: None,
            weight: None,
            eyes: None,
            hair: None,
            fbi_number: None,
            state_id: None,
        },
        arrest: Arrest {
            date_of_arrest: "20101101".into(),
            case_number: None,
            charges: vec![
                Charge {
                    date_of_offense: None,
                    ncic_code: Some(ncic.into()),
                    literal: "DRIVING UNDER INFLUENCE".into(),
                },
                Charge {
                    date_of_offense: None,
                    ncic_code: None,
                    literal: "RESISTING ARREST".into(),
                },
            ],
        },
        images,
        image_kind: ImageRecordKind::Type4,
    };
    car.build().unwrap().to_bytes()
}

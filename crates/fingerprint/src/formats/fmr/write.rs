//! Export: a finger minutiae record from a template, and its encoding in
//! each standard's layout (the table in the parent module).

use super::{
    profile_blocks, profile_of, FingerMinutiaeRecord, FingerView, FmrStandard, FormatError,
    MinutiaKind, RecordMinutia, Template, EXPORT_RESOLUTION_PPCM, MAGIC, MAX_COORDINATE, TAU,
    VERSION_2004, VERSION_2009,
};

impl FingerMinutiaeRecord {
    /// A one-view record of `template` at 500 ppi (197 px/cm): finger
    /// position 0 (unknown), live-scan plain impression, finger quality the
    /// mean minutia quality, and a
    /// [`PROFILE_BLOCK_TYPE`](super::PROFILE_BLOCK_TYPE) block when the
    /// template is not of the fast profile. Fields are public: adjust
    /// before [`Self::to_bytes`].
    /// Fails on a minutia whose direction is not a finite number.
    pub fn from_template(
        template: &Template,
        standard: FmrStandard,
    ) -> Result<FingerMinutiaeRecord, FormatError> {
        let units = standard.angle_units_per_turn() as f32;
        let mut minutiae = Vec::with_capacity(template.minutiae.len());
        for (i, m) in template.minutiae.iter().enumerate() {
            if !m.direction.is_finite() {
                return Err(FormatError::export(
                    standard.format(),
                    format!("minutia {} has direction {}", i + 1, m.direction),
                ));
            }
            let turn_fraction = m.direction.rem_euclid(TAU) / TAU;
            minutiae.push(RecordMinutia {
                kind: m.kind,
                x: m.x,
                y: m.y,
                angle: ((turn_fraction * units).round() as u32 % units as u32) as u8,
                quality: m.quality.min(100),
            });
        }
        let finger_quality = if minutiae.is_empty() {
            0
        } else {
            (minutiae.iter().map(|m| m.quality as u32).sum::<u32>() / minutiae.len() as u32) as u8
        };
        Ok(FingerMinutiaeRecord {
            standard,
            cbeff_product_id: 0,
            equipment_compliance: 0,
            equipment_id: 0,
            views: vec![FingerView {
                finger_position: 0,
                view_number: 0,
                impression_type: 0,
                finger_quality,
                quality_algorithm: 0,
                image_width: template.width,
                image_height: template.height,
                x_resolution_ppcm: EXPORT_RESOLUTION_PPCM,
                y_resolution_ppcm: EXPORT_RESOLUTION_PPCM,
                minutiae,
                extended_data: profile_blocks(template.profile),
                standard,
            }],
            trailing_data: Vec::new(),
            warnings: Vec::new(),
        })
    }

    /// Encodes the record, checking every field fits its standard.
    pub fn to_bytes(&self) -> Result<Vec<u8>, FormatError> {
        let format = self.standard.format();
        let fail = |detail: String| FormatError::export(format, detail);
        let views = u8::try_from(self.views.len())
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| fail(format!("{} finger views (must be 1-255)", self.views.len())))?;
        let shared_image = self.standard != FmrStandard::Ansi378_2009;
        let first = &self.views[0];
        let mut body = Vec::new();
        for (i, view) in self.views.iter().enumerate() {
            let place = format!("finger view {}", i + 1);
            if shared_image
                && (
                    view.image_width,
                    view.image_height,
                    view.x_resolution_ppcm,
                    view.y_resolution_ppcm,
                ) != (
                    first.image_width,
                    first.image_height,
                    first.x_resolution_ppcm,
                    first.y_resolution_ppcm,
                )
            {
                return Err(fail(format!("{place}: image size or resolution differs from view 1 (the record header holds one)")));
            }
            write_view(&mut body, view, self.standard)
                .map_err(|d| fail(format!("{place}: {d}")))?;
        }
        body.extend_from_slice(&self.trailing_data);

        let mut out = Vec::with_capacity(body.len() + 32);
        out.extend_from_slice(MAGIC);
        let equipment =
            ((self.equipment_compliance as u16 & 0x0f) << 12) | (self.equipment_id & 0x0fff);
        match self.standard {
            FmrStandard::Iso19794_2_2005 => {
                out.extend_from_slice(VERSION_2004);
                push_u32(&mut out, (24 + body.len()) as u32);
            }
            FmrStandard::Ansi378_2004 => {
                out.extend_from_slice(VERSION_2004);
                let length = 26 + body.len();
                if length <= 0xffff {
                    push_u16(&mut out, length as u16);
                } else {
                    push_u16(&mut out, 0);
                    push_u32(&mut out, (length + 4) as u32);
                }
                push_u32(&mut out, self.cbeff_product_id);
            }
            FmrStandard::Ansi378_2009 => {
                out.extend_from_slice(VERSION_2009);
                push_u32(&mut out, (20 + body.len()) as u32);
                push_u32(&mut out, self.cbeff_product_id);
            }
        }
        push_u16(&mut out, equipment);
        if shared_image {
            for v in [
                first.image_width,
                first.image_height,
                first.x_resolution_ppcm,
                first.y_resolution_ppcm,
            ] {
                push_u16(&mut out, v);
            }
        }
        out.push(views);
        out.push(0);
        out.extend_from_slice(&body);
        Ok(out)
    }
}

fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}
fn push_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn write_view(out: &mut Vec<u8>, view: &FingerView, standard: FmrStandard) -> Result<(), String> {
    let count = u8::try_from(view.minutiae.len()).map_err(|_| {
        format!(
            "{} minutiae (a view holds at most 255)",
            view.minutiae.len()
        )
    })?;
    if view.finger_quality > 100 {
        return Err(format!(
            "finger quality {} (must be 0-100)",
            view.finger_quality
        ));
    }
    if view.x_resolution_ppcm == 0 || view.y_resolution_ppcm == 0 {
        return Err("resolution 0 pixels/cm".to_string());
    }
    // A reader would refuse it (and this one does).
    profile_of(&view.extended_data)?;
    out.push(view.finger_position);
    if standard == FmrStandard::Ansi378_2009 {
        out.push(view.view_number);
        out.push(view.impression_type);
    } else {
        if view.view_number > 15 || view.impression_type > 15 {
            return Err(format!(
                "view number {} or impression type {} does not fit 4 bits",
                view.view_number, view.impression_type
            ));
        }
        out.push((view.view_number << 4) | view.impression_type);
    }
    out.push(view.finger_quality);
    if standard == FmrStandard::Ansi378_2009 {
        push_u32(out, view.quality_algorithm);
        for v in [
            view.image_width,
            view.image_height,
            view.x_resolution_ppcm,
            view.y_resolution_ppcm,
        ] {
            push_u16(out, v);
        }
    }
    out.push(count);
    let units = standard.angle_units_per_turn();
    for (i, m) in view.minutiae.iter().enumerate() {
        if m.x > MAX_COORDINATE || m.y > MAX_COORDINATE {
            return Err(format!(
                "minutia {} at ({}, {}) beyond the 14-bit coordinate range",
                i + 1,
                m.x,
                m.y
            ));
        }
        if m.angle as u16 >= units {
            return Err(format!(
                "minutia {}: angle {} out of range 0-{}",
                i + 1,
                m.angle,
                units - 1
            ));
        }
        if m.quality > 100 {
            return Err(format!(
                "minutia {}: quality {} (must be 0-100)",
                i + 1,
                m.quality
            ));
        }
        let kind_bits: u16 = match m.kind {
            MinutiaKind::Other => 0,
            MinutiaKind::Ending => 1,
            MinutiaKind::Bifurcation => 2,
        };
        push_u16(out, (kind_bits << 14) | m.x);
        push_u16(out, m.y);
        out.push(m.angle);
        out.push(m.quality);
    }
    let extended: usize = view.extended_data.iter().map(|b| b.data.len() + 4).sum();
    let extended = u16::try_from(extended)
        .map_err(|_| format!("{extended} bytes of extended data (at most 65535)"))?;
    push_u16(out, extended);
    for block in &view.extended_data {
        push_u16(out, block.type_id);
        push_u16(out, (block.data.len() + 4) as u16);
        out.extend_from_slice(&block.data);
    }
    Ok(())
}

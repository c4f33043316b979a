//! Monthly chart of a run as SVG: IDENT matches (by level of charges) and
//! removals (by level of convictions) per month, all jurisdictions, stacked
//! by level, in ICE's order (Level 1 at the bottom).

use std::collections::BTreeMap;
use std::fmt::Write;

use scomm_domain::stats::{ByLevel, Report};

const COLOURS: [&str; 4] = ["#7f1d1d", "#dc2626", "#f59e0b", "#9ca3af"];
const LABELS: [&str; 4] = ["Level 1", "Level 2", "Level 3", "Non-criminal"];

fn by_month(
    report: &Report,
    pick: impl Fn(&scomm_domain::stats::Row) -> ByLevel,
) -> BTreeMap<String, [u64; 4]> {
    let mut m: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    for r in &report.rows {
        let b = pick(r);
        let e = m.entry(r.month.clone()).or_default();
        for (i, v) in [b.l1, b.l2, b.l3, b.nc].into_iter().enumerate() {
            e[i] += v;
        }
    }
    // Months with nothing still get their (empty) slot.
    if let (Some(first), Some(last)) = (m.keys().next().cloned(), m.keys().last().cloned()) {
        let parse = |s: &str| -> Option<(i32, u32)> {
            Some((s.get(..4)?.parse().ok()?, s.get(5..7)?.parse().ok()?))
        };
        if let (Some((mut y, mut mo)), Some(end)) = (parse(&first), parse(&last)) {
            while (y, mo) < end {
                m.entry(format!("{y:04}-{mo:02}")).or_default();
                (y, mo) = if mo == 12 { (y + 1, 1) } else { (y, mo + 1) };
            }
        }
    }
    m
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn panel(svg: &mut String, x0: f64, title: &str, data: &BTreeMap<String, [u64; 4]>) {
    let (w, h, top, left) = (440.0, 290.0, 60.0, 50.0);
    let max = data
        .values()
        .map(|v| v.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    // A round axis maximum: 1, 2 or 5 times a power of ten.
    let mag = 10f64.powf(max.log10().floor());
    let axis = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|v| *v >= max)
        .unwrap_or(max);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="42" font-size="15" font-weight="bold">{}</text>"#,
        x0 + left,
        esc(title)
    );
    for i in 0..=4 {
        let v = axis * i as f64 / 4.0;
        let y = top + h - h * i as f64 / 4.0;
        let _ = writeln!(
            svg,
            r##"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#e5e7eb"/>"##,
            x0 + left,
            x0 + left + w
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>"#,
            x0 + left - 6.0,
            y + 4.0,
            v.round()
        );
    }
    let n = data.len().max(1) as f64;
    let slot = w / n;
    let bar = (slot * 0.7).min(40.0);
    for (i, (month, v)) in data.iter().enumerate() {
        let x = x0 + left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = top + h;
        for (k, count) in v.iter().enumerate() {
            let bh = h * *count as f64 / axis;
            y -= bh;
            if *count > 0 {
                let _ = writeln!(
                    svg,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{bh:.1}" fill="{}"><title>{} {}: {}</title></rect>"#,
                    COLOURS[k],
                    esc(month),
                    LABELS[k],
                    count
                );
            }
        }
        if data.len() <= 16 || i % 2 == 0 {
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{}" font-size="10" text-anchor="end" transform="rotate(-45 {:.1} {})">{}</text>"#,
                x + bar / 2.0,
                top + h + 14.0,
                x + bar / 2.0,
                top + h + 14.0,
                esc(month)
            );
        }
    }
    let _ = writeln!(
        svg,
        r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#111827"/>"##,
        x0 + left,
        top + h,
        x0 + left + w,
        top + h
    );
}

/// The chart as an SVG document.
pub fn monthly_svg(report: &Report, title: &str) -> String {
    let matches = by_month(report, |r| r.ident_matches);
    let removals = by_month(report, |r| r.removals);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="1040" height="440" viewBox="0 0 1040 440" font-family="sans-serif">"#
    );
    let _ = writeln!(svg, r#"<rect width="1040" height="440" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r##"<text x="20" y="16" font-size="12" fill="#374151">{}</text>"##,
        esc(title)
    );
    panel(
        &mut svg,
        0.0,
        "IDENT matches by month (level of charges)",
        &matches,
    );
    panel(
        &mut svg,
        520.0,
        "Removals by month (level of convictions)",
        &removals,
    );
    for (k, label) in LABELS.iter().enumerate() {
        let x = 60.0 + 130.0 * k as f64;
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="412" width="12" height="12" fill="{}"/>"#,
            COLOURS[k]
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="422" font-size="12">{label}</text>"#,
            x + 16.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use scomm_domain::stats::{Row, Summary};

    #[test]
    fn bars_stack_per_month_and_scale_to_the_axis() {
        let row = |month: &str, l1, nc| Row {
            month: month.into(),
            ident_matches: ByLevel {
                l1,
                l2: 0,
                l3: 0,
                nc,
            },
            removals: ByLevel {
                l1: 1,
                l2: 0,
                l3: 0,
                nc: 0,
            },
            ..Row::default()
        };
        let summary = Summary {
            removals: 0,
            removals_non_criminal_share: 0.0,
            removals_non_criminal_or_level3_share: 0.0,
            ice_book_ins: 0,
            us_citizens_share_of_ice_book_ins: 0.0,
            detainers_issued: 0,
            us_citizens_with_detainers: 0,
        };
        let report = Report {
            rows: vec![
                row("2010-10", 30, 10),
                row("2010-10", 10, 0),
                row("2011-01", 20, 0),
            ],
            total: Row::default(),
            summary,
        };
        let svg = monthly_svg(&report, "t <&>");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(
            svg.contains("2010-10 Level 1: 40"),
            "two rows of a month are summed"
        );
        assert!(svg.contains("2010-10 Non-criminal: 10"));
        assert!(
            svg.contains(">2010-12</text>"),
            "a month without rows still has its slot"
        );
        assert!(svg.contains("t &lt;&amp;&gt;"), "text is escaped");
        // Axis max for 50 is 50: a bar of 40 is 4/5 of the 290 px panel.
        assert!(
            svg.contains(r##"height="232.0" fill="#7f1d1d"><title>2010-10 Level 1: 40"##),
            "{svg}"
        );
    }
}

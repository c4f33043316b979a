//! Experiment: mates' filter ranks under several scoring variants, on an
//! index-only synthetic gallery. `filter_variants SUBJECTS MATED VARIANTS`
use scomm_ident::eval;
use scomm_ident::FingerPosition;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let subjects: u64 = args[1].parse()?;
    let mated: u64 = args[2].parse()?;
    let variants: Vec<u32> = args[3].split(',').map(|v| v.parse().unwrap()).collect();
    let two = [FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX];
    let t = std::time::Instant::now();
    let gallery = eval::synthetic_gallery_of(subjects, 1, &two, &|_| ())?;
    eprintln!("built in {:.1} s", t.elapsed().as_secs_f64());
    let step = (subjects / mated).max(1);
    let pens = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1];
    let mut ranks: Vec<Vec<Option<usize>>> = vec![Vec::new(); variants.len()];
    let n = mated.min(subjects);
    let only: Option<Vec<u64>> = args.get(4).map(|a| a.split(',').map(|v| v.parse().unwrap()).collect());
    let n = only.as_ref().map_or(n, |o| o.len() as u64);
    for k in 0..n {
        let s = only.as_ref().map_or(k * step, |o| o[k as usize]);
        let probe = eval::synthetic_probe(1, s, 1, &two);
        let r = gallery.filter_variant_ranks(&probe, s, &variants)?;
        for (v, x) in r.into_iter().enumerate() {
            ranks[v].push(x);
        }
        if (k + 1) % 500 == 0 {
            eprintln!("{} mates, {:.0} s", k + 1, t.elapsed().as_secs_f64());
        }
    }
    for (v, rs) in variants.iter().zip(&ranks) {
        let kept: Vec<String> = pens
            .iter()
            .map(|&p| {
                let k = ((p * subjects as f64).round() as usize).max(1);
                let c = rs.iter().filter(|r| r.is_some_and(|r| r < k)).count();
                format!("{:.2}", c as f64 * 100.0 / n as f64)
            })
            .collect();
        let missed: Vec<String> = rs
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.is_some_and(|r| r < (0.01 * subjects as f64) as usize))
            .map(|(k, r)| format!("{}:{}", k as u64 * step, r.map_or(-1, |r| r as i64)))
            .collect();
        println!("variant {v}: {}  misses@1% {}", kept.join(" "), missed.join(" "));
    }
    Ok(())
}

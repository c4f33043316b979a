use super::*;
use crate::triplets::entry;

type Hit = (u32, u32, u8, u8, f32);

fn probe(entries: &[u32]) -> Vec<ProbeTriplet> {
    entries
        .iter()
        .map(|&entry| ProbeTriplet {
            entry,
            x: 0.0,
            y: 0.0,
        })
        .collect()
}

fn hits(index: &TripletIndex, query: &[u32]) -> Vec<Hit> {
    let mut v = Vec::new();
    index.lookup(&probe(query), 7, 100, |r, q, rot, c, w| {
        v.push((r, q, rot, c, w))
    });
    v.sort_by(|a, b| {
        (a.0, a.1, a.2, a.3)
            .cmp(&(b.0, b.1, b.2, b.3))
            .then(a.4.total_cmp(&b.4))
    });
    v
}

#[test]
fn built_and_pending_keys_answer_alike() {
    let mut index = TripletIndex::default();
    index.add(0, 7, &[(entry(5, 10), 17), (entry(9, 0), 255)]);
    index.add(1, 7, &[(entry(9, 250), 0), (entry(4_000_000, 7), 3)]);
    index.add(2, 7, &[(entry(5, 20), 136)]);
    // Another position's record is never a hit, but counts for rarity.
    index.add(3, 2, &[(entry(9, 2), 1)]);
    let q = [entry(5, 12), entry(9, 2)];
    let pending = hits(&index, &q);
    index.build();
    assert_eq!(hits(&index, &q), pending);
    // The rotation each hit implies (query direction minus posting's),
    // the query triplet and the posting's cell.
    let geo: Vec<(u32, u32, u8, u8)> = pending.iter().map(|h| (h.0, h.1, h.2, h.3)).collect();
    assert_eq!(
        geo,
        vec![
            (0, 0, 2, 17),
            (0, 1, 2, 255),
            (1, 1, 8, 0),
            (2, 0, 248, 136)
        ]
    );
    index.add(4, 7, &[(entry(9, 1), 9)]);
    let mixed = hits(&index, &[entry(9, 1)]);
    assert_eq!(mixed.iter().map(|h| h.0).collect::<Vec<_>>(), vec![0, 1, 4]);
    // Rarer keys weigh more: key 9 is held by four records, key 5 by two.
    let w5 = hits(&index, &[entry(5, 0)])[0].4;
    assert!(w5 > mixed[0].4);
    let (start, keys, cells) = index.keys_by_record(5);
    assert_eq!(start, vec![0, 2, 4, 5, 6, 7]);
    assert_eq!(
        keys,
        vec![
            entry(5, 10),
            entry(9, 0),
            entry(9, 250),
            entry(4_000_000, 7),
            entry(5, 20),
            entry(9, 2),
            entry(9, 1)
        ]
    );
    assert_eq!(cells, vec![17, 255, 0, 3, 136, 1, 9]);
    let start: Vec<usize> = start.iter().map(|&s| s as usize).collect();
    let rebuilt = TripletIndex::from_record_keys(&start, &keys, &cells, &[7, 7, 7, 2, 7]);
    assert_eq!(hits(&rebuilt, &q), hits(&index, &q));
    // The table keeps each list grouped by position: a query at
    // position 2 finds record 3 alone.
    let mut at2 = Vec::new();
    index.lookup(&probe(&[entry(9, 2)]), 2, 100, |r, _, _, _, _| at2.push(r));
    assert_eq!(at2, vec![3]);
}

#[test]
fn hits_by_record_are_lookups_visits_grouped_by_record_in_order() {
    // Few keys, so that records share them many times over; some
    // records at another position, some keys still pending, one
    // key held by nearly every record (weight 0, no hits).
    let mut rng = crate::rng::Rng::new(3);
    let mut index = TripletIndex::default();
    let records = 400u32;
    let mut add = |index: &mut TripletIndex, r: u32| {
        let position = if r % 7 == 0 { 2 } else { 7 };
        let mut mine: Vec<(u32, u8)> = (0..12)
            .map(|_| {
                let k = (rng.next_u64() % 40) as u32;
                (entry(k, rng.next_u64() as u8), rng.next_u64() as u8)
            })
            .chain([(entry(99, 0), 0)])
            .collect();
        mine.sort_unstable();
        index.add(r, position, &mine);
    };
    for r in 0..300 {
        add(&mut index, r);
    }
    index.build();
    for r in 300..records {
        add(&mut index, r);
    }
    assert!(!index.pending.is_empty() && !index.postings.is_empty());
    let mut query: Vec<ProbeTriplet> = (0..60u32)
        .map(|i| ProbeTriplet {
            entry: entry(i % 45, (i * 37) as u8),
            x: 0.0,
            y: 0.0,
        })
        .chain([ProbeTriplet {
            entry: entry(99, 5),
            x: 0.0,
            y: 0.0,
        }])
        .collect();
    query.sort_unstable_by_key(|t| t.entry);
    for position in [7, 2, 5] {
        let mut visits = Vec::new();
        index.lookup(&query, position, records as usize, |r, q, rot, c, w| {
            visits.push((r, q, rot, c, w))
        });
        // A stable sort by record: each record's hits in visit order.
        visits.sort_by_key(|v| v.0);
        let found = index.hits_by_record(&query, position, records as usize);
        assert_eq!(found.end.len(), index.records_at(position).len());
        let mut packed = Vec::new();
        for (r, hits) in found.each() {
            for &h in hits {
                let q = h >> 16;
                let w = found.weights[q as usize];
                packed.push((r, q, (h >> 8) as u8, h as u8, w));
            }
        }
        assert_eq!(packed, visits, "position {position}");
        assert!(position == 5 || visits.len() > 500, "{}", visits.len());
    }
}

#[test]
fn a_large_index_is_built_by_the_counting_sort_with_its_cells() {
    // Past the pending floor, loading takes the threaded counting sort
    // (`table`): its postings must carry the same cells as the
    // pending path's.
    let records = 3_000usize;
    let mut start = vec![0usize];
    let (mut keys, mut cells) = (Vec::new(), Vec::new());
    for r in 0..records {
        let mut mine: Vec<(u32, u8)> = (0..100u32)
            .map(|i| {
                let k = (r as u32 * 7919 + i * 104_729) % (1 << KEY_BITS);
                (entry(k, (r % 256) as u8), ((r + i as usize) % 256) as u8)
            })
            .collect();
        mine.sort_unstable();
        keys.extend(mine.iter().map(|m| m.0));
        cells.extend(mine.iter().map(|m| m.1));
        start.push(keys.len());
    }
    assert!(keys.len() > PENDING_FLOOR);
    let positions = vec![7u8; records];
    let index = TripletIndex::from_record_keys(&start, &keys, &cells, &positions);
    assert!(index.pending.is_empty());
    let (s2, k2, c2) = index.keys_by_record(records);
    assert_eq!(s2.iter().map(|&s| s as usize).collect::<Vec<_>>(), start);
    assert_eq!((k2, c2), (keys, cells));
}

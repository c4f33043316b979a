//! Stage 7a: the skeleton as a graph. Nodes are ridge ends (crossing
//! number 1) and junctions (crossing number 3 or more, adjacent junction
//! pixels merged); edges are the ridge lines traced between them.

use super::grid::Grid;
use super::skeleton::{crossing_number, neighbourhood, RING};

#[derive(Clone, Debug)]
pub struct Node {
    pub x: f32,
    pub y: f32,
    pub pixels: Vec<(u16, u16)>,
    pub removed: bool,
}

#[derive(Clone, Debug)]
pub struct Ridge {
    pub from: usize,
    pub to: usize,
    /// Pixels strictly between the two nodes, from `from` towards `to`.
    pub path: Vec<(u16, u16)>,
    pub removed: bool,
}

impl Ridge {
    pub fn length(&self) -> usize {
        self.path.len() + 1
    }

    /// Points of the ridge as seen leaving `node` (which must be an end).
    pub fn points_from(&self, node: usize) -> Vec<(u16, u16)> {
        if node == self.from {
            self.path.clone()
        } else {
            self.path.iter().rev().cloned().collect()
        }
    }

    pub fn other(&self, node: usize) -> usize {
        if node == self.from {
            self.to
        } else {
            self.from
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct SkeletonGraph {
    pub nodes: Vec<Node>,
    pub ridges: Vec<Ridge>,
}

/// Ridges longer than this are cut (protects against pathological loops).
const MAX_TRACE: usize = 4000;

impl SkeletonGraph {
    pub fn build(skeleton: &Grid<bool>) -> Self {
        let (w, h) = (skeleton.width, skeleton.height);
        let mut is_node = Grid::filled(w, h, false);
        for y in 0..h {
            for x in 0..w {
                if skeleton.get(x, y) {
                    let cn = crossing_number(neighbourhood(skeleton, x, y));
                    if cn != 2 {
                        is_node.set(x, y, true);
                    }
                }
            }
        }
        // 8-connected clusters of node pixels become one node each.
        let mut node_of = Grid::filled(w, h, u32::MAX);
        let mut nodes = Vec::new();
        for start in 0..w * h {
            if !is_node.data[start] || node_of.data[start] != u32::MAX {
                continue;
            }
            let id = nodes.len() as u32;
            let mut pixels = Vec::new();
            let mut stack = vec![start];
            node_of.data[start] = id;
            while let Some(i) = stack.pop() {
                let (x, y) = (i % w, i / w);
                pixels.push((x as u16, y as u16));
                for (dx, dy) in RING {
                    let (nx, ny) = (x as isize + dx, y as isize + dy);
                    if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                        continue;
                    }
                    let j = ny as usize * w + nx as usize;
                    if is_node.data[j] && node_of.data[j] == u32::MAX {
                        node_of.data[j] = id;
                        stack.push(j);
                    }
                }
            }
            let n = pixels.len() as f32;
            let x = pixels.iter().map(|p| p.0 as f32).sum::<f32>() / n;
            let y = pixels.iter().map(|p| p.1 as f32).sum::<f32>() / n;
            nodes.push(Node {
                x,
                y,
                pixels,
                removed: false,
            });
        }
        let mut visited = Grid::filled(w, h, false);
        let mut ridges = Vec::new();
        let mut direct = std::collections::HashSet::new();
        for (id, node) in nodes.iter().enumerate() {
            for &(px, py) in &node.pixels {
                for (dx, dy) in RING {
                    let (nx, ny) = (px as isize + dx, py as isize + dy);
                    if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                        continue;
                    }
                    let (nx, ny) = (nx as usize, ny as usize);
                    if !skeleton.get(nx, ny) {
                        continue;
                    }
                    let other = node_of.get(nx, ny);
                    if other != u32::MAX {
                        let other = other as usize;
                        if other != id && direct.insert((id.min(other), id.max(other))) {
                            ridges.push(Ridge {
                                from: id,
                                to: other,
                                path: Vec::new(),
                                removed: false,
                            });
                        }
                        continue;
                    }
                    if visited.get(nx, ny) {
                        continue;
                    }
                    if let Some(ridge) = trace(
                        skeleton,
                        &node_of,
                        &mut visited,
                        id,
                        (px as usize, py as usize),
                        (nx, ny),
                    ) {
                        ridges.push(ridge);
                    }
                }
            }
        }
        SkeletonGraph { nodes, ridges }
    }

    /// Number of live ridge ends at each node (a loop counts twice).
    pub fn degrees(&self) -> Vec<usize> {
        let mut d = vec![0; self.nodes.len()];
        for r in self.ridges.iter().filter(|r| !r.removed) {
            d[r.from] += 1;
            d[r.to] += 1;
        }
        d
    }
}

fn trace(
    skeleton: &Grid<bool>,
    node_of: &Grid<u32>,
    visited: &mut Grid<bool>,
    from: usize,
    start: (usize, usize),
    first: (usize, usize),
) -> Option<Ridge> {
    let (w, h) = (skeleton.width as isize, skeleton.height as isize);
    let mut path = vec![(first.0 as u16, first.1 as u16)];
    visited.set(first.0, first.1, true);
    let mut prev = start;
    let mut cur = first;
    while path.len() < MAX_TRACE {
        // Prefer stepping onto a node, then 4-neighbours, then diagonals.
        let mut next: Option<(usize, usize, u8)> = None;
        for (k, (dx, dy)) in RING.iter().enumerate() {
            let (nx, ny) = (cur.0 as isize + dx, cur.1 as isize + dy);
            if nx < 0 || ny < 0 || nx >= w || ny >= h {
                continue;
            }
            let (nx, ny) = (nx as usize, ny as usize);
            if (nx, ny) == prev || !skeleton.get(nx, ny) {
                continue;
            }
            let node = node_of.get(nx, ny);
            let rank = if node != u32::MAX {
                // Do not step straight back into the start node.
                if node as usize == from && path.len() < 3 {
                    continue;
                }
                0
            } else if visited.get(nx, ny) {
                continue;
            } else if k % 2 == 0 {
                1
            } else {
                2
            };
            if next.is_none_or(|n| rank < n.2) {
                next = Some((nx, ny, rank));
            }
        }
        let (nx, ny, rank) = next?;
        if rank == 0 {
            return Some(Ridge {
                from,
                to: node_of.get(nx, ny) as usize,
                path,
                removed: false,
            });
        }
        visited.set(nx, ny, true);
        path.push((nx as u16, ny as u16));
        prev = cur;
        cur = (nx, ny);
    }
    None
}

//! The two subband trees of WSQ: the 20-node wavelet decomposition tree and the 64-subband
//! quantisation tree, both derived from the image size only (FBI WSQ spec, NBIS `tree.c`).

/// One wavelet split: a rectangle and whether its rows/columns are spectrally inverted.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WNode {
    pub x: i32,
    pub y: i32,
    pub lenx: i32,
    pub leny: i32,
    pub inv_rw: bool,
    pub inv_cl: bool,
}

/// One quantised subband rectangle.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct QNode {
    pub x: i32,
    pub y: i32,
    pub lenx: i32,
    pub leny: i32,
}

pub(crate) const W_TREE_LEN: usize = 20;
pub(crate) const Q_TREE_LEN: usize = 64;

/// Halve a length: (larger, smaller) halves; an odd length gives the extra sample to the
/// first half unless `second_gets_extra`.
fn split(len: i32, second_gets_extra: bool) -> (i32, i32) {
    if len % 2 == 0 {
        (len / 2, len / 2)
    } else if second_gets_extra {
        ((len - 1) / 2, (len - 1) / 2 + 1)
    } else {
        ((len + 1) / 2, (len + 1) / 2 - 1)
    }
}

/// Split one rectangle into four children at w[p2..p2+4] (node p1 holds the parent).
#[allow(clippy::too_many_arguments)]
fn w_tree4(
    w: &mut [WNode; W_TREE_LEN],
    p1: usize,
    p2: usize,
    lenx: i32,
    leny: i32,
    x: i32,
    y: i32,
    stop1: bool,
) {
    w[p1].x = x;
    w[p1].y = y;
    w[p1].lenx = lenx;
    w[p1].leny = leny;
    w[p2].x = x;
    w[p2 + 2].x = x;
    w[p2].y = y;
    w[p2 + 1].y = y;
    let (ax, bx) = split(lenx, p1 == 4);
    w[p2].lenx = ax;
    w[p2 + 1].lenx = bx;
    w[p2 + 1].x = ax + x;
    if !stop1 {
        w[p2 + 3].lenx = bx;
        w[p2 + 3].x = w[p2 + 1].x;
    }
    w[p2 + 2].lenx = ax;
    let (ay, by) = split(leny, p1 == 5);
    w[p2].leny = ay;
    w[p2 + 2].leny = by;
    w[p2 + 2].y = ay + y;
    if !stop1 {
        w[p2 + 3].leny = by;
        w[p2 + 3].y = w[p2 + 2].y;
    }
    w[p2 + 1].leny = ay;
}

/// The wavelet tree for an image.
pub(crate) fn build_w_tree(width: i32, height: i32) -> [WNode; W_TREE_LEN] {
    let mut w = [WNode::default(); W_TREE_LEN];
    for n in [2, 4, 7, 9, 11, 13, 16, 18] {
        w[n].inv_rw = true;
    }
    for n in [3, 5, 8, 9, 12, 13, 17, 18] {
        w[n].inv_cl = true;
    }
    w_tree4(&mut w, 0, 1, width, height, 0, 0, true);
    let (lenx, lenx2) = split(w[1].lenx, false);
    let (leny, leny2) = split(w[1].leny, false);
    w_tree4(&mut w, 4, 6, lenx2, leny, lenx, 0, false);
    w_tree4(&mut w, 5, 10, lenx, leny2, 0, leny, false);
    w_tree4(&mut w, 14, 15, lenx, leny, 0, 0, false);
    w[19].x = 0;
    w[19].y = 0;
    w[19].lenx = split(w[15].lenx, false).0;
    w[19].leny = split(w[15].leny, false).0;
    w
}

/// Four subbands at q[p..p+4] from one rectangle.
fn q_tree4(q: &mut [QNode; Q_TREE_LEN], p: usize, lenx: i32, leny: i32, x: i32, y: i32) {
    let (ax, bx) = split(lenx, false);
    let (ay, by) = split(leny, false);
    q[p] = QNode {
        x,
        y,
        lenx: ax,
        leny: ay,
    };
    q[p + 1] = QNode {
        x: x + ax,
        y,
        lenx: bx,
        leny: ay,
    };
    q[p + 2] = QNode {
        x,
        y: y + ay,
        lenx: ax,
        leny: by,
    };
    q[p + 3] = QNode {
        x: x + ax,
        y: y + ay,
        lenx: bx,
        leny: by,
    };
}

/// Sixteen subbands at q[p..p+16]: the rectangle is split in four (inverted halves put the
/// extra sample second), each quarter in four again.
#[allow(clippy::too_many_arguments)]
fn q_tree16(
    q: &mut [QNode; Q_TREE_LEN],
    p: usize,
    lenx: i32,
    leny: i32,
    x: i32,
    y: i32,
    rw: bool,
    cl: bool,
) {
    let (tempx, temp2x) = if lenx % 2 == 0 {
        (lenx / 2, lenx / 2)
    } else if cl {
        ((lenx + 1) / 2 - 1, (lenx + 1) / 2)
    } else {
        ((lenx + 1) / 2, (lenx + 1) / 2 - 1)
    };
    let (tempy, temp2y) = if leny % 2 == 0 {
        (leny / 2, leny / 2)
    } else if rw {
        ((leny + 1) / 2 - 1, (leny + 1) / 2)
    } else {
        ((leny + 1) / 2, (leny + 1) / 2 - 1)
    };
    // Top-left quarter: first half gets the extra sample.
    let (a0x, a1x) = split(tempx, false);
    let (a0y, a2y) = split(tempy, false);
    q[p] = QNode {
        x,
        y,
        lenx: a0x,
        leny: a0y,
    };
    q[p + 1] = QNode {
        x: x + a0x,
        y,
        lenx: a1x,
        leny: a0y,
    };
    q[p + 2] = QNode {
        x,
        y: y + a0y,
        lenx: a0x,
        leny: a2y,
    };
    q[p + 3] = QNode {
        x: x + a0x,
        y: y + a0y,
        lenx: a1x,
        leny: a2y,
    };
    // Top-right quarter: second half gets the extra sample in x.
    let (b4x, b5x) = split(temp2x, true);
    let x4 = x + tempx;
    q[p + 4] = QNode {
        x: x4,
        y,
        lenx: b4x,
        leny: a0y,
    };
    q[p + 5] = QNode {
        x: x4 + b4x,
        y,
        lenx: b5x,
        leny: a0y,
    };
    q[p + 6] = QNode {
        x: x4,
        y: y + a0y,
        lenx: b4x,
        leny: a2y,
    };
    q[p + 7] = QNode {
        x: x4 + b4x,
        y: y + a0y,
        lenx: b5x,
        leny: a2y,
    };
    // Bottom-left quarter: second half gets the extra sample in y.
    let (c8y, c10y) = split(temp2y, true);
    let y8 = y + tempy;
    q[p + 8] = QNode {
        x,
        y: y8,
        lenx: a0x,
        leny: c8y,
    };
    q[p + 9] = QNode {
        x: x + a0x,
        y: y8,
        lenx: a1x,
        leny: c8y,
    };
    q[p + 10] = QNode {
        x,
        y: y8 + c8y,
        lenx: a0x,
        leny: c10y,
    };
    q[p + 11] = QNode {
        x: x + a0x,
        y: y8 + c8y,
        lenx: a1x,
        leny: c10y,
    };
    // Bottom-right quarter.
    q[p + 12] = QNode {
        x: x4,
        y: y8,
        lenx: b4x,
        leny: c8y,
    };
    q[p + 13] = QNode {
        x: x4 + b4x,
        y: y8,
        lenx: b5x,
        leny: c8y,
    };
    q[p + 14] = QNode {
        x: x4,
        y: y8 + c8y,
        lenx: b4x,
        leny: c10y,
    };
    q[p + 15] = QNode {
        x: x4 + b4x,
        y: y8 + c8y,
        lenx: b5x,
        leny: c10y,
    };
}

/// The quantisation tree (subbands 0-59 carry data; 60-63 are always empty).
pub(crate) fn build_q_tree(w: &[WNode; W_TREE_LEN]) -> [QNode; Q_TREE_LEN] {
    let mut q = [QNode::default(); Q_TREE_LEN];
    q_tree16(
        &mut q, 3, w[14].lenx, w[14].leny, w[14].x, w[14].y, false, false,
    );
    q_tree16(
        &mut q, 19, w[4].lenx, w[4].leny, w[4].x, w[4].y, false, true,
    );
    q_tree16(
        &mut q, 48, w[0].lenx, w[0].leny, w[0].x, w[0].y, false, false,
    );
    q_tree16(
        &mut q, 35, w[5].lenx, w[5].leny, w[5].x, w[5].y, true, false,
    );
    q_tree4(&mut q, 0, w[19].lenx, w[19].leny, w[19].x, w[19].y);
    q
}

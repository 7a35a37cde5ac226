//! A small bitmap over the bounding box of one component, with a one-cell margin,
//! shared by hole filling and outline tracing.

use crate::{Cell, Connectivity};

pub(crate) struct Raster {
    /// Global cell of the raster's (0, 0), margin included.
    pub x0: i32,
    pub y0: i32,
    pub w: usize,
    pub h: usize,
    pub data: Vec<u8>,
}

pub(crate) const MEMBER: u8 = 1;

impl Raster {
    pub fn from_cells(cells: &[Cell]) -> Raster {
        let (mut xmin, mut ymin, mut xmax, mut ymax) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
        for c in cells {
            xmin = xmin.min(c.x);
            ymin = ymin.min(c.y);
            xmax = xmax.max(c.x);
            ymax = ymax.max(c.y);
        }
        if cells.is_empty() {
            (xmin, ymin, xmax, ymax) = (0, 0, -1, -1);
        }
        let (x0, y0) = (xmin - 1, ymin - 1);
        let w = (xmax - xmin + 3) as usize;
        let h = (ymax - ymin + 3) as usize;
        let mut r = Raster { x0, y0, w, h, data: vec![0; w * h] };
        for c in cells {
            let i = r.idx((c.x - x0) as usize, (c.y - y0) as usize);
            r.data[i] = MEMBER;
        }
        r
    }

    pub fn idx(&self, x: usize, y: usize) -> usize {
        y * self.w + x
    }

    pub fn is(&self, x: i64, y: i64, value: u8) -> bool {
        x >= 0
            && y >= 0
            && (x as usize) < self.w
            && (y as usize) < self.h
            && self.data[self.idx(x as usize, y as usize)] == value
    }

    pub fn global(&self, x: usize, y: usize) -> Cell {
        Cell::new(self.x0 + x as i32, self.y0 + y as i32)
    }

    /// Flood-fills from `start` over cells equal to `from`, writing `to`; returns the
    /// cells visited.
    pub fn flood(
        &mut self,
        start: (usize, usize),
        from: u8,
        to: u8,
        conn: Connectivity,
    ) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        if self.data[self.idx(start.0, start.1)] != from {
            return out;
        }
        let mut stack = vec![start];
        let i = self.idx(start.0, start.1);
        self.data[i] = to;
        while let Some((x, y)) = stack.pop() {
            out.push((x, y));
            for (dx, dy) in conn.offsets() {
                let (nx, ny) = (x as i64 + *dx as i64, y as i64 + *dy as i64);
                if self.is(nx, ny, from) {
                    let j = self.idx(nx as usize, ny as usize);
                    self.data[j] = to;
                    stack.push((nx as usize, ny as usize));
                }
            }
        }
        out
    }
}

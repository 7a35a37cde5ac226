//! `GET /api/squares?bbox=…`: the squares in view, with their figures and the perimeter
//! holding each, so that the page never loads a national grid whole.

use super::session::Session;
use super::state::SQUARE_LIMIT;
use anyhow::Result;
use qpv_core::SquareId;
use qpv_layers::crs::Transformer;
use serde_json::{Value, json};

/// For each square, the index of the perimeter holding it (`u32::MAX`: none).
pub fn owners(s: &Session) -> Vec<u32> {
    let mut owner = vec![u32::MAX; s.a.file.grid.len()];
    for (k, (p, _)) in s.current.lattice.iter().enumerate() {
        for &i in &p.squares {
            owner[i as usize] = k as u32;
        }
    }
    owner
}

/// The squares whose centre lies in `bbox` (lon/lat), at most [`SQUARE_LIMIT`].
pub fn squares(
    s: &Session,
    bbox: [f64; 4],
    owner: &[u32],
    from_wgs84: &Transformer,
    to_wgs84: &Transformer,
) -> Result<Value> {
    let grid = &s.a.file.grid;
    let Some(frame) = grid.frame() else { return Ok(json!({ "count": 0, "squares": [] })) };
    let size = frame.square_size as f64;
    // The box's outline, projected: its envelope in the grid's CRS holds every square
    // whose centre is in the box (the sides are sampled, since they curve).
    let [x0, y0, x1, y1] = bbox;
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for k in 0..=8 {
        let t = k as f64 / 8.0;
        for (lon, lat) in [
            (x0 + t * (x1 - x0), y0),
            (x0 + t * (x1 - x0), y1),
            (x0, y0 + t * (y1 - y0)),
            (x1, y0 + t * (y1 - y0)),
        ] {
            let (x, y) = from_wgs84.point(lon, lat)?;
            lo = [lo[0].min(x), lo[1].min(y)];
            hi = [hi[0].max(x), hi[1].max(y)];
        }
    }
    let inside: Vec<usize> = grid
        .cells()
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            let (x, y) = ((c.x as f64 + 0.5) * size, (c.y as f64 + 0.5) * size);
            x >= lo[0] && x <= hi[0] && y >= lo[1] && y <= hi[1]
        })
        .map(|(i, _)| i)
        .collect();
    let fits = s.a.fits();
    if inside.len() > SQUARE_LIMIT {
        let (block, blocks) = blocks(s, &inside, fits, to_wgs84)?;
        return Ok(json!({
            "count": inside.len(), "too_many": true, "limit": SQUARE_LIMIT, "squares": [],
            "block_m": block, "blocks": blocks,
        }));
    }
    let flagged = &s.a.output.flagged.flagged;
    let mut list = Vec::with_capacity(inside.len());
    for i in inside {
        let c = grid.cells()[i];
        let v = &grid.values()[i];
        let (x, y) = (c.x as f64 * size, c.y as f64 * size);
        let mut ring = Vec::with_capacity(4);
        for (dx, dy) in [(0.0, 0.0), (size, 0.0), (size, size), (0.0, size)] {
            let (lon, lat) = to_wgs84.point(x + dx, y + dy)?;
            ring.push(json!([round7(lon), round7(lat)]));
        }
        let owner = owner.get(i).copied().filter(|k| *k != u32::MAX);
        list.push(json!({
            "id": SquareId::of_cell(c, frame.epsg, frame.square_size).to_string(),
            "ring": ring,
            "inhabitants": v.individuals,
            "households": v.households,
            "poor_share": if v.households > 0.0 { json!(v.poor_households / v.households) } else { Value::Null },
            "median": fits[i].map(|f| f.median().round()),
            "flagged": flagged.binary_search(&(i as u32)).is_ok(),
            "perimeter": owner.map(|k| s.current.lattice[k as usize].0.id.clone()),
        }));
    }
    Ok(json!({ "count": list.len(), "squares": list }))
}

/// Most blocks answered for a view with too many squares.
const BLOCK_LIMIT: usize = 20_000;

/// The squares of a view too large to send square by square, summed into blocks of k × k
/// squares (k a power of two, the smallest giving at most [`BLOCK_LIMIT`] blocks), so that
/// a département or the country reads at once. A block's colour is the inhabitant-weighted
/// mean of its squares' estimated medians: a picture, not a pooled median (zoom in for
/// the squares).
fn blocks(
    s: &Session,
    inside: &[usize],
    fits: &[Option<qpv_core::LogNormal>],
    to_wgs84: &Transformer,
) -> Result<(u32, Vec<Value>)> {
    let grid = &s.a.file.grid;
    let size = grid.frame().map_or(200, |f| f.square_size);
    let mut k = 2i32;
    let sums = loop {
        // (inhabitants, inhabitants with a median, their median × inhabitants)
        let mut sums: rustc_hash::FxHashMap<(i32, i32), [f64; 3]> = rustc_hash::FxHashMap::default();
        for &i in inside {
            let c = grid.cells()[i];
            let v = grid.values()[i].individuals;
            let e = sums.entry((c.x.div_euclid(k), c.y.div_euclid(k))).or_default();
            e[0] += v;
            if let Some(f) = fits[i] {
                e[1] += v;
                e[2] += v * f.median();
            }
        }
        if sums.len() <= BLOCK_LIMIT || k >= 1 << 12 {
            break sums;
        }
        k *= 2;
    };
    let side = f64::from(k) * f64::from(size);
    let mut list = Vec::with_capacity(sums.len());
    let mut keys: Vec<_> = sums.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let [people, weighed, sum] = sums[&key];
        let (x, y) = (f64::from(key.0) * side, f64::from(key.1) * side);
        let mut ring = Vec::with_capacity(4);
        for (dx, dy) in [(0.0, 0.0), (side, 0.0), (side, side), (0.0, side)] {
            let (lon, lat) = to_wgs84.point(x + dx, y + dy)?;
            ring.push(json!([round7(lon), round7(lat)]));
        }
        let median = (weighed > 0.0).then(|| (sum / weighed).round());
        list.push(json!({ "ring": ring, "inhabitants": people.round(), "median": median }));
    }
    Ok((k as u32 * size, list))
}

fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

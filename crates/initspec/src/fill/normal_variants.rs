//! Timing experiment (issue 16, item 4): can a cheaper transform bring the single-precision
//! normal kernel to ≥ 65 % of the uniform kernel's speed? Not part of the library: an
//! ignored test that times, per element, on the same Philox words of an L1-resident run of
//! tiles (so that memory does not hide the arithmetic):
//!
//! - `philox`: the words alone, converted to float (the floor under every kernel);
//! - `uniform`, `normal`: the shipped kernels ([`super::single`]);
//! - `normal_fdlibm_log`: Box–Muller with fdlibm's `logf` (one division and a degree-4
//!   polynomial in s²) instead of Cephes' degree-8 polynomial;
//! - `ziggurat_fast_path`: Marsaglia and Tsang's 128-layer ziggurat, only its fast path (one
//!   table lookup pair per element, rejected elements written as 0). It is an upper bound on
//!   any ziggurat: a complete one must add the rare slow path with reserved counters;
//! - `ziggurat_no_lookup`: the same with both tables replaced by constants, the floor of a
//!   ziggurat whose lookups were free;
//! - `ziggurat_permute_fast_path` (AVX-512 only): the fast path with the 128-entry tables
//!   held in registers and read by `vpermt2ps`/`vpermt2d` (four 32-entry lookups and three
//!   blends per table) instead of gathers. This needs `std::arch` intrinsics, hence the
//!   `unsafe` below: test code only, the library's one `unsafe` module stays `dispatch`;
//! - `ziggurat_permute_complete` (AVX-512 only): the whole sampler, that fast path and then,
//!   for each rejected element, the slow path ([`ziggurat_slow`]) on Philox counters reserved
//!   for that element. The test also prints its mean, variance and tail share, to show it is
//!   a normal sampler and not only a timing loop.
//!
//! Run with the instruction set of the machine, as the dispatched kernels run:
//!
//! ```text
//! RUSTFLAGS='-C target-cpu=native' cargo test --release -p initspec --lib \
//!     normal_variants -- --ignored --nocapture
//! ```
//!
//! The results and the decision are in docs/PERFORMANCE.md, "Cheaper normals: what was tried".

use super::math::{cos_sin_word_f32, ln_f32};
use super::single::{BLOCKS, Normal, TILE, Uniform, WordsKernel, interleave, tile_words};
use std::hint::black_box;
use std::time::Instant;

/// 2⁻³¹ and 2⁻³², as in the shipped kernel.
const TWO_M31: f32 = 1.0 / 2_147_483_648.0;
const TWO_M32: f32 = 1.0 / 4_294_967_296.0;

/// fdlibm/musl `logf` for a positive normal `x` (e_logf.c, Lg1–Lg4; the constants are quoted
/// as published).
#[inline(always)]
#[allow(clippy::excessive_precision)]
fn ln_fdlibm(x: f32) -> f32 {
    const LN2_HI: f32 = 6.931_381_225_6e-1;
    const LN2_LO: f32 = 9.058_000_614_5e-6;
    const LG1: f32 = 0.666_666_626_93;
    const LG2: f32 = 0.400_009_721_52;
    const LG3: f32 = 0.284_987_866_88;
    const LG4: f32 = 0.242_790_788_41;
    let mut ix = x.to_bits();
    ix = ix.wrapping_add(0x3f80_0000 - 0x3f35_04f3);
    let k = (ix >> 23) as i32 - 0x7f;
    ix = (ix & 0x007f_ffff) + 0x3f35_04f3;
    let f = f32::from_bits(ix) - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * LG4);
    let t2 = z * (LG1 + w * LG3);
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    let dk = k as f32;
    s * (hfsq + r) + dk * LN2_LO - hfsq + f + dk * LN2_HI
}

/// Box–Muller as the shipped kernel, with `ln` as given.
#[inline(always)]
fn box_muller_with(ln: impl Fn(f32) -> f32, w0: u32, w1: u32) -> (f32, f32) {
    let u1 = (w0 >> 1) as i32 as f32 * TWO_M31 + TWO_M32;
    let r = (-2.0 * ln(u1)).max(0.0).sqrt();
    let (c, s) = cos_sin_word_f32(w1);
    (r * c, r * s)
}

/// The 128-layer ziggurat tables for N(0, 1) (Marsaglia and Tsang 2000, `zigset`):
/// `k[i]` the acceptance bound on |hz|, `w[i]` the scale of layer i, for hz a signed 32-bit
/// word, and `f[i]` = exp(−x_i²/2) at the layer's edge (for the wedge test).
fn ziggurat_tables() -> ([u32; 128], [f32; 128], [f32; 128]) {
    let m1 = 2_147_483_648.0f64;
    let mut dn = 3.442_619_855_899f64;
    let mut tn = dn;
    let vn = 9.912_563_035_262_17e-3f64;
    let q = vn / (-0.5 * dn * dn).exp();
    let mut k = [0u32; 128];
    let mut w = [0f32; 128];
    let mut f = [0f32; 128];
    f[0] = 1.0;
    f[127] = (-0.5 * dn * dn).exp() as f32;
    k[0] = (dn / q * m1) as u32;
    k[1] = 0;
    w[0] = (q / m1) as f32;
    w[127] = (dn / m1) as f32;
    for i in (1..=126).rev() {
        dn = (-2.0 * (vn / dn + (-0.5 * dn * dn).exp()).ln()).sqrt();
        k[i + 1] = (dn / tn * m1) as u32;
        tn = dn;
        f[i] = (-0.5 * dn * dn).exp() as f32;
        w[i] = (dn / m1) as f32;
    }
    (k, w, f)
}

/// The ziggurat's slow path for one element whose fast path rejected `(hz, iz)` (Marsaglia
/// and Tsang's `nfix`): the wedge test, or Marsaglia's tail method beyond r for layer 0, and
/// on rejection a fresh attempt, every random word taken from a Philox stream of its own
/// (a second key; the counter holds `tag`, which names the element, and the attempt), so
/// the value still depends only on the element. Uses the platform `exp`/`ln`: a shipped
/// kernel would need branch-free ones of the same cost.
fn ziggurat_slow(tables: &ZigguratTables, tag: [u32; 2], mut hz: i32, mut iz: usize) -> f32 {
    const R: f32 = 3.442_62;
    let key = [0x9e37_79b9, 0x7f4a_7c15];
    let (k, w, f) = tables;
    for attempt in 0u32.. {
        let words = crate::philox::philox4x32_10([tag[0], tag[1], attempt, 0x7a16_0000], key);
        let unit = |v: u32| ((v >> 8) as f32 + 0.5) * (1.0 / 16_777_216.0);
        if iz == 0 {
            let x = -unit(words[0]).ln() / R;
            let y = -unit(words[1]).ln();
            if y + y >= x * x {
                return if hz > 0 { R + x } else { -R - x };
            }
        } else {
            let x = hz as f32 * w[iz];
            if f[iz] + unit(words[0]) * (f[iz - 1] - f[iz]) < (-0.5 * x * x).exp() {
                return x;
            }
        }
        hz = words[2] as i32;
        iz = (words[2] & 127) as usize;
        if hz.unsigned_abs() < k[iz] {
            return hz as f32 * w[iz];
        }
    }
    unreachable!("2³² attempts")
}

/// The tables of [`ziggurat_tables`].
type ZigguratTables = ([u32; 128], [f32; 128], [f32; 128]);

/// One variant: maps a tile's words to its elements.
type Variant<'a> = Box<dyn Fn(&[[u32; BLOCKS]; 4], &mut [f32; TILE]) + 'a>;

#[test]
#[ignore = "a timing experiment, not a test: run by hand (module docs)"]
fn normal_variants() {
    let key = [0x1234_5678, 0x9abc_def0];
    let normal = Normal {
        key,
        mean: 0.0,
        std: 1.0,
    };
    let uniform = Uniform {
        key,
        a: -1.0,
        width: 2.0,
        below_b: 1.0f32.next_down(),
        stream: false,
    };
    let tables = ziggurat_tables();
    let (zk, zw, _) = tables;
    let variants: Vec<(&str, Variant)> = vec![
        (
            "philox",
            Box::new(|words, out| {
                for j in 0..BLOCKS {
                    for k in 0..4 {
                        out[4 * j + k] = words[k][j] as f32;
                    }
                }
            }),
        ),
        (
            "uniform",
            Box::new(|words, out| uniform.words_to_tile(words, out)),
        ),
        (
            "normal",
            Box::new(|words, out| normal.words_to_tile(words, out)),
        ),
        (
            "normal_fdlibm_log",
            Box::new(|words, out| {
                let mut v = [[0f32; BLOCKS]; 4];
                for j in 0..BLOCKS {
                    let (z0, z1) = box_muller_with(ln_fdlibm, words[0][j], words[1][j]);
                    let (z2, z3) = box_muller_with(ln_fdlibm, words[2][j], words[3][j]);
                    v[0][j] = normal.mean + normal.std * z0;
                    v[1][j] = normal.mean + normal.std * z1;
                    v[2][j] = normal.mean + normal.std * z2;
                    v[3][j] = normal.mean + normal.std * z3;
                }
                interleave(&v, out);
            }),
        ),
        (
            "ziggurat_fast_path",
            Box::new(|words, out| {
                let mut v = [[0f32; BLOCKS]; 4];
                for k in 0..4 {
                    for j in 0..BLOCKS {
                        let hz = words[k][j] as i32;
                        let iz = (words[k][j] & 127) as usize;
                        let x = hz as f32 * zw[iz];
                        v[k][j] = if hz.unsigned_abs() < zk[iz] { x } else { 0.0 };
                    }
                }
                interleave(&v, out);
            }),
        ),
        (
            "ziggurat_no_lookup",
            Box::new(|words, out| {
                let mut v = [[0f32; BLOCKS]; 4];
                for k in 0..4 {
                    for j in 0..BLOCKS {
                        let hz = words[k][j] as i32;
                        let x = hz as f32 * zw[5];
                        v[k][j] = if hz.unsigned_abs() < zk[5] { x } else { 0.0 };
                    }
                }
                interleave(&v, out);
            }),
        ),
    ];
    #[cfg(target_arch = "x86_64")]
    let variants = {
        let mut variants = variants;
        if std::arch::is_x86_feature_detected!("avx512f") {
            variants.push((
                "ziggurat_permute_fast_path",
                Box::new(move |words, out| permute::ziggurat_fast_path(&zk, &zw, words, out)),
            ));
            // The whole sampler: the fast path, then the slow path for each rejected element
            // (a 0 written for a nonzero word), one element at a time.
            variants.push((
                "ziggurat_permute_complete",
                Box::new(move |words, out| {
                    permute::ziggurat_fast_path(&zk, &zw, words, out);
                    for (i, value) in out.iter_mut().enumerate() {
                        let word = words[i % 4][i / 4];
                        if *value == 0.0 && word != 0 {
                            let (hz, iz) = (word as i32, (word & 127) as usize);
                            *value = ziggurat_slow(&tables, [i as u32, word], hz, iz);
                        }
                    }
                }),
            ));
        }
        variants
    };
    // The fdlibm logarithm against f64 (u₁ as the kernel forms it): its error in ulp.
    let (mut worst, mut worst_cephes) = ((0f64, 0f32), (0f64, 0f32));
    for w in (0..u32::MAX).step_by(4099) {
        let u1 = (w >> 1) as i32 as f32 * TWO_M31 + TWO_M32;
        let exact = f64::from(u1).ln();
        let magnitude = exact.abs() as f32;
        let ulp = f64::from(magnitude.next_up()) - f64::from(magnitude);
        let error = |ln: f32| (f64::from(ln) - exact).abs() / ulp;
        if error(ln_fdlibm(u1)) > worst.0 {
            worst = (error(ln_fdlibm(u1)), u1);
        }
        if error(ln_f32(u1)) > worst_cephes.0 {
            worst_cephes = (error(ln_f32(u1)), u1);
        }
    }
    println!(
        "ln over u1 of 1 048 321 words: fdlibm worst {:.2} ulp (at {:e}), Cephes {:.2} ulp (at {:e})",
        worst.0, worst.1, worst_cephes.0, worst_cephes.1
    );

    // The complete ziggurat is a normal sampler: its moments over 2¹⁹ values.
    if let Some((_, complete)) = variants
        .iter()
        .find(|(n, _)| *n == "ziggurat_permute_complete")
    {
        let mut tile = [0f32; TILE];
        let (mut sum, mut sum2, mut beyond3, mut n) = (0f64, 0f64, 0u64, 0u64);
        for t in 0..4096u64 {
            complete(&tile_words(key, t), &mut tile);
            for &x in &tile {
                let x = f64::from(x);
                sum += x;
                sum2 += x * x;
                beyond3 += u64::from(x.abs() > 3.0);
                n += 1;
            }
        }
        let mean = sum / n as f64;
        println!(
            "complete ziggurat over {n} values: mean {mean:.4}, variance {:.4}, P(|x| > 3) {:.5} (N(0, 1): 0.00270)",
            sum2 / n as f64 - mean * mean,
            beyond3 as f64 / n as f64
        );
    }
    // How often the fast path rejects (the slow path's share), over 2²⁰ words.
    let rejected = (0..1u64 << 18)
        .flat_map(|t| tile_words(key, t).into_iter().flatten().take(4))
        .filter(|&w| (w as i32).unsigned_abs() >= zk[(w & 127) as usize])
        .count();
    println!(
        "ziggurat fast path rejects {:.3} % of the words",
        100.0 * rejected as f64 / f64::from(1u32 << 20)
    );

    // 64 tiles (32 KiB) rewritten in place, words precomputed per round as the kernels do.
    const TILES: usize = 64;
    const ROUNDS: usize = 31;
    const PASSES: usize = 200;
    let mut out = vec![[0f32; TILE]; TILES];
    let mut times = vec![Vec::new(); variants.len()];
    for _ in 0..ROUNDS {
        for (v, (_, f)) in variants.iter().enumerate() {
            let start = Instant::now();
            for pass in 0..PASSES {
                for (t, tile) in out.iter_mut().enumerate() {
                    let words = tile_words(key, (pass * TILES + t) as u64);
                    f(&words, tile);
                }
                black_box(&mut out);
            }
            times[v].push(start.elapsed().as_secs_f64() / (PASSES * TILES * TILE) as f64);
        }
    }
    let median = |t: &mut Vec<f64>| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    let medians: Vec<f64> = times.iter_mut().map(median).collect();
    let uniform_ns = medians[1];
    println!("variant                     ns/element  M elements/s  speed vs uniform");
    for ((name, _), m) in variants.iter().zip(&medians) {
        println!(
            "{name:<26}  {:>10.3}  {:>12.0}  {:>16.2}",
            m * 1e9,
            1e-6 / m,
            uniform_ns / m
        );
    }
}

/// The ziggurat's fast path with register-resident tables (AVX-512F).
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod permute {
    use super::{BLOCKS, TILE, interleave};
    use std::arch::x86_64::*;

    /// The fast path of one tile: value `hz·w[i]` where `|hz| < k[i]`, else 0.
    pub(super) fn ziggurat_fast_path(
        k: &[u32; 128],
        w: &[f32; 128],
        words: &[[u32; BLOCKS]; 4],
        out: &mut [f32; TILE],
    ) {
        assert!(std::arch::is_x86_feature_detected!("avx512f"));
        // SAFETY: AVX-512F is present (asserted above); every load and store is in bounds
        // (16-lane chunks of 32-element arrays, 128-element tables).
        unsafe { fast_path_avx512(k, w, words, out) }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn fast_path_avx512(
        k: &[u32; 128],
        w: &[f32; 128],
        words: &[[u32; BLOCKS]; 4],
        out: &mut [f32; TILE],
    ) {
        // SAFETY (whole function): the pointers below address whole 16-lane chunks inside
        // the 128-entry tables and the 32-entry word arrays.
        unsafe {
            let wt: [__m512; 8] = std::array::from_fn(|q| _mm512_loadu_ps(w.as_ptr().add(16 * q)));
            let kt: [__m512i; 8] =
                std::array::from_fn(|q| _mm512_loadu_si512(k.as_ptr().add(16 * q).cast()));
            let mut v = [[0f32; BLOCKS]; 4];
            let bit5 = _mm512_set1_epi32(32);
            let bit6 = _mm512_set1_epi32(64);
            let low7 = _mm512_set1_epi32(127);
            for (lane, row) in words.iter().enumerate() {
                for half in 0..BLOCKS / 16 {
                    let hz = _mm512_loadu_si512(row.as_ptr().add(16 * half).cast());
                    let iz = _mm512_and_si512(hz, low7);
                    let m5 = _mm512_test_epi32_mask(iz, bit5);
                    let m6 = _mm512_test_epi32_mask(iz, bit6);
                    let pick_ps = |t: &[__m512; 8]| {
                        let a = _mm512_permutex2var_ps(t[0], iz, t[1]);
                        let b = _mm512_permutex2var_ps(t[2], iz, t[3]);
                        let c = _mm512_permutex2var_ps(t[4], iz, t[5]);
                        let d = _mm512_permutex2var_ps(t[6], iz, t[7]);
                        let ab = _mm512_mask_blend_ps(m5, a, b);
                        let cd = _mm512_mask_blend_ps(m5, c, d);
                        _mm512_mask_blend_ps(m6, ab, cd)
                    };
                    let pick_epi32 = |t: &[__m512i; 8]| {
                        let a = _mm512_permutex2var_epi32(t[0], iz, t[1]);
                        let b = _mm512_permutex2var_epi32(t[2], iz, t[3]);
                        let c = _mm512_permutex2var_epi32(t[4], iz, t[5]);
                        let d = _mm512_permutex2var_epi32(t[6], iz, t[7]);
                        let ab = _mm512_mask_blend_epi32(m5, a, b);
                        let cd = _mm512_mask_blend_epi32(m5, c, d);
                        _mm512_mask_blend_epi32(m6, ab, cd)
                    };
                    let scale = pick_ps(&wt);
                    let bound = pick_epi32(&kt);
                    let x = _mm512_mul_ps(_mm512_cvtepi32_ps(hz), scale);
                    let accept = _mm512_cmplt_epu32_mask(_mm512_abs_epi32(hz), bound);
                    let value = _mm512_maskz_mov_ps(accept, x);
                    _mm512_storeu_ps(v[lane].as_mut_ptr().add(16 * half), value);
                }
            }
            interleave(&v, out);
        }
    }
}

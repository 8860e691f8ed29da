//! Runtime selection of the instruction set the fill kernels run on.
//!
//! The kernels (`single`, `double`, `math`) are plain generic Rust marked `#[inline(always)]`.
//! This module compiles the same code three times on x86: inside functions marked
//! `#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]`, inside
//! `#[target_feature(enable = "avx2")]`, and with the crate's default target (SSE2 on x86-64,
//! NEON on aarch64). The first use detects the CPU once ([`KernelPath::best`]) and every fill
//! goes through the fastest supported copy, so a plain `cargo build --release` is fast on any
//! machine without `-C target-cpu`.
//!
//! The last section of this file does the same for the micro-kernel of the blocked
//! Householder QR behind `structured::orthogonal` (`structured::gemm`), with the same rules.
//!
//! **Same bytes on every path.** The kernels use only operations that IEEE 754 rounds exactly
//! (`+ − × ÷ √`, min/max, selects, integer and bit operations) in a fixed order. Rust never
//! contracts `a·b + c` into a fused multiply-add by itself, and `fma` is deliberately *not*
//! among the enabled features, so a vector lane computes exactly what the scalar code
//! computes. The tests run every path this CPU supports and compare the bytes.
//!
//! # Safety
//!
//! This is the only module of the crate that uses `unsafe`. Calling a `#[target_feature]`
//! function is unsafe because executing its instructions on a CPU without those features is
//! undefined behaviour. Each call below is sound because it is made only for a
//! [`KernelPath`] whose instruction set was confirmed by `is_x86_feature_detected!` on this
//! CPU: the type's field is private and the only constructors ([`KernelPath::baseline`],
//! [`KernelPath::new`], [`KernelPath::best`], [`KernelPath::supported`]) run that detection
//! before they produce an AVX2 or AVX-512 path. The wrapped functions themselves are safe
//! Rust (no raw pointers, no intrinsics). The one other `unsafe` is [`stream_copy`]'s
//! streaming store, an SSE intrinsic on a raw pointer whose bounds and alignment it checks.
#![allow(unsafe_code)]

use std::fmt;
use std::sync::OnceLock;

use super::Element;
use super::Job;
use super::element::OutSlice;

/// The instruction sets a fill kernel can be compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Isa {
    /// The crate's compile-time target (SSE2 on x86-64, NEON on aarch64).
    Baseline,
    /// x86 AVX2 (256-bit vectors), without FMA.
    Avx2,
    /// x86 AVX-512 F/DQ/BW/VL (512-bit vectors), without FMA.
    Avx512,
}

impl Isa {
    /// Every instruction set, slowest first.
    pub const ALL: [Isa; 3] = [Isa::Baseline, Isa::Avx2, Isa::Avx512];

    /// Lower-case name: `baseline`, `avx2`, `avx512`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Baseline => "baseline",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// Whether the CPU running this program supports it.
    fn detected(self) -> bool {
        match self {
            Isa::Baseline => true,
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Isa::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Isa::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vl")
            }
            #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
            _ => false,
        }
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A compiled copy of the fill kernels that this CPU can run.
///
/// Every path writes the same bytes; they differ only in speed. A value exists only for an
/// instruction set that was detected on this CPU.
///
/// # Example
/// ```
/// use initspec::fill::KernelPath;
/// let best = KernelPath::best();
/// assert!(KernelPath::supported().contains(&best));
/// assert!(KernelPath::supported().contains(&KernelPath::baseline()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KernelPath {
    isa: Isa,
}

/// The environment variable that can pin [`KernelPath::best`] to a slower path
/// (`baseline`, `avx2` or `avx512`; read once; an unknown or unsupported value is ignored).
pub const KERNEL_ENV: &str = "INITSPEC_KERNEL";

impl KernelPath {
    /// The path compiled for the crate's default target; always available.
    pub fn baseline() -> KernelPath {
        KernelPath { isa: Isa::Baseline }
    }

    /// The path for `isa`, or `None` when this CPU does not support it.
    pub fn new(isa: Isa) -> Option<KernelPath> {
        isa.detected().then_some(KernelPath { isa })
    }

    /// Every path this CPU supports, slowest first.
    pub fn supported() -> Vec<KernelPath> {
        Isa::ALL.into_iter().filter_map(KernelPath::new).collect()
    }

    /// The path every fill uses: the fastest supported one, unless the environment variable
    /// [`KERNEL_ENV`] names another supported path. Detected once per process.
    pub fn best() -> KernelPath {
        static BEST: OnceLock<KernelPath> = OnceLock::new();
        *BEST.get_or_init(|| {
            let fastest = *KernelPath::supported()
                .last()
                .unwrap_or(&KernelPath::baseline());
            std::env::var(KERNEL_ENV)
                .ok()
                .and_then(|name| Isa::ALL.into_iter().find(|isa| isa.name() == name))
                .and_then(KernelPath::new)
                .unwrap_or(fastest)
        })
    }

    /// The instruction set.
    pub fn isa(self) -> Isa {
        self.isa
    }
}

impl fmt::Display for KernelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.isa.fmt(f)
    }
}

/// Runs `job` on `out` (elements `start..`) with the kernels compiled for `path`.
///
/// Not generic and never inlined: every instantiation of the kernels (four element types ×
/// three instruction sets) happens here, once, in this crate. A generic entry point would be
/// monomorphized again in every downstream crate and test binary, multiplying build times.
#[inline(never)]
pub(super) fn fill_slice(path: KernelPath, job: &Job<'_>, start: u64, out: OutSlice<'_>) {
    match out {
        OutSlice::F32(out) => fill(path, job, start, out),
        OutSlice::F64(out) => fill(path, job, start, out),
        OutSlice::Bf16(out) => fill(path, job, start, out),
        OutSlice::F16(out) => fill(path, job, start, out),
    }
}

/// Runs `job` on `out` (elements `start..`) with the kernels compiled for `path`.
#[inline(always)]
fn fill<T: Element>(path: KernelPath, job: &Job<'_>, start: u64, out: &mut [T]) {
    match path.isa {
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        // SAFETY: a `KernelPath` with `Isa::Avx512` exists only after AVX-512 F/DQ/BW/VL
        // were detected on this CPU (see the module header).
        Isa::Avx512 => unsafe { fill_avx512(job, start, out) },
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        // SAFETY: as above, for AVX2.
        Isa::Avx2 => unsafe { fill_avx2(job, start, out) },
        _ => job.run(start, out),
    }
}

/// Whether [`stream_copy`] writes to `dst` with streaming stores: on x86-64, when `dst` is
/// 16-byte aligned.
#[inline(always)]
pub(super) fn streams_to(dst: &[f32]) -> bool {
    cfg!(target_arch = "x86_64") && dst.as_ptr().addr().is_multiple_of(16)
}

/// Copies `src` to `dst`, with non-temporal (streaming) stores where [`streams_to`]`(dst)`,
/// else with plain stores.
///
/// A streaming store (`movntps`) writes a whole cache line to memory without first reading
/// it (no read-for-ownership) and without keeping it in the cache: for outputs larger than
/// the cache it halves the memory traffic. The stores are weakly ordered: after the last
/// copy of a run the caller issues [`store_fence`].
#[inline(always)]
pub(super) fn stream_copy<const N: usize>(src: &[f32; N], dst: &mut [f32; N]) {
    #[cfg(target_arch = "x86_64")]
    if streams_to(dst) {
        use std::arch::x86_64::{_mm_loadu_ps, _mm_stream_ps};
        let (src4, src_rest) = src.as_chunks::<4>();
        let (dst4, dst_rest) = dst.as_chunks_mut::<4>();
        for (s, d) in src4.iter().zip(dst4) {
            // SAFETY: `s` and `d` are arrays of four `f32`, so each 16-byte access is in
            // bounds; `d` is 16-byte aligned because `dst` is (checked above) and every
            // chunk starts a multiple of 16 bytes after it, as `_mm_stream_ps` requires.
            // Both instructions are SSE, part of the x86-64 baseline, so every CPU this code
            // runs on has them.
            unsafe { _mm_stream_ps(d.as_mut_ptr(), _mm_loadu_ps(s.as_ptr())) };
        }
        dst_rest.copy_from_slice(src_rest);
        return;
    }
    dst.copy_from_slice(src);
}

/// Makes the streaming stores of [`stream_copy`] globally visible before any later store
/// (`sfence`), so that a thread that sees the fill finished also sees its elements.
#[inline(always)]
pub(super) fn store_fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `sfence` takes no operands and is SSE, part of the x86-64 baseline.
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
}

/// [`Job::run`] compiled with AVX-512.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn fill_avx512<T: Element>(job: &Job<'_>, start: u64, out: &mut [T]) {
    job.run(start, out)
}

/// [`Job::run`] compiled with AVX2.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
fn fill_avx2<T: Element>(job: &Job<'_>, start: u64, out: &mut [T]) {
    job.run(start, out)
}

// ─── Householder QR kernels (`structured::orthogonal`) ──────────────────────────────────────
//
// The GEMM-shaped update of the blocked QR (`structured::gemm`) is compiled here three times,
// like the fill kernels. Its every output element is one left-to-right chain of additions of
// rounded products (no FMA), so every path gives the same bits. The entry points are methods
// of `KernelPath` so that `structured` can reach them through the public type.

use crate::structured::gemm::{self, Reflectors};

impl KernelPath {
    /// `C ← (I − V·M·Vᵀ)·C` on rows `row0..` of the column-major block `cols`, with the
    /// reflectors and factor of `refl` (see `structured::gemm::apply`), on this path.
    #[inline(never)]
    pub(crate) fn qr_apply(self, refl: &Reflectors, cols: &mut [f64], ld: usize, row0: usize) {
        match self.isa {
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            // SAFETY: a `KernelPath` with `Isa::Avx512` exists only after AVX-512 F/DQ/BW/VL
            // were detected on this CPU (see the module header).
            Isa::Avx512 => unsafe { qr_apply_avx512(refl, cols, ld, row0) },
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            // SAFETY: as above, for AVX2.
            Isa::Avx2 => unsafe { qr_apply_avx2(refl, cols, ld, row0) },
            _ => gemm::apply_128(refl, cols, ld, row0),
        }
    }

    /// The Gram matrix `VᵀV` of `refl`'s reflectors and its column stride (see
    /// `structured::gemm::gram`), on this path.
    #[inline(never)]
    pub(crate) fn qr_gram(self, refl: &Reflectors) -> (Vec<f64>, usize) {
        match self.isa {
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            // SAFETY: as in `qr_apply`.
            Isa::Avx512 => unsafe { qr_gram_avx512(refl) },
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            // SAFETY: as in `qr_apply`.
            Isa::Avx2 => unsafe { qr_gram_avx2(refl) },
            _ => gemm::gram_128(refl),
        }
    }
}

/// [`gemm::apply_512`] compiled with AVX-512.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn qr_apply_avx512(refl: &Reflectors, cols: &mut [f64], ld: usize, row0: usize) {
    gemm::apply_512(refl, cols, ld, row0)
}

/// [`gemm::apply_256`] compiled with AVX2.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
fn qr_apply_avx2(refl: &Reflectors, cols: &mut [f64], ld: usize, row0: usize) {
    gemm::apply_256(refl, cols, ld, row0)
}

/// [`gemm::gram_512`] compiled with AVX-512.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn qr_gram_avx512(refl: &Reflectors) -> (Vec<f64>, usize) {
    gemm::gram_512(refl)
}

/// [`gemm::gram_256`] compiled with AVX2.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
fn qr_gram_avx2(refl: &Reflectors) -> (Vec<f64>, usize) {
    gemm::gram_256(refl)
}

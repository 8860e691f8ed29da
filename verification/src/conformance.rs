//! The conformance suite of `initspec verify`: every built-in scheme drawn on a
//! representative shape in every layout and checked against its own law.
//!
//! Shapes are non-square (and conv shapes have distinct in/out/kernel sizes), so a fan
//! mix-up changes the law and cannot hide. Each scalar case draws `n` elements of its tensor's
//! stream (`Stream::new(seed, "verify/<index>")`): the law is fixed by the shape, and the
//! counter-based stream continues past the tensor's own element count when `n` is larger.
//! A structured case draws its whole tensor (its size is fixed by the shape, whatever `n`)
//! and runs [`check_structured`]; an ensemble case draws `seeds` tensors
//! (`Stream::new(seed, "verify/<index>/<k>")`) and tests their Haar law jointly
//! ([`check_haar_ensemble`]).

use half::{bf16, f16};
use initspec::{Element, Law, Layout, Sampler, Scheme, Stream};
use serde::Serialize;

use crate::check::{Verdict, check_sample};
use crate::storage::Storage;
use crate::structured::{check_haar_ensemble, check_structured};

/// One conformance case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Case {
    /// The scheme string.
    pub scheme: &'static str,
    /// The tensor's shape.
    pub shape: &'static [usize],
    /// The layout string.
    pub layout: &'static str,
    /// Convolution groups.
    pub groups: usize,
    /// The storage dtype.
    #[serde(serialize_with = "serialize_storage")]
    pub storage: Storage,
    /// Independent tensors drawn (1 but for the Haar ensemble cases).
    pub seeds: usize,
}

fn serialize_storage<S: serde::Serializer>(storage: &Storage, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(storage.name())
}

const fn case(
    scheme: &'static str,
    shape: &'static [usize],
    layout: &'static str,
    groups: usize,
    storage: Storage,
) -> Case {
    Case {
        scheme,
        shape,
        layout,
        groups,
        storage,
        seeds: 1,
    }
}

/// A structured case drawn from `seeds` independent streams.
const fn ensemble(
    scheme: &'static str,
    shape: &'static [usize],
    storage: Storage,
    seeds: usize,
) -> Case {
    Case {
        scheme,
        shape,
        layout: "out-in",
        groups: 1,
        storage,
        seeds,
    }
}

use Storage::{BF16, F16, F32, F64};

/// The built-in cases: every scheme of the grammar, every layout, groups, and the four
/// storage dtypes; the transformer schemes with the depths and widths of GPT-2, GPT-NeoX-20B,
/// OLMo-7B and t5-small; the structured schemes on wide, tall, square and conv shapes, and the
/// Haar law of orthogonal over 300 seeds.
pub const CASES: &[Case] = &[
    case("zeros", &[96, 40], "out-in", 1, F32),
    case("ones", &[96, 40], "out-in", 1, F16),
    case("constant(value=0.5)", &[12, 7], "out-in", 1, F64),
    case("uniform(a=-0.3, b=0.5)", &[96, 40], "out-in", 1, F32),
    case("uniform", &[1000], "out-in", 1, F64),
    case("normal(mean=0.1, std=0.02)", &[96, 40], "out-in", 1, F32),
    case("normal", &[777], "out-in", 1, F64),
    case("trunc_normal(std=0.02)", &[1000, 768], "out-in", 1, F32),
    case("trunc_normal", &[96, 40], "out-in", 1, F64),
    case(
        "trunc_normal(mean=0.5, std=1, a=0, b=3)",
        &[96, 40],
        "out-in",
        1,
        F32,
    ),
    case("truncated_normal", &[96, 40], "in-out", 1, F32),
    case(
        "truncated_normal(mean=1, stddev=0.5, lower=-1, upper=3)",
        &[96, 40],
        "in-out",
        1,
        F64,
    ),
    case("xavier_uniform", &[256, 784], "out-in", 1, F32),
    case(
        "xavier_uniform(gain=1.4142135623730951)",
        &[64, 3, 7, 5],
        "out-in",
        1,
        F32,
    ),
    case("glorot_uniform", &[784, 256], "in-out", 1, F64),
    case("xavier_normal", &[96, 40], "out-in", 1, F32),
    case(
        "xavier_normal(gain=1.6666666666666667)",
        &[5, 3, 16, 32],
        "in-out",
        1,
        F64,
    ),
    case("kaiming_uniform", &[40, 96], "out-in", 1, F32),
    case(
        "kaiming_uniform(a=2.23606797749979)",
        &[256, 784],
        "out-in",
        1,
        F32,
    ),
    case(
        "kaiming_uniform(mode=fan_out, nonlinearity=relu)",
        &[32, 4, 3, 5],
        "out-in",
        4,
        F32,
    ),
    case(
        "kaiming_normal(nonlinearity=relu)",
        &[64, 3, 7, 7],
        "out-in",
        1,
        F32,
    ),
    case(
        "kaiming_normal(mode=fan_out, nonlinearity=relu)",
        &[16, 8, 3, 5],
        "transposed",
        4,
        F32,
    ),
    case(
        "kaiming_normal(nonlinearity=tanh)",
        &[40, 96],
        "out-in",
        1,
        F64,
    ),
    case("kaiming_normal(a=0.2)", &[96, 40], "out-in", 1, F32),
    case(
        "kaiming_normal(nonlinearity=selu, mode=fan_out)",
        &[96, 40],
        "transposed",
        1,
        F64,
    ),
    case("glorot_normal", &[3, 3, 64, 128], "in-out", 1, F32),
    case("he_normal", &[784, 256], "in-out", 1, F32),
    case("he_uniform", &[3, 3, 3, 64], "in-out", 1, F32),
    case(
        "lecun_normal",
        &[512, 8, 64],
        "axes(in=[0], out=[1,2])",
        1,
        F32,
    ),
    case(
        "lecun_uniform",
        &[12, 96, 40],
        "axes(in=[-2], out=[-1], batch=[0])",
        1,
        F64,
    ),
    case(
        "variance_scaling(scale=0.1, mode=fan_avg, distribution=uniform)",
        &[96, 40],
        "out-in",
        1,
        F32,
    ),
    case(
        "variance_scaling(scale=2, mode=fan_out, distribution=untruncated_normal)",
        &[128, 64, 4, 4],
        "transposed",
        1,
        F32,
    ),
    case(
        "variance_scaling(mode=fan_geo_avg)",
        &[96, 40],
        "in-out",
        1,
        F64,
    ),
    case(
        "variance_scaling(scale=3, mode=fan_out)",
        &[3, 5, 4, 32],
        "in-out",
        4,
        F32,
    ),
    case("xavier_uniform", &[512, 512], "out-in", 1, BF16),
    case(
        "kaiming_normal(nonlinearity=relu)",
        &[256, 784],
        "out-in",
        1,
        F16,
    ),
    case("he_normal", &[3, 3, 64, 128], "in-out", 1, BF16),
    case("trunc_normal(std=0.02)", &[1000, 768], "out-in", 1, BF16),
    case("orthogonal", &[512, 512], "out-in", 1, F64),
    case("orthogonal(gain=2)", &[64, 3, 3, 3], "out-in", 1, F32),
    case("orthogonal", &[3, 3, 32, 64], "in-out", 1, BF16),
    case(
        "orthogonal(gain=1.4142135623730951)",
        &[100, 300],
        "out-in",
        1,
        F16,
    ),
    ensemble("orthogonal", &[16, 16], F64, 300),
    ensemble("orthogonal", &[24, 10], F32, 300),
    case("eye", &[96, 40], "out-in", 1, F32),
    case("dirac", &[32, 16, 3, 3], "out-in", 1, BF16),
    case("dirac(groups=2)", &[8, 4, 3, 4], "out-in", 1, F32),
    case("delta_orthogonal", &[3, 3, 64, 128], "in-out", 1, F32),
    case(
        "delta_orthogonal(gain=2)",
        &[128, 64, 4, 4],
        "out-in",
        1,
        F64,
    ),
    case("sparse(sparsity=0.1)", &[1000, 768], "out-in", 1, F32),
    case(
        "sparse(sparsity=0.5, std=1)",
        &[200, 150],
        "out-in",
        1,
        BF16,
    ),
    // Depth- and width-aware schemes of transformer codebases, on the tensors they initialize
    // (base schemes draw n values whatever the shape; deepnorm's fans come from it). Last, so
    // that the cases before them keep their indices and so their streams.
    case("scaled_normal(n_layer=12)", &[768, 768], "out-in", 1, F32),
    case(
        "scaled_normal(n_layer=48, residuals=1)",
        &[1600, 6400],
        "in-out",
        1,
        BF16,
    ),
    case("small_init(d=768)", &[2304, 768], "out-in", 1, F64),
    case(
        "wang_init(d=6144, n_layer=44)",
        &[6144, 24576],
        "out-in",
        1,
        BF16,
    ),
    case("mitchell(d=4096)", &[12288, 4096], "out-in", 1, F32),
    case(
        "mitchell_out(d=11008, layer_id=5)",
        &[4096, 11008],
        "out-in",
        1,
        BF16,
    ),
    case(
        "mitchell_out(d=4096, layer_id=0, cutoff=2)",
        &[4096, 4096],
        "out-in",
        1,
        F64,
    ),
    case("deepnorm(n_layer=100)", &[4096, 1024], "out-in", 1, F32),
    case(
        "deepnorm_encdec_encoder(n_encoder=18, n_decoder=18)",
        &[1024, 4096],
        "in-out",
        1,
        F64,
    ),
    case(
        "deepnorm_encdec_decoder(n_decoder=18)",
        &[512, 2048],
        "out-in",
        1,
        F16,
    ),
    case("t5_q(d_model=512, d_kv=64)", &[512, 512], "out-in", 1, F32),
    case("t5_dense(d_in=2048)", &[512, 2048], "out-in", 1, BF16),
    case("t5_embedding", &[32128, 512], "out-in", 1, F32),
];

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseReport {
    /// The case.
    pub case: Case,
    /// The law the scheme resolved to, as its base-scheme string.
    pub law: String,
    /// The seed used.
    pub seed: u64,
    /// The stream name used.
    pub stream: String,
    /// The checks and verdict.
    pub verdict: Verdict,
}

/// Draws `n` values of `law` from `stream` as `storage` and returns them as `f64`.
pub fn draw(law: &Law, stream: Stream, n: usize, storage: Storage) -> Vec<f64> {
    fn go<T: Element>(sampler: &Sampler, n: usize) -> Vec<f64> {
        let mut values = vec![T::default(); n];
        sampler.fill(&mut values);
        values.into_iter().map(Element::to_f64).collect()
    }
    let sampler = Sampler::new(law, stream);
    match storage {
        Storage::F64 => go::<f64>(&sampler, n),
        Storage::F32 => go::<f32>(&sampler, n),
        Storage::BF16 => go::<bf16>(&sampler, n),
        Storage::F16 => go::<f16>(&sampler, n),
    }
}

/// Runs case number `index` with `n` samples, `seed`, and family-wise level `alpha`.
///
/// # Errors
/// If the case's scheme, layout or shape is invalid (never for the built-in cases).
pub fn run_case(
    index: usize,
    case: &Case,
    n: usize,
    seed: u64,
    alpha: f64,
) -> Result<CaseReport, initspec::Error> {
    let scheme: Scheme = case.scheme.parse()?;
    let layout: Layout = case.layout.parse()?;
    let law = scheme.resolve(case.shape, &layout, case.groups)?;
    let stream_name = format!("verify/{index}");
    let verdict = match law.tensor_len() {
        None => {
            let values = draw(&law, Stream::new(seed, &stream_name), n, case.storage);
            check_sample(&law, &values, case.storage, alpha)
        }
        Some(size) if case.seeds <= 1 => {
            let values = draw(&law, Stream::new(seed, &stream_name), size, case.storage);
            check_structured(&law, &values, case.storage, alpha)
        }
        Some(size) => {
            let matrices: Vec<Vec<f64>> = (0..case.seeds)
                .map(|k| {
                    let stream = Stream::new(seed, &format!("{stream_name}/{k}"));
                    draw(&law, stream, size, case.storage)
                })
                .collect();
            check_haar_ensemble(&law, &matrices, case.storage, alpha)
        }
    };
    Ok(CaseReport {
        case: *case,
        law: law.to_string(),
        seed,
        stream: stream_name,
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scheme_name_has_a_case() {
        for name in initspec::scheme::SCHEME_NAMES {
            assert!(
                CASES
                    .iter()
                    .any(|c| c.scheme.split('(').next() == Some(*name)),
                "no conformance case for {name}"
            );
        }
    }

    #[test]
    fn every_layout_and_storage_is_covered() {
        for layout in ["out-in", "in-out", "transposed", "axes("] {
            assert!(
                CASES.iter().any(|c| c.layout.starts_with(layout)),
                "{layout}"
            );
        }
        for storage in [F64, F32, BF16, F16] {
            assert!(CASES.iter().any(|c| c.storage == storage), "{storage}");
        }
        assert!(CASES.iter().any(|c| c.groups > 1));
        for case in CASES {
            let scheme: Scheme = case.scheme.parse().unwrap();
            let layout: Layout = case.layout.parse().unwrap();
            scheme.resolve(case.shape, &layout, case.groups).unwrap();
        }
    }
}

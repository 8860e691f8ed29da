//! Value stability: the bytes drawn for fixed (scheme, shape, layout, seed, name, dtype) are
//! pinned by their SHA-256. A change here is a value-breaking change and must be named in
//! CHANGELOG.md; performance work must never change them.

use half::{bf16, f16};
use initspec::{Element, Layout, Sampler, Scheme, Stream};
use sha2::{Digest, Sha256};

fn digest<T: Element>(
    scheme: &str,
    shape: &[usize],
    layout: &str,
    seed: u64,
    name: &str,
    to_bytes: fn(&T) -> Vec<u8>,
) -> String {
    let scheme: Scheme = scheme.parse().unwrap();
    let layout: Layout = layout.parse().unwrap();
    let law = scheme.resolve(shape, &layout, 1).unwrap();
    let n: usize = shape.iter().product();
    let mut values = vec![T::default(); n];
    Sampler::new(&law, Stream::new(seed, name)).fill(&mut values);
    let mut hasher = Sha256::new();
    for v in &values {
        hasher.update(to_bytes(v));
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn f32_bytes(x: &f32) -> Vec<u8> {
    x.to_le_bytes().to_vec()
}
fn f64_bytes(x: &f64) -> Vec<u8> {
    x.to_le_bytes().to_vec()
}
fn bf16_bytes(x: &bf16) -> Vec<u8> {
    x.to_le_bytes().to_vec()
}
fn f16_bytes(x: &f16) -> Vec<u8> {
    x.to_le_bytes().to_vec()
}

/// (scheme, shape, layout, seed, name, dtype, SHA-256 of the little-endian bytes)
type Pin = (
    &'static str,
    &'static [usize],
    &'static str,
    u64,
    &'static str,
    &'static str,
    &'static str,
);

const PINNED: &[Pin] = &[
    (
        "xavier_uniform",
        &[256, 784],
        "out-in",
        0,
        "weight",
        "f32",
        "6c1f4a071ccfbbc8c8b32a8a0d8a599a99240c9673abfdb211b3f310c0dcc02c",
    ),
    (
        "kaiming_normal(nonlinearity=relu)",
        &[64, 3, 7, 7],
        "out-in",
        1,
        "conv1.weight",
        "f32",
        "ec461be44059325e067f32bab0886c246e8ce5c360ffb8e8f6ccba211beb6795",
    ),
    (
        "he_normal",
        &[3, 3, 64, 128],
        "in-out",
        2,
        "kernel",
        "f32",
        "6db22779cba35d1e88088055d496e6f103f774e90f83f432ba2390aa421616c1",
    ),
    (
        "trunc_normal(std=0.02)",
        &[1000, 77],
        "out-in",
        3,
        "embed",
        "f32",
        "ff598e71005169c6daff6a5916aa396470d82c94f6f54d87eae0c850f93c32aa",
    ),
    (
        "lecun_uniform",
        &[96, 40],
        "in-out",
        4,
        "dense",
        "f64",
        "249157fb9f4972d91c283d2569446bc7cc0635eb6d449825d5c43136634cee38",
    ),
    (
        "glorot_normal",
        &[96, 40],
        "in-out",
        5,
        "dense",
        "f64",
        "5f80e6230e6d662b1ba0d67712c02afc3a62ef036d0f93643a4645e23aa998a2",
    ),
    (
        "normal(mean=0.5, std=2)",
        &[12345],
        "out-in",
        6,
        "bias",
        "f64",
        "72863bc5352ac2b250f8e51be19f646eeb98a7c3bcac9937e66d914086d2a097",
    ),
    (
        "variance_scaling(scale=0.1, mode=fan_avg, distribution=uniform)",
        &[40, 96],
        "out-in",
        7,
        "w",
        "f64",
        "e6575ab814729ae04beb55d762dbc8cd76412168cbb531ee0a425790ab6fbb2e",
    ),
    (
        "kaiming_uniform(a=2.23606797749979)",
        &[512, 512],
        "out-in",
        8,
        "linear.weight",
        "bf16",
        "b416c3bc3051aa0d135e6a90ea8cfa564eea5beeb6ef90c84d672b24e2be2b41",
    ),
    (
        "xavier_normal",
        &[300, 200],
        "out-in",
        9,
        "w",
        "f16",
        "d1e806641a00760e0af89e2a499e4a92a3fddece1edc1c908f4f5db93240b719",
    ),
    (
        "constant(value=0.1)",
        &[7, 9],
        "out-in",
        10,
        "c",
        "f32",
        "4635a3f572ab650ebb2bb40521f13f83b276058ca3f33443b6996462d0f26e14",
    ),
    // Structured laws (computed in f64, rounded once), and double-precision draws rounded
    // to 16 bits (correctly, on every CPU).
    (
        "orthogonal",
        &[256, 128],
        "out-in",
        11,
        "fc.weight",
        "f32",
        "c439f64188adad790297be8ede480ebfb920e104a10ece7b7b8a4c3478cf2ee9",
    ),
    (
        "orthogonal(gain=2)",
        &[3, 3, 16, 64],
        "in-out",
        12,
        "conv.kernel",
        "bf16",
        "a50c55e7a2c10c6a0d675a3807e1b93d26c2d5c39262cca58b1976259f79211a",
    ),
    (
        "eye",
        &[30, 50],
        "out-in",
        13,
        "e",
        "f16",
        "e1746dd7286df788c15b0a160c799dcfe93985e1deb7617d421471edc7471af7",
    ),
    (
        "dirac(groups=2)",
        &[8, 4, 3, 3],
        "out-in",
        14,
        "d",
        "f32",
        "36839d3169215de4cd72e7b27fae56d1c91e3d5e785244ea35d1670834ea0d61",
    ),
    (
        "delta_orthogonal",
        &[3, 3, 16, 32],
        "in-out",
        15,
        "delta",
        "f64",
        "935aab44ccc2983ab816dcc1751f794e4d6d9cca32f4bb47c6b8554e5a4878d1",
    ),
    (
        "sparse(sparsity=0.1)",
        &[200, 100],
        "out-in",
        16,
        "s",
        "f32",
        "172337fe615f93dbb59f3fb18e345e73c57c4ca5832d57486debdb10e1463e19",
    ),
    (
        "uniform(a=-3e38, b=3e38)",
        &[1000],
        "out-in",
        17,
        "wide",
        "bf16",
        "30fa1c58a12845695bb588e2f626cc62ec8cce6ab4c68da903bf7bac1b3bfee4",
    ),
    (
        "trunc_normal(a=6, b=7)",
        &[1000],
        "out-in",
        18,
        "tail",
        "f16",
        "3733d7edcb049a7719ffd697745b9ed552c8da14e3753644166de9c4ce9d2f41",
    ),
    // The double-precision truncated normal in each region of AS 241 (central and near tail;
    // far tail, r > 5), and a law too far out for single precision, drawn in double and
    // rounded to bf16.
    (
        "trunc_normal(a=-2, b=2)",
        &[1000],
        "out-in",
        19,
        "central",
        "f64",
        "d8b29622fd2ec163b3eed5daa2d4614626159e6fd8a170b690f95b30904a5cba",
    ),
    (
        "trunc_normal(a=8, b=9)",
        &[1000],
        "out-in",
        20,
        "far",
        "f64",
        "5244bd09803b2c604877ff475514345efe78ed5a349b804509275cfd73bbcaf8",
    ),
    (
        "trunc_normal(a=12, b=13)",
        &[1000],
        "out-in",
        21,
        "via-double",
        "bf16",
        "9db81e4424f67cce3889779bafe84a12ade3e5d4291739adb94e8e14d815dcc0",
    ),
];

#[test]
fn pinned_bytes_do_not_change() {
    let mut failures = Vec::new();
    for &(scheme, shape, layout, seed, name, dtype, want) in PINNED {
        let got = match dtype {
            "f32" => digest::<f32>(scheme, shape, layout, seed, name, f32_bytes),
            "f64" => digest::<f64>(scheme, shape, layout, seed, name, f64_bytes),
            "bf16" => digest::<bf16>(scheme, shape, layout, seed, name, bf16_bytes),
            _ => digest::<f16>(scheme, shape, layout, seed, name, f16_bytes),
        };
        if got != want {
            failures.push(format!(
                "({scheme:?}, {shape:?}, {layout:?}, {seed}, {name:?}, {dtype:?}, {got:?}),"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "value-breaking change; new digests:\n{}",
        failures.join("\n")
    );
}

#[test]
fn stream_key_is_pinned() {
    assert_eq!(Stream::new(0, "weight").key(), [4223120072, 1742498550]);
}

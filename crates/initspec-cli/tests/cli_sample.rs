//! `initspec sample` through the real binary: formats, layouts, groups, dtypes, threads.

use std::path::Path;

use assert_cmd::Command;
use initspec::{Layout, Sampler, Scheme, Stream};
use initspec_io::read_tensor;

fn sample(dir: &Path, file: &str, args: &[&str]) -> std::path::PathBuf {
    let out = dir.join(file);
    let output = Command::cargo_bin("initspec")
        .unwrap()
        .arg("sample")
        .args(args)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

fn expected_f32(
    scheme: &str,
    shape: &[usize],
    layout: &str,
    groups: usize,
    seed: u64,
    name: &str,
) -> Vec<f64> {
    let scheme: Scheme = scheme.parse().unwrap();
    let law = scheme
        .resolve(shape, &layout.parse::<Layout>().unwrap(), groups)
        .unwrap();
    let mut v = vec![0f32; shape.iter().product()];
    Sampler::new(&law, Stream::new(seed, name)).fill(&mut v);
    v.into_iter().map(f64::from).collect()
}

#[test]
fn npy_holds_exactly_the_library_draw() {
    let dir = tempfile::tempdir().unwrap();
    for (scheme, shape, layout, groups) in [
        ("xavier_uniform", "40,96", "out-in", "1"),
        (
            "kaiming_normal(mode=fan_out, nonlinearity=relu)",
            "32,4,3,5",
            "out-in",
            "4",
        ),
        ("he_normal", "3,5,4,32", "in-out", "4"),
        ("lecun_uniform", "16,8,3,5", "transposed", "4"),
        (
            "glorot_normal",
            "12,96,40",
            "axes(in=[-2], out=[-1], batch=[0])",
            "1",
        ),
        ("trunc_normal(std=0.02)", "100,77", "out-in", "1"),
    ] {
        let out = sample(
            dir.path(),
            "w.npy",
            &[
                "--scheme", scheme, "--shape", shape, "--layout", layout, "--groups", groups,
                "--seed", "9", "--name", "t",
            ],
        );
        let tensor = read_tensor(&out, None).unwrap();
        let dims: Vec<usize> = shape.split(',').map(|d| d.parse().unwrap()).collect();
        assert_eq!(tensor.shape(), &dims[..]);
        let groups: usize = groups.parse().unwrap();
        assert_eq!(
            &tensor.to_f64(),
            &expected_f32(scheme, &dims, layout, groups, 9, "t")[..],
            "{scheme}"
        );
    }
}

#[test]
fn safetensors_names_the_tensor_and_records_the_law() {
    let dir = tempfile::tempdir().unwrap();
    for dtype in ["f32", "f64", "bf16", "f16"] {
        let out = sample(
            dir.path(),
            "w.safetensors",
            &[
                "--scheme",
                "he_uniform",
                "--shape",
                "3,3,16,8",
                "--layout",
                "in-out",
                "--name",
                "conv.kernel",
                "--dtype",
                dtype,
            ],
        );
        let bytes = std::fs::read(&out).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let view = st.tensor("conv.kernel").unwrap();
        assert_eq!(view.shape(), &[3, 3, 16, 8]);
        let (_, metadata) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        let metadata = metadata.metadata().clone().unwrap();
        assert_eq!(metadata["initspec.scheme"], "he_uniform");
        assert_eq!(
            metadata["initspec.law"],
            "uniform(a=-0.2041241452319315, b=0.2041241452319315)"
        );
        let tensor = read_tensor(&out, Some("conv.kernel")).unwrap();
        // An exact bound: the values lie in [−b, b) before rounding, and rounding to nearest
        // is monotone and symmetric, so every stored value lies within ±b rounded to the
        // format (bf16 and f16 are rounded from the f32 draw, as the sampler does).
        let b = HE_UNIFORM_BOUND;
        let bound = match dtype {
            "f64" => b,
            "f32" => f64::from(b as f32),
            "bf16" => half::bf16::from_f32(b as f32).to_f64(),
            _ => half::f16::from_f32(b as f32).to_f64(),
        };
        let values = tensor.to_f64();
        assert!(
            values.iter().all(|x| x.abs() <= bound),
            "{dtype}: beyond {bound}"
        );
        // And the interval is not narrower: the largest |value| of 1152 uniform draws is below
        // 0.975·b with probability 0.975¹¹⁵² = 2.2e-13, and rounding (unit roundoff ≤ 2⁻⁸, in
        // bf16) takes it at most to 0.975·(1 − 2⁻⁸)·b > 0.97·b (α = 1e-6, the default seed).
        let largest = values.iter().fold(0f64, |m, x| m.max(x.abs()));
        assert!(largest >= 0.97 * b, "{dtype}: largest |value| {largest}");
    }
}

/// `he_uniform` on [3, 3, 16, 8] in-out (fan_in 144): b = √(3·2/144) = √(1/24).
const HE_UNIFORM_BOUND: f64 = 0.204_124_145_231_931_5;

#[test]
fn threads_never_change_bytes_and_seed_and_name_do() {
    let dir = tempfile::tempdir().unwrap();
    for scheme in [
        "zeros",
        "constant(value=0.25)",
        "uniform(a=-1, b=2)",
        "normal(mean=1, std=0.5)",
        "trunc_normal(std=0.5)",
        "truncated_normal",
        "xavier_uniform",
        "xavier_normal",
        "kaiming_uniform",
        "kaiming_normal",
        "glorot_normal",
        "he_normal",
        "he_uniform",
        "lecun_normal",
        "lecun_uniform",
        "variance_scaling(mode=fan_avg, distribution=uniform)",
    ] {
        // 300 × 700 = 210 000 elements: more than three parallel chunks.
        let base = ["--scheme", scheme, "--shape", "300,700"];
        let one = std::fs::read(sample(
            dir.path(),
            "a.npy",
            &[&base[..], &["--threads", "1"]].concat(),
        ))
        .unwrap();
        let two = std::fs::read(sample(
            dir.path(),
            "b.npy",
            &[&base[..], &["--threads", "2"]].concat(),
        ))
        .unwrap();
        assert_eq!(one, two, "{scheme}: --threads 1 and 2 differ");
        if scheme.starts_with("zeros") || scheme.starts_with("constant") {
            continue;
        }
        let seed = std::fs::read(sample(
            dir.path(),
            "c.npy",
            &[&base[..], &["--seed", "1"]].concat(),
        ))
        .unwrap();
        let name = std::fs::read(sample(
            dir.path(),
            "d.npy",
            &[&base[..], &["--name", "other"]].concat(),
        ))
        .unwrap();
        assert_ne!(one, seed, "{scheme}: seed ignored");
        assert_ne!(one, name, "{scheme}: name ignored");
    }
}

#[test]
fn empty_tensors_are_written_without_drawing() {
    let dir = tempfile::tempdir().unwrap();
    let out = sample(
        dir.path(),
        "e.npy",
        &["--scheme", "kaiming_normal", "--shape", "0,96"],
    );
    let tensor = read_tensor(&out, None).unwrap();
    assert_eq!(tensor.shape(), &[0, 96]);
    assert!(tensor.is_empty());
    let out = sample(
        dir.path(),
        "e.safetensors",
        &["--scheme", "normal", "--shape", "5,0,3", "--dtype", "bf16"],
    );
    assert_eq!(read_tensor(&out, None).unwrap().shape(), &[5, 0, 3]);
}

#[test]
fn base_schemes_accept_any_rank() {
    let dir = tempfile::tempdir().unwrap();
    let out = sample(
        dir.path(),
        "b.npy",
        &["--scheme", "uniform(a=-0.1, b=0.1)", "--shape", "784"],
    );
    assert_eq!(read_tensor(&out, None).unwrap().shape(), &[784]);
    let out = sample(
        dir.path(),
        "s.npy",
        &["--scheme", "constant(value=3)", "--shape", ""],
    );
    assert_eq!(read_tensor(&out, None).unwrap().to_f64(), [3.0]);
}

/// The law of `scheme` on `shape` in `layout`.
fn structured_law(scheme: &str, shape: &[usize], layout: &str, groups: usize) -> initspec::Law {
    scheme
        .parse::<Scheme>()
        .unwrap()
        .resolve(shape, &layout.parse::<Layout>().unwrap(), groups)
        .unwrap()
}

fn storage_of(dtype: &str) -> initspec_verify::storage::Storage {
    use initspec_verify::storage::Storage;
    match dtype {
        "f64" => Storage::F64,
        "bf16" => Storage::BF16,
        "f16" => Storage::F16,
        _ => Storage::F32,
    }
}

#[test]
fn structured_samples_pass_their_checks() {
    // α = 1e-6, seed 3, name "weight"; n is each tensor's size.
    let dir = tempfile::tempdir().unwrap();
    for (scheme, shape, layout, groups, dtype) in [
        ("orthogonal", "64,200", "out-in", "1", "f32"),
        ("orthogonal", "300,40", "out-in", "1", "f64"),
        ("orthogonal(gain=2)", "128,128", "out-in", "1", "f32"),
        (
            "orthogonal(gain=1.4142135623730951)",
            "32,16,3,3",
            "out-in",
            "1",
            "f32",
        ),
        ("orthogonal", "3,3,16,64", "in-out", "1", "f32"),
        ("orthogonal", "96,96", "out-in", "1", "bf16"),
        ("eye", "30,50", "out-in", "1", "f16"),
        ("dirac", "16,8,3,3", "out-in", "2", "f32"),
        ("delta_orthogonal", "3,3,16,32", "in-out", "1", "bf16"),
        (
            "sparse(sparsity=0.2, std=0.05)",
            "500,100",
            "out-in",
            "1",
            "f32",
        ),
    ] {
        let file = if dtype == "f32" || dtype == "f64" {
            "s.npy"
        } else {
            "s.safetensors"
        };
        let out = sample(
            dir.path(),
            file,
            &[
                "--scheme", scheme, "--shape", shape, "--layout", layout, "--groups", groups,
                "--dtype", dtype, "--seed", "3",
            ],
        );
        let tensor = read_tensor(&out, None).unwrap();
        let dims: Vec<usize> = shape.split(',').map(|d| d.parse().unwrap()).collect();
        assert_eq!(tensor.shape(), &dims[..]);
        let law = structured_law(scheme, &dims, layout, groups.parse().unwrap());
        let verdict =
            initspec_verify::check::check_sample(&law, &tensor.to_f64(), storage_of(dtype), 1e-6);
        assert!(
            verdict.pass,
            "{scheme} {shape} {dtype}: rejected at α = 1e-6, n = {}, seed 3: {:?}",
            tensor.len(),
            verdict.checks
        );
        // Exactly the library's f64 tensor, rounded to the dtype.
        let mut exact = vec![0f64; tensor.len()];
        Sampler::new(&law, Stream::new(3, "weight")).fill(&mut exact);
        for (got, want) in tensor.to_f64().iter().zip(&exact) {
            assert_eq!(*got, storage_of(dtype).round(*want), "{scheme} {dtype}");
        }
    }
}

#[test]
fn structured_samples_are_thread_invariant_and_haar_over_200_seeds() {
    let dir = tempfile::tempdir().unwrap();
    for scheme in ["orthogonal", "sparse(sparsity=0.3)", "delta_orthogonal"] {
        let shape = if scheme == "delta_orthogonal" {
            "3,3,200,300"
        } else {
            "300,200"
        };
        let layout = if scheme == "delta_orthogonal" {
            "in-out"
        } else {
            "out-in"
        };
        let base = ["--scheme", scheme, "--shape", shape, "--layout", layout];
        let one = std::fs::read(sample(
            dir.path(),
            "a.npy",
            &[&base[..], &["--threads", "1"]].concat(),
        ))
        .unwrap();
        let two = std::fs::read(sample(
            dir.path(),
            "b.npy",
            &[&base[..], &["--threads", "2"]].concat(),
        ))
        .unwrap();
        assert_eq!(one, two, "{scheme}: --threads 1 and 2 differ");
    }
    // 200 seeds of an 8×8 orthogonal matrix, pooled: mean trace and W₁₁ against the Haar law
    // (α = 1e-6, seeds 0..200, name "weight").
    let matrices: Vec<Vec<f64>> = (0..200)
        .map(|seed| {
            let out = sample(
                dir.path(),
                "h.npy",
                &[
                    "--scheme",
                    "orthogonal",
                    "--shape",
                    "8,8",
                    "--dtype",
                    "f64",
                    "--seed",
                    &seed.to_string(),
                ],
            );
            read_tensor(&out, None).unwrap().to_f64()
        })
        .collect();
    let law = structured_law("orthogonal", &[8, 8], "out-in", 1);
    let verdict = initspec_verify::structured::check_haar_ensemble(
        &law,
        &matrices,
        initspec_verify::storage::Storage::F64,
        1e-6,
    );
    assert!(verdict.pass, "{:?}", verdict.checks);
}

/// The transformer schemes through the real binary: a file drawn with one conforms to it and
/// not to its neighbour (a layer index read from 1, one residual branch instead of two, T5's
/// query without its 1/√d_kv, DeepNet's decoder-only β in an encoder–decoder's decoder).
#[test]
fn transformer_schemes_are_sampled_and_audited_by_their_parameters() {
    /// Per-tensor family-wise level of the audits.
    const ALPHA: &str = "1e-6";
    /// 2¹⁸ values per file, drawn at `sample`'s default seed 0 and name "weight".
    const SHAPE: &str = "512,512";
    let dir = tempfile::tempdir().unwrap();
    let audit = |file: &Path, scheme: &str| -> Option<i32> {
        let output = Command::cargo_bin("initspec")
            .unwrap()
            .args(["audit", "--alpha", ALPHA, "--scheme", scheme])
            .arg(file)
            .output()
            .unwrap();
        output.status.code()
    };
    for (i, (scheme, dtype, neighbour)) in [
        (
            "mitchell_out(d=4096, layer_id=3)",
            "bf16",
            "mitchell_out(d=4096, layer_id=4)",
        ),
        (
            "scaled_normal(n_layer=24)",
            "f32",
            "scaled_normal(n_layer=24, residuals=1)",
        ),
        ("t5_q(d_model=512, d_kv=64)", "f32", "t5_dense(d_in=512)"),
        (
            "deepnorm_encdec_decoder(n_decoder=12)",
            "f16",
            "deepnorm(n_layer=12)",
        ),
        (
            "wang_init(d=6144, n_layer=44)",
            "bf16",
            "small_init(d=6144)",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let file = sample(
            dir.path(),
            &format!("t{i}.safetensors"),
            &["--scheme", scheme, "--shape", SHAPE, "--dtype", dtype],
        );
        assert_eq!(
            audit(&file, scheme),
            Some(0),
            "{scheme} {dtype}: its own draw does not conform (α = {ALPHA}, n = 2^18, seed 0)"
        );
        assert_eq!(
            audit(&file, neighbour),
            Some(1),
            "{scheme} {dtype}: conforms to {neighbour} too (α = {ALPHA}, n = 2^18, seed 0)"
        );
    }
}

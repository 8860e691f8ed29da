//! candle 0.11 (candle-nn, CPU backend): every `Init` variant and the defaults of `linear`,
//! `conv1d`, `conv2d`, `conv_transpose1d`, `conv_transpose2d`, `embedding`, `lstm`, `gru`,
//! `layer_norm` and `batch_norm`, audited at α = 10⁻⁶ with n ≥ 10⁵ values per weight where the
//! layer has that many.
//!
//! candle's CPU generator is `rand::rng()` and cannot be seeded (`Device::set_seed` fails on
//! the CPU), so these draws are not fixed-seed: each verdict is on a fresh draw, held at
//! α = 10⁻⁶ (family-wise within the audit). The file makes 41 verdicts that must pass; 27 of
//! them are statistical verdicts on unseeded draws (the others are exact constant checks or a
//! seeded stream), so a false failure of the file has probability below 3·10⁻⁵ a run. The
//! differences asserted as findings (4× to 12× in variance, a bound 2.1× too wide, zero biases,
//! values 1.6× as frequent as their rounded law allows) are far beyond what the checks need.
//!
//! candle-nn's `init` module says it "is based on" PyTorch's `torch/nn/init.py`, and its
//! layers name and shape their weights as PyTorch's do (`weight` [out, in], `weight_ih_l0`),
//! so PyTorch checkpoints load into them. Where candle's default differs from the PyTorch
//! layer it mirrors, the test asserts the difference as found; it fails when candle changes.

use candle_core::{DType, Device, Tensor};
use candle_nn::init::{
    DEFAULT_KAIMING_NORMAL, DEFAULT_KAIMING_UNIFORM, FanInOut, NonLinearity, NormalOrUniform,
};
use candle_nn::{
    Conv1dConfig, Conv2dConfig, ConvTranspose1dConfig, ConvTranspose2dConfig, GRUConfig, Init,
    LSTMConfig, VarBuilder, VarMap,
};
use initspec::Layout;
use initspec_ecosystem::{assert_does_not_conform, verdict};
use initspec_verify::assert_conforms;

/// The tensor's values in C order, widened to f32 (exact from f32, bf16 and f16), and its shape.
fn values(tensor: &Tensor) -> (Vec<f32>, Vec<usize>) {
    let flat = tensor
        .flatten_all()
        .and_then(|t| t.to_dtype(DType::F32))
        .and_then(|t| t.to_vec1::<f32>());
    (
        flat.expect("a floating-point CPU tensor"),
        tensor.dims().to_vec(),
    )
}

/// Draws `init` on `shape` in f32 on the CPU, as `VarBuilder::get_with_hints` does.
fn draw(init: Init, shape: &[usize]) -> Vec<f32> {
    let var = init
        .var(shape, DType::F32, &Device::Cpu)
        .expect("candle draws on the CPU");
    values(var.as_tensor()).0
}

/// The variable `name` that a layer constructor registered in `varmap`.
fn var(varmap: &VarMap, name: &str) -> (Vec<f32>, Vec<usize>) {
    let vars = varmap.data().lock().expect("an unpoisoned VarMap");
    values(
        vars.get(name)
            .unwrap_or_else(|| panic!("no variable {name}"))
            .as_tensor(),
    )
}

fn builder(varmap: &VarMap, dtype: DType) -> VarBuilder<'_> {
    VarBuilder::from_varmap(varmap, dtype, &Device::Cpu)
}

/// PyTorch's `nn.Linear`/`nn.Conv*` default, `kaiming_uniform_(a=√5)`: U(±1/√fan_in).
const PYTORCH_LAYER_DEFAULT: &str = "kaiming_uniform(a=2.23606797749979)";

/// U(±bound) as a scheme.
fn symmetric_uniform(bound: f64) -> String {
    format!("uniform(a={}, b={})", -bound, bound)
}

// candle's weights are [out, in, k…] as PyTorch's: the out-in layout.
const SHAPE: [usize; 2] = [256, 512];

#[test]
fn base_initializers_draw_their_laws() {
    let cases = [
        (Init::Const(0.5), "constant(value=0.5)"),
        (candle_nn::init::ONE, "ones"),
        (candle_nn::init::ZERO, "zeros"),
        (
            Init::Uniform { lo: -0.3, up: 0.7 },
            "uniform(a=-0.3, b=0.7)",
        ),
        (
            Init::Randn {
                mean: 0.1,
                stdev: 0.5,
            },
            "normal(mean=0.1, std=0.5)",
        ),
    ];
    for (init, scheme) in cases {
        assert_conforms(&draw(init, &SHAPE), &SHAPE, scheme, Layout::OutIn);
    }
    // Negative control: a normal with the uniform's variance is not the uniform.
    let w = draw(
        Init::Randn {
            mean: 0.2,
            stdev: 1.0 / 12f64.sqrt(),
        },
        &SHAPE,
    );
    assert_does_not_conform(&w, &SHAPE, "uniform(a=-0.3, b=0.7)", Layout::OutIn);
}

#[test]
fn kaiming_follows_pytorchs_formula_and_gains() {
    let kaiming = |dist, fan, non_linearity| Init::Kaiming {
        dist,
        fan,
        non_linearity,
    };
    use FanInOut::{FanIn, FanOut};
    use NormalOrUniform::{Normal, Uniform};
    let cases = [
        (
            DEFAULT_KAIMING_UNIFORM,
            "kaiming_uniform(nonlinearity=relu)",
        ),
        (DEFAULT_KAIMING_NORMAL, "kaiming_normal(nonlinearity=relu)"),
        (
            kaiming(Normal, FanOut, NonLinearity::Tanh),
            "kaiming_normal(nonlinearity=tanh, mode=fan_out)",
        ),
        (
            kaiming(Uniform, FanOut, NonLinearity::SELU),
            "kaiming_uniform(nonlinearity=selu, mode=fan_out)",
        ),
        (
            kaiming(Uniform, FanIn, NonLinearity::Sigmoid),
            "kaiming_uniform(nonlinearity=sigmoid)",
        ),
        (
            kaiming(Normal, FanIn, NonLinearity::Linear),
            "kaiming_normal(nonlinearity=linear)",
        ),
        // An explicit gain g gives std g/√fan: variance scaling by g².
        (
            kaiming(Normal, FanIn, NonLinearity::ExplicitGain(3.0)),
            "variance_scaling(scale=9, mode=fan_in, distribution=untruncated_normal)",
        ),
    ];
    for (init, scheme) in cases {
        assert_conforms(&draw(init, &SHAPE), &SHAPE, scheme, Layout::OutIn);
    }
    // A conv kernel [out, in, k, k]: fans include the receptive field, as PyTorch's.
    let kernel = [128usize, 64, 3, 3];
    assert_conforms(
        &draw(DEFAULT_KAIMING_NORMAL, &kernel),
        &kernel,
        "kaiming_normal(nonlinearity=relu)",
        Layout::OutIn,
    );
    let w = draw(kaiming(Normal, FanOut, NonLinearity::ReLU), &kernel);
    assert_conforms(
        &w,
        &kernel,
        "kaiming_normal(nonlinearity=relu, mode=fan_out)",
        Layout::OutIn,
    );
    // Negative control: fan_out (256) and fan_in (512) differ by 2× in variance here.
    let fan_out = draw(kaiming(Normal, FanOut, NonLinearity::ReLU), &SHAPE);
    assert_does_not_conform(
        &fan_out,
        &SHAPE,
        "kaiming_normal(nonlinearity=relu)",
        Layout::OutIn,
    );
}

#[test]
fn linear_draws_he_normal_not_pytorchs_default() {
    let varmap = VarMap::new();
    candle_nn::linear(784, 256, builder(&varmap, DType::F32).pp("fc")).expect("linear");
    let (w, shape) = var(&varmap, "fc.weight");
    assert_eq!(shape, [256, 784]);
    // Finding: N(0, 2/fan_in) (DEFAULT_KAIMING_NORMAL), 6× the variance of nn.Linear's
    // U(±1/√fan_in), whose variance is 1/(3·fan_in).
    assert_conforms(
        &w,
        &shape,
        "kaiming_normal(nonlinearity=relu)",
        Layout::OutIn,
    );
    assert_does_not_conform(&w, &shape, PYTORCH_LAYER_DEFAULT, Layout::OutIn);
    // The bias is PyTorch's: U(±1/√in).
    let (b, shape) = var(&varmap, "fc.bias");
    assert_conforms(
        &b,
        &shape,
        &symmetric_uniform(1.0 / 784f64.sqrt()),
        Layout::OutIn,
    );
}

/// The verdict on `values` (widened from `dtype`, a half type, exactly) audited in `dtype`.
fn verdict_in(
    dtype: DType,
    values: &[f32],
    shape: &[usize],
    scheme: &str,
) -> (bool, initspec_verify::audit::Audit) {
    let audit = match dtype {
        DType::BF16 => verdict(
            &values
                .iter()
                .map(|&v| half::bf16::from_f32(v))
                .collect::<Vec<_>>(),
            shape,
            scheme,
            Layout::OutIn,
        ),
        DType::F16 => verdict(
            &values
                .iter()
                .map(|&v| half::f16::from_f32(v))
                .collect::<Vec<_>>(),
            shape,
            scheme,
            Layout::OutIn,
        ),
        _ => panic!("{dtype:?} is not a half type"),
    };
    audit.expect("valid claim")
}

/// The names of the checks that failed.
fn failed_checks(audit: &initspec_verify::audit::Audit) -> Vec<&str> {
    audit
        .verdict
        .checks
        .iter()
        .filter(|c| !c.pass)
        .map(|c| c.name.as_str())
        .collect()
}

#[test]
fn half_precision_normals_are_rounded_twice() {
    // Finding: in bf16 and f16 candle draws z ~ N(0, 1) in f32, rounds z to the half type, and
    // multiplies by σ rounded to it, rounding again (`rand_distr::Normal<bf16>` on `half`'s
    // arithmetic). Two roundings are not the normal rounded once: where z's grid, scaled by σ,
    // is coarser than the output grid, some stored values take two cells of z and their
    // neighbours none. The shape and variance pass; `atoms` finds values ~1.6× as frequent as
    // the rounded law allows. fan_in 784 (σ = 0.0505); n = 200 704 in bf16, and 4 214 784 in
    // f16, whose finer grid spreads the excess over more values (f16 at n = 200 704 passes).
    let scheme = "kaiming_normal(nonlinearity=relu)";
    for (dtype, outputs) in [(DType::BF16, 256), (DType::F16, 5376)] {
        let varmap = VarMap::new();
        candle_nn::linear(784, outputs, builder(&varmap, dtype).pp("fc")).expect("linear");
        let (w, shape) = var(&varmap, "fc.weight");
        let (pass, audit) = verdict_in(dtype, &w, &shape, scheme);
        assert!(
            !pass,
            "{dtype:?} linear weight conforms: candle rounds once now"
        );
        assert_eq!(
            failed_checks(&audit),
            ["atoms"],
            "{dtype:?}:\n{}",
            initspec_verify::conforms::report(&audit)
        );
        // The bias, a uniform drawn in f32 and rounded once, conforms.
        let (b, shape) = var(&varmap, "fc.bias");
        let (pass, audit) = verdict_in(dtype, &b, &shape, &symmetric_uniform(1.0 / 784f64.sqrt()));
        assert!(
            pass,
            "{dtype:?} bias:\n{}",
            initspec_verify::conforms::report(&audit)
        );
    }
    // The mechanism, reproduced with a seeded stream (seed 3, α = 1e-6, n = 200 704): the
    // double rounding fails `atoms` alone; the same normals rounded once conform.
    let law: initspec::Law = "normal(mean=0, std=1)".parse().expect("law");
    let mut z = vec![0f32; 256 * 784];
    initspec::Sampler::new(&law, initspec::Stream::new(3, "z")).fill(&mut z);
    let sigma = (2.0f64 / 784.0).sqrt();
    let twice: Vec<half::bf16> = z
        .iter()
        .map(|&z| {
            half::bf16::from_f32(
                half::bf16::from_f64(sigma).to_f32() * half::bf16::from_f32(z).to_f32(),
            )
        })
        .collect();
    let (pass, audit) = verdict(&twice, &[256, 784], scheme, Layout::OutIn).expect("valid claim");
    assert!(
        !pass && failed_checks(&audit) == ["atoms"],
        "{}",
        initspec_verify::conforms::report(&audit)
    );
    let once: Vec<half::bf16> = z
        .iter()
        .map(|&z| half::bf16::from_f64(sigma * f64::from(z)))
        .collect();
    assert_conforms(&once, &[256, 784], scheme, Layout::OutIn);
}

#[test]
fn convolutions_draw_he_normal_and_their_biases_ignore_the_kernel() {
    // conv2d [out, in/groups, k, k]: N(0, 2/fan_in) with fan_in = in/groups·k², as He.
    let varmap = VarMap::new();
    let cfg = Conv2dConfig {
        groups: 2,
        ..Default::default()
    };
    candle_nn::conv2d(32, 2048, 3, cfg, builder(&varmap, DType::F32).pp("conv")).expect("conv2d");
    let (w, shape) = var(&varmap, "conv.weight");
    assert_eq!(shape, [2048, 16, 3, 3]);
    assert_conforms(
        &w,
        &shape,
        "kaiming_normal(nonlinearity=relu)",
        Layout::OutIn,
    );
    assert_does_not_conform(&w, &shape, PYTORCH_LAYER_DEFAULT, Layout::OutIn);
    // Finding: the bias bound is 1/√in_channels; PyTorch's nn.Conv2d uses 1/√fan_in with
    // fan_in = in/groups·k² = 144, a bound √(144/32) = 2.1× narrower.
    let (b, shape) = var(&varmap, "conv.bias");
    assert_conforms(
        &b,
        &shape,
        &symmetric_uniform(1.0 / 32f64.sqrt()),
        Layout::OutIn,
    );
    assert_does_not_conform(
        &b,
        &shape,
        &symmetric_uniform(1.0 / 144f64.sqrt()),
        Layout::OutIn,
    );

    // conv1d, the same two laws: weight He normal, bias U(±1/√in).
    let varmap = VarMap::new();
    candle_nn::conv1d(
        64,
        2048,
        5,
        Conv1dConfig::default(),
        builder(&varmap, DType::F32).pp("c1"),
    )
    .expect("conv1d");
    let (w, shape) = var(&varmap, "c1.weight");
    assert_conforms(
        &w,
        &shape,
        "kaiming_normal(nonlinearity=relu)",
        Layout::OutIn,
    );
    let (b, shape) = var(&varmap, "c1.bias");
    assert_conforms(
        &b,
        &shape,
        &symmetric_uniform(1.0 / 64f64.sqrt()),
        Layout::OutIn,
    );
    assert_does_not_conform(
        &b,
        &shape,
        &symmetric_uniform(1.0 / 320f64.sqrt()),
        Layout::OutIn,
    );
}

#[test]
fn transposed_convolutions_are_pytorchs_without_groups() {
    // conv_transpose2d weight [in, out, k, k], U(±1/√(out·k²)) for weight and bias: PyTorch's
    // nn.ConvTranspose2d (its fan_in is dims[1]·k²). candle's config has no groups.
    let varmap = VarMap::new();
    let cfg = ConvTranspose2dConfig::default();
    candle_nn::conv_transpose2d(256, 64, 3, cfg, builder(&varmap, DType::F32).pp("up"))
        .expect("conv_transpose2d");
    let (w, shape) = var(&varmap, "up.weight");
    assert_eq!(shape, [256, 64, 3, 3]);
    assert_conforms(&w, &shape, PYTORCH_LAYER_DEFAULT, Layout::OutIn);
    let (b, shape) = var(&varmap, "up.bias");
    assert_conforms(
        &b,
        &shape,
        &symmetric_uniform(1.0 / 576f64.sqrt()),
        Layout::OutIn,
    );

    // Finding: conv_transpose1d with groups g stores [in, out/g, k] but bounds by
    // 1/√(out·k), √g narrower than PyTorch's 1/√(out/g·k).
    let varmap = VarMap::new();
    let cfg = ConvTranspose1dConfig {
        groups: 4,
        ..Default::default()
    };
    candle_nn::conv_transpose1d(1024, 256, 4, cfg, builder(&varmap, DType::F32).pp("up1"))
        .expect("conv_transpose1d");
    let (w, shape) = var(&varmap, "up1.weight");
    assert_eq!(shape, [1024, 64, 4]);
    assert_conforms(
        &w,
        &shape,
        &symmetric_uniform(1.0 / 1024f64.sqrt()),
        Layout::OutIn,
    );
    assert_does_not_conform(&w, &shape, PYTORCH_LAYER_DEFAULT, Layout::OutIn);
}

#[test]
fn embedding_and_normalization_layers_are_pytorchs() {
    let varmap = VarMap::new();
    let vb = builder(&varmap, DType::F32);
    candle_nn::embedding(1000, 128, vb.pp("emb")).expect("embedding");
    candle_nn::layer_norm(4096, 1e-5, vb.pp("ln")).expect("layer_norm");
    candle_nn::batch_norm(4096, 1e-5, vb.pp("bn")).expect("batch_norm");
    let (w, shape) = var(&varmap, "emb.weight");
    assert_conforms(&w, &shape, "normal(mean=0, std=1)", Layout::OutIn);
    assert_does_not_conform(&w, &shape, "normal(mean=0, std=0.02)", Layout::OutIn);
    for (name, scheme) in [
        ("ln.weight", "ones"),
        ("ln.bias", "zeros"),
        ("bn.weight", "ones"),
        ("bn.bias", "zeros"),
        ("bn.running_mean", "zeros"),
        ("bn.running_var", "ones"),
    ] {
        let (v, shape) = var(&varmap, name);
        assert_conforms(&v, &shape, scheme, Layout::OutIn);
    }
}

#[test]
fn recurrent_layers_draw_he_uniform_not_pytorchs_uniform() {
    // PyTorch's nn.LSTM and nn.GRU draw every weight and bias from U(±1/√hidden).
    let (input, hidden) = (128usize, 256usize);
    let pytorch = symmetric_uniform(1.0 / (hidden as f64).sqrt());
    let varmap = VarMap::new();
    let vb = builder(&varmap, DType::F32);
    candle_nn::lstm(input, hidden, LSTMConfig::default(), vb.pp("lstm")).expect("lstm");
    candle_nn::gru(input, hidden, GRUConfig::default(), vb.pp("gru")).expect("gru");
    for (layer, gates) in [("lstm", 4), ("gru", 3)] {
        // Finding: the weights are DEFAULT_KAIMING_UNIFORM, U(±√(6/fan_in)) with fan_in the
        // input width (w_ih) or the hidden width (w_hh): 12× (w_ih) and 6× (w_hh) PyTorch's
        // variance here; the biases are zeros.
        let (w_ih, shape) = var(&varmap, &format!("{layer}.weight_ih_l0"));
        assert_eq!(shape, [gates * hidden, input]);
        assert_conforms(
            &w_ih,
            &shape,
            "kaiming_uniform(nonlinearity=relu)",
            Layout::OutIn,
        );
        assert_does_not_conform(&w_ih, &shape, &pytorch, Layout::OutIn);
        let (w_hh, shape) = var(&varmap, &format!("{layer}.weight_hh_l0"));
        assert_eq!(shape, [gates * hidden, hidden]);
        assert_conforms(
            &w_hh,
            &shape,
            "kaiming_uniform(nonlinearity=relu)",
            Layout::OutIn,
        );
        assert_does_not_conform(&w_hh, &shape, &pytorch, Layout::OutIn);
        for bias in ["bias_ih_l0", "bias_hh_l0"] {
            let (b, shape) = var(&varmap, &format!("{layer}.{bias}"));
            assert_conforms(&b, &shape, "zeros", Layout::OutIn);
            assert_does_not_conform(&b, &shape, &pytorch, Layout::OutIn);
        }
    }
}

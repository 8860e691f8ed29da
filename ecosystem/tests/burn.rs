//! burn 0.22 (ndarray backend): every `Initializer` variant and the `Linear`, `Conv2d` and
//! `Embedding` defaults, audited against the law burn's documentation promises, at α = 10⁻⁶
//! with burn's generator seeded (seed 0), n ≥ 10⁵ values per weight.

use burn::module::Initializer;
use burn::nn::conv::Conv2dConfig;
use burn::nn::{EmbeddingConfig, LinearConfig};
use burn::tensor::{Device, Tensor};
use initspec::Layout;
use initspec_ecosystem::assert_does_not_conform;
use initspec_verify::assert_conforms;

fn device() -> Device {
    let device = Device::default();
    device.seed(0);
    device
}

fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_to_vec::<f32>().expect("f32 tensors")
}

/// Draws `init` on a `[rows, cols]` tensor with fans (`fan_in`, `fan_out`) given explicitly,
/// as burn's layers call it.
fn draw(init: &Initializer, shape: [usize; 2], fan_in: usize, fan_out: usize) -> Vec<f32> {
    values(
        init.init_with::<2, _>(shape, Some(fan_in), Some(fan_out), &device())
            .val(),
    )
}

// burn's Linear weight is [d_input, d_output] (LinearLayout::Row): the in-out layout.
const SHAPE: [usize; 2] = [512, 256];
const FAN_IN: usize = 512;
const FAN_OUT: usize = 256;

#[test]
fn base_initializers_draw_their_laws() {
    let cases = [
        (Initializer::Constant { value: 0.5 }, "constant(value=0.5)"),
        (Initializer::Ones, "ones"),
        (Initializer::Zeros, "zeros"),
        (
            Initializer::Uniform {
                min: -0.3,
                max: 0.7,
            },
            "uniform(a=-0.3, b=0.7)",
        ),
        (
            Initializer::Normal {
                mean: 0.1,
                std: 0.5,
            },
            "normal(mean=0.1, std=0.5)",
        ),
    ];
    for (init, scheme) in cases {
        assert_conforms(
            &draw(&init, SHAPE, FAN_IN, FAN_OUT),
            &SHAPE,
            scheme,
            Layout::InOut,
        );
    }
}

#[test]
fn kaiming_and_xavier_follow_the_pytorch_formulas_with_burns_fans() {
    // Kaiming: bound √3·gain/√fan, std gain/√fan, fan = fan_in (fan_out with fan_out_only).
    let g = 2f64.sqrt();
    let cases = [
        (
            Initializer::KaimingUniform {
                gain: g,
                fan_out_only: false,
            },
            "kaiming_uniform(nonlinearity=relu)",
        ),
        (
            Initializer::KaimingUniform {
                gain: g,
                fan_out_only: true,
            },
            "kaiming_uniform(nonlinearity=relu, mode=fan_out)",
        ),
        (
            Initializer::KaimingNormal {
                gain: g,
                fan_out_only: false,
            },
            "kaiming_normal(nonlinearity=relu)",
        ),
        (
            Initializer::KaimingNormal {
                gain: g,
                fan_out_only: true,
            },
            "kaiming_normal(nonlinearity=relu, mode=fan_out)",
        ),
        (Initializer::XavierUniform { gain: 1.0 }, "xavier_uniform"),
        (Initializer::XavierNormal { gain: 1.0 }, "xavier_normal"),
        (
            Initializer::XavierUniform { gain: 5.0 / 3.0 },
            "xavier_uniform(gain=1.6666666666666667)",
        ),
    ];
    for (init, scheme) in cases {
        let w = draw(&init, SHAPE, FAN_IN, FAN_OUT);
        assert_conforms(&w, &SHAPE, scheme, Layout::InOut);
    }
    // Negative control: the fan-in and fan-out versions differ by 2× in variance here.
    let fan_out = draw(
        &Initializer::KaimingNormal {
            gain: g,
            fan_out_only: true,
        },
        SHAPE,
        FAN_IN,
        FAN_OUT,
    );
    assert_does_not_conform(
        &fan_out,
        &SHAPE,
        "kaiming_normal(nonlinearity=relu)",
        Layout::InOut,
    );
}

#[test]
fn orthogonal_is_haar_as_pytorchs() {
    // burn follows torch.nn.init.orthogonal_: rows = dims[0], sign fixed by diag(R).
    let shape = [128usize, 256];
    let w = draw(&Initializer::Orthogonal { gain: 1.0 }, shape, 256, 128);
    assert_conforms(&w, &shape, "orthogonal", Layout::OutIn);
    let tall = [256usize, 64];
    let w = draw(&Initializer::Orthogonal { gain: 2.0 }, tall, 64, 256);
    assert_conforms(&w, &tall, "orthogonal(gain=2)", Layout::OutIn);
}

#[test]
fn layer_defaults_are_pytorchs() {
    let device = device();
    // LinearConfig: KaimingUniform { gain: 1/√3 } → U(±1/√d_input), PyTorch's nn.Linear default;
    // the bias is drawn by the same initializer with the weight's fan_in: U(±1/√d_input).
    let linear = LinearConfig::new(784, 256).init(&device);
    let w = values(linear.weight.val());
    assert_conforms(
        &w,
        &[784, 256],
        "kaiming_uniform(a=2.23606797749979)",
        Layout::InOut,
    );
    let b = values(linear.bias.expect("bias by default").val());
    let bound = 1.0 / 784f64.sqrt();
    assert_conforms(
        &b,
        &[256],
        &format!("uniform(a={}, b={})", -bound, bound),
        Layout::OutIn,
    );
    // Conv2d [out, in/g, k, k], groups 2: fan_in = in/g·k² as PyTorch.
    let conv = Conv2dConfig::new([32, 64], [3, 3])
        .with_groups(2)
        .init(&device);
    let w = values(conv.weight.val());
    assert_conforms(
        &w,
        &[64, 16, 3, 3],
        "kaiming_uniform(a=2.23606797749979)",
        Layout::OutIn,
    );
    // Embedding: N(0, 1), as nn.Embedding.
    let embedding = EmbeddingConfig::new(1000, 128).init(&device);
    let w = values(embedding.weight.val());
    assert_conforms(&w, &[1000, 128], "normal(mean=0, std=1)", Layout::OutIn);
    // Negative control: the Linear default is not He.
    let linear = LinearConfig::new(784, 256).init(&device);
    assert_does_not_conform(
        &values(linear.weight.val()),
        &[784, 256],
        "kaiming_uniform(nonlinearity=relu)",
        Layout::InOut,
    );
}

#[test]
fn lstm_default_is_xavier_normal_with_random_biases_not_pytorchs_uniform() {
    // burn documents `LstmConfig::initializer` = XavierNormal { gain: 1 }. Each gate is two
    // Linear layers ([d_input, d_hidden] and [d_hidden, d_hidden], in-out) and the biases
    // are drawn by the same initializer with the weight's fans: N(0, 2/(fan_in + fan_out)).
    // Found (documented by burn, but not PyTorch's convention): PyTorch's nn.LSTM draws every
    // weight and bias from U(±1/√d_hidden), variance 1/(3·d_hidden); burn's weights have 4×
    // (input, fans 256 + 512) and 3× (hidden, 512 + 512) that variance here, and its biases
    // are normal, where PyTorch's are uniform.
    let (d_input, d_hidden) = (256usize, 512usize);
    let lstm = burn::nn::LstmConfig::new(d_input, d_hidden, true).init(&device());
    let pytorch = format!(
        "uniform(a={}, b={})",
        -1.0 / (d_hidden as f64).sqrt(),
        1.0 / (d_hidden as f64).sqrt()
    );
    for gate in [
        &lstm.input_gate,
        lstm.forget_gate.as_ref().expect("a forget gate by default"),
        &lstm.output_gate,
        &lstm.cell_gate,
    ] {
        for (transform, fan_in) in [
            (&gate.input_transform, d_input),
            (&gate.hidden_transform, d_hidden),
        ] {
            let w = values(transform.weight.val());
            let shape = [fan_in, d_hidden];
            assert_conforms(&w, &shape, "xavier_normal", Layout::InOut);
            assert_does_not_conform(&w, &shape, &pytorch, Layout::InOut);
            let b = values(transform.bias.as_ref().expect("bias").val());
            let std = (2.0 / (fan_in + d_hidden) as f64).sqrt();
            assert_conforms(
                &b,
                &[d_hidden],
                &format!("normal(mean=0, std={std})"),
                Layout::OutIn,
            );
            assert_does_not_conform(&b, &[d_hidden], &pytorch, Layout::OutIn);
        }
    }
}

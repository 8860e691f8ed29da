//! The transformer family: the depth- and width-aware schemes of large-language-model
//! codebases, each a law of its explicit parameters (depth, width, layer index), never of
//! hidden model state. docs/SPEC.md §3.13–3.19 derives each one and cites its source.
//!
//! | scheme | law | source |
//! |---|---|---|
//! | `scaled_normal(n_layer, std=0.02, residuals=2)` | N(0, (std/√(residuals·n_layer))²) | GPT-2, Megatron-LM, GPT-NeoX |
//! | `small_init(d)` | N(0, 2/(5·d)) | GPT-NeoX (Nguyen & Salazar 2019) |
//! | `wang_init(d, n_layer)` | N(0, (2/(n_layer·√d))²) | GPT-NeoX, GPT-J (Black et al. 2022) |
//! | `mitchell(d, cutoff=3)` | TN(0, σ, ±cutoff·σ), σ = 1/√d | OLMo `InitFnType.mitchell` |
//! | `mitchell_out(d, layer_id, cutoff=3)` | TN(0, σ, ±cutoff·σ), σ = 1/√(2·d·(layer_id+1)) | OLMo, residual outputs |
//! | `deepnorm(n_layer)` | `xavier_normal(gain=(8·n_layer)^(−1/4))` | DeepNet (Wang et al. 2022) |
//! | `deepnorm_encdec_encoder(n_encoder, n_decoder)` | `xavier_normal(gain=0.87·(N⁴M)^(−1/16))` | DeepNet, encoder–decoder |
//! | `deepnorm_encdec_decoder(n_decoder)` | `xavier_normal(gain=(12·M)^(−1/4))` | DeepNet, encoder–decoder |
//! | `t5_q(d_model, d_kv, factor=1)` | N(0, (factor·(d_model·d_kv)^(−1/2))²) | T5 / Mesh TensorFlow |
//! | `t5_dense(d_in, factor=1)` | N(0, (factor·d_in^(−1/2))²) | T5 / Mesh TensorFlow |
//! | `t5_embedding(factor=1)` | N(0, factor²) | T5 / Mesh TensorFlow |
//!
//! Each law function takes its row's arguments ([`Args`]) in the order of the row's
//! parameters in [`super::table`]. Every evaluation below is a fixed sequence of correctly
//! rounded f64 operations (`+ − × ÷ √` and the correctly rounded x^(−1/2) of [`rsqrt`]), so a
//! law's printed parameters are the same on every machine.

use super::Scheme;
use super::params::{Args, Value};
use super::pytorch::xavier_std;
use super::table::row;
use crate::error::Result;
use crate::fans::Fans;
use crate::law::{Law, Normal, TruncatedNormal};

/// DeepNet's factor of β for the encoder of an encoder–decoder: β = 0.87·(N⁴·M)^(−1/16)
/// (Wang et al. 2022, Table 1).
const DEEPNET_ENCDEC_ENCODER_BETA: f64 = 0.87;

impl Scheme {
    /// `scaled_normal(n_layer, std=0.02, residuals=2)`: N(0, σ²) with
    /// σ = std/√(residuals·n_layer), the residual-output init of GPT-2, Megatron-LM and
    /// GPT-NeoX.
    ///
    /// The weights that write into the residual stream (attention output and MLP output
    /// projections: GPT-2's `c_proj`, Megatron's `dense`/`dense_4h_to_h`) are drawn with the
    /// base std divided by √N, N = residuals·n_layer the number of residual branches, so that
    /// the residual stream's variance stays O(1) with depth.[^gpt2] `residuals` is the branches
    /// per layer: 2 (attention and MLP) by default, 1 for GPT-NeoX's
    /// `single_residual_scaled_normal` (Mamba) and Megatron's hybrid models.
    ///
    /// # Formula
    /// ```text
    /// σ = std / √(residuals · n_layer)          (reference: std / (residuals·n_layer).sqrt())
    /// ```
    ///
    /// # Errors
    /// `n_layer` or `residuals` of 0 ([`crate::Error::NotPositive`]); `std` not finite or not
    /// > 0.
    ///
    /// # Example
    /// ```
    /// use initspec::Scheme;
    /// // GPT-2 small: 12 layers, initializer_range 0.02, so σ = 0.02/√24.
    /// let law = Scheme::scaled_normal(12, 0.02, 2).unwrap().base_law().unwrap();
    /// assert_eq!(law.to_string(), "normal(mean=0, std=0.004082482904638631)");
    /// ```
    ///
    /// [^gpt2]: Radford, A., Wu, J., Child, R., Luan, D., Amodei, D., & Sutskever, I. (2019).
    ///     Language models are unsupervised multitask learners, §2.3; Shoeybi, M. et al.
    ///     (2019). Megatron-LM, arXiv:1909.08053; GPT-NeoX `megatron/model/init_functions.py`.
    pub fn scaled_normal(n_layer: u32, std: f64, residuals: u32) -> Result<Scheme> {
        let args = [
            Value::Count(n_layer as usize),
            Value::Number(std),
            Value::Count(residuals as usize),
        ];
        Scheme::new(row!("scaled_normal"), &args)
    }

    /// `small_init(d)`: N(0, 2/(5·d)), GPT-NeoX's `small_init` for the layers that read the
    /// d-wide residual stream.
    ///
    /// 2/(5·d) is Glorot's 2/(fan_in + fan_out) for a d × 4d feed-forward matrix, fixed for
    /// every layer of the model.[^small]
    ///
    /// # Formula
    /// ```text
    /// σ = √(2 / (5·d))                          (reference: (2.0 / (5.0 * d)).sqrt())
    /// ```
    ///
    /// # Errors
    /// `d` not finite or not > 0.
    ///
    /// # Example
    /// ```
    /// use initspec::Scheme;
    /// let law = Scheme::small_init(768.0).unwrap().base_law().unwrap();
    /// assert_eq!(law.to_string(), "normal(mean=0, std=0.02282177322938192)");
    /// ```
    ///
    /// [^small]: Nguyen, T. Q., & Salazar, J. (2019). Transformers without tears: Improving
    ///     the normalization of self-attention. IWSLT 2019, arXiv:1910.05895; Black, S. et al.
    ///     (2022). GPT-NeoX-20B, arXiv:2204.06745.
    pub fn small_init(d: f64) -> Result<Scheme> {
        Scheme::new(row!("small_init"), &[Value::Number(d)])
    }

    /// `wang_init(d, n_layer)`: N(0, σ²) with σ = 2/(n_layer·√d), GPT-NeoX's `wang_init` for
    /// the residual output projections.
    ///
    /// From Ben Wang's Mesh Transformer JAX (GPT-J), used by GPT-NeoX-20B.[^wang]
    ///
    /// # Formula
    /// ```text
    /// σ = 2 / (n_layer · √d)                    (reference: 2.0 / n_layer / d.sqrt())
    /// ```
    ///
    /// # Errors
    /// `d` not finite or not > 0; `n_layer` of 0.
    ///
    /// # Example
    /// ```
    /// use initspec::Scheme;
    /// // GPT-NeoX-20B: hidden size 6144, 44 layers.
    /// let law = Scheme::wang_init(6144.0, 44).unwrap().base_law().unwrap();
    /// assert_eq!(law.to_string(), "normal(mean=0, std=0.0005798981398634418)");
    /// ```
    ///
    /// [^wang]: Black, S. et al. (2022). GPT-NeoX-20B: An open-source autoregressive language
    ///     model, arXiv:2204.06745; GPT-NeoX `megatron/model/init_functions.py`
    ///     (`wang_init_method`).
    pub fn wang_init(d: f64, n_layer: u32) -> Result<Scheme> {
        Scheme::new(
            row!("wang_init"),
            &[Value::Number(d), Value::Count(n_layer as usize)],
        )
    }

    /// `mitchell(d, cutoff=3)`: TN(0, σ, −cutoff·σ, cutoff·σ) with σ = 1/√d, OLMo's `mitchell`
    /// init of the input projections, embeddings and output head.
    ///
    /// OLMo draws with `torch.nn.init.trunc_normal_(w, std=σ, a=−cutoff·σ, b=cutoff·σ)`:
    /// absolute bounds and **no variance correction**, so the law's std is c(cutoff)·σ,
    /// c(3) = 0.98657839255810862 (docs/SPEC.md §4.4).[^olmo]
    ///
    /// # Formula
    /// ```text
    /// σ = 1/√d,   b = cutoff·σ,   W ~ N(0, σ²) conditioned on [−b, b]
    /// ```
    ///
    /// # Errors
    /// `d` or `cutoff` not finite or not > 0.
    ///
    /// # Example
    /// ```
    /// use initspec::Scheme;
    /// // OLMo-7B: d_model 4096.
    /// let law = Scheme::mitchell(4096.0, 3.0).unwrap().base_law().unwrap();
    /// assert_eq!(law.to_string(), "trunc_normal(mean=0, std=0.015625, a=-0.046875, b=0.046875)");
    /// ```
    ///
    /// [^olmo]: Groeneveld, D. et al. (2024). OLMo: Accelerating the science of language
    ///     models. ACL 2024, arXiv:2402.00838; allenai/OLMo `olmo/model.py`
    ///     (`reset_parameters`, `InitFnType.mitchell`), `olmo/initialization.py` (`init_normal`).
    pub fn mitchell(d: f64, cutoff: f64) -> Result<Scheme> {
        Scheme::new(row!("mitchell"), &[Value::Number(d), Value::Number(cutoff)])
    }

    /// `mitchell_out(d, layer_id, cutoff=3)`: TN(0, σ, −cutoff·σ, cutoff·σ) with
    /// σ = 1/√(2·d·(layer_id + 1)), OLMo's `mitchell` init of block `layer_id`'s residual
    /// output projections (`attn_out` with d = d_model, `ff_out` with d its input width).
    ///
    /// `layer_id` counts from 0, as OLMo's `layer_id` and the block index of tensor names
    /// (`blocks.3.attn_out.weight` has layer_id 3). The std shrinks with the block's depth, not
    /// with the model's.
    ///
    /// # Formula
    /// ```text
    /// σ = 1/√(2·d·(layer_id + 1)),   b = cutoff·σ,   W ~ N(0, σ²) conditioned on [−b, b]
    /// ```
    ///
    /// # Errors
    /// `d` or `cutoff` not finite or not > 0; `layer_id` above 2³² − 1 is not representable
    /// by the `u32` argument.
    ///
    /// # Example
    /// ```
    /// use initspec::Scheme;
    /// // OLMo-7B, attn_out of the last of 32 blocks: σ = 1/√(2·4096·32) = 1/512.
    /// let law = Scheme::mitchell_out(4096.0, 31, 3.0).unwrap().base_law().unwrap();
    /// assert_eq!(law.to_string(), "trunc_normal(mean=0, std=0.001953125, a=-0.005859375, b=0.005859375)");
    /// ```
    pub fn mitchell_out(d: f64, layer_id: u32, cutoff: f64) -> Result<Scheme> {
        let args = [
            Value::Number(d),
            Value::Count(layer_id as usize),
            Value::Number(cutoff),
        ];
        Scheme::new(row!("mitchell_out"), &args)
    }

    /// `deepnorm(n_layer)`: `xavier_normal(gain=β)`, β = (8·n_layer)^(−1/4), DeepNet's init of
    /// the feed-forward, value and output projections of an encoder-only or decoder-only
    /// stack of n_layer layers.
    ///
    /// DeepNet's pseudo-code (Wang et al. 2022, Figure 2) is `xavier_normal_(w, gain=β)` for
    /// `ffn`, `v_proj`, `out_proj` and `xavier_normal_(w, gain=1)` (the plain `xavier_normal`)
    /// for `q_proj`, `k_proj`; β comes from Table 1.[^deepnet]
    ///
    /// # Formula
    /// ```text
    /// β = (8·n_layer)^(−1/4),   W ~ N(0, β²·2/(fan_in + fan_out))
    /// reference: β = 1.0 / (8.0 * n_layer).sqrt().sqrt();  std = β * (2.0 / (fan_in + fan_out)).sqrt()
    /// ```
    ///
    /// # Errors
    /// `n_layer` of 0.
    ///
    /// # Example
    /// ```
    /// use initspec::{Fans, Scheme};
    /// let law = Scheme::deepnorm(100).unwrap().law(&Fans::new(784, 256).unwrap()).unwrap();
    /// assert_eq!(law.to_string(), "normal(mean=0, std=0.0082456677505556)");
    /// ```
    ///
    /// [^deepnet]: Wang, H., Ma, S., Dong, L., Huang, S., Zhang, D., & Wei, F. (2022). DeepNet:
    ///     Scaling transformers to 1,000 layers, arXiv:2203.00555, Table 1 and Figure 2.
    pub fn deepnorm(n_layer: u32) -> Result<Scheme> {
        Scheme::new(row!("deepnorm"), &[Value::Count(n_layer as usize)])
    }

    /// `deepnorm_encdec_encoder(n_encoder, n_decoder)`: `xavier_normal(gain=β)`,
    /// β = 0.87·(N⁴·M)^(−1/16) with N = n_encoder and M = n_decoder, DeepNet's init of the
    /// encoder's feed-forward, value and output projections in an encoder–decoder.
    ///
    /// # Formula
    /// ```text
    /// β = 0.87·(N⁴·M)^(−1/16),   W ~ N(0, β²·2/(fan_in + fan_out))
    /// reference: β = 0.87 / √√√√(N·N·N·N·M)  (products left to right, four square roots)
    /// ```
    ///
    /// # Errors
    /// `n_encoder` or `n_decoder` of 0.
    ///
    /// # Example
    /// ```
    /// use initspec::{Fans, Scheme};
    /// // 6 + 6 layers: β = 0.87·(6⁴·6)^(−1/16); fans (1, 1) make the Xavier factor 1.
    /// let law = Scheme::deepnorm_encdec_encoder(6, 6).unwrap().law(&Fans::new(1, 1).unwrap()).unwrap();
    /// assert_eq!(law.to_string(), "normal(mean=0, std=0.4969892407713235)");
    /// ```
    pub fn deepnorm_encdec_encoder(n_encoder: u32, n_decoder: u32) -> Result<Scheme> {
        let args = [
            Value::Count(n_encoder as usize),
            Value::Count(n_decoder as usize),
        ];
        Scheme::new(row!("deepnorm_encdec_encoder"), &args)
    }

    /// `deepnorm_encdec_decoder(n_decoder)`: `xavier_normal(gain=β)`, β = (12·M)^(−1/4) with
    /// M = n_decoder, DeepNet's init of the decoder's feed-forward, value and output
    /// projections in an encoder–decoder (a decoder-only model uses [`Scheme::deepnorm`]).
    ///
    /// # Formula
    /// ```text
    /// β = (12·M)^(−1/4),   W ~ N(0, β²·2/(fan_in + fan_out))
    /// reference: β = 1.0 / (12.0 * M).sqrt().sqrt()
    /// ```
    ///
    /// # Errors
    /// `n_decoder` of 0.
    ///
    /// # Example
    /// ```
    /// use initspec::{Fans, Scheme};
    /// // β = (12·6)^(−1/4); fans (1, 1) make the Xavier factor 1.
    /// let law = Scheme::deepnorm_encdec_decoder(6).unwrap().law(&Fans::new(1, 1).unwrap()).unwrap();
    /// assert_eq!(law.to_string(), "normal(mean=0, std=0.34329452398451965)");
    /// ```
    pub fn deepnorm_encdec_decoder(n_decoder: u32) -> Result<Scheme> {
        Scheme::new(
            row!("deepnorm_encdec_decoder"),
            &[Value::Count(n_decoder as usize)],
        )
    }

    /// `t5_q(d_model, d_kv, factor=1)`: N(0, σ²) with σ = factor·(d_model·d_kv)^(−1/2), T5's
    /// init of the attention query projection `q`.
    ///
    /// T5 does not divide its attention logits by √d_kv; Mesh TensorFlow folds that factor
    /// into the query's init instead, hence d_model·d_kv where the other projections have
    /// their input width alone ([`Scheme::t5_dense`]).[^t5]
    ///
    /// # Formula
    /// ```text
    /// σ = factor · (d_model·d_kv)^(−1/2)        (reference: factor * rsqrt(d_model * d_kv),
    ///                                            x^(−1/2) correctly rounded)
    /// ```
    ///
    /// # Errors
    /// `d_model`, `d_kv` or `factor` not finite or not > 0.
    ///
    /// # Example
    /// ```
    /// use initspec::Scheme;
    /// // t5-small: d_model 512, d_kv 64; HF's factor * (32768 ** -0.5).
    /// let law = Scheme::t5_q(512.0, 64.0, 1.0).unwrap().base_law().unwrap();
    /// assert_eq!(law.to_string(), "normal(mean=0, std=0.005524271728019903)");
    /// ```
    ///
    /// [^t5]: Raffel, C. et al. (2020). Exploring the limits of transfer learning with a
    ///     unified text-to-text transformer. JMLR 21(140); Hugging Face transformers
    ///     `src/transformers/models/t5/modeling_t5.py` (`T5PreTrainedModel._init_weights`),
    ///     after Mesh TensorFlow `mesh_tensorflow/transformer/attention.py`.
    pub fn t5_q(d_model: f64, d_kv: f64, factor: f64) -> Result<Scheme> {
        let args = [d_model, d_kv, factor].map(Value::Number);
        Scheme::new(row!("t5_q"), &args)
    }

    /// `t5_dense(d_in, factor=1)`: N(0, σ²) with σ = factor·d_in^(−1/2), T5's init of every
    /// other projection, d_in its input width: `k`, `v`, `wi` (`wi_0`, `wi_1`) and
    /// `relative_attention_bias` with d_in = d_model; `o` with d_in = n_heads·d_kv; `wo` with
    /// d_in = d_ff.
    ///
    /// # Formula
    /// ```text
    /// σ = factor · d_in^(−1/2)                  (reference: factor * rsqrt(d_in))
    /// ```
    ///
    /// # Errors
    /// `d_in` or `factor` not finite or not > 0.
    ///
    /// # Example
    /// ```
    /// use initspec::Scheme;
    /// // t5-small's wo: d_ff 2048.
    /// let law = Scheme::t5_dense(2048.0, 1.0).unwrap().base_law().unwrap();
    /// assert_eq!(law.to_string(), "normal(mean=0, std=0.02209708691207961)");
    /// ```
    pub fn t5_dense(d_in: f64, factor: f64) -> Result<Scheme> {
        Scheme::new(
            row!("t5_dense"),
            &[Value::Number(d_in), Value::Number(factor)],
        )
    }

    /// `t5_embedding(factor=1)`: N(0, factor²), T5's init of the shared token embedding (and
    /// of an untied `lm_head`).
    ///
    /// # Formula
    /// ```text
    /// σ = factor · 1.0
    /// ```
    ///
    /// # Errors
    /// `factor` not finite or not > 0.
    ///
    /// # Example
    /// ```
    /// use initspec::Scheme;
    /// let law = Scheme::t5_embedding(1.0).unwrap().base_law().unwrap();
    /// assert_eq!(law.to_string(), "normal(mean=0, std=1)");
    /// ```
    pub fn t5_embedding(factor: f64) -> Result<Scheme> {
        Scheme::new(row!("t5_embedding"), &[Value::Number(factor)])
    }
}

/// x^(−1/2), correctly rounded to nearest, for a finite x > 0.
///
/// `1.0 / x.sqrt()` rounds twice and misses the nearest f64 for about a quarter of the
/// integers (27 % of 1..=20000); this steps from it to the f64 nearest x^(−1/2), deciding
/// each step exactly in integers. For adjacent f64s c₁ < c₂ with midpoint m = (c₁ + c₂)/2,
/// x^(−1/2) > m ⇔ m²·x < 1 (both sides positive, x^(−1/2) decreasing in x), and m²·x is a
/// product of integers and a power of two (see [`above_midpoint`]). No tie is possible: m has
/// an odd 54-bit significand, so m² · x = 1 has no solution in f64 x.
///
/// # Formula
/// ```text
/// rsqrt(x) = the f64 nearest to 1/√x
/// ```
///
/// For x = 0, a subnormal x or x = ∞ the first estimate is returned as is (∞, large, 0);
/// the law's check then rejects a std that is not finite and > 0.
pub(crate) fn rsqrt(x: f64) -> f64 {
    let mut y = 1.0 / x.sqrt();
    if !(x > 0.0 && x.is_finite() && y.is_normal()) {
        return y;
    }
    // The estimate is within 2 ulp of the nearest f64 (two roundings of at most ½ ulp, the
    // relative ulp varying by 2× across a binade), so at most two steps are taken.
    for _ in 0..4 {
        let up = y.next_up();
        if above_midpoint(y, up, x) {
            y = up;
            continue;
        }
        let down = y.next_down();
        if !above_midpoint(down, y, x) {
            y = down;
            continue;
        }
        break;
    }
    y
}

/// Whether x^(−1/2) lies above the midpoint of the adjacent positive normal f64s `low` and
/// `high`, decided exactly: with m = K·2^(E−1) (K = the two significands over the smaller
/// exponent E, summed) and x = X·2^F, m²·x < 1 ⇔ K²·X < 2^−(2E − 2 + F), compared by bit
/// length (K²·X < 2^P ⇔ bitlen(K²·X) ≤ P).
fn above_midpoint(low: f64, high: f64, x: f64) -> bool {
    let ((m1, e1), (m2, e2), (mx, ex)) = (parts(low), parts(high), parts(x));
    let e = e1.min(e2);
    // Adjacent normal floats differ in exponent by at most 1, so K < 2^55.
    let k = (u128::from(m1) << (e1 - e)) + (u128::from(m2) << (e2 - e));
    // K² < 2^110 splits as h·2^64 + l; K²·X = (h·X + ⌊l·X/2^64⌋)·2^64 + (l·X mod 2^64).
    let square = k * k;
    let (h, l) = (square >> 64, square & u128::from(u64::MAX));
    let (hx, lx) = (h * u128::from(mx), l * u128::from(mx));
    let top = hx + (lx >> 64);
    let low_word = lx & u128::from(u64::MAX);
    let bits = if top > 0 {
        i64::from(128 - top.leading_zeros()) + 64
    } else {
        i64::from(128 - low_word.leading_zeros())
    };
    let power = -(2 * i64::from(e) - 2 + i64::from(ex));
    bits <= power
}

/// `v = significand · 2^exponent` exactly, for a finite `v ≥ 0`.
fn parts(v: f64) -> (u64, i32) {
    let bits = v.to_bits();
    let fraction = bits & ((1 << 52) - 1);
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    }
}

/// N(0, σ²).
fn normal(std: f64) -> Result<Law> {
    Normal::new(0.0, std).map(Law::Normal)
}

/// TN(0, σ, −cutoff·σ, cutoff·σ), as OLMo's `init_normal(module, std, init_cutoff_factor)`:
/// `cutoff_value = init_cutoff_factor * std`, bounds `∓cutoff_value`.
fn cut_normal(std: f64, cutoff: f64) -> Result<Law> {
    let b = cutoff * std;
    TruncatedNormal::new(0.0, std, -b, b).map(Law::TruncatedNormal)
}

/// `scaled_normal(n_layer, std, residuals)`.
///
/// # Formula
/// ```text
/// W ~ N(0, σ²),   σ = std / √(residuals·n_layer)
/// ```
pub(super) fn scaled_normal(args: &Args) -> Result<Law> {
    let (n_layer, std, residuals) = (args.count(0) as f64, args.number(1), args.count(2) as f64);
    // megatron: std = sigma / math.sqrt(multiplier * num_layers)
    normal(std / (residuals * n_layer).sqrt())
}

/// `small_init(d)`.
///
/// # Formula
/// ```text
/// W ~ N(0, σ²),   σ = √(2/(5·d))
/// ```
pub(super) fn small_init(args: &Args) -> Result<Law> {
    // gpt-neox: std = math.sqrt(2 / (5 * dim))
    normal((2.0 / (5.0 * args.number(0))).sqrt())
}

/// `wang_init(d, n_layer)`.
///
/// # Formula
/// ```text
/// W ~ N(0, σ²),   σ = 2/(n_layer·√d)
/// ```
pub(super) fn wang_init(args: &Args) -> Result<Law> {
    let (d, n_layer) = (args.number(0), args.count(1) as f64);
    // gpt-neox: std = 2 / n_layers / math.sqrt(dim)
    normal(2.0 / n_layer / d.sqrt())
}

/// `mitchell(d, cutoff)`.
///
/// # Formula
/// ```text
/// W ~ TN(0, σ, −cutoff·σ, cutoff·σ),   σ = 1/√d
/// ```
pub(super) fn mitchell(args: &Args) -> Result<Law> {
    let (d, cutoff) = (args.number(0), args.number(1));
    // olmo: std = 1 / math.sqrt(self.config.d_model)
    cut_normal(1.0 / d.sqrt(), cutoff)
}

/// `mitchell_out(d, layer_id, cutoff)`.
///
/// # Formula
/// ```text
/// W ~ TN(0, σ, −cutoff·σ, cutoff·σ),   σ = 1/√(2·d·(layer_id + 1))
/// ```
pub(super) fn mitchell_out(args: &Args) -> Result<Law> {
    let (d, layer_id, cutoff) = (args.number(0), args.count(1) as f64, args.number(2));
    // olmo: attn_out_std = 1 / (math.sqrt(2 * self.config.d_model * (self.layer_id + 1)))
    cut_normal(1.0 / (2.0 * d * (layer_id + 1.0)).sqrt(), cutoff)
}

/// `xavier_normal(gain=β)` for `fans`, as [`super::pytorch::xavier_normal`].
fn xavier_normal(beta: f64, fans: &Fans) -> Result<Law> {
    normal(xavier_std(beta, fans))
}

/// `deepnorm(n_layer)`.
///
/// # Formula
/// ```text
/// W ~ N(0, β²·2/(fan_in + fan_out)),   β = (8·n_layer)^(−1/4)
/// ```
pub(super) fn deepnorm(args: &Args, fans: &Fans) -> Result<Law> {
    let n = args.count(0) as f64;
    xavier_normal(1.0 / (8.0 * n).sqrt().sqrt(), fans)
}

/// `deepnorm_encdec_encoder(n_encoder, n_decoder)`.
///
/// # Formula
/// ```text
/// W ~ N(0, β²·2/(fan_in + fan_out)),   β = 0.87·(N⁴·M)^(−1/16)
/// ```
pub(super) fn deepnorm_encdec_encoder(args: &Args, fans: &Fans) -> Result<Law> {
    let (n, m) = (args.count(0) as f64, args.count(1) as f64);
    let root16 = (n * n * n * n * m).sqrt().sqrt().sqrt().sqrt();
    xavier_normal(DEEPNET_ENCDEC_ENCODER_BETA / root16, fans)
}

/// `deepnorm_encdec_decoder(n_decoder)`.
///
/// # Formula
/// ```text
/// W ~ N(0, β²·2/(fan_in + fan_out)),   β = (12·M)^(−1/4)
/// ```
pub(super) fn deepnorm_encdec_decoder(args: &Args, fans: &Fans) -> Result<Law> {
    let m = args.count(0) as f64;
    xavier_normal(1.0 / (12.0 * m).sqrt().sqrt(), fans)
}

/// `t5_q(d_model, d_kv, factor)`.
///
/// # Formula
/// ```text
/// W ~ N(0, σ²),   σ = factor·(d_model·d_kv)^(−1/2)
/// ```
pub(super) fn t5_q(args: &Args) -> Result<Law> {
    let (d_model, d_kv, factor) = (args.number(0), args.number(1), args.number(2));
    // transformers: std=factor * ((d_model * key_value_proj_dim) ** -0.5)
    normal(factor * rsqrt(d_model * d_kv))
}

/// `t5_dense(d_in, factor)`.
///
/// # Formula
/// ```text
/// W ~ N(0, σ²),   σ = factor·d_in^(−1/2)
/// ```
pub(super) fn t5_dense(args: &Args) -> Result<Law> {
    let (d_in, factor) = (args.number(0), args.number(1));
    // transformers: std=factor * ((self.config.d_ff) ** -0.5)
    normal(factor * rsqrt(d_in))
}

/// `t5_embedding(factor)`.
///
/// # Formula
/// ```text
/// W ~ N(0, factor²)
/// ```
pub(super) fn t5_embedding(args: &Args) -> Result<Law> {
    // transformers: std=factor * 1.0
    normal(args.number(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::fans::Layout;

    /// The law of a scheme string: base schemes by themselves, fan-based ones for `fans`.
    fn law(text: &str, fans: (u64, u64)) -> Law {
        text.parse::<Scheme>()
            .unwrap()
            .law(&Fans::new(fans.0, fans.1).unwrap())
            .unwrap()
    }

    fn normal_std(law: Law) -> f64 {
        match law {
            Law::Normal(n) => {
                assert_eq!(n.mean(), 0.0);
                n.std()
            }
            other => panic!("not normal: {other}"),
        }
    }

    /// `|got − want| ≤ rtol·|want|`.
    fn close(got: f64, want: f64, rtol: f64) -> bool {
        (got - want).abs() <= rtol * want.abs()
    }

    // Expected values below: the f64 the source library computes (its Python expression,
    // evaluated in CPython, whose float operations and math.sqrt are IEEE binary64), and the
    // exact closed form from mpmath at 40 digits, typed in.

    #[test]
    fn scaled_normal_is_std_over_root_of_the_residual_branches() {
        // GPT-2 small, n_layer 12: 0.02 / math.sqrt(2 * 12); exactly 0.02/√24 =
        // 0.00408248290463863…
        let std = normal_std(law("scaled_normal(n_layer=12)", (1, 1)));
        assert_eq!(std, 0.004082482904638631);
        assert!(close(std, 0.00408248290463863, 1e-15));
        // GPT-2 XL, 48 layers: 0.02/√96 = 0.002041241452319315…
        let std = normal_std(law("scaled_normal(n_layer=48)", (1, 1)));
        assert_eq!(std, 0.0020412414523193153);
        // One residual branch per layer (GPT-NeoX single_residual_scaled_normal): 0.02/√64.
        let std = normal_std(law("scaled_normal(n_layer=64, residuals=1)", (1, 1)));
        assert_eq!(std, 0.0025);
        let std = normal_std(law(
            "scaled_normal(n_layer=2, std=0.5, residuals=2)",
            (1, 1),
        ));
        assert_eq!(std, 0.25);
    }

    #[test]
    fn small_init_and_wang_init_follow_gpt_neox() {
        // math.sqrt(2 / (5 * 768)); exactly √(1/1920) = 0.02282177322938192…
        let std = normal_std(law("small_init(d=768)", (1, 1)));
        assert_eq!(std, 0.02282177322938192);
        assert!(close(std, 0.02282177322938192, 1e-15));
        // GPT-NeoX-20B, hidden 6144: √(2/30720) = 0.008068715304598786…
        let std = normal_std(law("small_init(d=6144)", (1, 1)));
        assert_eq!(std, 0.008068715304598784);
        assert!(close(std, 0.008068715304598786, 1e-15));
        // GPT-NeoX-20B, 44 layers: 2 / 44 / math.sqrt(6144); 2/(44·√6144) =
        // 0.0005798981398634418…
        let std = normal_std(law("wang_init(d=6144, n_layer=44)", (1, 1)));
        assert_eq!(std, 0.0005798981398634418);
        assert!(close(std, 0.0005798981398634418, 1e-15));
        // 2/(12·√768) = 0.006014065304058602…
        let std = normal_std(law("wang_init(d=768, n_layer=12)", (1, 1)));
        assert!(close(std, 0.006014065304058602, 1e-15));
    }

    /// c(3)² = 1 − 6φ(3)/(2Φ(3) − 1), the variance factor of a ±3σ cut (docs/SPEC.md §4.4).
    const TRUNC_VAR_3SIGMA: f64 = 0.9733369246625415;
    /// Kurtosis of N(0, 1) cut to [−3, 3] (docs/SPEC.md §4.4).
    const TRUNC_KURTOSIS_3SIGMA: f64 = 2.828_885_563_602_256;

    fn cut(law: Law) -> (f64, f64, f64, f64) {
        match law {
            Law::TruncatedNormal(t) => {
                assert_eq!(t.parent_mean(), 0.0);
                assert_eq!(t.a(), -t.b());
                let kurtosis = t.fourth_central_moment() / t.variance().powi(2);
                (t.parent_std(), t.b(), t.variance(), kurtosis)
            }
            other => panic!("not truncated normal: {other}"),
        }
    }

    #[test]
    fn mitchell_is_olmos_uncorrected_three_sigma_cut() {
        // OLMo-7B, d_model 4096: std = 1/64, bounds ±3/64.
        let (std, b, variance, kurtosis) = cut(law("mitchell(d=4096)", (1, 1)));
        assert_eq!((std, b), (0.015625, 0.046875));
        // No variance correction: the law's variance is c(3)²·σ², not σ².
        assert!(
            close(variance, TRUNC_VAR_3SIGMA / 4096.0, 1e-12),
            "{variance}"
        );
        assert!(close(kurtosis, TRUNC_KURTOSIS_3SIGMA, 1e-9), "{kurtosis}");
        // init_cutoff_factor 2: bounds ±2σ.
        let (std, b, ..) = cut(law("mitchell(d=4096, cutoff=2)", (1, 1)));
        assert_eq!((std, b), (0.015625, 0.03125));
        // attn_out of block 0: 1 / math.sqrt(2 * 4096 * 1) = 1/√8192 = 0.011048543456039805…
        let (std, b, ..) = cut(law("mitchell_out(d=4096, layer_id=0)", (1, 1)));
        assert_eq!((std, b), (0.011048543456039804, 0.03314563036811941));
        assert!(close(std, 0.011048543456039806, 1e-15));
        // attn_out of block 31 of 32: 1/√(2·4096·32) = 1/512 exactly.
        let (std, b, ..) = cut(law("mitchell_out(d=4096, layer_id=31)", (1, 1)));
        assert_eq!((std, b), (0.001953125, 0.005859375));
        // ff_out of block 0 (SwiGLU, in_features 11008): 1 / math.sqrt(2 * 11008 * 1).
        let (std, ..) = cut(law("mitchell_out(d=11008, layer_id=0)", (1, 1)));
        assert_eq!(std, 0.006739548325214901);
    }

    #[test]
    fn deepnorm_is_xavier_normal_with_deepnets_beta() {
        // β = (8·100)^(−1/4) = 0.1880301546543197…; std = β·√(2/1040) on fans (784, 256).
        let std = normal_std(law("deepnorm(n_layer=100)", (784, 256)));
        assert_eq!(std, 0.0082456677505556);
        assert!(close(
            std,
            0.1880301546543197 * (2.0f64 / 1040.0).sqrt(),
            1e-15
        ));
        // Fans (1, 1) make the Xavier factor √(2/(1 + 1)) = 1, so std = β.
        for (text, beta) in [
            // (8·12)^(−1/4) = 0.3194715521231362…
            ("deepnorm(n_layer=12)", 0.3194715521231362),
            // (8·1000)^(−1/4) = 0.10573712634405641…
            ("deepnorm(n_layer=1000)", 0.10573712634405641),
            // 0.87·(6⁴·6)^(−1/16) = 0.4969892407713235…
            (
                "deepnorm_encdec_encoder(n_encoder=6, n_decoder=6)",
                0.4969892407713235,
            ),
            // 0.87·(100⁴·100)^(−1/16) = 0.206309512392564…
            (
                "deepnorm_encdec_encoder(n_encoder=100, n_decoder=100)",
                0.206309512392564,
            ),
            // (12·6)^(−1/4) = 0.34329452398451965…
            ("deepnorm_encdec_decoder(n_decoder=6)", 0.34329452398451965),
        ] {
            let std = normal_std(law(text, (1, 1)));
            assert!(close(std, beta, 4e-16), "{text}: {std}");
        }
        // The encoder's β depends on both stacks; the decoder's on its own only.
        let a = normal_std(law(
            "deepnorm_encdec_encoder(n_encoder=6, n_decoder=12)",
            (1, 1),
        ));
        let b = normal_std(law(
            "deepnorm_encdec_encoder(n_encoder=6, n_decoder=6)",
            (1, 1),
        ));
        assert!(close(a / b, 2f64.powf(-1.0 / 16.0), 1e-15));
    }

    #[test]
    fn t5_stds_match_hugging_face() {
        // t5-small: d_model 512, d_kv 64, n_heads 8, d_ff 2048; factor * (x ** -0.5).
        for (text, want) in [
            ("t5_q(d_model=512, d_kv=64)", 0.005524271728019903),
            ("t5_dense(d_in=512)", 0.04419417382415922),
            ("t5_dense(d_in=2048)", 0.02209708691207961),
            // t5-base: d_model 768, where 1.0 / math.sqrt(768) is one ulp above.
            ("t5_dense(d_in=768)", 0.03608439182435161),
            ("t5_q(d_model=768, d_kv=64)", 0.004510548978043951),
            ("t5_dense(d_in=512, factor=2)", 0.08838834764831845),
            ("t5_embedding", 1.0),
            ("t5_embedding(factor=0.5)", 0.5),
        ] {
            assert_eq!(normal_std(law(text, (1, 1))), want, "{text}");
        }
    }

    #[test]
    fn rsqrt_is_correctly_rounded() {
        // The f64 nearest x^(−1/2), from mpmath at 60 digits; the comment gives 1.0 / x.sqrt()
        // where it differs.
        for (x, want) in [
            (1.0, 1.0),
            (4.0, 0.5),
            (2.0, std::f64::consts::FRAC_1_SQRT_2), // 1/sqrt: …475
            (3.0, 0.5773502691896257),              // 1/sqrt: …258
            (6.0, 0.408248290463863),               // 1/sqrt: …8631
            (7.0, 0.37796447300922725),             // 1/sqrt: …2272
            (10.0, 0.31622776601683794),
            (3072.0, 0.018042195912175804),  // 1/sqrt: …808
            (32768.0, 0.005524271728019903), // 1/sqrt: …902
            // glibc's pow misses these two by an ulp:
            (1769.0, 0.023775851718273705),
            (2397.0, 0.020425184255141674),
            (0.1, 3.162277660168379),
            (123.456, 0.0900002880013824),
            (1e-300, 1e150),
            (5e-324, 4.4989137945431964e161),
            (f64::MAX, 7.458340731200207e-155), // 1/sqrt: …208
        ] {
            assert_eq!(rsqrt(x), want, "x = {x}");
        }
        // Powers of 4 are exact, and the function is non-increasing.
        for k in -500..500 {
            assert_eq!(rsqrt(4f64.powi(k)), 2f64.powi(-k), "4^{k}");
        }
        let mut last = f64::INFINITY;
        for i in 1..=20_000u32 {
            let y = rsqrt(f64::from(i));
            assert!(y <= last, "rsqrt({i}) = {y} > rsqrt({}) = {last}", i - 1);
            last = y;
        }
        // Degenerate inputs pass through (the law's check rejects them).
        assert_eq!(rsqrt(0.0), f64::INFINITY);
        assert_eq!(rsqrt(f64::INFINITY), 0.0);
    }

    #[test]
    fn the_schemes_are_base_or_fan_based_as_documented() {
        for text in [
            "scaled_normal(n_layer=1)",
            "small_init(d=1)",
            "wang_init(d=1, n_layer=1)",
            "mitchell(d=1)",
            "mitchell_out(d=1, layer_id=0)",
            "t5_q(d_model=1, d_kv=1)",
            "t5_dense(d_in=1)",
            "t5_embedding",
        ] {
            let scheme: Scheme = text.parse().unwrap();
            assert!(!scheme.needs_fans() && !scheme.is_structured(), "{text}");
            // A base scheme's law is the same for a bias vector and a matrix.
            let bias = scheme.resolve(&[7], &Layout::OutIn, 1).unwrap();
            assert_eq!(bias, scheme.resolve(&[3, 5], &Layout::InOut, 1).unwrap());
        }
        for text in [
            "deepnorm(n_layer=1)",
            "deepnorm_encdec_encoder(n_encoder=1, n_decoder=1)",
            "deepnorm_encdec_decoder(n_decoder=1)",
        ] {
            let scheme: Scheme = text.parse().unwrap();
            assert!(scheme.needs_fans(), "{text}");
            assert!(matches!(scheme.base_law(), Err(Error::NeedsFans { .. })));
            assert!(matches!(
                scheme.resolve(&[7], &Layout::OutIn, 1),
                Err(Error::RankTooLow { .. })
            ));
        }
    }

    #[test]
    fn the_schemes_print_canonically_and_parse_back() {
        for (text, canonical) in [
            (
                "scaled_normal(n_layer=12)",
                "scaled_normal(n_layer=12, std=0.02, residuals=2)",
            ),
            (
                "Scaled_Normal(residuals=1, n_layer=64)",
                "scaled_normal(n_layer=64, std=0.02, residuals=1)",
            ),
            ("small_init(d=768)", "small_init(d=768)"),
            (
                "wang_init(n_layer=44, d=6144)",
                "wang_init(d=6144, n_layer=44)",
            ),
            ("mitchell(d=4096)", "mitchell(d=4096, cutoff=3)"),
            (
                "mitchell_out(layer_id=0, d=4096)",
                "mitchell_out(d=4096, layer_id=0, cutoff=3)",
            ),
            ("deepnorm(n_layer=100)", "deepnorm(n_layer=100)"),
            (
                "t5_q(d_kv=64, d_model=512)",
                "t5_q(d_model=512, d_kv=64, factor=1)",
            ),
            ("t5_dense(d_in=2048)", "t5_dense(d_in=2048, factor=1)"),
            ("t5_embedding()", "t5_embedding"),
            ("t5_embedding(factor=2)", "t5_embedding(factor=2)"),
        ] {
            let scheme: Scheme = text.parse().unwrap();
            assert_eq!(scheme.to_string(), canonical, "{text}");
            assert_eq!(canonical.parse::<Scheme>().unwrap(), scheme);
        }
        // The constructors build the schemes the strings name.
        let pairs = [
            (
                Scheme::scaled_normal(12, 0.02, 2),
                "scaled_normal(n_layer=12)",
            ),
            (Scheme::small_init(768.0), "small_init(d=768)"),
            (
                Scheme::wang_init(6144.0, 44),
                "wang_init(d=6144, n_layer=44)",
            ),
            (Scheme::mitchell(4096.0, 3.0), "mitchell(d=4096)"),
            (
                Scheme::mitchell_out(4096.0, 7, 3.0),
                "mitchell_out(d=4096, layer_id=7)",
            ),
            (Scheme::deepnorm(100), "deepnorm(n_layer=100)"),
            (
                Scheme::deepnorm_encdec_encoder(6, 12),
                "deepnorm_encdec_encoder(n_encoder=6, n_decoder=12)",
            ),
            (
                Scheme::deepnorm_encdec_decoder(12),
                "deepnorm_encdec_decoder(n_decoder=12)",
            ),
            (Scheme::t5_q(512.0, 64.0, 1.0), "t5_q(d_model=512, d_kv=64)"),
            (Scheme::t5_dense(2048.0, 1.0), "t5_dense(d_in=2048)"),
            (Scheme::t5_embedding(1.0), "t5_embedding"),
        ];
        for (built, text) in pairs {
            assert_eq!(built.unwrap(), text.parse::<Scheme>().unwrap(), "{text}");
        }
    }

    #[test]
    fn missing_or_bad_parameters_are_one_line_errors() {
        let err = |text: &str| text.parse::<Scheme>().unwrap_err();
        for (text, key) in [
            ("scaled_normal", "n_layer"),
            ("scaled_normal(std=0.02)", "n_layer"),
            ("small_init", "d"),
            ("wang_init(d=768)", "n_layer"),
            ("wang_init(n_layer=12)", "d"),
            ("mitchell", "d"),
            ("mitchell_out(d=4096)", "layer_id"),
            ("deepnorm", "n_layer"),
            ("deepnorm_encdec_encoder(n_encoder=6)", "n_decoder"),
            ("deepnorm_encdec_decoder", "n_decoder"),
            ("t5_q(d_model=512)", "d_kv"),
            ("t5_dense", "d_in"),
        ] {
            let e = err(text);
            assert_eq!(
                e,
                Error::MissingParameter {
                    scheme: text.split('(').next().unwrap(),
                    key
                },
                "{text}"
            );
        }
        // Counts are whole numbers ≥ 1, layer_id a whole number ≥ 0.
        for (text, key) in [
            ("scaled_normal(n_layer=0)", "n_layer"),
            ("scaled_normal(n_layer=-3)", "n_layer"),
            ("scaled_normal(n_layer=1.5)", "n_layer"),
            ("scaled_normal(n_layer=12, residuals=0)", "residuals"),
            ("wang_init(d=768, n_layer=0)", "n_layer"),
            ("deepnorm(n_layer=0)", "n_layer"),
            ("deepnorm(n_layer=1e10)", "n_layer"),
            (
                "deepnorm_encdec_encoder(n_encoder=0, n_decoder=6)",
                "n_encoder",
            ),
            ("deepnorm_encdec_decoder(n_decoder=2.5)", "n_decoder"),
        ] {
            assert!(
                matches!(err(text), Error::NotACount { key: k, .. } if k == key),
                "{text}: {:?}",
                err(text)
            );
        }
        for text in [
            "mitchell_out(d=4096, layer_id=-1)",
            "mitchell_out(d=4096, layer_id=0.5)",
            "mitchell_out(d=4096, layer_id=5e9)",
        ] {
            assert!(
                matches!(
                    err(text),
                    Error::NotAnIndex {
                        key: "layer_id",
                        ..
                    }
                ),
                "{text}"
            );
        }
        assert!(
            "mitchell_out(d=4096, layer_id=-0)"
                .parse::<Scheme>()
                .is_ok()
        );
        // Widths and factors are finite and > 0.
        for (text, key) in [
            ("small_init(d=-1)", "d"),
            ("small_init(d=0)", "d"),
            ("wang_init(d=-768, n_layer=12)", "d"),
            ("mitchell(d=4096, cutoff=0)", "cutoff"),
            ("mitchell_out(d=-1, layer_id=0)", "d"),
            ("scaled_normal(n_layer=12, std=0)", "std"),
            ("t5_q(d_model=512, d_kv=-64)", "d_kv"),
            ("t5_dense(d_in=512, factor=0)", "factor"),
            ("t5_embedding(factor=-1)", "factor"),
        ] {
            assert!(
                matches!(err(text), Error::NotPositive { key: k, .. } if k == key),
                "{text}: {:?}",
                err(text)
            );
        }
        assert!(matches!(
            err("small_init(d=inf)"),
            Error::NonFinite { key: "d", .. }
        ));
        assert!(matches!(
            err("t5_dense(d_in=nan)"),
            Error::NonFinite { key: "d_in", .. }
        ));
        assert!(matches!(
            err("deepnorm(gain=2)"),
            Error::UnknownParameter { .. }
        ));
        // Constructors check as parsing does.
        assert!(matches!(
            Scheme::scaled_normal(0, 0.02, 2),
            Err(Error::NotPositive { key: "n_layer", .. })
        ));
        assert!(matches!(
            Scheme::deepnorm(0),
            Err(Error::NotPositive { key: "n_layer", .. })
        ));
        assert!(matches!(
            Scheme::small_init(f64::NAN),
            Err(Error::NonFinite { key: "d", .. })
        ));
        for text in [
            "scaled_normal",
            "deepnorm(n_layer=0)",
            "mitchell_out(d=4096, layer_id=-1)",
            "small_init(d=-1)",
        ] {
            let message = err(text).to_string();
            assert!(!message.contains('\n') && message.len() > 20, "{message}");
        }
    }

    #[test]
    fn derived_stds_out_of_range_name_the_scheme() {
        let err = |text: &str| text.parse::<Scheme>().unwrap_err();
        // √(2/(5·1e-310)) overflows.
        let e = err("small_init(d=1e-310)");
        assert!(
            matches!(e, Error::DegenerateParameters { quantity: "std", value, .. } if value.is_infinite()),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "small_init(d=1e-310) gives the law's std = inf, which must be finite (and > 0 for a std or a width); choose parameters that keep it in range"
        );
        // 5e-324/√(2·(2³² − 1)) underflows to 0: the law's std, not the parameter std.
        let e = err("scaled_normal(n_layer=4294967295, std=5e-324)");
        assert!(
            matches!(
                e,
                Error::DegenerateParameters {
                    quantity: "std",
                    value: 0.0,
                    ..
                }
            ),
            "{e:?}"
        );
        // A bound that overflows: cutoff·σ = 1e300·1e160.
        let e = err("mitchell(d=1e-320, cutoff=1e300)");
        assert!(
            matches!(e, Error::DegenerateParameters { quantity: "a", value, .. } if value == f64::NEG_INFINITY),
            "{e:?}"
        );
        // 1/(1e-200·1e-200) overflows before its square root.
        assert!(matches!(
            err("t5_q(d_model=1e-200, d_kv=1e-200)"),
            Error::DegenerateParameters { .. }
        ));
        // A parameter that is itself at fault keeps its own error.
        assert!(matches!(
            err("trunc_normal(std=0)"),
            Error::NotPositive { key: "std", .. }
        ));
    }
}

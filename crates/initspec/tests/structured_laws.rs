//! The structured schemes through the public API: grammar, laws, errors and sampling.

use initspec::law::ConvLayout;
use initspec::structured;
use initspec::{Error, Law, Layout, Sampler, Scheme, Stream};

fn resolve(scheme: &str, shape: &[usize], layout: &Layout, groups: usize) -> Result<Law, Error> {
    scheme.parse::<Scheme>()?.resolve(shape, layout, groups)
}

fn fill_f64(law: &Law, stream: Stream, len: usize) -> Vec<f64> {
    let mut out = vec![0.0; len];
    Sampler::new(law, stream).fill(&mut out);
    out
}

#[test]
fn grammar_round_trips_and_prints_canonically() {
    for (text, canonical) in [
        ("orthogonal", "orthogonal"),
        ("orthogonal(gain=1)", "orthogonal"),
        ("orthogonal(gain = 2)", "orthogonal(gain=2)"),
        ("eye", "eye"),
        ("dirac", "dirac"),
        ("dirac(groups=2)", "dirac(groups=2)"),
        ("delta_orthogonal(gain=1.5)", "delta_orthogonal(gain=1.5)"),
        ("sparse(sparsity=0.1)", "sparse(sparsity=0.1, std=0.01)"),
        ("sparse(std=0.5, sparsity=0)", "sparse(sparsity=0, std=0.5)"),
    ] {
        let scheme: Scheme = text.parse().unwrap();
        assert!(scheme.is_structured() && !scheme.needs_fans(), "{text}");
        assert_eq!(scheme.to_string(), canonical, "{text}");
        assert_eq!(canonical.parse::<Scheme>().unwrap(), scheme);
    }
}

#[test]
fn bad_parameters_are_named() {
    let err = |text: &str| text.parse::<Scheme>().unwrap_err();
    assert!(matches!(
        err("sparse"),
        Error::MissingParameter {
            key: "sparsity",
            ..
        }
    ));
    for bad in ["sparse(sparsity=1.5)", "sparse(sparsity=-0.1)"] {
        let e = err(bad);
        assert!(
            matches!(
                e,
                Error::OutOfRange {
                    key: "sparsity",
                    ..
                }
            ),
            "{bad}"
        );
        assert!(e.to_string().contains("sparsity"), "{e}");
    }
    assert!(matches!(
        err("sparse(sparsity=0.1, std=0)"),
        Error::NotPositive { key: "std", .. }
    ));
    for bad in ["dirac(groups=0)", "dirac(groups=1.5)", "dirac(groups=-2)"] {
        assert!(
            matches!(err(bad), Error::NotACount { key: "groups", .. }),
            "{bad}"
        );
    }
    assert!(matches!(
        err("orthogonal(gain=0)"),
        Error::NotPositive { key: "gain", .. }
    ));
    assert!(matches!(
        err("delta_orthogonal(gain=inf)"),
        Error::MalformedNumber { .. } | Error::NonFinite { .. }
    ));
    assert!(matches!(err("eye(gain=1)"), Error::UnknownParameter { .. }));
    // A structured scheme is not a law without a shape.
    assert!(matches!(
        "orthogonal".parse::<Law>(),
        Err(Error::NeedsShape {
            scheme: "orthogonal"
        })
    ));
}

#[test]
fn shapes_layouts_and_groups_are_checked() {
    let one_line = |e: Error| {
        let text = e.to_string();
        assert!(!text.contains('\n'), "{text}");
        text
    };
    let e = resolve("orthogonal", &[5], &Layout::OutIn, 1).unwrap_err();
    assert!(matches!(e, Error::RankUnsupported { rank: 1, .. }));
    assert!(one_line(e).contains("rank"));
    let axes: Layout = "axes(in=[0], out=[1], batch=[])".parse().unwrap();
    assert!(matches!(
        resolve("orthogonal", &[4, 4], &axes, 1),
        Err(Error::LayoutUnsupported { .. })
    ));
    assert!(matches!(
        resolve("orthogonal", &[4, 4, 3], &Layout::OutIn, 2),
        Err(Error::GroupsUnsupported { groups: 2, .. })
    ));
    assert!(matches!(
        resolve("eye", &[2, 2, 2], &Layout::OutIn, 1),
        Err(Error::RankUnsupported { .. })
    ));
    assert!(matches!(
        resolve("sparse(sparsity=0.5)", &[4, 4, 1], &Layout::OutIn, 1),
        Err(Error::RankUnsupported { .. })
    ));
    assert!(matches!(
        resolve("dirac", &[4, 4], &Layout::OutIn, 1),
        Err(Error::RankUnsupported { .. })
    ));
    assert!(matches!(
        resolve("dirac", &[3, 3, 3, 3], &Layout::InOut, 1),
        Err(Error::LayoutUnsupported { .. })
    ));
    assert!(matches!(
        resolve("dirac(groups=2)", &[6, 3, 3], &Layout::OutIn, 3),
        Err(Error::GroupsConflict { .. })
    ));
    assert!(matches!(
        resolve("dirac(groups=4)", &[6, 3, 3], &Layout::OutIn, 1),
        Err(Error::GroupsDoNotDivideChannels { .. })
    ));
    // --groups supplies dirac's grouping; equal values agree.
    let law = resolve("dirac", &[6, 3, 3], &Layout::OutIn, 3).unwrap();
    assert_eq!(law.to_string(), "dirac(groups=3)");
    assert_eq!(
        law,
        resolve("dirac(groups=3)", &[6, 3, 3], &Layout::OutIn, 3).unwrap()
    );
    assert!(matches!(
        resolve("delta_orthogonal", &[3, 3, 8, 4], &Layout::InOut, 1),
        Err(Error::InExceedsOut { .. })
    ));
    assert!(matches!(
        resolve("delta_orthogonal", &[3, 3, 8, 4], &Layout::Transposed, 1),
        Err(Error::LayoutUnsupported { .. })
    ));
}

#[test]
fn orthogonal_flattens_as_its_framework() {
    // PyTorch: [dim0, rest]; Keras/JAX (in-out): [rest, last].
    let Law::Orthogonal(torch) = resolve("orthogonal", &[64, 3, 3, 3], &Layout::OutIn, 1).unwrap()
    else {
        panic!("not orthogonal")
    };
    assert_eq!((torch.rows(), torch.cols()), (64, 27));
    let Law::Orthogonal(keras) = resolve("orthogonal", &[3, 3, 3, 64], &Layout::InOut, 1).unwrap()
    else {
        panic!("not orthogonal")
    };
    assert_eq!((keras.rows(), keras.cols()), (27, 64));
    // One element: variance gain²/max(rows, cols).
    let law = resolve("orthogonal(gain=2)", &[10, 40], &Layout::OutIn, 1).unwrap();
    assert_eq!(law.variance(), 0.1);
    assert_eq!(law.mean(), 0.0);
    assert_eq!(law.support().high, 2.0);
    assert!(law.is_structured());
}

#[test]
fn orthogonal_samples_in_every_dtype_are_the_f64_tensor_rounded() {
    let law = resolve("orthogonal(gain=1.5)", &[48, 20], &Layout::OutIn, 1).unwrap();
    let stream = Stream::new(9, "fc.weight");
    let exact = fill_f64(&law, stream, 960);
    assert_eq!(
        exact,
        structured::orthogonal(&[48, 20], 1.5, &stream).unwrap()
    );
    let sampler = Sampler::new(&law, stream);
    let mut single = vec![0f32; 960];
    sampler.fill(&mut single);
    let mut brain = vec![half::bf16::ZERO; 960];
    sampler.fill(&mut brain);
    for i in 0..960 {
        assert_eq!(single[i], exact[i] as f32);
        assert_eq!(
            brain[i],
            <half::bf16 as initspec::Element>::from_f64(exact[i])
        );
    }
    // Chunks equal the whole, in any order; past the end is NaN.
    let mut tail = vec![0.0; 400];
    sampler.fill_range(700, &mut tail);
    assert_eq!(&tail[..260], &exact[700..]);
    assert!(tail[260..].iter().all(|x| x.is_nan()));
    // Another stream gives another matrix.
    assert_ne!(exact, fill_f64(&law, Stream::new(10, "fc.weight"), 960));
}

#[test]
fn sampling_does_not_depend_on_threads() {
    let shape = [200, 150];
    for scheme in ["orthogonal", "sparse(sparsity=0.3, std=0.02)"] {
        let law = resolve(scheme, &shape, &Layout::OutIn, 1).unwrap();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| fill_f64(&law, Stream::new(1, "w"), 30_000))
        };
        let one = run(1);
        assert!(
            one.iter()
                .zip(run(3))
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{scheme}"
        );
    }
}

#[test]
fn eye_and_dirac_are_exact() {
    let law = resolve("eye", &[3, 5], &Layout::InOut, 1).unwrap();
    let w = fill_f64(&law, Stream::new(0, "x"), 15);
    assert_eq!(w, structured::eye(&[3, 5]).unwrap());
    let mut half_w = vec![half::f16::ZERO; 15];
    Sampler::new(&law, Stream::new(0, "x")).fill(&mut half_w);
    assert_eq!(half_w.iter().filter(|x| x.to_f64() == 1.0).count(), 3);
    assert!((law.mean() - 0.2).abs() < 1e-16);

    for (shape, groups) in [
        (vec![4usize, 3, 3], 1usize),
        (vec![6, 2, 4], 3),
        (vec![4, 4, 3, 2], 2),
        (vec![2, 3, 3, 3, 3], 1),
        (vec![8, 1, 5, 5], 8),
    ] {
        let law = resolve(
            &format!("dirac(groups={groups})"),
            &shape,
            &Layout::OutIn,
            1,
        )
        .unwrap();
        let len = shape.iter().product();
        let w = fill_f64(&law, Stream::new(0, "c"), len);
        assert_eq!(w, structured::dirac(&shape, groups).unwrap(), "{shape:?}");
        let Law::Dirac(d) = law else { panic!() };
        assert_eq!(
            w.iter().filter(|&&x| x == 1.0).count(),
            d.ones(),
            "{shape:?}"
        );
    }
}

#[test]
fn delta_orthogonal_in_both_layouts() {
    let stream = Stream::new(4, "conv");
    let jax = resolve("delta_orthogonal(gain=2)", &[3, 4, 5, 8], &Layout::InOut, 1).unwrap();
    let torch = resolve("delta_orthogonal(gain=2)", &[8, 5, 3, 4], &Layout::OutIn, 1).unwrap();
    let Law::DeltaOrthogonal(d) = torch else {
        panic!()
    };
    assert_eq!(d.layout(), ConvLayout::OutInKernel);
    assert_eq!(
        (d.in_channels(), d.out_channels(), d.kernel()),
        (5, 8, &[3, 4][..])
    );
    // Centre tap ((3−1)//2, (4−1)//2) = (1, 1) → offset 1·4 + 1 = 5.
    assert_eq!(d.centre_tap(), 5);
    let a = fill_f64(&jax, stream, 480);
    let b = fill_f64(&torch, stream, 480);
    assert_eq!(
        a,
        structured::delta_orthogonal(&[3, 4, 5, 8], 2.0, &stream).unwrap()
    );
    for o in 0..8 {
        for i in 0..5 {
            for tap in 0..12 {
                assert_eq!(b[(o * 5 + i) * 12 + tap], a[(tap * 5 + i) * 8 + o]);
            }
        }
    }
    // Variance of one element: gain²/(K·out) = 4/(12·8).
    assert!((torch.variance() - 4.0 / 96.0).abs() < 1e-16);
}

#[test]
fn sparse_has_exact_zero_counts() {
    let law = resolve(
        "sparse(sparsity=0.25, std=0.5)",
        &[10, 7],
        &Layout::OutIn,
        1,
    )
    .unwrap();
    let w = fill_f64(&law, Stream::new(2, "s"), 70);
    for c in 0..7 {
        assert_eq!((0..10).filter(|&r| w[r * 7 + c] == 0.0).count(), 3);
    }
    let Law::Sparse(s) = law else { panic!() };
    assert_eq!(s.zeros_per_column(), 3);
    assert!((law.variance() - 0.7 * 0.25).abs() < 1e-16);
    // The sparsity boundaries.
    let all = resolve("sparse(sparsity=1)", &[4, 3], &Layout::OutIn, 1).unwrap();
    assert!(
        fill_f64(&all, Stream::new(0, "s"), 12)
            .iter()
            .all(|&x| x == 0.0)
    );
    let none = resolve("sparse(sparsity=0)", &[4, 3], &Layout::OutIn, 1).unwrap();
    assert!(
        fill_f64(&none, Stream::new(0, "s"), 12)
            .iter()
            .all(|&x| x != 0.0)
    );
}

#[test]
fn empty_shapes_give_empty_tensors() {
    for (scheme, shape) in [
        ("orthogonal", vec![0usize, 5]),
        ("eye", vec![3, 0]),
        ("dirac", vec![0, 3, 3]),
        ("delta_orthogonal", vec![3, 0, 0]),
        ("sparse(sparsity=0.5)", vec![0, 4]),
    ] {
        let law = resolve(scheme, &shape, &Layout::InOut, 1)
            .or_else(|_| resolve(scheme, &shape, &Layout::OutIn, 1))
            .unwrap();
        let mut out: Vec<f32> = Vec::new();
        Sampler::new(&law, Stream::new(0, "e")).fill(&mut out);
        assert!(law.variance().is_finite(), "{scheme}");
    }
}

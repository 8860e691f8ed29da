//! The bodies of the fuzz targets, one function per target.
//!
//! The cargo-fuzz targets in `fuzz/fuzz_targets/` call these functions, and the stable test
//! `crates/initspec-cli/tests/fuzz_corpus_replay.rs` compiles this same file as a module and
//! replays every committed corpus file (`fuzz/corpus/TARGET/`) through them on each
//! `cargo test`, so an input that once crashed a parser stays fixed.
//!
//! Every function must return normally for every input: a parser may refuse its input, but
//! only with an error value. Beyond "no panic", each checks what its parser promises:
//! readers agree with each other and with the writers (a header re-written by the writer
//! reads back the same), and `Display` output parses back to the same value.

use std::io::Cursor;

use initspec::{Fans, Law, Layout, Scheme, element_count};
use initspec_cli::args::parse_shape;
use initspec_io::{npy, safetensors};

/// Payloads up to this many bytes are re-written with the writer and read back.
const ROUND_TRIP_BYTES: u64 = 1 << 16;

/// Values equal bit for bit, except that any NaN matches any NaN.
fn same_values(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

/// Target `npy_header`: `npy::read_header` and `npy::read` on `data` as a whole file.
///
/// Checks that `read` only accepts what `read_header` accepts, that an accepted header
/// accounts for every byte of the file, and that `npy::header_bytes` followed by the same
/// payload (in little-endian order) reads back as the same tensor.
pub fn npy_header(data: &[u8]) {
    let header = npy::read_header(&mut Cursor::new(data));
    let read = npy::read(&mut Cursor::new(data));
    let header = match header {
        Ok(header) => header,
        Err(_) => {
            assert!(read.is_err(), "npy::read accepts what read_header refuses");
            return;
        }
    };
    let len = data.len() as u64;
    let offset = header.data_offset();
    assert!(
        offset <= len,
        "data offset {offset} past the {len}-byte file"
    );
    let count = element_count(header.shape()).expect("an accepted shape has an element count");
    let size = header.dtype().size_bytes() as u64;
    assert_eq!(
        count.checked_mul(size),
        Some(len - offset),
        "the payload is not shape × dtype bytes"
    );
    if let Ok(tensor) = &read {
        assert_eq!(tensor.shape(), header.shape());
        assert_eq!(tensor.dtype(), header.dtype());
        assert_eq!(tensor.len() as u64, count);
    }
    if len - offset > ROUND_TRIP_BYTES || (header.fortran_order() && header.shape().len() > 1) {
        return;
    }
    // numpy.save's prefix for this shape and dtype, then the payload in little-endian order.
    let mut file = npy::header_bytes(header.shape(), header.dtype())
        .expect("a dtype read from .npy can be written to .npy");
    let payload = &data[offset as usize..];
    if header.big_endian() {
        for element in payload.chunks(size as usize) {
            file.extend(element.iter().rev());
        }
    } else {
        file.extend_from_slice(payload);
    }
    let again = npy::read_header(&mut Cursor::new(&file))
        .unwrap_or_else(|e| panic!("the re-written header does not read back: {e}"));
    assert_eq!(again.shape(), header.shape());
    assert_eq!(again.dtype(), header.dtype());
    assert!(!again.big_endian() && !again.fortran_order());
    let back = npy::read(&mut Cursor::new(&file));
    match (&read, &back) {
        (Ok(a), Ok(b)) => assert!(
            same_values(&a.to_f64(), &b.to_f64()),
            "the re-written file reads different values"
        ),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("the original reads as {a:?}, the re-written file as {b:?}"),
    }
}

/// Target `safetensors_header`: `safetensors::read_header` and `safetensors::read(_, None)`.
///
/// Checks that `read` only accepts what `read_header` accepts, that the accepted tensors
/// tile the data section exactly, and that each tensor re-written alone by
/// `safetensors::header_bytes` (with the file's metadata) reads back the same.
pub fn safetensors_header(data: &[u8]) {
    let header = safetensors::read_header(&mut Cursor::new(data));
    let read = safetensors::read(&mut Cursor::new(data), None);
    let header = match header {
        Ok(header) => header,
        Err(_) => {
            assert!(
                read.is_err(),
                "safetensors::read accepts what read_header refuses"
            );
            return;
        }
    };
    let len = data.len() as u64;
    let start = header.data_start();
    assert!(start <= len, "data start {start} past the {len}-byte file");
    let mut covered = 0u64;
    for t in header.tensors() {
        let (begin, end) = t.data_offsets();
        assert!(begin <= end && end <= len - start, "offsets {begin}..{end}");
        covered += end - begin;
        if let Some(dtype) = t.dtype() {
            let count = element_count(t.shape()).expect("an accepted shape has an element count");
            assert_eq!(
                count.checked_mul(dtype.size_bytes() as u64),
                Some(end - begin)
            );
        }
    }
    assert_eq!(
        covered,
        len - start,
        "the tensors do not tile the data section"
    );
    if let Ok(tensor) = &read {
        let [only] = header.tensors() else {
            panic!(
                "read without a name picked one of {} tensors",
                header.tensors().len()
            );
        };
        assert_eq!(tensor.shape(), only.shape());
        assert_eq!(Some(tensor.dtype()), only.dtype());
    }
    for t in header.tensors().iter().take(8) {
        let Some(dtype) = t.dtype() else { continue };
        let (begin, end) = t.data_offsets();
        if end - begin > ROUND_TRIP_BYTES {
            continue;
        }
        let mut file =
            match safetensors::header_bytes(t.name(), t.shape(), dtype, header.metadata()) {
                Ok(file) => file,
                // The reader accepts an empty name, as the reference implementation does; the
                // writer refuses one (`FormatError::InvalidTensorName`).
                Err(_) if t.name().is_empty() => continue,
                Err(e) => panic!("tensor {:?} was read but cannot be written: {e}", t.name()),
            };
        file.extend_from_slice(&data[(start + begin) as usize..(start + end) as usize]);
        let again = safetensors::read_header(&mut Cursor::new(&file))
            .unwrap_or_else(|e| panic!("the re-written header does not read back: {e}"));
        let [back] = again.tensors() else {
            panic!("one tensor written, {} read", again.tensors().len());
        };
        assert_eq!(back.name(), t.name());
        assert_eq!(back.shape(), t.shape());
        assert_eq!(back.dtype(), t.dtype());
        assert_eq!(again.metadata(), header.metadata());
        let original = safetensors::read(&mut Cursor::new(data), Some(t.name()));
        let rewritten = safetensors::read(&mut Cursor::new(&file), None);
        match (&original, &rewritten) {
            (Ok(a), Ok(b)) => assert!(
                same_values(&a.to_f64(), &b.to_f64()),
                "the re-written file reads different values"
            ),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("the original reads as {a:?}, the re-written file as {b:?}"),
        }
    }
}

/// Shapes, layouts and groups every parsed scheme is resolved on.
fn resolve_cases() -> Vec<(Vec<usize>, Layout, usize)> {
    let axes = Layout::Axes {
        in_axes: vec![1],
        out_axes: vec![0],
        batch_axes: vec![],
    };
    vec![
        (vec![8, 4], Layout::OutIn, 1),
        (vec![4, 8], Layout::InOut, 1),
        (vec![8, 4, 3, 3], Layout::OutIn, 1),
        (vec![8, 2, 3, 3], Layout::OutIn, 2),
        (vec![4, 4, 3, 3], Layout::Transposed, 2),
        (vec![3, 3, 4, 8], Layout::InOut, 4),
        (vec![8, 4], axes, 1),
        (vec![], Layout::OutIn, 1),
        (vec![6], Layout::OutIn, 1),
        (vec![0, 4], Layout::OutIn, 1),
        (vec![4, 0, 3, 3], Layout::OutIn, 1),
        (vec![1 << 32, 1 << 32, 2], Layout::OutIn, 1),
        (vec![0, 1 << 32, 1 << 32], Layout::OutIn, 1),
        (vec![0, 1 << 32, 1 << 32], Layout::Transposed, 1),
        (vec![1 << 32, 1 << 32, 0], Layout::InOut, 1),
        (vec![8, 4], Layout::OutIn, 0),
    ]
}

/// Checks that a law's `Display` parses back: as the same law for a base law, as a scheme
/// for a structured law (whose law needs a shape).
fn law_round_trip(law: &Law) {
    let shown = law.to_string();
    if law.is_structured() {
        shown
            .parse::<Scheme>()
            .unwrap_or_else(|e| panic!("law {law:?} displays as `{shown}`, not a scheme: {e}"));
        return;
    }
    let again: Law = shown
        .parse()
        .unwrap_or_else(|e| panic!("law {law:?} displays as `{shown}`, which does not parse: {e}"));
    assert_eq!(again.to_string(), shown);
    assert_eq!(again, *law, "`{shown}` parses to another law");
}

/// Target `scheme_grammar`: `str::parse::<Scheme>()` and `str::parse::<Law>()`.
///
/// Checks that a parsed scheme's `Display` parses back to the same scheme, that resolving
/// it on a few shapes and layouts returns (a law or an error), and that every law so
/// obtained displays as a string that parses back to it.
pub fn scheme_grammar(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(scheme) = text.parse::<Scheme>() {
        let shown = scheme.to_string();
        let again: Scheme = shown.parse().unwrap_or_else(|e| {
            panic!("`{text}` displays as `{shown}`, which does not parse: {e}")
        });
        assert_eq!(
            again.to_string(),
            shown,
            "`{text}`: Display is not a fixed point"
        );
        assert_eq!(
            again, scheme,
            "`{text}` displays as `{shown}`, another scheme"
        );
        for (shape, layout, groups) in resolve_cases() {
            if let Ok(law) = scheme.resolve(&shape, &layout, groups) {
                law_round_trip(&law);
            }
        }
    }
    if let Ok(law) = text.parse::<Law>() {
        law_round_trip(&law);
    }
}

/// Shapes every parsed layout computes fans for: empty ones, and ones whose dims overflow
/// when multiplied, also beside a zero dim (`[0, 2³², 2³²]` once panicked in `raw_fans`).
const FAN_SHAPES: &[&[usize]] = &[
    &[],
    &[5],
    &[8, 4],
    &[8, 4, 3, 3],
    &[2, 3, 4, 5, 6],
    &[0, 4],
    &[4, 0, 3],
    &[3, 4, 0],
    &[usize::MAX, 2],
    &[1 << 32, 1 << 32, 1],
    &[0, 1 << 32, 1 << 32],
    &[1 << 32, 0, 1 << 32],
    &[1 << 32, 1 << 32, 0],
    &[usize::MAX, usize::MAX, 0],
];

/// Target `layout`: `str::parse::<Layout>()`.
///
/// Checks that a parsed layout's `Display` parses back to it, and that `Fans::of_shape`
/// returns positive fans or an error for a few shapes and group counts.
pub fn layout(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(layout) = text.parse::<Layout>() else {
        return;
    };
    let shown = layout.to_string();
    let again: Layout = shown
        .parse()
        .unwrap_or_else(|e| panic!("`{text}` displays as `{shown}`, which does not parse: {e}"));
    assert_eq!(
        again, layout,
        "`{text}` displays as `{shown}`, another layout"
    );
    for shape in FAN_SHAPES {
        for groups in [0, 1, 2, 3] {
            if let Ok(fans) = Fans::of_shape(shape, &layout, groups) {
                assert!(fans.fan_in() > 0 && fans.fan_out() > 0, "{fans:?}");
            }
        }
    }
}

/// Target `shape`: `initspec_cli::args::parse_shape`.
///
/// Checks that a parsed shape, written back as comma-separated dimensions, parses to itself.
pub fn shape(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(dims) = parse_shape(text) else {
        return;
    };
    let written: Vec<String> = dims.iter().map(usize::to_string).collect();
    let written = written.join(",");
    assert_eq!(
        parse_shape(&written).ok(),
        Some(dims.clone()),
        "`{written}`"
    );
    assert_eq!(parse_shape(&format!("[{written}]")).ok(), Some(dims));
}

/// Target `manifest`: `Manifest::parse` on `data` as TOML and as JSON.
///
/// Checks that an accepted manifest, written back with `Manifest::to_text` in either format,
/// parses to the same manifest, and that a refused one is refused with a one-line message.
pub fn manifest(data: &[u8]) {
    use initspec_io::manifest::{Manifest, ManifestFormat};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = std::path::Path::new("fuzz.toml");
    for format in [ManifestFormat::Toml, ManifestFormat::Json] {
        match Manifest::parse(text, format, path) {
            Ok(m) => {
                for out in [ManifestFormat::Toml, ManifestFormat::Json] {
                    let written = m.to_text(out);
                    let again = Manifest::parse(&written, out, path);
                    assert_eq!(again.as_ref().ok(), Some(&m), "{written}");
                }
            }
            Err(e) => assert!(!e.to_string().contains('\n'), "{e}"),
        }
    }
}

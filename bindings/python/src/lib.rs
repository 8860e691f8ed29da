//! `initspec._native`: the compiled half of the `initspec` Python package.
//!
//! Every function takes plain values (strings, integers, lists) and memory by address; the
//! Python package (python/initspec) turns NumPy arrays, torch tensors, DTensors and JAX
//! shards into those, after checking them. Errors are `ValueError`s carrying initspec's
//! one-line messages; nothing here panics on any input (a panic would surface as
//! `pyo3_runtime.PanicException`, which the tests treat as a failure).
//!
//! The long computations (filling, auditing, identifying) run with the GIL released, so
//! other Python threads go on while the Rust side uses every core.

mod block;
mod memory;

use std::ops::Range;

use initspec::{Layout, Sampler, Scheme, Stream};
use initspec_io::draw::law_for;
use initspec_verify::audit::audit as audit_sample;
use initspec_verify::conforms::report;
use initspec_verify::identify::identify as identify_sample;
use initspec_verify::sample::Sample;
use initspec_verify::storage::Storage;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::block::{FillBlock, check_block, whole};
use crate::memory::{Buffer, dtype_of};

/// A `ValueError` with `message`.
fn value_error(message: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(message.to_string())
}

fn parse_scheme(text: &str) -> PyResult<Scheme> {
    text.parse()
        .map_err(|e: initspec::Error| value_error(format!("invalid scheme: {e}")))
}

fn parse_layout(text: &str) -> PyResult<Layout> {
    text.parse()
        .map_err(|e: initspec::Error| value_error(format!("invalid layout: {e}")))
}

fn storage_of(dtype: initspec_io::Dtype) -> Storage {
    match dtype {
        initspec_io::Dtype::F64 => Storage::F64,
        initspec_io::Dtype::F32 => Storage::F32,
        initspec_io::Dtype::BF16 => Storage::BF16,
        initspec_io::Dtype::F16 => Storage::F16,
    }
}

/// Checks that a buffer of `len` values holds a tensor of `shape`.
fn check_len(len: usize, shape: &[usize], what: &str) -> PyResult<()> {
    let elements = initspec::element_count(shape).map_err(value_error)?;
    if elements != len as u64 {
        return Err(value_error(format!(
            "{what} holds {len} values but shape {shape:?} has {elements}"
        )));
    }
    Ok(())
}

/// The law `scheme` resolves to for a tensor of `shape`, as its base-scheme string.
#[pyfunction]
#[pyo3(signature = (scheme, shape, layout = "out-in", groups = 1))]
fn law(scheme: &str, shape: Vec<usize>, layout: &str, groups: usize) -> PyResult<String> {
    let scheme = parse_scheme(scheme)?;
    let layout = parse_layout(layout)?;
    scheme
        .resolve(&shape, &layout, groups)
        .map(|law| law.to_string())
        .map_err(value_error)
}

/// Fills `nbytes` at `address` (C order, `dtype`) with `block` (a `(start, stop)` pair per
/// dim; `None` for the whole tensor) of the tensor of `shape` drawn from `scheme` with the
/// stream `(seed, name)`. Returns the law, or `None` for an empty tensor.
#[pyfunction]
#[pyo3(signature = (address, nbytes, dtype, scheme, shape, block, seed, name, layout, groups, allow_lossy_dtype))]
#[allow(clippy::too_many_arguments)]
fn fill(
    py: Python<'_>,
    address: usize,
    nbytes: usize,
    dtype: &str,
    scheme: &str,
    shape: Vec<usize>,
    block: Option<Vec<(usize, usize)>>,
    seed: u64,
    name: &str,
    layout: &str,
    groups: usize,
    allow_lossy_dtype: bool,
) -> PyResult<Option<String>> {
    let dtype = dtype_of(dtype)?;
    let buffer = Buffer::new(address, nbytes, dtype)?;
    let scheme = parse_scheme(scheme)?;
    let layout = parse_layout(layout)?;
    let block: Vec<Range<usize>> = match block {
        Some(pairs) => pairs.into_iter().map(|(a, b)| a..b).collect(),
        None => whole(&shape),
    };
    let law =
        law_for(&scheme, &shape, &layout, groups, dtype, allow_lossy_dtype).map_err(value_error)?;
    let Some(law) = law else {
        // An empty tensor: nothing to draw, but the block must still lie in it.
        check_block(&shape, &block, buffer.len()).map_err(value_error)?;
        return Ok(None);
    };
    let sampler = Sampler::new(&law, Stream::new(seed, name));
    let job = FillBlock {
        sampler: &sampler,
        shape: &shape,
        block: &block,
        dtype,
    };
    py.detach(|| buffer.with_slice_mut(|out| out.apply(job)))
        .map_err(value_error)?;
    Ok(Some(law.to_string()))
}

/// Audits the `shape` tensor at `address` against `scheme` at family-wise level `alpha`.
/// Returns the audit as the JSON of `initspec audit --json` (without `file` and `tensor`)
/// and as the text report.
#[pyfunction]
#[pyo3(signature = (address, nbytes, dtype, shape, scheme, layout, groups, alpha))]
#[allow(clippy::too_many_arguments)]
fn audit(
    py: Python<'_>,
    address: usize,
    nbytes: usize,
    dtype: &str,
    shape: Vec<usize>,
    scheme: &str,
    layout: &str,
    groups: usize,
    alpha: f64,
) -> PyResult<(String, String)> {
    let dtype = dtype_of(dtype)?;
    let buffer = Buffer::new(address, nbytes, dtype)?;
    check_len(buffer.len(), &shape, "the array")?;
    let scheme = parse_scheme(scheme)?;
    let layout = parse_layout(layout)?;
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(value_error(format!(
            "alpha must lie in (0, 1), got {alpha}"
        )));
    }
    let result = py.detach(|| {
        buffer.with_slice(|values| {
            let sample = Sample::new(values.verify(), &shape, storage_of(dtype))
                .with_layout(layout)
                .with_groups(groups);
            audit_sample(&sample, &scheme, alpha)
        })
    });
    let audit = result
        .map_err(|e| value_error(format!("cannot audit shape {shape:?} as {scheme}: {e}")))?;
    let mut value = serde_json::to_value(&audit).map_err(value_error)?;
    let checks = serde_json::to_value(&audit.verdict.checks).map_err(value_error)?;
    if let Some(map) = value.as_object_mut() {
        // The keys and order of `initspec audit --json` for one tensor.
        let mut ordered = serde_json::Map::new();
        ordered.insert(
            "verdict".into(),
            (if audit.verdict.pass { "pass" } else { "fail" }).into(),
        );
        ordered.append(map);
        ordered.insert("alpha".into(), audit.verdict.alpha.into());
        ordered.insert("checks".into(), checks);
        value = serde_json::Value::Object(ordered);
    }
    let json = serde_json::to_string(&value).map_err(value_error)?;
    Ok((json, report(&audit)))
}

/// The known laws that fit the `shape` tensor at `address`, best first, as JSON.
#[pyfunction]
#[pyo3(signature = (address, nbytes, dtype, shape, layout, groups))]
fn identify(
    py: Python<'_>,
    address: usize,
    nbytes: usize,
    dtype: &str,
    shape: Vec<usize>,
    layout: &str,
    groups: usize,
) -> PyResult<String> {
    let dtype = dtype_of(dtype)?;
    let buffer = Buffer::new(address, nbytes, dtype)?;
    check_len(buffer.len(), &shape, "the array")?;
    if buffer.len() == 0 {
        return Err(value_error("cannot identify an empty tensor"));
    }
    let layout = parse_layout(layout)?;
    let candidates = py.detach(|| {
        buffer.with_slice(|values| {
            let sample = Sample::new(values.verify(), &shape, storage_of(dtype))
                .with_layout(layout)
                .with_groups(groups);
            identify_sample(&sample)
        })
    });
    serde_json::to_string(&candidates).map_err(value_error)
}

/// The Python module `initspec._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(law, m)?)?;
    m.add_function(wrap_pyfunction!(fill, m)?)?;
    m.add_function(wrap_pyfunction!(audit, m)?)?;
    m.add_function(wrap_pyfunction!(identify, m)?)?;
    Ok(())
}

//! Audit speed and memory, for `benches/python/audit_vs_scipy.py` and docs/PERFORMANCE.md.
//!
//! ```text
//! audit_speed write FILE [LOG2]     a correct N(0, 0.02²) draw of 2^LOG2 f32 values (default
//!                                   26) by initspec's Sampler (seed 1, name "weight"), shape
//!                                   [2^⌈LOG2/2⌉, 2^⌊LOG2/2⌋], written as a C-order '<f4' .npy
//! audit_speed audit FILE [DTYPE]    reads the .npy as f32 (its own width, one pass) and audits
//!                                   it against normal(std=0.02); with DTYPE bf16, f16 or f64 the
//!                                   values are first converted (rounded) to that type, to time
//!                                   its path (the peak RSS then includes the conversion)
//! audit_speed identify FILE         reads it and runs identify
//! audit_speed tiny COUNT...         audits COUNT tensors of shape [4, 4] (f32, xavier_normal)
//! audit_speed sorts FILE            times the ways of putting the values in order
//! ```
//!
//! Each command prints one JSON object on a line: the seconds of the work itself (the read
//! is timed apart), and for `audit` and `identify` the peak resident set size of the process
//! (`VmHWM` of /proc/self/status, KiB) against the tensor's bytes.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::time::Instant;

use half::{bf16, f16};
use initspec::{Law, Layout, Sampler, Scheme, Stream};
use initspec_verify::audit::{Audit, audit};
use initspec_verify::identify::identify;
use initspec_verify::order::for_each_run;
use initspec_verify::sample::{Sample, Values};
use initspec_verify::storage::Storage;
use rayon::prelude::*;

/// The scheme of the large tensor (a law that needs no fans).
const SCHEME: &str = "normal(std=0.02)";

/// Bytes read from the file at a time.
const READ_CHUNK: usize = 1 << 20;

type Result<T> = std::result::Result<T, String>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("write") => write(&args[1..]),
        Some("audit") => run_audit(&args[1..]),
        Some("identify") => run_identify(&args[1..]),
        Some("tiny") => tiny(&args[1..]),
        Some("sorts") => sorts(&args[1..]),
        _ => Err("usage: audit_speed write|audit|identify|tiny|sorts ... (see the source)".into()),
    };
    if let Err(e) = result {
        eprintln!("audit_speed: {e}");
        std::process::exit(2);
    }
}

fn path(args: &[String]) -> Result<&str> {
    args.first()
        .map(String::as_str)
        .ok_or_else(|| "missing FILE".to_string())
}

fn write(args: &[String]) -> Result<()> {
    let file = path(args)?;
    let log2: u32 = match args.get(1) {
        Some(s) => s.parse().map_err(|e| format!("LOG2 {s:?}: {e}"))?,
        None => 26,
    };
    if !(2..=32).contains(&log2) {
        return Err(format!("LOG2 {log2} outside 2..=32"));
    }
    let shape = [1usize << log2.div_ceil(2), 1usize << (log2 / 2)];
    let law: Law = SCHEME
        .parse::<Scheme>()
        .and_then(|s| s.resolve(&shape, &Layout::OutIn, 1))
        .map_err(|e| e.to_string())?;
    let mut values = vec![0f32; shape[0] * shape[1]];
    Sampler::new(&law, Stream::new(1, "weight")).fill(&mut values);
    let header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
        shape[0], shape[1]
    );
    // Version 1.0: magic, version, u16 header length; header padded with spaces to a
    // multiple of 64 bytes (numpy's layout), ending in a newline.
    let unpadded = 10 + header.len() + 1;
    let padded = unpadded.div_ceil(64) * 64;
    let mut text = header.into_bytes();
    text.resize(text.len() + padded - unpadded, b' ');
    text.push(b'\n');
    let len = u16::try_from(text.len()).map_err(|e| e.to_string())?;
    let io = |e: std::io::Error| format!("{file}: {e}");
    let mut out = BufWriter::new(File::create(file).map_err(io)?);
    out.write_all(b"\x93NUMPY\x01\x00").map_err(io)?;
    out.write_all(&len.to_le_bytes()).map_err(io)?;
    out.write_all(&text).map_err(io)?;
    for chunk in values.chunks(READ_CHUNK / 4) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|x| x.to_le_bytes()).collect();
        out.write_all(&bytes).map_err(io)?;
    }
    out.flush().map_err(io)?;
    println!(
        "{{\"file\": \"{file}\", \"shape\": [{}, {}], \"law\": \"{law}\"}}",
        shape[0], shape[1]
    );
    Ok(())
}

/// Reads a C-order little-endian f32 `.npy` file of rank 2 straight into a `Vec<f32>` of
/// exactly its length (a 1 MiB byte buffer at a time, never the whole file as bytes).
fn read_npy(file: &str) -> Result<(Vec<f32>, Vec<usize>)> {
    let io = |e: std::io::Error| format!("{file}: {e}");
    let mut input = BufReader::new(File::open(file).map_err(io)?);
    let mut lead = [0u8; 10];
    input.read_exact(&mut lead).map_err(io)?;
    if &lead[..6] != b"\x93NUMPY" || lead[6] != 1 {
        return Err(format!("{file}: not a version 1 .npy file"));
    }
    let len = usize::from(u16::from_le_bytes([lead[8], lead[9]]));
    let mut header = vec![0u8; len];
    input.read_exact(&mut header).map_err(io)?;
    let header = String::from_utf8_lossy(&header);
    if !header.contains("'descr': '<f4'") || !header.contains("'fortran_order': False") {
        return Err(format!("{file}: not a C-order '<f4' array: {header}"));
    }
    let dims = header
        .split("'shape': (")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .ok_or_else(|| format!("{file}: no shape in {header}"))?;
    let shape: Vec<usize> = dims
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.parse::<usize>()
                .map_err(|e| format!("{file}: shape {d:?}: {e}"))
        })
        .collect::<Result<_>>()?;
    let n: usize = shape.iter().product();
    let mut values = Vec::with_capacity(n);
    let mut bytes = vec![0u8; READ_CHUNK];
    while values.len() < n {
        let want = ((n - values.len()) * 4).min(READ_CHUNK);
        input.read_exact(&mut bytes[..want]).map_err(io)?;
        values.extend(
            bytes[..want]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
    }
    Ok((values, shape))
}

/// The CPU time (user + system) of this process so far, seconds, from /proc/self/stat
/// (fields 14 and 15, in clock ticks of 1/100 s, Linux's `USER_HZ`); 0 where unknown.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name, which ends at the last ')'.
            let rest = &s[s.rfind(')')? + 2..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
            Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
        })
        .unwrap_or(0.0)
}

/// The peak resident set size of this process so far, KiB (`VmHWM`), or 0 where unknown.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn run_audit(args: &[String]) -> Result<()> {
    let file = path(args)?;
    let start = Instant::now();
    let (values, shape) = read_npy(file)?;
    let read_s = start.elapsed().as_secs_f64();
    let scheme: Scheme = SCHEME.parse().map_err(|e: initspec::Error| e.to_string())?;
    let n = values.len();
    let bytes = n * 4;
    let (report, audit_s, cpu_s) = match args.get(1).map(String::as_str) {
        None | Some("f32") => timed_audit(&values, &shape, Storage::F32, &scheme)?,
        Some("f64") => {
            let wide: Vec<f64> = values.iter().map(|&x| f64::from(x)).collect();
            drop(values);
            timed_audit(&wide, &shape, Storage::F64, &scheme)?
        }
        Some("bf16") => {
            let narrow: Vec<bf16> = values.iter().map(|&x| bf16::from_f32(x)).collect();
            drop(values);
            timed_audit(&narrow, &shape, Storage::BF16, &scheme)?
        }
        Some("f16") => {
            let narrow: Vec<f16> = values.iter().map(|&x| f16::from_f32(x)).collect();
            drop(values);
            timed_audit(&narrow, &shape, Storage::F16, &scheme)?
        }
        Some(other) => return Err(format!("DTYPE {other:?}: f32, f64, bf16 or f16")),
    };
    let peak = peak_rss_kib();
    let ks = report.verdict.check("ks");
    println!(
        "{{\"command\": \"audit\", \"dtype\": \"{}\", \"n\": {n}, \"threads\": {}, \"read_s\": {read_s:.4}, \"audit_s\": {audit_s:.4}, \"audit_cpu_s\": {cpu_s:.2}, \"peak_rss_kib\": {peak}, \"tensor_bytes\": {bytes}, \"peak_over_tensor\": {:.4}, \"pass\": {}, \"ks_d\": {:e}, \"ks_p\": {:e}}}",
        report.dtype,
        rayon::current_num_threads(),
        (peak * 1024) as f64 / bytes as f64,
        report.verdict.pass,
        ks.map_or(f64::NAN, |c| c.statistic),
        ks.map_or(f64::NAN, |c| c.p_value),
    );
    Ok(())
}

/// The audit of `values` against `scheme`, its seconds and its CPU seconds (all threads).
fn timed_audit<'a>(
    values: impl Into<Values<'a>>,
    shape: &'a [usize],
    storage: Storage,
    scheme: &Scheme,
) -> Result<(Audit, f64, f64)> {
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let report =
        audit(&Sample::new(values, shape, storage), scheme, 1e-3).map_err(|e| e.to_string())?;
    Ok((report, start.elapsed().as_secs_f64(), cpu_seconds() - cpu))
}

fn run_identify(args: &[String]) -> Result<()> {
    let file = path(args)?;
    let (values, shape) = read_npy(file)?;
    let start = Instant::now();
    let candidates = identify(&Sample::new(&values, &shape, Storage::F32));
    let identify_s = start.elapsed().as_secs_f64();
    let best = candidates
        .first()
        .map_or("none".to_string(), |c| c.scheme.clone());
    println!(
        "{{\"command\": \"identify\", \"n\": {}, \"identify_s\": {identify_s:.4}, \"candidates\": {}, \"best\": \"{best}\", \"peak_rss_kib\": {}}}",
        values.len(),
        candidates.len(),
        peak_rss_kib()
    );
    Ok(())
}

fn tiny(args: &[String]) -> Result<()> {
    let shape = [4usize, 4];
    let scheme: Scheme = "xavier_normal"
        .parse()
        .map_err(|e: initspec::Error| e.to_string())?;
    let law = scheme
        .resolve(&shape, &Layout::OutIn, 1)
        .map_err(|e| e.to_string())?;
    for count in args {
        let count: usize = count.parse().map_err(|e| format!("COUNT {count:?}: {e}"))?;
        let mut values = vec![0f32; count * 16];
        Sampler::new(&law, Stream::new(2, "tiny")).fill(&mut values);
        let start = Instant::now();
        let mut passed = 0usize;
        for tensor in values.chunks_exact(16) {
            let report = audit(&Sample::new(tensor, &shape, Storage::F32), &scheme, 1e-3)
                .map_err(|e| e.to_string())?;
            passed += usize::from(report.verdict.pass);
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{{\"command\": \"tiny\", \"tensors\": {count}, \"values_each\": 16, \"seconds\": {seconds:.4}, \"us_per_tensor\": {:.3}, \"passed\": {passed}}}",
            seconds * 1e6 / count as f64
        );
    }
    Ok(())
}

/// The order-preserving key of an f32 (see `initspec_verify::order`).
fn key(x: f32) -> u32 {
    let b = x.to_bits();
    b ^ ((((b as i32) >> 31) as u32) | 0x8000_0000)
}

/// LSD radix sort, three passes of 11 bits, through a scratch buffer of the same size.
fn lsd_radix(keys: &mut Vec<u32>) {
    let mut scratch = vec![0u32; keys.len()];
    for pass in 0..3 {
        let shift = pass * 11;
        let mut counts = vec![0usize; 2048];
        for &k in keys.iter() {
            counts[((k >> shift) & 2047) as usize] += 1;
        }
        let mut at = 0;
        for c in counts.iter_mut() {
            (*c, at) = (at, at + *c);
        }
        for &k in keys.iter() {
            let d = ((k >> shift) & 2047) as usize;
            scratch[counts[d]] = k;
            counts[d] += 1;
        }
        std::mem::swap(keys, &mut scratch);
    }
}

/// In-place MSD radix sort: an American-flag permutation on the top 16 bits, then each
/// bucket sorted with `sort_unstable`, in parallel.
fn msd_in_place(keys: &mut [u32]) {
    let mut counts = vec![0usize; 1 << 16];
    for &k in keys.iter() {
        counts[(k >> 16) as usize] += 1;
    }
    let mut end = vec![0usize; 1 << 16];
    let mut next = vec![0usize; 1 << 16];
    let mut at = 0;
    for b in 0..1 << 16 {
        next[b] = at;
        at += counts[b];
        end[b] = at;
    }
    for b in 0..1 << 16 {
        while next[b] < end[b] {
            let mut k = keys[next[b]];
            loop {
                let d = (k >> 16) as usize;
                if d == b {
                    break;
                }
                std::mem::swap(&mut k, &mut keys[next[d]]);
                next[d] += 1;
            }
            keys[next[b]] = k;
            next[b] += 1;
        }
    }
    let mut parts: Vec<&mut [u32]> = Vec::new();
    let mut rest = keys;
    for &c in &counts {
        let (part, tail) = rest.split_at_mut(c);
        parts.push(part);
        rest = tail;
    }
    parts.into_par_iter().for_each(|p| p.sort_unstable());
}

fn sorts(args: &[String]) -> Result<()> {
    let (values, _) = read_npy(path(args)?)?;
    let time = |name: &str, f: &mut dyn FnMut() -> usize| {
        let start = Instant::now();
        let check = f();
        println!(
            "{{\"command\": \"sorts\", \"method\": \"{name}\", \"n\": {}, \"seconds\": {:.4}, \"check\": {check}}}",
            values.len(),
            start.elapsed().as_secs_f64()
        );
    };
    time(
        "std sort_unstable_by(f32::total_cmp) of a copy",
        &mut || {
            let mut v = values.clone();
            v.sort_unstable_by(f32::total_cmp);
            v.len()
        },
    );
    time("std sort_unstable of u32 keys (copy)", &mut || {
        let mut k: Vec<u32> = values.iter().map(|&x| key(x)).collect();
        k.sort_unstable();
        k.len()
    });
    time("rayon par_sort_unstable of u32 keys (copy)", &mut || {
        let mut k: Vec<u32> = values.par_iter().map(|&x| key(x)).collect();
        k.par_sort_unstable();
        k.len()
    });
    time(
        "LSD radix 3x11 bits of u32 keys (copy + scratch)",
        &mut || {
            let mut k: Vec<u32> = values.iter().map(|&x| key(x)).collect();
            lsd_radix(&mut k);
            k.len()
        },
    );
    time(
        "in-place MSD radix 16 bits + par bucket sort (copy)",
        &mut || {
            let mut k: Vec<u32> = values.par_iter().map(|&x| key(x)).collect();
            msd_in_place(&mut k);
            k.len()
        },
    );
    time("initspec_verify::order runs (no copy)", &mut || {
        let mut runs = 0usize;
        for_each_run(&values, |_, _| runs += 1);
        runs
    });
    Ok(())
}

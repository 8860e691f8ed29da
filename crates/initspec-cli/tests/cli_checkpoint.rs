//! Whole checkpoints through the real binary: `init` on one process and on many, byte for
//! byte; `audit --manifest`, `identify` and `manifest` of a checkpoint; and the bad input of
//! each, refused in one line with nothing written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use initspec_io::checkpoint::Checkpoint;
use initspec_io::safetensors::TensorSpec;
use initspec_io::{Dtype, SafetensorsWriter};
use serde_json::Value;

/// The level at which a test audits our own draws and expects them to pass: the suite's
/// per-assertion α (docs/VERIFICATION.md, "Statistical policy").
const SUITE_ALPHA: &str = "1e-6";

fn initspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_initspec"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = initspec(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail with exit 2 and one line on stderr; returns that line.
fn usage_error(args: &[&str]) -> String {
    let out = initspec(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?}");
    stderr
}

/// Nine tensors of every dtype, several layouts, a grouped conv, an empty tensor and a
/// structured law: what a model's manifest holds.
const MANIFEST: &str = r#"
seed = 11
dtype = "f32"
layout = "out-in"

[[tensor]]
name = "embed.weight"
shape = [301, 40]
scheme = "normal(std=0.02)"

[[tensor]]
name = "block.0.attn.weight"
shape = [40, 120]
scheme = "xavier_uniform"
layout = "in-out"

[[tensor]]
name = "block.0.attn.bias"
shape = [120]
scheme = "zeros"

[[tensor]]
name = "block.0.conv.weight"
shape = [16, 4, 3, 3]
scheme = "kaiming_uniform(a=2.23606797749979)"
groups = 4
dtype = "bf16"

[[tensor]]
name = "block.0.proj.weight"
shape = [40, 40]
scheme = "orthogonal"
dtype = "f64"

[[tensor]]
name = "block.0.mlp.weight"
shape = [160, 40]
scheme = "trunc_normal(std=0.02, a=-0.04, b=0.04)"
dtype = "f16"
seed = "18446744073709551615"

[[tensor]]
name = "block.0.norm.weight"
shape = [40]
scheme = "ones"

[[tensor]]
name = "empty.weight"
shape = [0, 40]
scheme = "xavier_normal"

[[tensor]]
name = "head.weight"
shape = [10, 40]
scheme = "he_normal"
layout = "out-in"
"#;

fn write_manifest(dir: &Path, text: &str, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn files_of(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_process_split_writes_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let m = write_manifest(dir.path(), MANIFEST, "m.toml");
    let m = m.to_str().unwrap();
    let single = dir.path().join("single.safetensors");
    ok(&["init", "--manifest", m, "--out", single.to_str().unwrap()]);
    let single = Checkpoint::open(&single).unwrap();
    for n in [1usize, 2, 3, 7] {
        let whole = dir.path().join(format!("whole-{n}"));
        ok(&[
            "init",
            "--manifest",
            m,
            "--out",
            whole.to_str().unwrap(),
            "--shards",
            &n.to_string(),
        ]);
        // Each K in its own process, all at once, each into its own directory.
        let parts: Vec<PathBuf> = (1..=n)
            .map(|k| dir.path().join(format!("part-{n}-{k}")))
            .collect();
        let children: Vec<_> = parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                Command::new(env!("CARGO_BIN_EXE_initspec"))
                    .args(["init", "--manifest", m, "--out", p.to_str().unwrap()])
                    .args(["--shard", &format!("{}/{n}", i + 1)])
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        let index = "model.safetensors.index.json";
        for (i, p) in parts.iter().enumerate() {
            let file = format!("model-{:05}-of-{n:05}.safetensors", i + 1);
            let mut want = vec![file.clone()];
            if i == 0 {
                want.insert(0, index.to_string());
                assert_eq!(
                    std::fs::read(p.join(index)).unwrap(),
                    std::fs::read(whole.join(index)).unwrap(),
                    "N = {n}: the index of process 1"
                );
            }
            want.sort();
            assert_eq!(files_of(p), want, "N = {n}, K = {}", i + 1);
            assert_eq!(
                std::fs::read(p.join(&file)).unwrap(),
                std::fs::read(whole.join(&file)).unwrap(),
                "N = {n}: {file}"
            );
        }
        // Every tensor of the sharded checkpoint equals the single file's, byte for byte.
        let sharded = Checkpoint::open(&whole).unwrap();
        assert_eq!(sharded.tensors().len(), 9);
        assert_eq!(sharded.files().len(), n);
        for t in single.tensors() {
            let name = t.info.name();
            assert_eq!(
                sharded.read_bytes(name).unwrap(),
                single.read_bytes(name).unwrap(),
                "N = {n}: {name}"
            );
            assert_eq!(sharded.tensor(name).unwrap().info.shape(), t.info.shape());
        }
    }
}

#[test]
fn a_tensor_of_init_equals_initspec_sample() {
    let dir = tempfile::tempdir().unwrap();
    let m = write_manifest(dir.path(), MANIFEST, "m.toml");
    let ck = dir.path().join("ck.safetensors");
    ok(&[
        "init",
        "--manifest",
        m.to_str().unwrap(),
        "--out",
        ck.to_str().unwrap(),
    ]);
    let ck = Checkpoint::open(&ck).unwrap();
    for (name, scheme, shape, extra) in [
        (
            "block.0.attn.weight",
            "xavier_uniform",
            "40,120",
            vec!["--layout", "in-out", "--seed", "11"],
        ),
        (
            "block.0.conv.weight",
            "kaiming_uniform(a=2.23606797749979)",
            "16,4,3,3",
            vec!["--groups", "4", "--dtype", "bf16", "--seed", "11"],
        ),
        (
            "block.0.mlp.weight",
            "trunc_normal(std=0.02, a=-0.04, b=0.04)",
            "160,40",
            vec!["--dtype", "f16", "--seed", "18446744073709551615"],
        ),
    ] {
        let out = dir.path().join(format!("{name}.safetensors"));
        let mut args = vec![
            "sample",
            "--scheme",
            scheme,
            "--shape",
            shape,
            "--name",
            name,
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        ok(&args);
        let sampled = Checkpoint::open(&out).unwrap();
        assert_eq!(
            sampled.read_bytes(name).unwrap(),
            ck.read_bytes(name).unwrap(),
            "{name}"
        );
    }
    // Each tensor's metadata records its scheme, law and seed.
    let meta = ck.files()[0].header().metadata();
    let record: Value = serde_json::from_str(&meta["initspec.tensor.block.0.mlp.weight"]).unwrap();
    assert_eq!(record["seed"], "18446744073709551615");
    assert_eq!(record["scheme"], "trunc_normal(std=0.02, a=-0.04, b=0.04)");
    assert!(
        record["law"].as_str().unwrap().starts_with("trunc_normal("),
        "{record}"
    );
    assert_eq!(meta["format"], "pt");
}

#[test]
fn bad_manifests_list_every_problem_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let bad = r#"
[[tensor]]
name = "a"
shape = [4, 4]
scheme = "heh"
[[tensor]]
name = "a"
shape = [4, 4]
scheme = "zeros"
[[tensor]]
name = "huge"
shape = [4294967296, 4294967296, 4294967296]
scheme = "zeros"
[[tensor]]
name = "no_shape"
scheme = "zeros"
[[tensor]]
name = "tiny"
shape = [8, 8]
scheme = "normal(std=1e-30)"
dtype = "bf16"
"#;
    let m = write_manifest(dir.path(), bad, "bad.toml");
    let line = usage_error(&[
        "init",
        "--manifest",
        m.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    for want in [
        "tensor \"a\" (entry 1): scheme:",
        "tensor \"a\" (entry 2): the name is already used by entry 1",
        "tensor \"huge\" (entry 3): shape:",
        "tensor \"no_shape\" (entry 4): missing 'shape'",
    ] {
        assert!(line.contains(want), "{want}: {line}");
    }
    // A dtype that cannot hold the law is found in a second pass, also before writing.
    let lossy = "[[tensor]]\nname = \"tiny\"\nshape = [8, 8]\nscheme = \"normal(std=1e-30)\"\ndtype = \"f16\"\n[[tensor]]\nname = \"fine\"\nshape = [8, 8]\nscheme = \"zeros\"\n";
    let m2 = write_manifest(dir.path(), lossy, "lossy.json.toml");
    let line = usage_error(&[
        "init",
        "--manifest",
        m2.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        line.contains("tensor \"tiny\"") && line.contains("cannot be stored in f16"),
        "{line}"
    );
    let json = write_manifest(
        dir.path(),
        "{\"tensor\": [{\"name\": \"x\", \"shape\": [2], \"scheme\": \"ones\", \"colour\": 1}]}",
        "m.json",
    );
    let line = usage_error(&[
        "init",
        "--manifest",
        json.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        line.contains("tensor \"x\" (entry 1): unknown key 'colour'"),
        "{line}"
    );
    let yaml = write_manifest(dir.path(), "", "m.yaml");
    usage_error(&[
        "init",
        "--manifest",
        yaml.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!out.exists(), "nothing is written on bad input");
    assert_eq!(
        files_of(dir.path()),
        ["bad.toml", "lossy.json.toml", "m.json", "m.yaml"]
    );
}

#[test]
fn bad_shard_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = write_manifest(dir.path(), MANIFEST, "m.toml");
    let m = m.to_str().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    for (args, want) in [
        (vec!["--shard", "0/3"], "invalid --shard"),
        (vec!["--shard", "4/3"], "invalid --shard"),
        (vec!["--shard", "1/x"], "invalid --shard"),
        (vec!["--shards", "0"], "--shards 0"),
        (vec!["--shards", "2", "--shard", "1/3"], "disagrees"),
        (
            vec!["--shards", "10"],
            "every file must hold at least one tensor",
        ),
    ] {
        let mut all = vec!["init", "--manifest", m, "--out", out];
        all.extend(args);
        let line = usage_error(&all);
        assert!(line.contains(want), "{all:?}: {line}");
    }
    let one = dir.path().join("one.safetensors");
    let line = usage_error(&[
        "init",
        "--manifest",
        m,
        "--out",
        one.to_str().unwrap(),
        "--shards",
        "2",
    ]);
    assert!(line.contains("give a directory"), "{line}");
    assert_eq!(files_of(dir.path()), ["m.toml"]);
}

/// Writes tensors (name, f32 values, shape) into one .safetensors file.
fn write_f32(path: &Path, tensors: &[(&str, &[f32], &[usize])]) {
    let specs: Vec<TensorSpec> = tensors
        .iter()
        .map(|(n, _, s)| TensorSpec {
            name: n.to_string(),
            shape: s.to_vec(),
            dtype: Dtype::F32,
        })
        .collect();
    let mut w = SafetensorsWriter::create(path, &specs, &BTreeMap::new()).unwrap();
    for (_, v, _) in tensors {
        w.write_values(v).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn inconsistent_checkpoint_directories_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = write_manifest(dir.path(), MANIFEST, "m.toml");
    let m = m.to_str().unwrap();
    let ck = dir.path().join("ck");
    ok(&[
        "init",
        "--manifest",
        m,
        "--out",
        ck.to_str().unwrap(),
        "--shards",
        "3",
    ]);
    let index = ck.join("model.safetensors.index.json");
    let original = std::fs::read_to_string(&index).unwrap();
    let audit = |want: &str| {
        let line = usage_error(&["audit", ck.to_str().unwrap(), "--manifest", m]);
        assert!(line.contains(want), "{want}: {line}");
    };
    // The index names a file that does not exist.
    std::fs::write(
        &index,
        original.replace("model-00003-of-00003", "model-00009-of-00003"),
    )
    .unwrap();
    audit("model-00009-of-00003.safetensors, which does not exist");
    // The index places a tensor in another file than the one that holds it.
    std::fs::write(
        &index,
        original.replacen("model-00001-of-00003", "model-00002-of-00003", 1),
    )
    .unwrap();
    audit(
        "places tensor \"embed.weight\" in model-00002-of-00003.safetensors, which does not hold it",
    );
    // The index names a path outside the directory.
    std::fs::write(
        &index,
        original.replace("model-00003-of-00003.safetensors", "../x.safetensors"),
    )
    .unwrap();
    audit("not a file name inside the directory");
    std::fs::write(&index, &original).unwrap();
    // Two files hold one tensor.
    let second = ck.join("model-00002-of-00003.safetensors");
    write_f32(&second, &[("embed.weight", &[0.0; 4], &[2, 2])]);
    audit("tensor \"embed.weight\" is in both");
    // A directory with neither an index nor model.safetensors.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let line = usage_error(&["identify", empty.to_str().unwrap()]);
    assert!(
        line.contains("neither model.safetensors.index.json nor model.safetensors"),
        "{line}"
    );
}

/// A manifest of `names`, each N(0, 0.02²) of shape [64, 64].
fn normal_manifest(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| {
            format!("[[tensor]]\nname = \"{n}\"\nshape = [64, 64]\nscheme = \"normal(std=0.02)\"\n")
        })
        .collect()
}

fn draw(seed: u64, name: &str, std: f64, n: usize) -> Vec<f32> {
    let law: initspec::Law = format!("normal(std={std})").parse().unwrap();
    let mut v = vec![0f32; n];
    initspec::Sampler::new(&law, initspec::Stream::new(seed, name)).fill(&mut v);
    v
}

#[test]
fn checkpoint_audit_finds_copies_and_reused_seeds() {
    // α = 1e-6 for the checkpoint (the suite's α: the correct one passes by chance with
    // probability ≥ 1 − 1e-6; the defects below fail at any α); tensors of 4096 and 2048
    // values, seeds 1–4. "d" is half the size of the others: a reused stream gives it "c"'s
    // first values.
    let dir = tempfile::tempdir().unwrap();
    let manifest = format!(
        "{}[[tensor]]\nname = \"d\"\nshape = [32, 64]\nscheme = \"normal(std=0.02)\"\n",
        normal_manifest(&["a", "b", "c"])
    );
    let m = write_manifest(dir.path(), &manifest, "m.toml");
    let m = m.to_str().unwrap();
    let (a, b, c, d) = (
        draw(1, "a", 0.02, 4096),
        draw(2, "b", 0.02, 4096),
        draw(3, "c", 0.02, 4096),
        draw(4, "d", 0.02, 2048),
    );
    let (shape, half): (&[usize], &[usize]) = (&[64, 64], &[32, 64]);
    let good = dir.path().join("good.safetensors");
    write_f32(
        &good,
        &[
            ("a", &a, shape),
            ("b", &b, shape),
            ("c", &c, shape),
            ("d", &d, half),
        ],
    );
    ok(&[
        "audit",
        good.to_str().unwrap(),
        "--manifest",
        m,
        "--alpha",
        SUITE_ALPHA,
    ]);
    // "b" a byte copy of "a"; "d" drawn from "c"'s stream (a reused seed and name).
    let c_again = draw(3, "c", 0.02, 2048);
    let bad = dir.path().join("bad.safetensors");
    write_f32(
        &bad,
        &[
            ("a", &a, shape),
            ("b", &a, shape),
            ("c", &c, shape),
            ("d", &c_again, half),
        ],
    );
    let out = initspec(&[
        "audit",
        bad.to_str().unwrap(),
        "--manifest",
        m,
        "--json",
        "--alpha",
        SUITE_ALPHA,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "fail");
    let cross = v["cross"].as_array().unwrap();
    let failing: Vec<(String, Vec<String>)> = cross
        .iter()
        .filter(|c| c["pass"] == false)
        .map(|c| {
            let names = c["tensors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect();
            (c["name"].as_str().unwrap().to_string(), names)
        })
        .collect();
    let pair = |x: &str, y: &str| vec![x.to_string(), y.to_string()];
    assert!(
        failing.contains(&("duplicate".to_string(), pair("a", "b"))),
        "{failing:?}"
    );
    assert!(
        failing.contains(&("sign_agreement".to_string(), pair("a", "b"))),
        "{failing:?}"
    );
    assert!(
        failing.contains(&("sign_agreement".to_string(), pair("c", "d"))),
        "{failing:?}"
    );
    assert!(
        !failing
            .iter()
            .any(|(n, t)| n == "duplicate" && t.contains(&"c".to_string())),
        "{failing:?}"
    );
    // Each marginal alone is correct: every tensor passes.
    for t in v["tensors"].as_array().unwrap() {
        assert_eq!(t["verdict"], "pass", "{t}");
    }
}

#[test]
fn checkpoint_audit_json_contract_with_skipped_and_failing_tensors() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = format!(
        "{}[[tensor]]\nname = \"missing\"\nshape = [2]\nscheme = \"zeros\"\n[[tensor]]\nname = \"wide\"\nshape = [64, 64]\nscheme = \"normal(std=0.02)\"\n",
        normal_manifest(&["a"])
    );
    let m = write_manifest(dir.path(), &manifest, "m.toml");
    let a = draw(1, "a", 0.02, 4096);
    let wide = draw(2, "wide", 0.03, 4096);
    let ck = dir.path().join("ck.safetensors");
    let shape: &[usize] = &[64, 64];
    write_f32(
        &ck,
        &[
            ("a", &a, shape),
            ("wide", &wide, shape),
            ("extra", &[1.0, 2.0], &[2]),
        ],
    );
    let out = initspec(&[
        "audit",
        ck.to_str().unwrap(),
        "--manifest",
        m.to_str().unwrap(),
        "--json",
        "--alpha",
        SUITE_ALPHA,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["verdict"].as_str(), v["alpha"].as_f64()),
        (Some("fail"), Some(1e-6))
    );
    let tensors = v["tensors"].as_array().unwrap();
    let by_name = |n: &str| {
        tensors
            .iter()
            .find(|t| t["name"] == n)
            .unwrap_or_else(|| panic!("{n} in {v}"))
    };
    for t in tensors {
        for key in ["name", "scheme", "law", "verdict", "reason", "checks"] {
            assert!(t.get(key).is_some(), "{key} in {t}");
        }
    }
    assert_eq!(by_name("a")["verdict"], "pass");
    assert_eq!(by_name("a")["reason"], Value::Null);
    assert!(
        by_name("a")["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "ks")
    );
    // std 0.03 against 0.02: variance 2.25× the spec.
    assert_eq!(by_name("wide")["verdict"], "fail");
    assert_eq!(by_name("extra")["verdict"], "skipped");
    assert_eq!(by_name("extra")["reason"], "not in the manifest");
    assert_eq!(by_name("missing")["verdict"], "fail");
    // Failures first.
    assert_eq!(tensors[0]["verdict"], "fail");
    assert_eq!(tensors.last().unwrap()["verdict"], "skipped");
    for c in v["cross"].as_array().unwrap() {
        for key in ["name", "tensors", "statistic", "p_value", "pass"] {
            assert!(c.get(key).is_some(), "{key} in {c}");
        }
    }
    // The family-wise level: 2 audited tensors + 2 cross checks.
    assert_eq!(v["alpha_per_test"].as_f64(), Some(1e-6 / 4.0));
}

#[test]
fn manifest_of_a_checkpoint_reproduces_and_audits_it() {
    let dir = tempfile::tempdir().unwrap();
    let m = write_manifest(dir.path(), MANIFEST, "m.toml");
    let ck = dir.path().join("ck");
    ok(&[
        "init",
        "--manifest",
        m.to_str().unwrap(),
        "--out",
        ck.to_str().unwrap(),
        "--shards",
        "2",
    ]);
    ok(&[
        "audit",
        ck.to_str().unwrap(),
        "--manifest",
        m.to_str().unwrap(),
        "--alpha",
        SUITE_ALPHA,
    ]);
    let found = dir.path().join("found.json");
    ok(&[
        "manifest",
        ck.to_str().unwrap(),
        "--out",
        found.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&found).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let tensors = v["tensor"].as_array().unwrap();
    // The empty tensor has no values to identify; the others are named with their schemes.
    assert_eq!(tensors.len(), 8, "{text}");
    let scheme = |n: &str| {
        tensors.iter().find(|t| t["name"] == n).unwrap()["scheme"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(scheme("block.0.norm.weight"), "ones");
    assert_eq!(scheme("block.0.attn.bias"), "zeros");
    assert_eq!(scheme("embed.weight"), "normal(std=0.02)");
    assert_eq!(scheme("block.0.proj.weight"), "orthogonal");
    // The manifest found audits the checkpoint it came from.
    ok(&[
        "audit",
        ck.to_str().unwrap(),
        "--manifest",
        found.to_str().unwrap(),
        "--alpha",
        SUITE_ALPHA,
    ]);
    let text = ok(&["identify", ck.to_str().unwrap()]);
    assert!(
        text.contains("embed.weight") && text.contains("skipped"),
        "{text}"
    );
    let line = usage_error(&[
        "manifest",
        ck.to_str().unwrap(),
        "--out",
        dir.path().join("m.yaml").to_str().unwrap(),
    ]);
    assert!(line.contains("m.yaml"), "{line}");
}

#[test]
fn a_copy_inside_one_file_fails_the_audit_of_either_tensor() {
    // α = 1e-3 (the default), 4096 values, seeds 1 and 2: "copy" is a byte copy of "a";
    // "other" is independent. Each marginal conforms; the cross check fails the audit.
    let dir = tempfile::tempdir().unwrap();
    let (a, other) = (draw(1, "a", 0.02, 4096), draw(2, "other", 0.02, 4096));
    let shape: &[usize] = &[64, 64];
    let file = dir.path().join("f.safetensors");
    write_f32(
        &file,
        &[
            ("a", &a, shape),
            ("copy", &a, shape),
            ("other", &other, shape),
        ],
    );
    let file = file.to_str().unwrap();
    for tensor in ["copy", "a"] {
        let out = initspec(&[
            "audit",
            file,
            "--tensor",
            tensor,
            "--scheme",
            "normal(std=0.02)",
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(1), "{tensor}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["verdict"], "fail");
        let dup = v["cross"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "duplicate")
            .unwrap();
        assert_eq!(dup["pass"], false, "{dup}");
        let mut names: Vec<&str> = dup["tensors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["a", "copy"]);
        assert!(
            v["checks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["pass"] == true),
            "{v}"
        );
    }
    // The independent tensor passes, cross checks included.
    ok(&[
        "audit",
        file,
        "--tensor",
        "other",
        "--scheme",
        "normal(std=0.02)",
    ]);
}

/// The tiny transformers checkpoints (`tests/fixtures/transformers/`, made by
/// `make_transformers_fixtures.py` with transformers' own `_init_weights`).
fn transformers_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/transformers")
        .join(name)
}

#[test]
fn transformers_checkpoints_pass_their_init_manifests() {
    // α = 1e-3 for each whole checkpoint (the default); 28, 42 and 21 tensors, sharded.
    for model in ["gpt2", "llama"] {
        let dir = transformers_fixture(model);
        let manifest = transformers_fixture(&format!("{model}.toml"));
        let text = ok(&[
            "audit",
            dir.to_str().unwrap(),
            "--manifest",
            manifest.to_str().unwrap(),
        ]);
        assert!(
            text.contains("0 cross-tensor finding(s)"),
            "{model}: {text}"
        );
    }
    // BERT: transformers zeroes row 0 of word_embeddings (the padding token) after the
    // N(0, 0.02²) draw, so that tensor alone fails, on the atoms check (96 exact zeros where
    // an f32 cell of the law holds at most ~3·10⁻⁸): a true finding, named in words.
    let (dir, manifest) = (
        transformers_fixture("bert"),
        transformers_fixture("bert.toml"),
    );
    let out = initspec(&[
        "audit",
        dir.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed: Vec<&Value> = v["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["verdict"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let word = failed[0];
    assert_eq!(word["name"], "bert.embeddings.word_embeddings.weight");
    let failing: Vec<&str> = word["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["pass"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failing, ["atoms"], "{word}");
    let summary = word["summary"].as_str().unwrap();
    assert!(
        summary.contains("the most frequent value 0e0 occurs 96 times"),
        "{summary}"
    );
    assert!(
        v["cross"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["pass"] == true),
        "{}",
        v["cross"]
    );
    // Negative control: GPT-2's residual projections claimed as plain N(0, 0.02²), the naive
    // reading of "every weight is normal(std=0.02)": the four c_proj weights fail.
    let scratch = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(transformers_fixture("gpt2.toml")).unwrap();
    let naive = text.replace("scaled_normal(n_layer=2, std=0.02)", "normal(std=0.02)");
    assert_ne!(naive, text);
    let naive = write_manifest(scratch.path(), &naive, "naive.toml");
    let dir = transformers_fixture("gpt2");
    let out = initspec(&[
        "audit",
        dir.to_str().unwrap(),
        "--manifest",
        naive.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed: Vec<&str> = v["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["verdict"] == "fail")
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert!(
        failed.iter().all(|n| n.ends_with("c_proj.weight")),
        "{failed:?}"
    );
}

#[test]
fn init_prints_no_progress_when_stderr_is_not_a_terminal() {
    // The progress bar is drawn only on a terminal: logs and pipes stay clean.
    let dir = tempfile::tempdir().unwrap();
    let m = write_manifest(dir.path(), MANIFEST, "m.toml");
    let out = initspec(&[
        "init",
        "--manifest",
        m.to_str().unwrap(),
        "--out",
        dir.path().join("ck").to_str().unwrap(),
        "--shards",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = format!(
        "initialized 9 of 9 tensors (94.1 KiB) from {}\n",
        m.display()
    );
    assert!(stdout.ends_with(&last), "{stdout}");
}

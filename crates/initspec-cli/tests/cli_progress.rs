//! Progress bars: drawn on standard error when it is a terminal (here a pseudo-terminal made
//! by util-linux `script`), never when it is a pipe, and never with `--quiet`, in either
//! position on the command line. The report itself is the same either way.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_initspec");

/// Runs `initspec ARGS` with a pseudo-terminal for its standard streams; returns what the
/// terminal received (the report and any progress drawn).
fn on_terminal(args: &str) -> String {
    let output = Command::new("script")
        .args(["-qec", &format!("{BIN} {args}"), "/dev/null"])
        .output()
        .expect("util-linux `script` runs the command on a pseudo-terminal (Debian: bsdutils)");
    assert!(
        output.status.code().is_some_and(|c| c <= 1),
        "{args}: {output:?}"
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn piped(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// Each long command and the unit its bar counts.
const LONG: [(&str, &str); 3] = [
    ("calibrate --trials 2 --samples 4096 --json", "trials"),
    ("verify --samples 2000", "cases"),
    (
        "train --init lecun_normal --activation relu --depth 2 --width 16 --epochs 1 --seeds 3",
        "runs",
    ),
];

#[test]
fn a_terminal_gets_a_bar_with_its_eta() {
    for (args, unit) in LONG {
        let screen = on_terminal(args);
        assert!(screen.contains(&format!(" {unit} (")), "{args}: {screen}");
        assert!(screen.contains("ETA"), "{args}: {screen}");
    }
}

#[test]
fn quiet_silences_the_bar_in_either_position() {
    for (args, _) in LONG {
        let (command, rest) = args.split_once(' ').unwrap();
        for line in [
            format!("--quiet {args}"),
            format!("{command} {rest} --quiet"),
        ] {
            let screen = on_terminal(&line);
            assert!(!screen.contains("ETA"), "{line}: {screen}");
        }
    }
}

#[test]
fn a_pipe_gets_no_bar_and_the_same_report() {
    for (args, _) in LONG {
        let args: Vec<&str> = args.split(' ').collect();
        let plain = piped(&args);
        assert!(
            plain.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&plain.stderr)
        );
        let mut quiet = args.clone();
        quiet.push("--quiet");
        let quiet = piped(&quiet);
        assert_eq!(quiet.status.code(), plain.status.code(), "{args:?}");
        if args[0] != "verify" && args[0] != "train" {
            // calibrate --json: byte for byte (verify and train print their run time).
            assert_eq!(quiet.stdout, plain.stdout, "{args:?}");
        }
    }
}

//! The command line's own argument handling. (The end-to-end behaviour is
//! tested in the workspace's `tests` package; this file also makes cargo build
//! the `sijil` binary those tests run.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn sijil() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sijil"))
}

#[test]
fn help_lists_every_command() {
    let out = sijil().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for command in [
        "init", "register", "show", "verify", "audit", "export", "keys",
    ] {
        assert!(text.contains(command), "{command} missing from:\n{text}");
    }
}

#[test]
fn a_usage_error_is_one_line_and_a_non_zero_exit() {
    let out = sijil()
        .args(["register", "--subject", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stderr).unwrap();
    assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    assert!(text.contains("--sender"), "{text}");
}

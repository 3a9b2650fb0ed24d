//! The command line as a user meets it: listing, information, output files,
//! and every kind of bad input refused with exit code 2, a message naming
//! what was wrong and what is accepted, and no files left behind.

mod common;

use std::path::Path;
use std::process::Output;

use common::*;

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn refused(args: &[&str]) -> (Output, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let output = actlab().args(args).arg("--out").arg(out.path().join("o")).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?} should exit 2; stderr: {}",
        stderr(&output)
    );
    assert!(files_under(out.path()).is_empty(), "{args:?} left files behind");
    (output, out)
}

#[test]
fn list_names_every_section() {
    let output = actlab().arg("list").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for id in ["6.1", "6.2", "6.3", "6.4"] {
        assert!(text.lines().any(|l| l.trim_start().starts_with(id)), "{id} missing from:\n{text}");
    }
}

#[test]
fn info_reports_libtorch_and_cuda() {
    let output = actlab().arg("info").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("libtorch: 2.13.0"), "{text}");
    assert!(text.contains("CUDA available:"), "{text}");
    assert!(text.contains("CPU threads:"), "{text}");
}

#[test]
fn unknown_section_is_refused() {
    let (output, _out) = refused(&["section", "6.7"]);
    let message = stderr(&output);
    assert!(message.contains("6.7") && message.contains("6.1, 6.2, 6.3, 6.4"), "{message}");
}

#[test]
fn malformed_device_is_refused() {
    let (output, _out) = refused(&["section", "6.2", "--device", "gpu"]);
    let message = stderr(&output);
    assert!(message.contains("'gpu'") && message.contains("auto, cpu, cuda, cuda:N"), "{message}");
}

#[test]
fn missing_cuda_device_is_refused() {
    let (output, _out) = refused(&["section", "6.2", "--device", "cuda:99"]);
    let message = stderr(&output);
    assert!(message.contains("cuda:99") && message.contains("--device"), "{message}");
}

#[test]
fn bad_numbers_are_refused() {
    for args in [&["all", "--seed", "forty-two"][..], &["all", "--samples", "0"]] {
        let (output, _out) = refused(args);
        assert!(stderr(&output).contains(args[1]), "{}", stderr(&output));
    }
}

#[test]
fn unwritable_output_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"").unwrap();

    let output = actlab()
        .args(["section", "6.2", "--device", "cpu", "--out"])
        .arg(blocker.join("out"))
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--out"), "{}", stderr(&output));
    assert_eq!(files_under(dir.path()), vec![blocker.display().to_string()]);
}

#[test]
fn a_section_writes_its_figures_and_results_whole() {
    let out = tempfile::tempdir().unwrap();
    let output = run_actlab(&["section", "6.2", "--device", "cpu"], out.path());
    assert!(output.stdout.is_empty(), "--quiet prints nothing");

    let files = files_under(out.path());
    let names: Vec<&str> = files.iter().map(|f| f.rsplit('/').next().unwrap()).collect();
    assert_eq!(
        names,
        vec![
            "modern.png",
            "relu_family.png",
            "results.json",
            "sigmoid.png",
            "tanh.png",
            "report.html"
        ]
    );
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        if file.ends_with(".png") {
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{file} is not a PNG");
            assert!(bytes.len() > 10_000, "{file} is suspiciously small");
        }
    }
    let results = read_results(out.path(), "6.2");
    assert_eq!(results["section"], "6.2");
    assert_eq!(results["seed"], 42);
}

/// The binary must find libtorch, and keep libtorch_cuda loaded so that a
/// CUDA machine is detected, with no LD_LIBRARY_PATH.
#[test]
fn binary_finds_libtorch_and_keeps_its_cuda_half() {
    let output = std::process::Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_actlab"))
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("ldd runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains("not found"), "unresolved libraries:\n{text}");

    let libtorch = text
        .lines()
        .find_map(|l| l.split("=>").nth(1).filter(|_| l.contains("libtorch.so")))
        .map(|rest| rest.split_whitespace().next().unwrap().to_owned())
        .expect("libtorch.so is linked");
    let cuda_half = Path::new(&libtorch).with_file_name("libtorch_cuda.so");
    if cuda_half.exists() {
        assert!(text.contains("libtorch_cuda.so =>"), "libtorch_cuda.so was dropped:\n{text}");
    }
}

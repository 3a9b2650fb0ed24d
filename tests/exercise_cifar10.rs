//! The CIFAR-10 exercise run end to end on a tiny data set written in the real binary format:
//! 64 training images spread over the five training files and 32 test images, random pixels,
//! labels cycling through the ten classes. Also what a user sees when the data are missing or
//! damaged.

mod common;

use std::path::Path;
use std::process::Output;

use actlab::cifar::{RECORD_BYTES, TEST_FILE, TRAIN_FILES};
use common::*;

/// `count` records whose labels continue the cycle from `first_label`, with pixels from a small
/// linear congruential generator so that no two images are alike.
fn records(count: usize, first_label: usize, state: &mut u64) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(count * RECORD_BYTES);
    for index in 0..count {
        bytes.push(((first_label + index) % 10) as u8);
        for _ in 1..RECORD_BYTES {
            *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            bytes.push((*state >> 56) as u8);
        }
    }
    bytes
}

/// Writes the six files: 64 training records over five files (13, 13, 13, 13, 12) and 32 test
/// records.
fn write_data(dir: &Path) {
    let mut state = 7;
    let mut label = 0;
    for (index, name) in TRAIN_FILES.iter().enumerate() {
        let count = if index < 4 { 13 } else { 12 };
        std::fs::write(dir.join(name), records(count, label, &mut state)).unwrap();
        label += count;
    }
    std::fs::write(dir.join(TEST_FILE), records(32, 0, &mut state)).unwrap();
}

fn run(args: &[&str], out: &Path) -> Output {
    actlab().args(args).arg("--quiet").arg("--out").arg(out).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn trains_relu_and_gelu_and_records_their_curves() {
    let data = tempfile::tempdir().unwrap();
    write_data(data.path());
    let out = tempfile::tempdir().unwrap();

    let dir = data.path().to_str().unwrap();
    let args = ["exercise", "cifar10", "--data", dir, "--limit", "64", "--epochs", "1"];
    run_actlab(&args, out.path());

    let figure = out.path().join("cifar10/cifar10.png");
    let png = std::fs::read(&figure).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{}", figure.display());

    let results = read_results(out.path(), "cifar10");
    let series = series(&results);
    assert_eq!(series.len(), 8, "{:?}", series.keys());
    for activation in ["relu", "gelu"] {
        for name in ["train_loss", "train_accuracy", "test_loss", "test_accuracy"] {
            let key = format!("cifar10/{activation}/{name}");
            let values = series.get(&key).unwrap_or_else(|| panic!("{key} missing"));
            assert_eq!(values.len(), 1, "{key}");
            assert!(values[0].is_finite() && values[0] >= 0.0, "{key}: {values:?}");
            if name.ends_with("accuracy") {
                assert!(values[0] <= 100.0, "{key}: {values:?}");
            }
        }
        // Ten balanced classes start near ln 10 = 2.30 when nothing is known yet.
        let first_loss = series[&format!("cifar10/{activation}/train_loss")][0];
        assert!((1.0..5.0).contains(&first_loss), "{activation}: {first_loss}");
    }

    // Same seed, same weights and batches: the curves part only by the activation.
    assert_ne!(series["cifar10/relu/train_loss"], series["cifar10/gelu/train_loss"]);
    assert_eq!(results["setup"]["train_images"], 64);
    assert_eq!(results["setup"]["test_images"], 32);
    assert_eq!(results["summary"].as_array().unwrap().len(), 2);
}

#[test]
fn a_missing_data_flag_exits_2_and_names_the_flag() {
    let out = tempfile::tempdir().unwrap();
    let output = run(&["exercise", "cifar10", "--limit", "8"], &out.path().join("o"));

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("--data") && message.contains("cifar-10-binary.tar.gz"), "{message}");
    assert!(!out.path().join("o").exists(), "the output folder was created");
}

#[test]
fn a_damaged_file_fails_and_is_named() {
    let data = tempfile::tempdir().unwrap();
    write_data(data.path());
    let damaged = data.path().join("data_batch_3.bin");
    let mut bytes = std::fs::read(&damaged).unwrap();
    bytes.truncate(bytes.len() - 100);
    std::fs::write(&damaged, bytes).unwrap();
    let out = tempfile::tempdir().unwrap();

    let dir = data.path().to_str().unwrap();
    let output = run(&["exercise", "cifar10", "--data", dir, "--epochs", "1"], out.path());

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains(&damaged.display().to_string()), "{message}");
    assert!(message.contains("3073-byte"), "{message}");
    assert!(!out.path().join("cifar10/cifar10.png").exists());
}

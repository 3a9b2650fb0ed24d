//! Parity with PyTorch: every number actlab computes on CPU must equal, bit
//! for bit, what the PyTorch reference in notebooks-ref/ computes when it
//! runs the notebook top to bottom with the same seed. The golden numbers
//! are produced here, by running that reference, never typed in.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::*;
use tempfile::TempDir;

const SECTIONS: [&str; 4] = ["6.1", "6.2", "6.3", "6.4"];

/// The reference's full run for a seed, made once per test process.
fn reference_run(seed: i64) -> PathBuf {
    static RUNS: OnceLock<std::sync::Mutex<Vec<(i64, TempDir)>>> = OnceLock::new();
    let runs = RUNS.get_or_init(Default::default);
    let mut runs = runs.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, dir)) = runs.iter().find(|(s, _)| *s == seed) {
        return dir.path().to_path_buf();
    }

    let dir = tempfile::tempdir().unwrap();
    let seed_text = seed.to_string();
    run_reference(&["all", "--seed", &seed_text, "--device", "cpu"], dir.path());
    let path = dir.path().to_path_buf();
    runs.push((seed, dir));
    path
}

fn check_all_sections(seed: i64) {
    let reference = reference_run(seed);
    let ours = tempfile::tempdir().unwrap();
    let seed_text = seed.to_string();
    run_actlab(&["all", "--seed", &seed_text, "--device", "cpu"], ours.path());

    for section in SECTIONS {
        let expected = read_results(&reference, section);
        let got = read_results(ours.path(), section);
        let compared = assert_identical(section, &expected, &got);
        eprintln!("seed {seed}, section {section}: {compared} of {compared} series identical");
        assert_eq!(got["seed"], expected["seed"]);
        assert_eq!(got["device"], "cpu");
        assert_eq!(got["libtorch"], expected["libtorch"]);
    }

    let expected = read_results(&reference, "6.4");
    let got = read_results(ours.path(), "6.4");
    assert_eq!(got["summary"], expected["summary"], "the 6.4 summary table differs");
    assert_eq!(got["best"], expected["best"]);
}

#[test]
fn every_series_matches_pytorch_with_the_notebook_seed() {
    check_all_sections(42);
}

#[test]
fn every_series_matches_pytorch_with_another_seed() {
    check_all_sections(2024);
}

/// A section run alone replays the draws of those before it, so it gives
/// the numbers of a full notebook run.
#[test]
fn sections_run_alone_match_the_full_notebook_run() {
    let reference = reference_run(42);
    for section in ["6.3", "6.4"] {
        let ours = tempfile::tempdir().unwrap();
        run_actlab(&["section", section, "--device", "cpu"], ours.path());

        let expected = read_results(&reference, section);
        let got = read_results(ours.path(), section);
        assert_identical(section, &expected, &got);
        let mut written: Vec<_> = std::fs::read_dir(ours.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        written.sort();
        assert_eq!(
            written,
            vec![section.to_owned(), "report.html".to_owned()],
            "only the asked section writes files, beside the run's report"
        );
    }
}

//! Shared by the integration tests: running actlab and the PyTorch
//! reference (`notebooks-ref/activation_functions.py`) into temporary
//! folders, and reading their results files.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn actlab() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_actlab"));
    command.env_remove("LD_LIBRARY_PATH");
    command
}

/// The Python that has torch 2.13 installed: `make setup` records it in the
/// cargo configuration, which passes it to the tests.
pub fn reference_python() -> PathBuf {
    let python = std::env::var_os("ACTLAB_REFERENCE_PYTHON").expect(
        "ACTLAB_REFERENCE_PYTHON is not set: run `make setup` (or set it to a Python with \
         torch==2.13.0 and numpy)",
    );
    PathBuf::from(python)
}

pub fn reference_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-ref/activation_functions.py")
}

fn check(output: Output, what: &str) -> Output {
    assert!(
        output.status.success(),
        "{what} failed with {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs actlab with `args` (plus `--quiet --out out`) and checks success.
pub fn run_actlab(args: &[&str], out: &Path) -> Output {
    let output = actlab()
        .args(args)
        .arg("--quiet")
        .arg("--out")
        .arg(out)
        .output()
        .expect("the actlab binary runs");
    check(output, &format!("actlab {}", args.join(" ")))
}

/// Runs the PyTorch reference with `args` (plus `--out out`).
pub fn run_reference(args: &[&str], out: &Path) -> Output {
    let output = Command::new(reference_python())
        .arg(reference_script())
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .expect("the reference Python runs");
    check(output, &format!("reference {}", args.join(" ")))
}

/// Every file below `dir`, as sorted paths.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                found.extend(files_under(&path));
            } else {
                found.push(path.display().to_string());
            }
        }
    }
    found.sort();
    found
}

pub fn read_results(out: &Path, section: &str) -> Value {
    let path = out.join(section).join("results.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

pub fn series(results: &Value) -> BTreeMap<String, Vec<f64>> {
    let object = results["series"].as_object().expect("results have a series object");
    object
        .iter()
        .map(|(name, values)| {
            let values = values
                .as_array()
                .unwrap_or_else(|| panic!("series {name} is not a list"))
                .iter()
                .map(|v| v.as_f64().unwrap_or_else(|| panic!("series {name} holds {v}")))
                .collect();
            (name.clone(), values)
        })
        .collect()
}

/// How two results files compare, series by series.
pub struct Comparison {
    pub compared: usize,
    pub identical: usize,
    pub problems: Vec<String>,
}

/// Compares every series of `expected` with the same-named one in `got`,
/// value by value, bit for bit.
pub fn compare_series(expected: &Value, got: &Value) -> Comparison {
    let expected = series(expected);
    let got = series(got);
    let mut comparison = Comparison { compared: 0, identical: 0, problems: Vec::new() };

    for name in got.keys().filter(|name| !expected.contains_key(*name)) {
        comparison.problems.push(format!("{name}: not in the reference"));
    }
    for (name, want) in &expected {
        comparison.compared += 1;
        let Some(have) = got.get(name) else {
            comparison.problems.push(format!("{name}: missing"));
            continue;
        };
        if have.len() != want.len() {
            comparison.problems.push(format!(
                "{name}: {} values, expected {}",
                have.len(),
                want.len()
            ));
            continue;
        }

        let differing: Vec<usize> =
            (0..want.len()).filter(|&i| have[i].to_bits() != want[i].to_bits()).collect();
        if differing.is_empty() {
            comparison.identical += 1;
            continue;
        }
        let max_diff = differing.iter().map(|&i| (have[i] - want[i]).abs()).fold(0.0, f64::max);
        let first = differing[0];
        comparison.problems.push(format!(
            "{name}: {} of {} values differ, max |difference| {max_diff:e}; first at {first}: \
             {} vs reference {}",
            differing.len(),
            want.len(),
            have[first],
            want[first]
        ));
    }
    comparison
}

/// Fails with every difference listed unless all series are identical.
pub fn assert_identical(section: &str, expected: &Value, got: &Value) -> usize {
    let comparison = compare_series(expected, got);
    assert!(
        comparison.problems.is_empty(),
        "section {section}: {} of {} series identical\n{}",
        comparison.identical,
        comparison.compared,
        comparison.problems.join("\n")
    );
    assert!(comparison.compared > 0, "section {section}: the reference has no series");
    comparison.compared
}

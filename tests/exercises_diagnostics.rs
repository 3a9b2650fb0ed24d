//! The diagnostics the notebook recommends (distributions, dead neurons,
//! gradient flow, several seeds) and 6.4's held-out accuracy, run as a user
//! runs them at small sizes: each must write its figures and record series
//! whose values are possible at all (percentages within 0..=100, norms
//! positive, spreads zero exactly when the runs agree).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;

const SMALL: [&str; 6] = ["--samples", "300", "--hidden", "32", "--device", "cpu"];

fn run_small(args: &[&str], out: &Path) -> BTreeMap<String, Vec<f64>> {
    let id = args[1];
    let all: Vec<&str> = args.iter().chain(&SMALL).copied().collect();
    run_actlab(&all, out);
    series(&read_results(out, id))
}

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", path.display());
}

fn get<'a>(series: &'a BTreeMap<String, Vec<f64>>, name: &str) -> &'a [f64] {
    let names: Vec<&String> = series.keys().collect();
    series.get(name).unwrap_or_else(|| panic!("no series {name}; have {names:?}"))
}

#[test]
fn distributions_record_each_layer_at_each_checkpoint() {
    let out = tempfile::tempdir().unwrap();
    let args = ["exercise", "distributions", "--epochs", "2", "--activations", "relu,tanh"];
    let series = run_small(&args, out.path());

    assert_eq!(get(&series, "distributions/epochs"), [0.0, 1.0, 2.0]);
    for activation in ["relu", "tanh"] {
        assert_png(&out.path().join(format!("distributions/distributions_{activation}.png")));
        for layer in ["fc1", "fc2", "fc3"] {
            let prefix = format!("distributions/{activation}/{layer}");
            let mean = get(&series, &format!("{prefix}/mean"));
            let std = get(&series, &format!("{prefix}/std"));
            assert_eq!((mean.len(), std.len()), (3, 3), "{prefix}");
            assert!(std.iter().all(|&s| s > 0.0), "{prefix}/std {std:?}");
            if activation == "relu" {
                assert!(mean.iter().all(|&m| m > 0.0), "ReLU outputs are never negative");
                assert!(!series.contains_key(&format!("{prefix}/saturated")));
            } else {
                assert!(mean.iter().all(|m| m.abs() < 1.0), "tanh lies in (-1, 1)");
                let saturated = get(&series, &format!("{prefix}/saturated"));
                assert!(saturated.iter().all(|s| (0.0..=1.0).contains(s)), "{saturated:?}");
            }
        }
    }
}

#[test]
fn dead_neurons_are_percentages_and_the_high_rate_kills_only_relu() {
    let out = tempfile::tempdir().unwrap();
    let args = ["exercise", "dead-neurons", "--epochs", "3", "--activations", "relu,tanh"];
    let series = run_small(&args, out.path());
    assert_png(&out.path().join("dead-neurons/dead_neurons.png"));
    assert_png(&out.path().join("dead-neurons/dead_neurons_high_lr.png"));

    for activation in ["relu", "tanh", "high_lr/relu", "high_lr/leaky_relu"] {
        for layer in ["fc1", "fc2", "fc3"] {
            let percent = get(&series, &format!("dead_neurons/{activation}/{layer}"));
            assert_eq!(percent.len(), 4, "before training and after each of 3 epochs");
            assert!(percent.iter().all(|p| (0.0..=100.0).contains(p)), "{activation}: {percent:?}");
        }
    }

    let final_dead = |activation: &str| -> f64 {
        let layers = ["fc1", "fc2", "fc3"];
        layers.iter().map(|l| get(&series, &format!("dead_neurons/{activation}/{l}"))[3]).sum()
    };
    assert_eq!(final_dead("high_lr/leaky_relu"), 0.0, "a Leaky ReLU unit cannot die");
    assert!(final_dead("high_lr/relu") > 10.0, "lr 0.03 should kill ReLU units");
}

#[test]
fn dead_neurons_says_what_it_trained() {
    let out = tempfile::tempdir().unwrap();
    let output = actlab()
        .args(["exercise", "dead-neurons", "--epochs", "1", "--activations", "gelu", "--out"])
        .arg(out.path())
        .args(SMALL)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Adam lr 0.001") && text.contains("1 epoch, for gelu"), "{text}");
    assert!(text.contains("Adam lr 0.03 (30x the notebook's)"), "{text}");
    assert!(text.contains("Final dead neurons (Leaky ReLU): fc1 0/32"), "{text}");
}

#[test]
fn gradient_flow_has_a_norm_and_an_update_ratio_per_layer_and_epoch() {
    let out = tempfile::tempdir().unwrap();
    let args = ["exercise", "gradient-flow", "--epochs", "2", "--activations", "relu,sigmoid"];
    let series = run_small(&args, out.path());
    assert_png(&out.path().join("gradient-flow/gradient_norms.png"));
    assert_png(&out.path().join("gradient-flow/update_ratios.png"));

    for activation in ["relu", "sigmoid"] {
        for layer in ["fc1", "fc2", "fc3", "fc4"] {
            let prefix = format!("gradient_flow/{activation}/{layer}");
            let norm = get(&series, &format!("{prefix}/grad_norm"));
            let ratio = get(&series, &format!("{prefix}/update_ratio"));
            assert_eq!((norm.len(), ratio.len()), (2, 2), "{prefix}");
            assert!(norm.iter().all(|n| n.is_finite() && *n > 0.0), "{prefix}: {norm:?}");
            // Adam moves each weight by about lr per step, a small fraction
            // of a weight matrix's norm.
            assert!(ratio.iter().all(|r| *r > 0.0 && *r < 0.1), "{prefix}: {ratio:?}");
        }
    }
}

#[test]
fn seeds_report_mean_and_spread_over_distinct_draws() {
    let out = tempfile::tempdir().unwrap();
    let args =
        ["exercise", "seeds", "--seeds", "42,43", "--epochs", "2", "--activations", "relu,tanh"];
    let series = run_small(&args, out.path());
    assert_png(&out.path().join("seeds/seeds.png"));
    assert_eq!(get(&series, "seeds"), [42.0, 43.0]);

    for activation in ["relu", "tanh"] {
        let a = get(&series, &format!("seeds/{activation}/seed_42/loss"));
        let b = get(&series, &format!("seeds/{activation}/seed_43/loss"));
        let mean = get(&series, &format!("seeds/{activation}/loss/mean"));
        let std = get(&series, &format!("seeds/{activation}/loss/std"));
        for e in 0..2 {
            assert!((mean[e] - (a[e] + b[e]) / 2.0).abs() < 1e-12);
            // Two values' sample standard deviation is |a - b| / sqrt(2).
            assert!((std[e] - (a[e] - b[e]).abs() / 2f64.sqrt()).abs() < 1e-12);
            assert!(std[e] > 0.0, "two seeds should draw different runs");
        }
    }
    let summary = &read_results(out.path(), "seeds")["summary"];
    assert_eq!(summary.as_array().unwrap().len(), 2);
}

#[test]
fn one_seed_twice_gives_no_spread() {
    let out = tempfile::tempdir().unwrap();
    let args = ["exercise", "seeds", "--seeds", "7,7", "--epochs", "2", "--activations", "gelu"];
    let series = run_small(&args, out.path());
    for name in ["loss", "accuracy", "grad_norm"] {
        let std = get(&series, &format!("seeds/gelu/{name}/std"));
        assert_eq!(std, [0.0, 0.0], "re-seeding must repeat the run exactly ({name})");
    }
}

#[test]
fn holdout_adds_held_out_scores_to_6_4() {
    let out = tempfile::tempdir().unwrap();
    let output = actlab()
        .args(["section", "6.4", "--holdout", "0.2", "--samples", "500", "--hidden", "32"])
        .args(["--activations", "relu,tanh", "--device", "cpu", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("held out: 100 samples (last 0.2 of the dataset), never trained on"),
        "{text}"
    );
    assert!(text.contains("Held-out Acc (%)"), "{text}");

    let results = read_results(out.path(), "6.4");
    let series = series(&results);
    for activation in ["relu", "tanh"] {
        let accuracy = get(&series, &format!("comparison/{activation}/holdout_accuracy"));
        let loss = get(&series, &format!("comparison/{activation}/holdout_loss"));
        assert_eq!((accuracy.len(), loss.len()), (30, 30));
        // 100 held-out samples: every accuracy is a whole percentage.
        assert!(accuracy.iter().all(|a| (0.0..=100.0).contains(a) && a.fract() == 0.0));
        assert!(loss.iter().all(|l| l.is_finite() && *l > 0.0));
    }
    assert!(results["summary"][0]["holdout_accuracy"].is_number());
}

#[test]
fn no_holdout_leaves_6_4_as_the_notebook_has_it() {
    let out = tempfile::tempdir().unwrap();
    let args = ["section", "6.4", "--samples", "200", "--hidden", "16", "--activations", "relu"];
    run_actlab(&args, out.path());
    let series = series(&read_results(out.path(), "6.4"));
    assert!(series.keys().all(|name| !name.contains("holdout")), "{:?}", series.keys());
    assert_eq!(get(&series, "comparison/relu/accuracy").len(), 30);
}

#[test]
fn a_holdout_of_one_or_more_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let output = actlab()
        .args(["section", "6.4", "--holdout", "1.5", "--out"])
        .arg(out.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--holdout"));
    assert!(!out.path().join("o").exists(), "nothing is written for bad input");
}

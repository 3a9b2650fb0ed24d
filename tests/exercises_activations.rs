//! The activation exercises as a user runs them: Mish from scratch, a custom activation from
//! `--activation-expr`, and GELU against its tanh approximation. Each run writes its figures
//! and results file; the series are checked against the formulas recomputed here in float64,
//! and a bad expression is refused with exit code 2, its position named, and no files written.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{actlab, files_under, read_results, run_actlab};
use serde_json::Value;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.starts_with(PNG_SIGNATURE), "{} is not a PNG", path.display());
    assert!(bytes.len() > 10_000, "{} is only {} bytes", path.display(), bytes.len());
}

/// Every series by name; `null`, which is how a results file writes NaN, reads as NaN.
fn series(results: &Value) -> BTreeMap<String, Vec<f64>> {
    let object = results["series"].as_object().expect("results have a series object");
    let number = |v: &Value| if v.is_null() { f64::NAN } else { v.as_f64().expect("a number") };
    object
        .iter()
        .map(|(name, values)| {
            (name.clone(), values.as_array().unwrap().iter().map(number).collect())
        })
        .collect()
}

fn get<'a>(series: &'a BTreeMap<String, Vec<f64>>, name: &str) -> &'a [f64] {
    series.get(name).unwrap_or_else(|| panic!("no series {name}; have {:?}", series.keys()))
}

/// float32 results against a float64 formula: a few float32 ulps of the value, with a floor
/// for values near zero.
fn assert_close(name: &str, x: &[f64], got: &[f64], formula: impl Fn(f64) -> f64) {
    assert_eq!(got.len(), x.len(), "{name}");
    for (&x, &got) in x.iter().zip(got) {
        let want = formula(x);
        assert!(
            (got - want).abs() <= 1e-6 * want.abs() + 1e-6,
            "{name} at x = {x}: {got} vs {want}"
        );
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn mish_exercise_checks_its_mish_against_libtorch_and_finite_differences() {
    let out = tempfile::tempdir().unwrap();
    run_actlab(&["exercise", "mish", "--device", "cpu"], out.path());
    assert_png(&out.path().join("mish/mish.png"));
    let results = read_results(out.path(), "mish");
    assert_eq!(results["section"], "mish");
    let series = series(&results);

    let x = get(&series, "libtorch/plotted/x");
    assert_eq!(x.len(), 1000);
    let mish = |x: f64| x * x.exp().ln_1p().tanh();
    assert_close("ours/value", x, get(&series, "libtorch/plotted/ours/value"), mish);
    assert_close("mish/value", x, get(&series, "libtorch/plotted/mish/value"), mish);
    assert_eq!(get(&series, "mish/value"), get(&series, "libtorch/plotted/ours/value"));

    for range in ["plotted", "tails"] {
        let max = get(&series, &format!("libtorch/{range}/max_difference"));
        assert!(max.len() == 2 && max.iter().all(|d| *d < 1e-5), "{range}: {max:?}");
    }
    assert!(get(&series, "gradient_check/max_error")[0] < 1e-8);
    // At x = 100 the naive formula's gradient is NaN; the guarded one's is 1.
    assert!(get(&series, "naive/grad")[1].is_nan());
    assert_eq!(get(&series, "naive/ours/grad")[1], 1.0);
    for name in ["silu/value", "silu/grad", "gelu/value", "gelu/grad", "mish/grad"] {
        assert_eq!(get(&series, name).len(), 1000, "{name}");
    }
}

#[test]
fn custom_exercise_evaluates_the_expression_it_is_given() {
    let out = tempfile::tempdir().unwrap();
    let expression = "x * sigmoid(1.702 * x)";
    run_actlab(
        &["exercise", "custom", "--activation-expr", expression, "--device", "cpu"],
        out.path(),
    );
    assert_png(&out.path().join("custom/custom.png"));
    let results = read_results(out.path(), "custom");
    assert_eq!(results["expression"], expression);
    let series = series(&results);

    let x = get(&series, "gradient_check/x");
    let value = |x: f64| x * sigmoid(1.702 * x);
    let slope = |x: f64| sigmoid(1.702 * x) * (1.0 + 1.702 * x * (1.0 - sigmoid(1.702 * x)));
    assert_close("gradient_check/autograd", x, get(&series, "gradient_check/autograd"), slope);
    assert!(get(&series, "gradient_check/max_error")[0] < 1e-8);

    let table = get(&series, "table/x");
    assert_eq!(table, [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]);
    assert_close("table/value", table, get(&series, "table/value"), value);
    assert_close("table/grad", table, get(&series, "table/grad"), slope);
    assert_eq!(get(&series, "custom/value").len(), 1000);
    assert_eq!(get(&series, "relu/grad").len(), 1000);
}

#[test]
fn gelu_tanh_exercise_finds_where_the_approximation_parts_most() {
    let out = tempfile::tempdir().unwrap();
    run_actlab(&["exercise", "gelu-tanh", "--device", "cpu"], out.path());
    assert_png(&out.path().join("gelu-tanh/gelu_tanh.png"));
    assert_png(&out.path().join("gelu-tanh/gelu_tanh_tails.png"));
    let series = series(&read_results(out.path(), "gelu-tanh"));

    let x = get(&series, "x");
    let approximation = |x: f64| {
        let inner = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x.powi(3));
        0.5 * x * (1.0 + inner.tanh())
    };
    assert_close("tanh/value", x, get(&series, "tanh/value"), approximation);

    let (exact, tanh) = (get(&series, "exact/value"), get(&series, "tanh/value"));
    let difference = get(&series, "difference/value");
    for i in 0..x.len() {
        assert_eq!(difference[i], tanh[i] - exact[i], "at x = {}", x[i]);
    }

    // The reported peak is a point of the grid, and no point differs more.
    let peak = get(&series, "largest/value");
    let at = x.iter().position(|&v| v == peak[0]).expect("the peak's x is on the grid");
    assert_eq!(difference[at], peak[1]);
    assert!(difference.iter().all(|d| d.abs() <= peak[1].abs()));
    assert!(peak[1].abs() > 1e-5 && peak[1].abs() < 1e-3, "{peak:?}");

    let wide = get(&series, "wide/x");
    assert_eq!((wide[0], wide[wide.len() - 1]), (-10.0, 10.0));
    assert!(get(&series, "tails/largest/value")[1].abs() < peak[1].abs());
}

#[test]
fn mish_and_a_custom_activation_join_the_comparison() {
    let out = tempfile::tempdir().unwrap();
    let args = ["section", "6.4", "--activations", "relu,mish,custom", "--samples", "300"];
    let expression = ["--activation-expr", "max(x, 0.1 * x)", "--device", "cpu"];
    run_actlab(&[&args[..], &expression[..]].concat(), out.path());
    let series = series(&read_results(out.path(), "6.4"));
    for key in ["relu", "mish", "custom"] {
        assert_eq!(get(&series, &format!("comparison/{key}/accuracy")).len(), 30, "{key}");
    }
    assert!(!series.contains_key("comparison/gelu/accuracy"));
}

#[test]
fn a_bad_expression_exits_2_naming_the_position_and_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    for (expression, message) in [
        ("x * (1 + 2 x)", "position 12: expected ')' or an operator, found 'x'"),
        ("x * sin(x)", "position 5: unknown function 'sin'; known: exp, log, tanh"),
        ("max(x)", "position 1: max takes 2 arguments, found 1"),
    ] {
        let output = actlab()
            .args(["exercise", "custom", "--activation-expr", expression])
            .arg("--out")
            .arg(out.path().join("o"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{expression}: {stderr}");
        assert!(stderr.contains(message), "{expression}: {stderr}");
        assert!(files_under(out.path()).is_empty(), "{expression} left files behind");
    }
}

#[test]
fn custom_without_an_expression_exits_2() {
    let out = tempfile::tempdir().unwrap();
    for args in
        [&["exercise", "custom"][..], &["section", "6.4", "--activations", "relu,custom"][..]]
    {
        let output = actlab().args(args).arg("--out").arg(out.path().join("o")).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("pass --activation-expr"), "{args:?}: {stderr}");
        assert!(files_under(out.path()).is_empty(), "{args:?} left files behind");
    }
}

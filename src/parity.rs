//! Parity with the PyTorch reference, measured on results files.
//!
//! The reference, `notebooks-ref/activation_functions.py`, writes the same
//! `DIR/<section>/results.json` files as actlab. Two runs agree when every
//! series the reference recorded is here too, with the same length and the
//! same float64 bits in every place. This module compares one item's results
//! with the reference's and says which series differ and by how much; the
//! report shows the outcome. A NaN (written as `null`) matches a NaN.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use serde_json::{Map, Value};

/// How one item's series compare with the reference's.
#[derive(Debug, Default)]
pub struct Parity {
    /// The reference's series, each looked for here.
    pub compared: usize,
    /// Those present here with every value bit for bit the same.
    pub identical: usize,
    /// Every series that is not identical, and the ones only this run has.
    pub differences: Vec<Difference>,
    /// Settings in which the two runs differ, which explain any difference.
    pub notes: Vec<String>,
}

/// One series that does not match.
#[derive(Debug, PartialEq)]
pub struct Difference {
    pub series: String,
    /// What differs, in words: how many values, or that the series is missing.
    pub what: String,
    /// The largest |ours - reference| over the differing values, when both have them.
    pub max_abs: Option<f64>,
}

/// The reference's results file for item `id`, or `None` when it has none.
pub fn reference_file(reference: &Path, id: &str) -> Option<PathBuf> {
    let path = reference.join(id).join("results.json");
    path.is_file().then_some(path)
}

/// Reads and parses a results file.
pub fn read_results(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// Compares `ours` with `reference`, two whole results documents.
pub fn compare(reference: &Value, ours: &Value) -> Result<Parity> {
    let want = series_of(reference).context("the reference's results")?;
    let have = series_of(ours).context("this run's results")?;
    let mut parity = Parity { notes: setting_notes(reference, ours), ..Parity::default() };

    for (name, values) in want {
        parity.compared += 1;
        let want_values = numbers(name, values)?;
        let Some(have_values) = have.get(name) else {
            parity.differences.push(Difference::missing(name));
            continue;
        };
        match differ(name, &numbers(name, have_values)?, &want_values) {
            None => parity.identical += 1,
            Some(difference) => parity.differences.push(difference),
        }
    }

    for name in have.keys().filter(|name| !want.contains_key(*name)) {
        parity.differences.push(Difference {
            series: name.clone(),
            what: "not in the reference".into(),
            max_abs: None,
        });
    }
    Ok(parity)
}

impl Difference {
    fn missing(series: &str) -> Difference {
        Difference {
            series: series.to_owned(),
            what: "missing from this run".into(),
            max_abs: None,
        }
    }
}

fn series_of(document: &Value) -> Result<&Map<String, Value>> {
    match document.get("series") {
        Some(Value::Object(series)) => Ok(series),
        Some(_) => bail!("`series` is not an object"),
        None => bail!("there is no `series`"),
    }
}

/// A series' values; `null`, which is how NaN is written, reads as NaN.
fn numbers(name: &str, values: &Value) -> Result<Vec<f64>> {
    let Value::Array(values) = values else { bail!("series {name} is not a list") };
    values
        .iter()
        .map(|v| match v {
            Value::Null => Ok(f64::NAN),
            other => other.as_f64().with_context(|| format!("series {name} holds {other}")),
        })
        .collect()
}

/// How series `name` differs, `have` against `want`, or `None` when every value has the
/// same bits.
fn differ(name: &str, have: &[f64], want: &[f64]) -> Option<Difference> {
    if have.len() != want.len() {
        return Some(Difference {
            series: name.to_owned(),
            what: format!("{} values here, {} in the reference", have.len(), want.len()),
            max_abs: None,
        });
    }

    let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    let differing: Vec<usize> = (0..want.len()).filter(|&i| !same(have[i], want[i])).collect();
    if differing.is_empty() {
        return None;
    }
    let max_abs = differing.iter().map(|&i| (have[i] - want[i]).abs()).fold(0.0, f64::max);
    Some(Difference {
        series: name.to_owned(),
        what: format!("{} of {} values differ", differing.len(), want.len()),
        max_abs: Some(max_abs),
    })
}

/// Seed, device or libtorch version that differ between the two runs.
fn setting_notes(reference: &Value, ours: &Value) -> Vec<String> {
    ["seed", "device", "libtorch"]
        .into_iter()
        .filter(|key| reference.get(key) != ours.get(key))
        .map(|key| {
            let show = |v: Option<&Value>| v.map_or_else(|| "nothing".to_owned(), Value::to_string);
            format!(
                "the reference ran with {key} {}, this run with {}",
                show(reference.get(key)),
                show(ours.get(key))
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn document(series: Value) -> Value {
        json!({ "section": "6.2", "seed": 42, "device": "cpu", "series": series })
    }

    #[test]
    fn identical_series_match_bit_for_bit() {
        let reference = document(json!({ "a": [0.1, -0.0, null], "b": [1e-300] }));
        let ours = document(json!({ "a": [0.1, -0.0, null], "b": [1e-300] }));

        let parity = compare(&reference, &ours).unwrap();

        assert_eq!((parity.identical, parity.compared), (2, 2));
        assert!(parity.differences.is_empty() && parity.notes.is_empty());
    }

    #[test]
    fn each_kind_of_difference_is_named() {
        let reference = document(json!({
            "close": [1.0, 2.0, 3.0],
            "signed_zero": [0.0],
            "short": [1.0, 2.0],
            "gone": [1.0],
        }));
        let ours = document(json!({
            "close": [1.0, 2.0 + 1e-9, 3.5],
            "signed_zero": [-0.0],
            "short": [1.0],
            "extra": [4.0],
        }));

        let parity = compare(&reference, &ours).unwrap();

        assert_eq!((parity.identical, parity.compared), (0, 4));
        let find = |name: &str| parity.differences.iter().find(|d| d.series == name).unwrap();
        assert_eq!(find("close").what, "2 of 3 values differ");
        assert_eq!(find("close").max_abs, Some(0.5));
        assert_eq!(find("signed_zero").max_abs, Some(0.0), "-0.0 and 0.0 differ in their bits");
        assert_eq!(find("short").what, "1 values here, 2 in the reference");
        assert_eq!(find("gone").what, "missing from this run");
        assert_eq!(find("extra").what, "not in the reference");
    }

    #[test]
    fn differing_settings_are_noted() {
        let reference = document(json!({}));
        let mut ours = document(json!({}));
        ours["seed"] = json!(7);

        let parity = compare(&reference, &ours).unwrap();

        assert_eq!(parity.notes, ["the reference ran with seed 42, this run with 7"]);
    }

    #[test]
    fn malformed_results_are_an_error() {
        let good = document(json!({ "a": [1.0] }));
        for bad in [json!({}), document(json!([1.0])), document(json!({ "a": ["x"] }))] {
            assert!(compare(&bad, &good).is_err(), "{bad}");
        }
    }
}

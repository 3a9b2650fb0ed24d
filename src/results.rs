//! The machine-readable results of a section: `DIR/<section>/results.json`.
//!
//! A results file names the section, seed, device and libtorch version, and
//! holds `series`: named lists of the exact numbers computed. A float32 value
//! is widened to float64, which is exact, and JSON numbers are written with
//! the shortest text that reads back to the same float64, so a reader gets
//! every bit the computation produced.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_json::{json, Map, Value};
use tch::{Kind, Tensor};

use crate::output::write_atomic;

pub struct Results {
    document: Map<String, Value>,
    series: Map<String, Value>,
}

impl Results {
    pub fn new(section: &str, seed: i64, device: &str) -> Results {
        let mut document = Map::new();
        document.insert("section".into(), json!(section));
        document.insert("seed".into(), json!(seed));
        document.insert("device".into(), json!(device));
        document.insert("libtorch".into(), json!(crate::aten::libtorch_version()));
        Results { document, series: Map::new() }
    }

    /// Adds a series of float64 values.
    pub fn series(&mut self, name: &str, values: &[f64]) {
        self.series.insert(name.to_owned(), json!(values));
    }

    /// Adds every element of `tensor`, flattened, widened exactly to float64.
    pub fn tensor(&mut self, name: &str, tensor: &Tensor) {
        let values: Vec<f64> = tensor_values(tensor);
        self.series(name, &values);
    }

    /// Adds a top-level entry other than a series (a summary table, say).
    pub fn insert(&mut self, key: &str, value: Value) {
        self.document.insert(key.to_owned(), value);
    }

    pub fn series_names(&self) -> impl Iterator<Item = &str> {
        self.series.keys().map(String::as_str)
    }

    pub fn to_json(&self) -> Value {
        let mut document = self.document.clone();
        document.insert("series".into(), Value::Object(self.series.clone()));
        Value::Object(document)
    }

    /// Writes `dir/results.json` whole or not at all, returning its path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        let path = dir.join("results.json");
        let text =
            serde_json::to_string_pretty(&self.to_json()).context("cannot encode results")?;
        write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }
}

/// A tensor's elements as float64, on the CPU, in row-major order.
pub fn tensor_values(tensor: &Tensor) -> Vec<f64> {
    let flat = tensor.detach().to_device(tch::Device::Cpu).to_kind(Kind::Double).reshape([-1]);
    Vec::<f64>::try_from(&flat).expect("a float tensor converts to Vec<f64>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float32_values_survive_the_round_trip_exactly() {
        let values = Tensor::from_slice(&[0.1f32, -3.4028235e38, 1e-45, 1.0 / 3.0]);
        let mut results = Results::new("6.2", 42, "cpu");
        results.tensor("x", &values);

        let dir = tempfile::tempdir().unwrap();
        let path = results.write(dir.path()).unwrap();
        let read: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();

        let expected: Vec<f64> =
            Vec::<f32>::try_from(&values).unwrap().into_iter().map(f64::from).collect();
        let got: Vec<f64> = serde_json::from_value(read["series"]["x"].clone()).unwrap();
        assert_eq!(got, expected);
        assert_eq!(read["section"], "6.2");
    }
}

//! CIFAR-10 as its binary version ships it, for the ReLU-against-GELU exercise.
//!
//! The archive `cifar-10-binary.tar.gz` extracts to a folder `cifar-10-batches-bin` holding five
//! training files, `data_batch_1.bin` to `data_batch_5.bin`, and `test_batch.bin`. Each file is a
//! run of 3073-byte records: one label byte (0 to 9), then the 32x32 image as 1024 red, 1024
//! green and 1024 blue bytes, each plane row by row. That is already the channels-first layout a
//! convolution wants, so the pixels are kept as they come, as bytes, and turned into normalised
//! floats one batch at a time on the training device, which keeps the whole training set at
//! 150 MB and moves a quarter of the bytes a float copy would.
//!
//! A file of the real set holds 10000 records, but any whole number of records is accepted, so
//! tests can write small ones. The folder is checked whole before anything is read: a missing
//! file, or one whose length is not a whole number of records, is reported with its path, what
//! was expected and where the data come from.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{bail, ensure, Context as _, Result};
use tch::{Device, Kind, Tensor};

use crate::cli::UsageError;

/// Where the data come from; no machine actlab runs on is assumed to reach the network, so it
/// never downloads them itself.
pub const SOURCE: &str = "download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz, \
                          extract it and pass its cifar-10-batches-bin folder with --data";

pub const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
pub const TEST_FILE: &str = "test_batch.bin";

pub const SIDE: i64 = 32;
pub const CHANNELS: i64 = 3;
const PIXEL_BYTES: usize = (CHANNELS * SIDE * SIDE) as usize;
/// One label byte, then the three colour planes.
pub const RECORD_BYTES: usize = 1 + PIXEL_BYTES;

/// The class names, in label order.
pub const CLASSES: [&str; 10] =
    ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

/// Per-channel mean and standard deviation of the 50000 training images, on the 0-1 scale that
/// torchvision's `ToTensor` gives. The other set that circulates, (0.2023, 0.1994, 0.2010), is
/// the mean of per-image deviations rather than the deviation of the pixels, so it is not used.
pub const MEAN: [f32; 3] = [0.4914, 0.4822, 0.4465];
pub const STD: [f32; 3] = [0.2470, 0.2435, 0.2616];

/// Images and their labels, in file order.
pub struct Split {
    /// `uint8`, N x 3 x 32 x 32, on the CPU.
    pub images: Tensor,
    /// `int64`, N, on the CPU.
    pub labels: Tensor,
}

impl Split {
    pub fn len(&self) -> usize {
        self.labels.size()[0] as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub struct Cifar10 {
    pub train: Split,
    pub test: Split,
}

/// The `--data` folder, or the usage error that says it is needed.
pub fn data_dir(data: Option<&Path>) -> Result<&Path, UsageError> {
    data.ok_or_else(|| {
        UsageError(format!(
            "the cifar10 exercise needs --data DIR, the folder of CIFAR-10's binary files; \
             {SOURCE}"
        ))
    })
}

/// Reads the training files in order up to `limit` images (all 50000 when `None`), and the test
/// file up to the same limit.
pub fn load(dir: &Path, limit: Option<usize>) -> Result<Cifar10> {
    ensure!(dir.is_dir(), "--data {}: there is no such folder; {SOURCE}", dir.display());
    let train_counts: Vec<usize> =
        TRAIN_FILES.iter().map(|name| record_count(&dir.join(name))).collect::<Result<_>>()?;
    let test_count = record_count(&dir.join(TEST_FILE))?;

    let mut wanted = limit.unwrap_or(usize::MAX);
    let mut parts = Vec::new();
    for (name, count) in TRAIN_FILES.iter().zip(train_counts) {
        if wanted == 0 {
            break;
        }
        let take = count.min(wanted);
        parts.push(read_records(&dir.join(name), take)?);
        wanted -= take;
    }
    let train = concat(parts);

    let test_take = test_count.min(limit.unwrap_or(usize::MAX));
    let test = read_records(&dir.join(TEST_FILE), test_take)?;
    Ok(Cifar10 { train, test })
}

/// Checks that `path` is there and holds whole records, and counts them.
fn record_count(path: &Path) -> Result<usize> {
    let metadata = std::fs::metadata(path).map_err(|e| {
        anyhow::anyhow!(
            "{} cannot be read ({e}); a CIFAR-10 folder holds {} and {TEST_FILE}; {SOURCE}",
            path.display(),
            TRAIN_FILES.join(", "),
        )
    })?;
    ensure!(metadata.is_file(), "{} is not a file; {SOURCE}", path.display());

    records_in(metadata.len(), path)
}

/// The number of records in a file of `len` bytes, refusing an empty or partial one.
fn records_in(len: u64, path: &Path) -> Result<usize> {
    let record = RECORD_BYTES as u64;
    if len == 0 || !len.is_multiple_of(record) {
        bail!(
            "{} is {len} bytes, not a whole number of {RECORD_BYTES}-byte CIFAR-10 records \
             (1 label byte + {PIXEL_BYTES} pixel bytes; the real files hold 10000, 30730000 \
             bytes); is it the binary version? {SOURCE}",
            path.display()
        );
    }
    Ok((len / record) as usize)
}

/// Reads the first `count` records of `path`.
fn read_records(path: &Path, count: usize) -> Result<Split> {
    let mut bytes = Vec::with_capacity(count * RECORD_BYTES);
    File::open(path)
        .and_then(|file| file.take((count * RECORD_BYTES) as u64).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read {}", path.display()))?;
    ensure!(
        bytes.len() == count * RECORD_BYTES,
        "{} ended after {} bytes while {} records were expected; was it changed while being read?",
        path.display(),
        bytes.len(),
        count
    );
    decode(&bytes, path)
}

/// Splits whole records into an image tensor and a label tensor. `path` names the source in
/// errors.
pub fn decode(bytes: &[u8], path: &Path) -> Result<Split> {
    let count = records_in(bytes.len() as u64, path)?;

    let mut pixels = Vec::with_capacity(count * PIXEL_BYTES);
    let mut labels = Vec::with_capacity(count);
    for (index, record) in bytes.chunks_exact(RECORD_BYTES).enumerate() {
        let label = record[0];
        ensure!(
            usize::from(label) < CLASSES.len(),
            "{}: record {index} has label {label}, but CIFAR-10's labels are 0 to 9; is it the \
             CIFAR-100 file? {SOURCE}",
            path.display()
        );
        labels.push(i64::from(label));
        pixels.extend_from_slice(&record[1..]);
    }

    let images = Tensor::from_slice(&pixels).view([count as i64, CHANNELS, SIDE, SIDE]);
    Ok(Split { images, labels: Tensor::from_slice(&labels) })
}

fn concat(parts: Vec<Split>) -> Split {
    let images: Vec<Tensor> = parts.iter().map(|p| p.images.shallow_clone()).collect();
    let labels: Vec<Tensor> = parts.iter().map(|p| p.labels.shallow_clone()).collect();
    Split { images: Tensor::cat(&images, 0), labels: Tensor::cat(&labels, 0) }
}

/// Byte images to the floats the network sees, on their own device: `ToTensor` (divide by 255)
/// followed by `Normalize(MEAN, STD)`, operation for operation.
pub fn normalise(images: &Tensor) -> Tensor {
    let device = images.device();
    let per_channel = |values: &[f32; 3]| channel_tensor(values, device);

    let scaled = images.to_kind(Kind::Float) / 255.0;
    (scaled - per_channel(&MEAN)) / per_channel(&STD)
}

fn channel_tensor(values: &[f32; 3], device: Device) -> Tensor {
    Tensor::from_slice(values).view([1, CHANNELS, 1, 1]).to_device(device)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record whose label is `label` and whose byte at plane `c`, row `y`, column `x` is
    /// `(c * 7 + y * 3 + x + label) % 256`, so every position can be told apart.
    fn record(label: u8) -> Vec<u8> {
        let mut bytes = vec![label];
        for c in 0..3usize {
            for y in 0..32usize {
                for x in 0..32usize {
                    bytes.push(((c * 7 + y * 3 + x + usize::from(label)) % 256) as u8);
                }
            }
        }
        bytes
    }

    fn records(labels: &[u8]) -> Vec<u8> {
        labels.iter().flat_map(|&l| record(l)).collect()
    }

    fn write_set(dir: &Path, train_per_file: &[u8], test: &[u8]) {
        for name in TRAIN_FILES {
            std::fs::write(dir.join(name), records(train_per_file)).unwrap();
        }
        std::fs::write(dir.join(TEST_FILE), records(test)).unwrap();
    }

    #[test]
    fn labels_and_pixels_land_where_they_belong() {
        let split = decode(&records(&[3, 9]), Path::new("x.bin")).unwrap();
        assert_eq!(split.images.size(), vec![2, 3, 32, 32]);
        assert_eq!(split.images.kind(), Kind::Uint8);
        assert_eq!(Vec::<i64>::try_from(&split.labels).unwrap(), vec![3, 9]);

        for (n, label) in [(0, 3), (1, 9)] {
            for (c, y, x) in [(0, 0, 0), (0, 0, 31), (1, 5, 2), (2, 31, 31), (2, 17, 4)] {
                let want = (c * 7 + y * 3 + x + label) % 256;
                let got = split.images.int64_value(&[n, c, y, x]);
                assert_eq!(got, want, "image {n}, channel {c}, row {y}, column {x}");
            }
        }
    }

    #[test]
    fn normalising_applies_each_channels_mean_and_deviation() {
        let images = Tensor::zeros([1, 3, 32, 32], (Kind::Uint8, Device::Cpu));
        let _ = images.narrow(1, 1, 1).fill_(255);
        let _ = images.narrow(1, 2, 1).fill_(51);

        let floats = normalise(&images);
        assert_eq!(floats.kind(), Kind::Float);
        let at = |c| floats.double_value(&[0, c, 10, 20]) as f32;
        assert_eq!(at(0), (0.0 - MEAN[0]) / STD[0]);
        assert_eq!(at(1), (1.0 - MEAN[1]) / STD[1]);
        assert_eq!(at(2), (51.0f32 / 255.0 - MEAN[2]) / STD[2]);
    }

    #[test]
    fn a_limit_takes_the_first_images_across_files() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), &[1, 2, 3], &[7, 8, 9, 0]);

        let data = load(dir.path(), Some(5)).unwrap();
        let train: Vec<i64> = Vec::try_from(&data.train.labels).unwrap();
        assert_eq!(train, vec![1, 2, 3, 1, 2]);
        assert_eq!(Vec::<i64>::try_from(&data.test.labels).unwrap(), vec![7, 8, 9, 0]);

        let all = load(dir.path(), None).unwrap();
        assert_eq!((all.train.len(), all.test.len()), (15, 4));
        assert_eq!(all.train.images.size(), vec![15, 3, 32, 32]);
    }

    #[test]
    fn a_missing_flag_is_a_usage_error() {
        let error = data_dir(None).unwrap_err();
        assert!(error.0.contains("--data") && error.0.contains("cifar-10-binary.tar.gz"));
        assert_eq!(data_dir(Some(Path::new("d"))).unwrap(), Path::new("d"));
    }

    #[test]
    fn a_missing_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("nowhere");
        let message = format!("{:#}", load(&gone, None).err().unwrap());
        assert!(message.contains("nowhere") && message.contains("no such folder"), "{message}");
        assert!(message.contains("cifar-10-batches-bin"), "{message}");
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), &[0], &[0]);
        std::fs::remove_file(dir.path().join("data_batch_4.bin")).unwrap();

        let message = format!("{:#}", load(dir.path(), Some(1)).err().unwrap());
        assert!(message.contains("data_batch_4.bin"), "{message}");
        assert!(message.contains("https://www.cs.toronto.edu/~kriz/"), "{message}");
    }

    #[test]
    fn a_partial_record_is_refused_with_the_expected_size() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), &[0], &[0]);
        let mut test = records(&[1, 2]);
        test.pop();
        std::fs::write(dir.path().join(TEST_FILE), test).unwrap();

        let message = format!("{:#}", load(dir.path(), None).err().unwrap());
        assert!(message.contains("test_batch.bin is 6145 bytes"), "{message}");
        assert!(message.contains("3073-byte"), "{message}");
    }

    #[test]
    fn an_empty_file_is_refused() {
        let message = format!("{:#}", decode(&[], Path::new("data_batch_2.bin")).err().unwrap());
        assert!(message.contains("data_batch_2.bin is 0 bytes"), "{message}");
    }

    #[test]
    fn a_label_past_nine_is_refused() {
        let mut bytes = records(&[4, 5]);
        bytes[RECORD_BYTES] = 42;
        let message = format!("{:#}", decode(&bytes, Path::new("b.bin")).err().unwrap());
        assert!(message.contains("record 1 has label 42"), "{message}");
    }
}

//! Build script: checks the libtorch that torch-sys found, compiles the small
//! ATen shim in `csrc/`, and links the binary so that it finds libtorch (and
//! its CUDA half, where present) at run time with no environment variables.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// The libtorch release that tch 0.26 is written against.
const LIBTORCH_VERSION: &str = "2.13.0";

const SETUP_HINT: &str = "run `make setup` (it installs PyPI's torch==2.13.0 into .venv/ and \
points cargo at it), or set LIBTORCH to a libtorch 2.13.0 folder";

fn main() {
    println!("cargo:rerun-if-changed=csrc/aten_shim.cpp");
    println!("cargo:rerun-if-env-changed=LIBTORCH_CXX11_ABI");

    let lib_dir = libtorch_lib_dir();
    check_version(&lib_dir);
    compile_shim(&lib_dir);
    link(&lib_dir);
}

/// The folder holding libtorch.so, as torch-sys resolved it, with symbolic
/// links resolved: libtorch finds its CUDA libraries relative to its own real
/// location, so the rpath must name that location.
fn libtorch_lib_dir() -> PathBuf {
    let Ok(dir) = env::var("DEP_TCH_LIBTORCH_LIB") else {
        panic!("torch-sys did not report where libtorch is; {SETUP_HINT}");
    };
    fs::canonicalize(&dir)
        .unwrap_or_else(|e| panic!("libtorch folder {dir} cannot be read ({e}); {SETUP_HINT}"))
}

/// Fails the build when the libtorch found is not the release tch expects:
/// PyPI wheels record it in `version.py`, libtorch archives in `build-version`.
fn check_version(lib_dir: &Path) {
    let root = lib_dir.parent().expect("the libtorch lib folder has a parent");
    let found = read_wheel_version(&root.join("version.py"))
        .or_else(|| fs::read_to_string(root.join("build-version")).ok());
    let Some(found) = found else {
        println!(
            "cargo:warning=cannot tell the libtorch version under {}; expecting {LIBTORCH_VERSION}",
            root.display()
        );
        return;
    };

    let release = found.trim().split('+').next().unwrap_or_default();
    if release != LIBTORCH_VERSION {
        panic!(
            "libtorch under {} is version {}, but actlab needs {LIBTORCH_VERSION}; {SETUP_HINT}",
            root.display(),
            found.trim()
        );
    }
}

fn read_wheel_version(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with("__version__"))?;
    Some(line.split(['\'', '"']).nth(1)?.to_owned())
}

fn compile_shim(lib_dir: &Path) {
    let root = lib_dir.parent().expect("the libtorch lib folder has a parent");
    let abi = env::var("LIBTORCH_CXX11_ABI").unwrap_or_else(|_| "1".to_owned());

    cc::Build::new()
        .cpp(true)
        .pic(true)
        .warnings(false)
        .include(root.join("include"))
        .include(root.join("include/torch/csrc/api/include"))
        .flag("-std=c++17")
        .flag(format!("-D_GLIBCXX_USE_CXX11_ABI={abi}"))
        .flag("-DGLOG_USE_GLOG_EXPORT")
        .file("csrc/aten_shim.cpp")
        .compile("actlab_aten_shim");
}

/// `--no-as-needed` keeps libtorch_cuda in the binary's needed list even
/// though no Rust code calls into it directly; without it the linker drops
/// the library and CUDA is reported as unavailable on a GPU machine.
fn link(lib_dir: &Path) {
    let dir = lib_dir.display();
    println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    println!("cargo:rustc-link-arg=-L{dir}");
    println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
    println!("cargo:rustc-link-arg=-ltorch");
    if lib_dir.join("libtorch_cuda.so").exists() {
        println!("cargo:rustc-link-arg=-ltorch_cuda");
    }
    println!("cargo:rustc-link-arg=-Wl,--as-needed");
}

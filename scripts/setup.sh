#!/usr/bin/env bash
# Sets up everything actlab needs, from nothing, inside the project folder:
# a Python virtual environment holding PyPI's torch==2.13.0 (whose libtorch
# the Rust crate links against, and which runs the PyTorch reference in
# notebooks-ref/) and a cargo configuration pointing the build at it.
# Running it again when all is in place takes well under a second.
set -euo pipefail

TORCH_VERSION=2.13.0
NUMPY_SPEC='numpy>=2,<3'

cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/.venv"
python="$venv/bin/python"

installed_torch() {
    "$python" -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null || true
}

# The stamp spares a slow `import torch` on every make invocation.
stamp="$venv/.actlab-torch-$TORCH_VERSION"
if [ ! -f "$stamp" ] && [ "$(installed_torch)" != "$TORCH_VERSION" ]; then
    host_python=${PYTHON:-python3}
    if ! command -v "$host_python" >/dev/null; then
        echo "setup: no $host_python found; install Python 3.10 or newer, or set PYTHON" >&2
        exit 1
    fi
    echo "setup: installing torch==$TORCH_VERSION into $venv (about 5 GB, a few minutes)" >&2
    "$host_python" -m venv "$venv"
    "$python" -m pip install --quiet --disable-pip-version-check \
        "torch==$TORCH_VERSION" "$NUMPY_SPEC"
    if [ "$(installed_torch)" != "$TORCH_VERSION" ]; then
        echo "setup: torch $TORCH_VERSION did not install into $venv" >&2
        exit 1
    fi
fi
touch "$stamp"

site=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
libtorch=$(realpath "$site/torch")
mkdir -p .cargo
config=$(cat <<TOML
# Written by scripts/setup.sh; a LIBTORCH set in the environment still wins.
[env]
LIBTORCH = "$libtorch"
LIBTORCH_CXX11_ABI = "1"
ACTLAB_REFERENCE_PYTHON = "$python"
TOML
)
if [ "$(cat .cargo/config.toml 2>/dev/null)" != "$config" ]; then
    printf '%s\n' "$config" > .cargo/config.toml.tmp
    mv .cargo/config.toml.tmp .cargo/config.toml
fi

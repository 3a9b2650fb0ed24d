# The project's entry points. Each sets up what is missing first (torch
# 2.13.0 in .venv/, the cargo configuration pointing at its libtorch).

CARGO ?= cargo

.PHONY: setup build run test lint ci bench

setup:
	@bash scripts/setup.sh

build: setup
	$(CARGO) build --release

# Every section on the best device, figures and results under out/.
run: build
	./target/release/actlab all

# Unit tests, command-line tests, the report in a headless browser (installed
# by scripts/setup-browser.sh when missing) and the parity tests against PyTorch.
test: setup
	@bash scripts/setup-browser.sh
	$(CARGO) test --release

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --all-targets -- -D warnings

ci: lint test

bench: build
	.venv/bin/python scripts/bench.py

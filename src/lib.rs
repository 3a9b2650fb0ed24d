//! actlab: see and measure what activation functions do to a neural network.
//!
//! A port of a PyTorch teaching notebook on activation functions. Each
//! notebook section is a module under [`sections`]; the training core they
//! share — [`network`] layers, [`optim`]izers, [`data`] loading, the [`rng`]
//! stream, the [`training`] loop — reproduces PyTorch's arithmetic exactly on
//! CPU, so every number matches what the notebook computes.

pub mod activation;
pub mod app;
pub mod aten;
pub mod cifar;
pub mod cli;
pub mod context;
pub mod data;
pub mod diagnostics;
pub mod exercises;
pub mod expr;
pub mod momentum;
pub mod network;
pub mod optim;
pub mod output;
pub mod parity;
pub mod plot;
pub mod progress;
pub mod report;
pub mod resnet;
pub mod results;
pub mod rng;
pub mod sections;
pub mod stats;
pub mod training;

"""PyTorch reference for actlab: the notebook's computations, run as it runs them.

This script is the source of every golden number in actlab's tests. Each
section below repeats the notebook's own code (`06_activation_functions.md`):
its models built from `nn.Linear` and `nn.Sequential`, `torch.optim.Adam` and
`torch.optim.SGD`, `DataLoader(shuffle=True)`, and its bookkeeping in Python
floats and numpy. Instead of drawing figures it records the plotted numbers
and writes them to `OUT/<section>/results.json` in the layout actlab writes.

The random stream is the notebook's: one `torch.manual_seed(seed)` at the
top, the two re-seeds inside the dead-ReLU demo, and nothing else. When a
section runs alone, the draws of the sections before it are replayed (models
built, data drawn, loaders iterated; no training), so its numbers equal those
of a full run. `--seed` replaces the notebook's 42 everywhere it appears.

Usage: python activation_functions.py (all | section ID) [--seed N]
       [--device cpu|cuda] [--out DIR] [--samples N] [--hidden N]
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

SECTIONS = ["6.1", "6.2", "6.3", "6.4"]
COMPARED_ACTIVATIONS = ["relu", "leaky_relu", "gelu", "silu", "tanh", "sigmoid"]


def floats(t):
    """A tensor's values as Python floats: float32 widened exactly."""
    return [float(v) for v in t.detach().cpu().reshape(-1).tolist()]


# ---------------------------------------------------------------- 6.1


def xor_models():
    linear_model = nn.Sequential(nn.Linear(2, 10), nn.Linear(10, 10), nn.Linear(10, 1))
    nonlinear_model = nn.Sequential(
        nn.Linear(2, 10), nn.ReLU(), nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 1)
    )
    return linear_model, nonlinear_model


def section_6_1(ctx):
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([0.0, 1.0, 1.0, 0.0])
    linear_model, nonlinear_model = xor_models()
    X, y = X.to(ctx.device), y.to(ctx.device)
    linear_model.to(ctx.device)
    nonlinear_model.to(ctx.device)

    def train(model, X, y, epochs=1000):
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        criterion = nn.MSELoss()
        losses = []
        for epoch in range(epochs):
            optimizer.zero_grad()
            pred = model(X).squeeze()
            loss = criterion(pred, y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    linear_losses = train(linear_model, X, y)
    nonlinear_losses = train(nonlinear_model, X, y)
    with torch.no_grad():
        linear_pred = linear_model(X).squeeze()
        nonlinear_pred = nonlinear_model(X).squeeze()

    print(f"Final loss, linear: {linear_losses[-1]:.6f}")
    print(f"Final loss, non-linear: {nonlinear_losses[-1]:.6f}")
    return {
        "series": {
            "xor/linear/loss": linear_losses,
            "xor/nonlinear/loss": nonlinear_losses,
            "xor/linear/prediction": floats(linear_pred),
            "xor/nonlinear/prediction": floats(nonlinear_pred),
        }
    }


def replay_6_1(ctx):
    xor_models()


# ---------------------------------------------------------------- 6.2


def value_and_grad(fn, lo, hi, device):
    x = torch.linspace(lo, hi, 1000, requires_grad=True, device=device)
    y = fn(x)
    y.sum().backward()
    return floats(y), floats(x.grad)


def section_6_2(ctx):
    series = {}
    d = ctx.device
    for name, fn in [("sigmoid", torch.sigmoid), ("tanh", torch.tanh)]:
        series[f"{name}/value"], series[f"{name}/grad"] = value_and_grad(fn, -5, 5, d)

    x = torch.linspace(-3, 3, 1000, device=d)
    series["relu_family/relu/value"] = floats(F.relu(x))
    series["relu_family/leaky_relu/value"] = floats(F.leaky_relu(x, negative_slope=0.1))
    series["relu_family/elu/value"] = floats(F.elu(x))
    x_grad = torch.linspace(-3, 3, 1000, requires_grad=True, device=d)
    for act_fn, name in [
        (F.relu, "relu"),
        (lambda x: F.leaky_relu(x, 0.1), "leaky_relu"),
        (F.elu, "elu"),
    ]:
        x_grad.grad = None
        y = act_fn(x_grad)
        y.sum().backward()
        series[f"relu_family/{name}/grad"] = floats(x_grad.grad)

    x = torch.linspace(-5, 5, 1000, device=d)
    series["modern/relu/value"] = floats(F.relu(x))
    series["modern/gelu/value"] = floats(F.gelu(x))
    series["modern/silu/value"] = floats(F.silu(x))
    x_grad = torch.linspace(-5, 5, 1000, requires_grad=True, device=d)
    for act_fn, name in [(F.relu, "relu"), (F.gelu, "gelu"), (F.silu, "silu")]:
        x_grad.grad = None
        y = act_fn(x_grad)
        y.sum().backward()
        series[f"modern/{name}/grad"] = floats(x_grad.grad)

    x_zoom = torch.linspace(-2, 2, 1000, device=d)
    series["modern/zoom/relu/value"] = floats(F.relu(x_zoom))
    series["modern/zoom/gelu/value"] = floats(F.gelu(x_zoom))
    x_neg = torch.linspace(-5, 0, 1000, device=d)
    series["modern/negative/relu/value"] = floats(F.relu(x_neg))
    series["modern/negative/gelu/value"] = floats(F.gelu(x_neg))
    series["modern/negative/silu/value"] = floats(F.silu(x_neg))
    return {"series": series}


def replay_6_2(ctx):
    pass


# ---------------------------------------------------------------- 6.3


def dead_relu_setup(seed):
    torch.manual_seed(seed)
    model_relu = nn.Sequential(
        nn.Linear(10, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 1)
    )
    torch.manual_seed(seed)
    model_leaky = nn.Sequential(
        nn.Linear(10, 100),
        nn.LeakyReLU(0.1),
        nn.Linear(100, 100),
        nn.LeakyReLU(0.1),
        nn.Linear(100, 1),
    )
    X = torch.randn(1000, 10)
    y = torch.randn(1000, 1)
    return model_relu, model_leaky, X, y


def section_6_3(ctx):
    model_relu, model_leaky, X, y = dead_relu_setup(ctx.seed)
    X, y = X.to(ctx.device), y.to(ctx.device)
    model_relu.to(ctx.device)
    model_leaky.to(ctx.device)

    def train_and_track_dead_neurons(model, X, y, epochs=50):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        criterion = nn.MSELoss()
        dead_neurons_history = []
        for epoch in range(epochs):
            optimizer.zero_grad()
            output = model(X)
            loss = criterion(output, y)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                activations = model[1](model[0](X))
                dead = (activations.abs().sum(dim=0) == 0).sum().item()
                dead_neurons_history.append(dead)
        return dead_neurons_history

    dead_relu = train_and_track_dead_neurons(model_relu, X, y)
    dead_leaky = train_and_track_dead_neurons(model_leaky, X, y)
    print(f"Final dead neurons (ReLU): {dead_relu[-1]}/100")
    print(f"Final dead neurons (Leaky ReLU): {dead_leaky[-1]}/100")
    return {"series": {"dead_neurons/relu": dead_relu, "dead_neurons/leaky_relu": dead_leaky}}


def replay_6_3(ctx):
    dead_relu_setup(ctx.seed)


# ---------------------------------------------------------------- 6.4


def create_dataset(n_samples=5000):
    X = torch.randn(n_samples, 20)
    y = ((X[:, :5].pow(2).sum(dim=1) > 5) & (X[:, 5:10].sum(dim=1) > 0)).long()
    return TensorDataset(X, y)


class FlexibleMLP(nn.Module):
    def __init__(self, input_dim=20, hidden_dim=128, output_dim=2, activation="relu"):
        super().__init__()
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, hidden_dim)
        self.fc3 = nn.Linear(hidden_dim, hidden_dim)
        self.fc4 = nn.Linear(hidden_dim, output_dim)
        activations = {
            "relu": nn.ReLU(),
            "leaky_relu": nn.LeakyReLU(0.1),
            "gelu": nn.GELU(),
            "silu": nn.SiLU(),
            "tanh": nn.Tanh(),
            "sigmoid": nn.Sigmoid(),
        }
        self.activation = activations[activation]

    def forward(self, x):
        x = self.activation(self.fc1(x))
        x = self.activation(self.fc2(x))
        x = self.activation(self.fc3(x))
        x = self.fc4(x)
        return x


def train_with_tracking(model, dataloader, epochs=30, lr=0.001, device="cpu"):
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    history = {"loss": [], "accuracy": [], "grad_norm": [], "activation_std": []}
    for epoch in range(epochs):
        model.train()
        epoch_loss = 0
        correct = 0
        total = 0
        grad_norms = []
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            optimizer.zero_grad()
            output = model(X)
            loss = criterion(output, y)
            loss.backward()
            total_norm = 0
            for p in model.parameters():
                if p.grad is not None:
                    total_norm += p.grad.data.norm(2).item() ** 2
            grad_norms.append(total_norm**0.5)
            optimizer.step()
            epoch_loss += loss.item()
            _, predicted = output.max(1)
            correct += predicted.eq(y).sum().item()
            total += y.size(0)
        history["loss"].append(epoch_loss / len(dataloader))
        history["accuracy"].append(100.0 * correct / total)
        history["grad_norm"].append(np.mean(grad_norms))
    return history


def section_6_4(ctx, train=True):
    dataset = create_dataset(ctx.samples)
    dataloader = DataLoader(dataset, batch_size=64, shuffle=True)
    counts = dataset[:][1].bincount()
    if train:
        print(f"Dataset created: {len(dataset)} samples")
        print(f"Class distribution: {counts.tolist()}")

    results = {}
    for act_name in COMPARED_ACTIVATIONS:
        model = FlexibleMLP(hidden_dim=ctx.hidden, activation=act_name)
        if train:
            results[act_name] = train_with_tracking(
                model, dataloader, epochs=30, device=ctx.device
            )
        else:
            for _ in range(30):
                for _ in iter(dataloader):
                    break
    if not train:
        return None

    series = {"dataset/class_counts": [float(c) for c in counts.tolist()]}
    summary = []
    print(f"{'Activation':<15} {'Final Acc (%)':<15} {'Final Loss':<15} {'Avg Grad Norm'}")
    for act_name in COMPARED_ACTIVATIONS:
        history = results[act_name]
        for key in ["loss", "accuracy", "grad_norm"]:
            series[f"comparison/{act_name}/{key}"] = [float(v) for v in history[key]]
        final_acc = history["accuracy"][-1]
        final_loss = history["loss"][-1]
        avg_grad = float(np.mean(history["grad_norm"][-5:]))
        summary.append(
            {
                "activation": act_name,
                "final_accuracy": final_acc,
                "final_loss": final_loss,
                "avg_grad_norm": avg_grad,
            }
        )
        print(f"{act_name.upper():<15} {final_acc:<15.2f} {final_loss:<15.4f} {avg_grad:.4f}")
    best_act = max(COMPARED_ACTIVATIONS, key=lambda a: results[a]["accuracy"][-1])
    print(f"Best activation: {best_act.upper()} ({results[best_act]['accuracy'][-1]:.2f}%)")
    return {"series": series, "summary": summary, "best": best_act}


def replay_6_4(ctx):
    section_6_4(ctx, train=False)


# ---------------------------------------------------------------- driver

RUN = {"6.1": section_6_1, "6.2": section_6_2, "6.3": section_6_3, "6.4": section_6_4}
REPLAY = {"6.1": replay_6_1, "6.2": replay_6_2, "6.3": replay_6_3, "6.4": replay_6_4}


class Context:
    def __init__(self, args):
        self.seed = args.seed
        self.device = torch.device(args.device)
        self.samples = args.samples
        self.hidden = args.hidden


def write_results(out, section, ctx, result):
    folder = os.path.join(out, section)
    os.makedirs(folder, exist_ok=True)
    document = {
        "section": section,
        "seed": ctx.seed,
        "device": str(ctx.device),
        "libtorch": torch.__version__.split("+")[0],
    }
    document.update(result)
    path = os.path.join(folder, "results.json")
    tmp = path + ".partial"
    with open(tmp, "w") as f:
        json.dump(document, f)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["all", "section"])
    parser.add_argument("id", nargs="?", choices=SECTIONS)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="out-reference")
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.command == "section" and args.id is None:
        parser.error("section needs an ID: " + ", ".join(SECTIONS))
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    wanted = SECTIONS if args.command == "all" else [args.id]
    last = SECTIONS.index(wanted[-1])
    ctx = Context(args)

    torch.manual_seed(ctx.seed)
    np.random.seed(ctx.seed)
    for section in SECTIONS[: last + 1]:
        if section not in wanted:
            REPLAY[section](ctx)
            continue
        print(f"== {section}", flush=True)
        started = time.perf_counter()
        result = RUN[section](ctx)
        result["wall_seconds"] = time.perf_counter() - started
        write_results(args.out, section, ctx, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

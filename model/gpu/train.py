#!/usr/bin/env python3
"""Train the LSTM forecaster with PyTorch (CUDA when available) and write a model registry version.

Reads a dataset directory written by the TypeScript exporter (model/dataset.ts, exportDataset):
  dataset.json   header: featureOrder, steps, features, horizon, n, trainCount, scaler, target, ranges
  X.f32          float32 little-endian [n, steps, features], scaled (missing = 0)
  y.f32          float32 little-endian [n, horizon], scaled with scaler.target
  baselines.f32  optional, float32 [3, n, horizon] raw baseline forecasts (naive last, same hour yesterday,
                 same hour last week); NaN where unknown
The first trainCount samples train, the rest (time-ordered) are the hold-out.

The model follows model/contract.ts: nn.LSTM (batch_first, U units, L layers, sigmoid gates), the last step's
hidden state, nn.Linear to the horizon. It is exported with torch.onnx.export (opset 17, input "input"
[batch, steps, features], output "output" [batch, horizon], dynamic batch) into
<registry>/<version>/model.onnx with metadata.json (ModelMetadata), written atomically.

It trains as the TypeScript trainer (model/train.ts TRAIN_DEFAULTS) does by default: --target delta (the network
learns the scaled target minus the scaled `value` at the window's last step, 0 when missing; the forward pass adds
that value back, so the exported graph still maps input to the scaled level), --loss huber (delta 0.5, scaled
units), Adam 0.003 falling linearly to 0.1x at the last epoch, batch 64, LSTM 32, 5 epochs.

Runs on Debian's python3-torch 1.13 (CPU) and on torch 2.x (CUDA). Needs numpy; onnxruntime only for
--verify-onnx.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import inspect
import json
import math
import os
import secrets
import shutil
import sys
import time
import warnings
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
from torch import nn

FORMAT_VERSION = 1
ONNX_INPUT = "input"
ONNX_OUTPUT = "output"
ONNX_OPSET = 17
MODEL_FILE = "model.onnx"
METADATA_FILE = "metadata.json"
CURRENT_FILE = "current"
# model/contract.ts SEQUENCE_FEATURES; metadata written for another order would not be served.
SEQUENCE_FEATURES = [
    "value", "missing", "hour_sin", "hour_cos", "dow_sin", "dow_cos", "is_holiday",
    "system_load", "wind", "solar", "net_load",
]
BASELINE_KEYS = ["naive_last", "same_hour_yesterday", "same_hour_last_week"]


def log(msg: str) -> None:
    print(msg, flush=True)


class DatasetError(Exception):
    pass


class Dataset:
    def __init__(self, directory: str):
        self.dir = directory
        path = os.path.join(directory, "dataset.json")
        try:
            with open(path, "r", encoding="utf-8") as f:
                h = json.load(f)
        except (OSError, ValueError) as e:
            raise DatasetError(f"{path}: cannot read dataset header ({e})") from e
        if h.get("formatVersion") != FORMAT_VERSION:
            raise DatasetError(f"{path}: formatVersion {h.get('formatVersion')!r} (expected {FORMAT_VERSION})")
        if h.get("featureOrder") != SEQUENCE_FEATURES:
            raise DatasetError(f"{path}: featureOrder must be {','.join(SEQUENCE_FEATURES)}")
        self.header: Dict[str, Any] = h
        self.n = int(h["n"])
        self.steps = int(h["steps"])
        self.features = int(h["features"])
        self.horizon = int(h["horizon"])
        self.train_count = int(h["trainCount"])
        if self.features != len(SEQUENCE_FEATURES):
            raise DatasetError(f"{path}: features {self.features}, expected {len(SEQUENCE_FEATURES)}")
        if not (0 < self.train_count < self.n):
            raise DatasetError(f"{path}: trainCount {self.train_count} must be between 1 and n-1 (n={self.n})")
        self.X = self._read("X.f32", self.n * self.steps * self.features).reshape(self.n, self.steps, self.features)
        self.y = self._read("y.f32", self.n * self.horizon).reshape(self.n, self.horizon)
        self.baselines: Optional[Dict[str, np.ndarray]] = None
        if os.path.exists(os.path.join(directory, "baselines.f32")):
            b = self._read("baselines.f32", 3 * self.n * self.horizon).reshape(3, self.n, self.horizon)
            self.baselines = {k: b[i] for i, k in enumerate(BASELINE_KEYS)}
        sc = h["scaler"]
        self.target_mean = float(sc["target"]["mean"])
        self.target_std = float(sc["target"]["std"])
        vi = SEQUENCE_FEATURES.index("value")
        self.value_index = vi
        self.value_mean = float(sc["features"][vi]["mean"])
        self.value_std = float(sc["features"][vi]["std"])

    def _read(self, name: str, count: int) -> np.ndarray:
        path = os.path.join(self.dir, name)
        try:
            a = np.fromfile(path, dtype="<f4")
        except OSError as e:
            raise DatasetError(f"{path}: {e}") from e
        if a.size != count:
            raise DatasetError(f"{path}: {a.size} float32 values, expected {count}")
        return a.astype(np.float32, copy=False)

    def unscale_target(self, v: np.ndarray) -> np.ndarray:
        return v.astype(np.float64) * self.target_std + self.target_mean

    def value_to_target_scale(self) -> Tuple[float, float]:
        """(a, b) with target-scaled value = a * scaled value + b; (1, 0) when value and target share the
        standardizer, as the exporter writes them."""
        if self.value_mean == self.target_mean and self.value_std == self.target_std:
            return 1.0, 0.0
        return self.value_std / self.target_std, (self.value_mean - self.target_mean) / self.target_std


MISSING_INDEX = SEQUENCE_FEATURES.index("missing")


class LstmForecaster(nn.Module):
    """LSTM layer(s) → the last step's hidden state → Linear to the horizon (model/contract.ts).

    With residual=True (--target delta) the head learns the change from the last observed value and forward adds
    that value back: out = head(h_last) + last, where last = x[:, -1, value] in target-scaled units, broadcast over
    the horizon. As model/lstm.ts lastScaledValue: the exporter scales `value` with the target's own standardizer,
    so the input already is in target-scaled units (value_scale 1, value_shift 0: a plain slice, the graph
    model/lstm.ts addLastValueResidual builds) and a missing value is 0 there. Should a dataset's `value` scaler
    differ from the target scaler, the input is mapped (x * std_v + mean_v - mean_t) / std_t and a missing value
    (missing flag 1) still contributes 0, as it does on the TS side. torch.onnx.export traces all of it into the
    graph, so the ONNX input/output contract is unchanged."""

    def __init__(self, features: int, units: int, layers: int, horizon: int, residual: bool = False,
                 value_index: int = 0, value_scale: float = 1.0, value_shift: float = 0.0):
        super().__init__()
        self.lstm = nn.LSTM(input_size=features, hidden_size=units, num_layers=layers, batch_first=True)
        self.head = nn.Linear(units, horizon)
        self.residual = residual
        self.value_index = value_index
        self.value_scale = float(value_scale)
        self.value_shift = float(value_shift)

    def last_scaled_value(self, x: torch.Tensor) -> torch.Tensor:
        """[batch, 1]: the last step's `value` in target-scaled units (0 when missing)."""
        vi = self.value_index
        last = x[:, -1, vi:vi + 1]
        if self.value_scale != 1.0 or self.value_shift != 0.0:
            present = 1.0 - x[:, -1, MISSING_INDEX:MISSING_INDEX + 1]
            last = (last * self.value_scale + self.value_shift) * present
        return last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        y = self.head(out[:, -1, :])
        if self.residual:
            y = y + self.last_scaled_value(x)
        return y


def pick_device(choice: str) -> torch.device:
    if choice == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("train.py: --device cuda, but torch.cuda.is_available() is False")
        return torch.device("cuda")
    if choice == "cpu":
        return torch.device("cpu")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def predict(model: nn.Module, X: torch.Tensor, batch: int = 4096) -> np.ndarray:
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, X.shape[0], batch):
            outs.append(model(X[i:i + batch]).float().cpu().numpy())
    return np.concatenate(outs, axis=0) if outs else np.zeros((0, 0), dtype=np.float32)


def holdout_loss(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch: int = 4096) -> float:
    """Mean squared error (scaled units) over the hold-out, computed where the data lives. With the residual this
    is also the MSE of the delta, so it is the figure model/lstm.ts reports as hold-out loss in either mode."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, X.shape[0], batch):
            d = model(X[i:i + batch]) - y[i:i + batch]
            total += float((d.double() ** 2).sum().item())
    return total / max(1, y.numel())


def lr_at(lr: float, final_fraction: float, epoch: int, epochs: int) -> float:
    """model/lstm.ts: the learning rate falls linearly from lr (epoch 1) to final_fraction * lr (the last epoch)."""
    if epochs <= 1:
        return lr
    return lr * (1 - (1 - final_fraction) * ((epoch - 1) / (epochs - 1)))


def make_loss(name: str, delta: float) -> nn.Module:
    # tf.losses.huberLoss and nn.HuberLoss agree: 0.5 e^2 for |e| <= delta, delta (|e| - delta / 2) beyond;
    # both average over every element of the batch.
    return nn.HuberLoss(delta=delta) if name == "huber" else nn.MSELoss()


RIDGE_ALPHAS = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]


def fit_ridge(X: np.ndarray, Y: np.ndarray, train_count: int, validation_fraction: float = 0.2) -> Tuple[np.ndarray, float]:
    """Ridge on the flattened scaled window plus an intercept, as model/baselines.ts fitRidge does it: the relative
    penalty (lambda = alpha * mean diagonal of X'X, intercept unpenalised) chosen on the last 20% of the training
    rows (fitted on the rows before), then refitted on all training rows. Returns weights [p + 1, H] and alpha."""
    p = X.shape[1]
    q = p + 1

    def gram(a: int, b: int) -> Tuple[np.ndarray, np.ndarray]:
        Xa = np.hstack([X[a:b], np.ones((b - a, 1))])
        return Xa.T @ Xa, Xa.T @ Y[a:b]

    def scale(G: np.ndarray) -> float:
        t = float(np.trace(G[:p, :p])) / max(1, p)
        return t or 1.0

    def solve(G: np.ndarray, B: np.ndarray, lam: float) -> Optional[np.ndarray]:
        A = G.copy()
        A[np.arange(p), np.arange(p)] += lam
        try:
            L = np.linalg.cholesky(A)
        except np.linalg.LinAlgError:
            return None
        return np.linalg.solve(L.T, np.linalg.solve(L, B))

    def predict(W: np.ndarray, a: int, b: int) -> np.ndarray:
        return X[a:b] @ W[:p] + W[p]

    if train_count < 2:
        raise ValueError(f"ridge: {train_count} training rows are too few")
    split = int(math.floor(train_count * (1 - validation_fraction)))
    Gi, Bi = gram(0, split)
    Gr, Br = gram(split, train_count)
    Gf, Bf = Gi + Gr, Bi + Br
    best_alpha, best_mse = RIDGE_ALPHAS[-1], float("inf")
    if 0 < split < train_count:
        for alpha in RIDGE_ALPHAS:
            W = solve(Gi, Bi, alpha * scale(Gi))
            if W is None:
                continue
            e = float(np.mean((predict(W, split, train_count) - Y[split:train_count]) ** 2))
            if e < best_mse:
                best_alpha, best_mse = alpha, e
    for alpha in [best_alpha] + [a for a in RIDGE_ALPHAS if a > best_alpha]:
        W = solve(Gf, Bf, alpha * scale(Gf))
        if W is not None:
            assert W.shape == (q, Y.shape[1])
            return W, alpha
    raise ValueError("ridge: the normal equations are singular for every penalty tried")


def holdout_metrics(ds: "Dataset", pred: np.ndarray) -> Tuple[Dict[str, float], Dict[str, Any]]:
    """Scores in the target's unit, as model/evaluate.ts computes them for the tfjs trainer: the model and every
    baseline on the same points (those where all of them have a forecast). Keys: rmse, mae, rmse_<baseline>,
    mae_<baseline>, n_holdout."""
    tc, H = ds.train_count, ds.horizon
    truth = ds.unscale_target(ds.y[tc:])
    forecasts: Dict[str, np.ndarray] = {"model": pred.astype(np.float64)}
    extra: Dict[str, Any] = {}
    if ds.baselines is not None:
        for k in BASELINE_KEYS:
            forecasts[k] = ds.baselines[k][tc:].astype(np.float64)
    else:  # no baselines file: naive last hour from the last step's value feature
        last = ds.X[tc:, -1, ds.value_index].astype(np.float64) * ds.value_std + ds.value_mean
        forecasts["naive_last"] = np.repeat(last[:, None], H, axis=1)
    X2 = ds.X.reshape(ds.n, -1).astype(np.float64)
    W, alpha = fit_ridge(X2, ds.y.astype(np.float64), tc)
    forecasts["ridge"] = ds.unscale_target(X2[tc:] @ W[:-1] + W[-1])
    extra["ridgeAlpha"] = alpha
    ok = np.isfinite(truth)
    for f in forecasts.values():
        ok &= np.isfinite(f)
    points = int(ok.sum())
    metrics: Dict[str, float] = {}
    for k, f in forecasts.items():
        d = f[ok] - truth[ok]
        suffix = "" if k == "model" else f"_{k}"
        if points:
            metrics[f"rmse{suffix}"] = float(math.sqrt(np.mean(d * d)))
            metrics[f"mae{suffix}"] = float(np.mean(np.abs(d)))
    if points == 0:
        # No point where every method has a forecast (e.g. a hold-out without a week of history): no scores,
        # rather than NaN, which is not JSON.
        log("hold-out: no point where the model and every baseline have a forecast; metrics left empty")
        metrics = {}
    metrics["n_holdout"] = points
    return metrics, extra


def onnx_export_kwargs() -> Dict[str, Any]:
    # torch >= 2.5 has the dynamo exporter (the default from 2.9); the TorchScript exporter is the one that
    # writes the standard LSTM operator for this model.
    params = inspect.signature(torch.onnx.export).parameters
    return {"dynamo": False} if "dynamo" in params else {}


def export_onnx(model: nn.Module, path: str, steps: int, features: int) -> None:
    model = model.cpu().eval()
    dummy = torch.zeros(2, steps, features, dtype=torch.float32)
    with warnings.catch_warnings():
        # The TorchScript exporter warns that an LSTM exported at batch size != 1 may fix the batch of its initial
        # state; here the zero state is built from Shape(input) (ConstantOfShape), so the batch stays dynamic
        # (--verify-onnx and test/integration/gpu-trainer.test.ts run other batch sizes).
        warnings.filterwarnings("ignore", message=r"Exporting a model to ONNX with a batch_size other than 1")
        torch.onnx.export(
            model,
            (dummy,),
            path,
            input_names=[ONNX_INPUT],
            output_names=[ONNX_OUTPUT],
            dynamic_axes={ONNX_INPUT: {0: "batch"}, ONNX_OUTPUT: {0: "batch"}},
            opset_version=ONNX_OPSET,
            do_constant_folding=True,
            **onnx_export_kwargs(),
        )


def new_version(trainer: str = "pytorch", now: Optional[_dt.datetime] = None) -> str:
    """Same shape as model/registry.ts newVersion: 20260101T000000123Z-pytorch-ab12."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%S')}{now.microsecond // 1000:03d}Z-{trainer}-{secrets.token_hex(2)}"


def iso_utc(now: _dt.datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def git_commit(arg: Optional[str]) -> str:
    for v in (arg, os.environ.get("SDA_GIT_COMMIT"), os.environ.get("GIT_COMMIT")):
        if v:
            return v
    return "unknown"


def set_current(root: str, version: str) -> None:
    if not os.path.exists(os.path.join(root, version, METADATA_FILE)):
        raise SystemExit(f"train.py: no version {version} in {root}")
    tmp = os.path.join(root, f".{CURRENT_FILE}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(version + "\n")
    os.replace(tmp, os.path.join(root, CURRENT_FILE))


def verify_onnx(path: str, X_hold: np.ndarray, reference: np.ndarray) -> Tuple[float, np.ndarray]:
    """Run the exported model in onnxruntime on the hold-out; max |onnxruntime - reference| and the outputs."""
    import onnxruntime as ort  # only needed here

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = ([i.name for i in sess.get_inputs()], [o.name for o in sess.get_outputs()])
    if names != ([ONNX_INPUT], [ONNX_OUTPUT]):
        raise SystemExit(f"train.py: {path} has inputs/outputs {names}, expected ([{ONNX_INPUT}], [{ONNX_OUTPUT}])")
    outs = []
    for i in range(0, X_hold.shape[0], 4096):
        outs.append(sess.run([ONNX_OUTPUT], {ONNX_INPUT: X_hold[i:i + 4096]})[0])
    got = np.concatenate(outs, axis=0)
    # batch 1 too: the batch dimension must really be dynamic
    one = sess.run([ONNX_OUTPUT], {ONNX_INPUT: X_hold[:1]})[0]
    diff = max(float(np.max(np.abs(got - reference))), float(np.max(np.abs(one - reference[:1]))))
    return diff, got


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Train the LSTM forecaster with PyTorch on a dataset directory (model/dataset.ts exportDataset) "
        "and write a model registry version (model.onnx + metadata.json).",
    )
    ap.add_argument("--dataset", required=True, help="dataset directory (dataset.json, X.f32, y.f32)")
    ap.add_argument("--registry", default=os.environ.get("MODEL_REGISTRY_DIR", "model_registry"),
                    help="registry root (default: $MODEL_REGISTRY_DIR or ./model_registry)")
    ap.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto", help="default auto: cuda when available")
    # Defaults: those of the TypeScript trainer (model/train.ts TRAIN_DEFAULTS).
    ap.add_argument("--units", type=int, default=32, help="LSTM units per layer (default 32)")
    ap.add_argument("--layers", type=int, default=1, help="stacked LSTM layers (default 1)")
    ap.add_argument("--epochs", type=int, default=5, help="default 5")
    ap.add_argument("--batch-size", type=int, default=64, help="default 64")
    ap.add_argument("--lr", type=float, default=0.003, help="Adam learning rate of the first epoch (default 0.003)")
    ap.add_argument("--lr-final", type=float, default=0.1,
                    help="learning rate of the last epoch as a fraction of --lr, linear decay from epoch 1 (default 0.1; 1 = constant)")
    ap.add_argument("--loss", choices=["huber", "mse"], default="huber", help="training loss on the scaled target (default huber)")
    ap.add_argument("--huber-delta", type=float, default=0.5, help="Huber loss: quadratic within this many scaled units (default 0.5)")
    ap.add_argument("--target", choices=["delta", "level"], default="delta",
                    help="delta (default): learn the change from the last value, added back inside the model (and the ONNX graph); level: learn the level")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads for torch (default: torch's choice)")
    ap.add_argument("--promote", action="store_true", help="point <registry>/current at the new version")
    ap.add_argument("--git-commit", default=None, help="commit recorded in metadata (default $SDA_GIT_COMMIT, $GIT_COMMIT, else unknown)")
    ap.add_argument("--verify-onnx", action="store_true",
                    help="run the exported model in onnxruntime on the hold-out and fail unless it matches torch (needs onnxruntime)")
    ap.add_argument("--summary", default=None, help="also write a JSON summary (version, dir, metrics, losses) to this file")
    a = ap.parse_args(argv)
    for k in ("units", "layers", "epochs", "batch_size"):
        if getattr(a, k) < 1:
            ap.error(f"--{k.replace('_', '-')} must be a positive integer")
    if not (a.lr > 0):
        ap.error("--lr must be positive")
    if not (0 < a.lr_final <= 1):
        ap.error("--lr-final must be in (0, 1]")
    if not (a.huber_delta > 0):
        ap.error("--huber-delta must be positive")
    return a


def main(argv: Optional[List[str]] = None) -> int:
    a = parse_args(argv)
    try:
        ds = Dataset(a.dataset)
    except DatasetError as e:
        print(f"train.py: {e}", file=sys.stderr)
        return 2
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    device = pick_device(a.device)
    backend = "torch-cuda" if device.type == "cuda" else "torch-cpu"
    log(f"torch {torch.__version__}, device {device_label(device)}")
    n_hold = ds.n - ds.train_count
    log(f"dataset {a.dataset}: {ds.n} samples ({ds.train_count} training, {n_hold} hold-out), "
        f"steps {ds.steps}, features {ds.features}, horizon {ds.horizon}")

    X = torch.from_numpy(np.ascontiguousarray(ds.X))
    y = torch.from_numpy(np.ascontiguousarray(ds.y))
    X_train, y_train = X[: ds.train_count].to(device), y[: ds.train_count].to(device)
    X_hold_dev, y_hold_dev = X[ds.train_count:].to(device), y[ds.train_count:].to(device)

    value_scale, value_shift = ds.value_to_target_scale()
    residual = a.target == "delta"
    model = LstmForecaster(ds.features, a.units, a.layers, ds.horizon, residual=residual, value_index=ds.value_index,
                           value_scale=value_scale, value_shift=value_shift).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    # With the residual inside forward, loss(model(x), y) is the loss of the head's output against y - last value:
    # the delta target of model/train.ts, without shifting y.
    loss_fn = make_loss(a.loss, a.huber_delta)
    loss_label = f"huber (delta {a.huber_delta:g}, scaled target)" if a.loss == "huber" else "mse (scaled target)"
    if not residual:
        residual_label = ""
    elif (value_scale, value_shift) == (1.0, 0.0):
        residual_label = " (+ last scaled value)"
    else:
        residual_label = f" (+ last value x {value_scale:.6g} + {value_shift:.6g} in target units, 0 when missing)"
    log(f"target {a.target}{residual_label}, loss {loss_label}, Adam lr {a.lr:g} → {a.lr * a.lr_final:g}, "
        f"batch {a.batch_size}, LSTM {a.layers} x {a.units}")
    gen = torch.Generator(device="cpu")
    gen.manual_seed(a.seed)

    losses: List[float] = []
    hold_losses: List[float] = []
    epoch_seconds: List[float] = []
    lr_per_epoch: List[float] = []
    for epoch in range(1, a.epochs + 1):
        lr = lr_at(a.lr, a.lr_final, epoch, a.epochs)
        for g in opt.param_groups:
            g["lr"] = lr
        lr_per_epoch.append(lr)
        model.train()
        sync(device)
        t0 = time.perf_counter()
        perm = torch.randperm(ds.train_count, generator=gen).to(device)
        total = torch.zeros((), dtype=torch.float64, device=device)
        for i in range(0, ds.train_count, a.batch_size):
            idx = perm[i:i + a.batch_size]
            xb, yb = X_train[idx], y_train[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.detach().double() * idx.shape[0]
        train_loss = float(total.item()) / ds.train_count
        if not math.isfinite(train_loss):
            print(f"train.py: training diverged (loss {train_loss} at epoch {epoch}); try a smaller --lr", file=sys.stderr)
            return 4
        sync(device)
        secs = time.perf_counter() - t0
        hold_loss = holdout_loss(model, X_hold_dev, y_hold_dev)
        losses.append(train_loss)
        hold_losses.append(hold_loss)
        epoch_seconds.append(secs)
        log(f"epoch {epoch}/{a.epochs}: loss {train_loss:.6f}, hold-out loss {hold_loss:.6f}, {secs:.2f} s (lr {lr:.6g})")

    device_pred = None
    if device.type != "cpu":
        device_pred = predict(model, X_hold_dev)
    # Scores from the model as exported (float32 on the CPU), so onnxruntime reproduces them on any host.
    cpu_model = model.cpu().eval()
    X_hold = np.ascontiguousarray(ds.X[ds.train_count:])
    pred_scaled = predict(cpu_model, torch.from_numpy(X_hold))
    pred = ds.unscale_target(pred_scaled)
    metrics, metric_details = holdout_metrics(ds, pred)
    log("hold-out: " + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items()) + f" (ridge alpha {metric_details['ridgeAlpha']})")

    if device_pred is not None:
        log(f"max |torch {device.type} - torch cpu| on the hold-out (scaled): {float(np.max(np.abs(device_pred - pred_scaled))):.3e}")

    root = os.path.abspath(a.registry)
    os.makedirs(root, exist_ok=True)
    now = _dt.datetime.now(_dt.timezone.utc)
    version = new_version("pytorch", now)
    final = os.path.join(root, version)
    tmp = os.path.join(root, f".{version}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    onnx_path = os.path.join(tmp, MODEL_FILE)
    t0 = time.perf_counter()
    export_onnx(cpu_model, onnx_path, ds.steps, ds.features)
    export_secs = time.perf_counter() - t0

    verify: Dict[str, float] = {}
    if a.verify_onnx:
        diff, ort_scaled = verify_onnx(onnx_path, X_hold, pred_scaled)
        truth = ds.unscale_target(ds.y[ds.train_count:])
        ok = np.isfinite(truth)
        rmse_of = lambda p: float(math.sqrt(np.mean((p[ok] - truth[ok]) ** 2)))  # noqa: E731
        ort_rmse, torch_rmse = rmse_of(ds.unscale_target(ort_scaled)), rmse_of(pred)
        verify = {"maxAbsDiffVsTorchCpu": diff, "rmseOnnxruntime": ort_rmse, "rmseTorch": torch_rmse}
        log(f"onnxruntime on the hold-out: max |onnxruntime - torch cpu| = {diff:.3e} (scaled); "
            f"rmse over all hold-out points: onnxruntime {ort_rmse:.6f}, torch {torch_rmse:.6f}")
        if device_pred is not None:
            d2 = float(np.max(np.abs(ort_scaled - device_pred)))
            verify["maxAbsDiffVsTorchDevice"] = d2
            log(f"onnxruntime on the hold-out: max |onnxruntime - torch {device.type}| = {d2:.3e} (scaled)")
        if not diff < 1e-4:
            shutil.rmtree(tmp, ignore_errors=True)
            print(f"train.py: onnxruntime differs from torch by {diff:.3e} (limit 1e-4); version not written", file=sys.stderr)
            return 3

    h = ds.header
    metadata: Dict[str, Any] = {
        "formatVersion": 1,
        "version": version,
        "createdAt": iso_utc(now),
        "trainer": "pytorch",
        "backend": backend,
        "architecture": {
            "type": "lstm", "layers": a.layers, "units": a.units, "steps": ds.steps, "features": ds.features,
            "horizon": ds.horizon, "recurrentActivation": "sigmoid",
        },
        "target": h["target"],
        "featureOrder": h["featureOrder"],
        "scaler": h["scaler"],
        "trainingRange": h["trainingRange"],
        "holdoutRange": h["holdoutRange"],
        "metrics": metrics,
        "gitCommit": git_commit(a.git_commit),
        "onnx": {"file": MODEL_FILE, "input": ONNX_INPUT, "output": ONNX_OUTPUT, "opset": ONNX_OPSET},
        "training": {
            "epochs": a.epochs,
            "batchSize": a.batch_size,
            "learningRate": a.lr,
            "finalLrFraction": a.lr_final,
            "learningRatePerEpoch": lr_per_epoch,
            "optimizer": "adam",
            "loss": loss_label,
            "target": (
                "delta: the network learns the scaled target minus the scaled value at the last step; the module's "
                "forward (and so model.onnx) adds that value back, so it outputs the scaled level"
                if residual else "level"
            ),
            "seed": a.seed,
            "device": device_label(device),
            "torchVersion": torch.__version__,
            "samples": ds.n,
            "trainSamples": ds.train_count,
            "holdoutSamples": n_hold,
            "lossPerEpoch": losses,
            "holdoutLossPerEpoch": hold_losses,
            "epochSeconds": epoch_seconds,
            "onnxExportSeconds": export_secs,
            "ridgeAlpha": metric_details["ridgeAlpha"],
            **({"onnxVerification": verify} if verify else {}),
        },
    }
    with open(os.path.join(tmp, METADATA_FILE), "w", encoding="utf-8") as f:
        json.dump(metadata, f, indent=2, allow_nan=False)
        f.write("\n")
    if os.path.exists(final):
        shutil.rmtree(tmp, ignore_errors=True)
        raise SystemExit(f"train.py: version {version} already exists in {root}")
    os.rename(tmp, final)
    log(f"wrote {final}")
    if a.promote:
        set_current(root, version)
        log(f"current → {version}")
    if a.summary:
        with open(a.summary, "w", encoding="utf-8") as f:
            json.dump({"version": version, "dir": final, "device": device_label(device), "target": a.target,
                       "loss": loss_label, "metrics": metrics,
                       "lossPerEpoch": losses, "epochSeconds": epoch_seconds, "onnx": verify}, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

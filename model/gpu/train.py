#!/usr/bin/env python3
"""Train the LSTM forecaster with PyTorch (CUDA when available) and write a model registry version.

Reads a dataset directory written by the TypeScript exporter (model/dataset.ts, exportDataset):
  dataset.json   header: featureOrder, steps, features, horizon, n, trainCount, scaler, target, ranges
  X.f32          float32 little-endian [n, steps, features], scaled (missing = 0)
  y.f32          float32 little-endian [n, horizon], scaled with scaler.target
  baselines.f32  optional, float32 [3, n, horizon] raw baseline forecasts (naive last, same hour yesterday,
                 same hour last week); NaN where unknown
  week-change.f64 optional, float64 [n, LEVEL_MAX_SLOTS] week-over-week changes y(s) - y(s - 7 days) of the slots
                 s = origin - i * stepMs, i = 0..23 (model/last-week.ts weekChanges), target unit, NaN where unknown
The first trainCount samples train, the rest (time-ordered) are the hold-out.

The model follows model/contract.ts and model/served-graph.ts: nn.LSTM (batch_first, U units, L layers, sigmoid
gates), the last step's hidden state, nn.Linear to 3 x horizon raw outputs (the P50 correction m and two band
widths a, b), wrapped with the linear base (ridge), the per-horizon source choice, shrinkage and conformal band
offsets (ServedForecaster). It is exported with torch.onnx.export (opset 17, input "input" [batch, steps,
features], outputs "output" [batch, horizon] = P50 and "quantiles" [batch, 3, horizon] = P10/P50/P90, dynamic
batch) into <registry>/<version>/model.onnx with metadata.json (ModelMetadata), written atomically.

It trains as the TypeScript trainer (model/train.ts trainQuantileModel, TRAIN_DEFAULTS) does by default: rolling
origins (--folds 3: the latest three blocks of 10% of the training samples, each forecast by a ridge and a network
fitted only on the samples before it; one slice of the latest 20% when a block would span under 3 days); the newest
block picks the learning rate from --lr 0.003,0.001, every block early-stops its own network (epoch 0 = the base
alone), the refit trains the median of the blocks' best epochs, and the pooled blocks choose the per-horizon sources
incl. same hour last week and its level-adjusted form (baseline:same_hour_last_week_level: the median or the mean of
the last L week-over-week changes, rule and L from {median, mean} x {6, 12, 24} slots chosen jointly on the pooled
blocks by the source's own MSE, ties to the median; metadata.lastWeekLevel with the rule; model/last-week.ts) (worst block
relative to its best single source), the shrinkage and the split-conformal offsets (per block, the widest kept); the network learns the scaled target minus a ridge forecast (--target ridge;
with --base-penalty per-horizon, the default as in sda train, a ridge with its own penalty per step ahead from
BASE_RIDGE_ALPHAS chosen by the worst rolling-origin block, offered as a source of its own even at 0 epochs)
with pinball loss on P50 = m, P10 = m - softplus(a), P90 = m + softplus(b); Adam falling linearly to 0.1x at the
last epoch, batch 64, LSTM 32, 6 epochs; then ridge and network are refitted on all training samples. On CUDA when
available. Not ported: the TypeScript trainer's optional band rules, band scale and blend rules (their defaults are
what this does); a last-week step's band is metadata.lastWeekBand.

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
# model/contract.ts LEVEL_MAX_SLOTS / model/last-week.ts LEVEL_SLOT_CHOICES / model/dataset.ts WEEK_CHANGE_FILE.
LEVEL_MAX_SLOTS = 24
LEVEL_SLOT_CHOICES = [6, 12, 24]
WEEK_CHANGE_FILE = "week-change.f64"
# model/contract.ts INPUT_CLIP_MARGIN: a value input (and last week's served value) is clipped to its range widened
# by this share on each side.
INPUT_CLIP_MARGIN = 0.25
# model/online-band.ts ONLINE_BAND_DEFAULTS: the online P10-P90 band written into metadata.onlineBand (the same
# contract as sda train's), with the trained fallback offsets per step computed here.
ONLINE_BAND_DEFAULTS = {"method": "aci-interval", "windowDays": 14, "level": 0.8, "gamma": 0.02, "minResiduals": 48, "centreDays": 0}


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
        # model/dataset.ts Dataset.weekChange (absent in directories written before it: no level-adjusted source).
        self.week_change: Optional[np.ndarray] = None
        if os.path.exists(os.path.join(directory, WEEK_CHANGE_FILE)):
            self.week_change = self._read(WEEK_CHANGE_FILE, self.n * LEVEL_MAX_SLOTS, "<f8").reshape(self.n, LEVEL_MAX_SLOTS)
        sc = h["scaler"]
        self.target_mean = float(sc["target"]["mean"])
        self.target_std = float(sc["target"]["std"])
        vi = SEQUENCE_FEATURES.index("value")
        self.value_index = vi
        self.value_mean = float(sc["features"][vi]["mean"])
        self.value_std = float(sc["features"][vi]["std"])
        vmin, vmax = sc["features"][vi].get("min"), sc["features"][vi].get("max")
        # model/contract.ts inputClipBounds of the value feature: (lo, hi) in the target unit, None without a range.
        self.value_clip: Optional[Tuple[float, float]] = None
        if vmin is not None and vmax is not None:
            w = (float(vmax) - float(vmin)) * INPUT_CLIP_MARGIN
            self.value_clip = (float(vmin) - w, float(vmax) + w)

    def _read(self, name: str, count: int, dtype: str = "<f4") -> np.ndarray:
        path = os.path.join(self.dir, name)
        try:
            a = np.fromfile(path, dtype=dtype)
        except OSError as e:
            raise DatasetError(f"{path}: {e}") from e
        if a.size != count:
            kind = "float64" if dtype == "<f8" else "float32"
            raise DatasetError(f"{path}: {a.size} {kind} values, expected {count}")
        return a if dtype == "<f8" else a.astype(np.float32, copy=False)

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


QUANTILES = [0.1, 0.5, 0.9]
ONNX_QUANTILES = "quantiles"
GRAPH_SOURCES = ["lstm", "baseline:ridge", "baseline:naive_last", "baseline:same_hour_yesterday"]
LAST_WEEK_SOURCE = "baseline:same_hour_last_week"
# model/contract.ts LAST_WEEK_LEVEL_SOURCE: same hour last week plus the current weekly change (metadata.lastWeekLevel).
LAST_WEEK_LEVEL_SOURCE = "baseline:same_hour_last_week_level"
REPORT_HORIZONS = [1, 6, 12, 24, 36]


BLEND_WEIGHTS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
BLEND_MARGIN = 0.02


def choose_blends(cand: Dict[str, np.ndarray], y: np.ndarray, folds: Optional[List[int]] = None) -> List[Tuple[str, Optional[str], float]]:
    """model/quantile.ts chooseBlends: per horizon the single source or two-source blend (weights BLEND_WEIGHTS); a
    candidate unknown at more than 10% of the points is not used there; a blend must beat the best single source by
    BLEND_MARGIN. Without folds (or one) the score is the validation MSE; with rolling-origin folds (each block's
    sample count, in order) it is the worst block's MSE relative to that block's best single source (minimax regret).
    Returns (a, b or None, weight of a) per horizon."""
    names = list(cand.keys())
    count, H = y.shape
    blocks = len(folds) if folds and len(folds) > 1 else 1
    block_of = np.repeat(np.arange(blocks), folds) if blocks > 1 else np.zeros(count, dtype=int)
    if blocks > 1 and sum(folds) != count:
        raise ValueError(f"choose_blends: folds hold {sum(folds)} samples, the forecasts {count}")
    out: List[Tuple[str, Optional[str], float]] = []
    for h in range(H):
        usable = [k for k in names if np.isfinite(cand[k][:, h]).sum() > 0 and np.isfinite(cand[k][:, h]).sum() >= 0.9 * count]
        rows = np.isfinite(y[:, h])
        for k in usable:
            rows &= np.isfinite(cand[k][:, h])
        yy = y[rows, h]
        bo = block_of[rows]
        v = {k: cand[k][rows, h] for k in usable}

        def block_mse(f: np.ndarray) -> np.ndarray:
            return np.array([float(np.mean((f[bo == b] - yy[bo == b]) ** 2)) if np.any(bo == b) else float("nan") for b in range(blocks)])

        ref = np.full(blocks, np.inf)
        if blocks > 1:
            for k in usable:
                ref = np.minimum(ref, np.nan_to_num(block_mse(v[k]), nan=np.inf))

        def mse(f: np.ndarray) -> float:
            e = block_mse(f)
            if blocks == 1:
                return float(e[0]) if yy.size and math.isfinite(e[0]) else float("inf")
            ok = np.isfinite(e)
            if not ok.any():
                return float("inf")
            ratios = [e[b] / ref[b] if ref[b] > 0 else (1.0 if e[b] == 0 else float("inf")) for b in range(blocks) if ok[b]]
            return float(max(0.0, *ratios))

        best = (usable[0] if usable else names[0], None, 1.0, float("inf"))
        for k in usable:
            e = mse(v[k])
            if e < best[3]:
                best = (k, None, 1.0, e)
        blend = None
        for ia, a in enumerate(usable):
            for b in usable[ia + 1:]:
                for w in BLEND_WEIGHTS:
                    e = mse(w * v[a] + (1 - w) * v[b])
                    if blend is None or e < blend[3]:
                        blend = (a, b, w, e)
        chosen = blend if blend is not None and blend[3] < (1 - BLEND_MARGIN) * best[3] else best
        out.append((chosen[0], chosen[1], chosen[2]))
    return out


# model/rolling-origin.ts defaults: 3 blocks of 10% of the training samples, each at least 3 days of window ends.
ROLLING_BLOCK_FRACTION = 0.1
ROLLING_MIN_BLOCK_MS = 3 * 86_400_000


def rolling_origins(ends: np.ndarray, train_count: int, horizon_ms: int, folds: int, single: float = 0.2) -> List[Tuple[int, int, int]]:
    """model/rolling-origin.ts rollingOrigins: (fitCount, from, to) per block, oldest first; `folds` consecutive blocks
    of 10% of the training samples ending at train_count, each fitted on the samples whose targets end at or before
    the block's first window end; one slice (the latest `single`) when folds <= 1 or a block spans under 3 days."""
    def boundary(i: int) -> int:
        k = max(0, min(train_count, i))
        while 0 < k < train_count and ends[k] == ends[k - 1]:
            k += 1
        return k

    def fit_before(start: int) -> int:
        cutoff = ends[start]
        f = 0
        while f < start and ends[f] + horizon_ms <= cutoff:
            f += 1
        return f

    if folds > 1 and folds * ROLLING_BLOCK_FRACTION < 1:
        starts = [boundary(int(math.floor(train_count * (1 - (folds - k) * ROLLING_BLOCK_FRACTION)))) for k in range(folds)]
        out = [(fit_before(st), st, starts[k + 1] if k + 1 < folds else train_count) for k, st in enumerate(starts)]
        if all(t > f and ends[t - 1] - ends[f] >= ROLLING_MIN_BLOCK_MS and fit >= 2 for fit, f, t in out):
            return out
    fit = fit_before(int(math.floor(train_count * (1 - single))))
    return [(fit, fit, train_count)]


def blend_label(a: str, b: Optional[str], w: float) -> str:
    """model/quantile.ts blendLabel."""
    return a if b is None else f"blend:{w:.1f} {a} + {1 - w:.1f} {b}"


def describe_sources(sources: List[str]) -> str:
    """model/train.ts describeSources: "h1-5 lstm, h6 baseline:same_hour_yesterday, ..."."""
    parts, i = [], 0
    while i < len(sources):
        j = i
        while j + 1 < len(sources) and sources[j + 1] == sources[i]:
            j += 1
        parts.append(f"h{i + 1}{'-' + str(j + 1) if j > i else ''} {sources[i]}")
        i = j + 1
    return ", ".join(parts)


def seasonal_naive_index(h: int, m: int, steps: int) -> int:
    """model/quantile.ts seasonalNaiveIndex: window index of y(T + h - m(k + 1)), k = floor((h - 1) / m) (FPP3 5.2)."""
    k = (h - 1) // m
    idx = steps - 1 + h - m * (k + 1)
    return idx if idx >= 0 else -1


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """model/quantile.ts conformalQuantile: the ceil((n + 1) level)-th smallest finite score (NaN when none)."""
    v = np.sort(scores[np.isfinite(scores)])
    if v.size == 0:
        return float("nan")
    rank = min(v.size, int(math.ceil((v.size + 1) * level)))
    return float(v[max(0, rank - 1)])


# model/last-week.ts LEVEL_RULES and LEVEL_RULE_ORDER: how the level summarises the week-over-week changes
# (metadata.lastWeekLevel.rule; absent in models before it = "mean"); new models get the rule chosen jointly with L on
# the validation blocks (choose_level_slots), trying the median first, so a tie keeps the median.
LEVEL_RULES = ("mean", "median")
LEVEL_RULE_ORDER = ("median", "mean")


def weekly_level(changes: np.ndarray, slots: int, rule: str = "mean") -> np.ndarray:
    """model/last-week.ts weeklyLevel, per sample: the `rule` ("mean" default, as models without lastWeekLevel.rule;
    "median") of the first `slots` week-over-week changes (changes [count, LEVEL_MAX_SLOTS], newest first, target
    unit), i.e. by how much the last L slots up to the origin ran above the same slots a week earlier (the seasonal
    naive of FPP3 5.2 with a level term); NaN where any of them is unknown. The mean is summed in slot order as the
    TypeScript loop does (cumsum is sequential), so the values are bit-equal; the median (the robust estimator of
    location, breakdown point 50%: one price spike among the L changes does not move it) is the middle sorted change,
    for even L the two middle ones added and halved, as the TypeScript does. Raises ValueError for slots not an
    integer in 1..changes.shape[1] or an unknown rule."""
    if not (isinstance(slots, int) and 1 <= slots <= changes.shape[1]):
        raise ValueError(f"weekly_level: slots must be an integer in 1..{changes.shape[1]}, got {slots!r}")
    if rule not in LEVEL_RULES:
        raise ValueError(f"weekly_level: rule must be one of {', '.join(LEVEL_RULES)}, got {rule!r}")
    part = np.asarray(changes, dtype=np.float64)[:, :slots]
    if rule == "mean":
        out = np.cumsum(part, axis=1)[:, -1] / slots
    else:
        srt = np.sort(part, axis=1)
        m = slots // 2
        out = srt[:, m].copy() if slots % 2 == 1 else (srt[:, m - 1] + srt[:, m]) / 2
    out[~np.isfinite(part).all(axis=1)] = np.nan
    return out


def choose_level_slots(week_change: Optional[np.ndarray], last_week: np.ndarray, y: np.ndarray, target_mean: float,
                       target_std: float, value_clip: Optional[Tuple[float, float]] = None) -> Optional[Tuple[int, str, List[Tuple[str, int, float]]]]:
    """model/train.ts chooseLevelSlots: the level-adjusted last week's rule and L chosen jointly, of the grid
    LEVEL_RULE_ORDER (median, mean) x LEVEL_SLOT_CHOICES (6, 12, 24) the choice whose forecasts y(T - 7 days) + level
    (weekly_level of the last L changes by the rule) have the lowest mean squared error against the validation targets
    over every point and horizon where all choices are known (each scored on the same points). Ties keep the earlier
    in the grid's order: the median before the mean (the robust one: one price spike does not move it), then the
    smaller L. The mean wins on smooth demand (taylor), the median on spiky prices; the risk, as in TypeScript: a price
    model whose validation blocks held no spike chooses the mean and is exposed to a spike in service.
    week_change: [count, LEVEL_MAX_SLOTS] of the validation samples (blocks in order), None when the dataset has none;
    last_week: the plain last-week values [count, H] (target unit); y: the targets [count, H] (scaled); value_clip:
    the value input's clip bounds (Dataset.value_clip), each choice scored on last week plus the level clipped into
    them as served (clip_last_week, model/last-week.ts lastWeekClip), None for no clip. Returns
    (L, rule, [(rule, L, rmse scaled) per choice, rule-major]) or None (no week changes, or no point with every
    choice known)."""
    if week_change is None:
        return None
    grid = [(rule, L) for rule in LEVEL_RULE_ORDER for L in LEVEL_SLOT_CHOICES]
    levels = [weekly_level(week_change, L, rule) for rule, L in grid]  # [count] each
    ok = np.isfinite(last_week) & np.isfinite(y)
    for lv in levels:
        ok &= np.isfinite(lv)[:, None]
    n = int(ok.sum())
    if n == 0:
        return None
    scores: List[Tuple[str, int, float]] = []
    for (rule, L), lv in zip(grid, levels):
        e = ((clip_last_week(last_week + lv[:, None], value_clip) - target_mean) / target_std - y)[ok]  # row-major: the TypeScript loop's order
        scores.append((rule, L, math.sqrt(float(np.cumsum(e * e)[-1]) / n)))
    best = scores[0]
    for x in scores[1:]:
        if x[2] < best[2]:
            best = x
    return best[1], best[0], scores


def clip_last_week(v: np.ndarray, value_clip: Optional[Tuple[float, float]]) -> np.ndarray:
    """model/last-week.ts lastWeekClip: a last-week value (plain, or plus its share of the level) clipped into the
    value input's bounds (lo, hi) as lastWeekStep serves it; unchanged without bounds; NaN stays NaN."""
    return np.clip(v, *value_clip) if value_clip is not None else v


def last_week_value(last_week: np.ndarray, k: float, level: Optional[np.ndarray]) -> np.ndarray:
    """model/last-week.ts lastWeekValue at one step, per sample: y(T - 7 days) + k * level (k: the step's
    metadata.lastWeekLevel.weight; 0 = plain last week, level unused). NaN where last week's value is unknown, or k > 0
    and the level is (level None: unknown everywhere); such a step falls back to the graph's value."""
    lw = np.asarray(last_week, dtype=np.float64)
    if not k > 0:
        return lw
    if level is None:
        return np.full_like(lw, np.nan)
    return lw + k * level


class QuantileNet(nn.Module):
    """The bare network: LSTM → last hidden state → Linear to 3 x horizon raw outputs (m, a, b)."""

    def __init__(self, features: int, units: int, layers: int, horizon: int):
        super().__init__()
        self.lstm = nn.LSTM(input_size=features, hidden_size=units, num_layers=layers, batch_first=True)
        self.head = nn.Linear(units, 3 * horizon)
        nn.init.zeros_(self.head.weight)  # the untrained network adds nothing to its base (epoch 0)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :])


class ServedForecaster(nn.Module):
    """model/served-graph.ts in torch: P50 = sum over sources of onehot * source, with source lstm = base +
    shrink * m; P10 = P50 - relu(onehot_lstm * softplus(a) + cLo); P90 = P50 + relu(onehot_lstm * softplus(b) + cHi).
    forward returns (P50 [batch, H], quantiles [batch, 3, H])."""

    def __init__(self, net: QuantileNet, spec: Dict[str, np.ndarray], steps: int, features: int, horizon: int, value_index: int):
        super().__init__()
        self.net = net
        self.H = horizon
        self.steps = steps
        self.features = features
        self.vi = value_index
        f = lambda a: torch.tensor(np.asarray(a, dtype=np.float32))  # noqa: E731
        self.register_buffer("baseW", f(spec["baseW"]))
        self.register_buffer("baseB", f(spec["baseB"]))
        self.register_buffer("ridgeW", f(spec["ridgeW"]))
        self.register_buffer("ridgeB", f(spec["ridgeB"]))
        self.register_buffer("onehot", f(spec["onehot"]))  # [4, H]
        self.register_buffer("cLo", f(spec["cLo"]))
        self.register_buffer("cHi", f(spec["cHi"]))
        self.register_buffer("shrink", f(spec["shrink"]))
        self.register_buffer("seasonal", torch.tensor(np.maximum(0, np.asarray(spec["seasonalIndex"])), dtype=torch.long))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        H = self.H
        raw = self.net(x)
        m, a, b = raw[:, :H], raw[:, H:2 * H], raw[:, 2 * H:]
        flat = x.reshape(-1, self.steps * self.features)
        base = flat @ self.baseW + self.baseB
        ridge = flat @ self.ridgeW + self.ridgeB
        values = x[:, :, self.vi]
        naive = values[:, self.steps - 1:self.steps]
        seasonal = values[:, self.seasonal]
        oh = self.onehot
        p50 = (base + self.shrink * m) * oh[0] + ridge * oh[1] + naive * oh[2] + seasonal * oh[3]
        lo = torch.relu(nn.functional.softplus(a) * oh[0] + self.cLo)
        hi = torch.relu(nn.functional.softplus(b) * oh[0] + self.cHi)
        q = torch.stack([p50 - lo, p50, p50 + hi], dim=1)
        return p50, q


def quantile_loss(raw: torch.Tensor, y: torch.Tensor, H: int, point: str, delta: float) -> torch.Tensor:
    """model/lstm.ts quantileNetworkLoss: point(P50 = m) + pinball_0.1(m - softplus(a)) + pinball_0.9(m + softplus(b))."""
    m = raw[:, :H]
    a = nn.functional.softplus(raw[:, H:2 * H])
    b = nn.functional.softplus(raw[:, 2 * H:])

    def pin(q: torch.Tensor, tau: float) -> torch.Tensor:
        d = y - q
        return torch.maximum(d * tau, d * (tau - 1)).mean()

    if point == "pinball":
        p50 = pin(m, 0.5)
    elif point == "huber":
        p50 = nn.functional.huber_loss(m, y, delta=delta)
    else:
        p50 = nn.functional.mse_loss(m, y)
    return p50 + pin(m - a, 0.1) + pin(m + b, 0.9)


def served_numpy(spec: Dict[str, np.ndarray], X2: np.ndarray, raw: np.ndarray, steps: int, features: int, vi: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """servedForecast (model/served-graph.ts) in numpy, float64: (P10, P50, P90), scaled, [n, H]."""
    H = raw.shape[1] // 3
    m, a, b = raw[:, :H], raw[:, H:2 * H], raw[:, 2 * H:]
    base = X2 @ spec["baseW"] + spec["baseB"]
    ridge = X2 @ spec["ridgeW"] + spec["ridgeB"]
    values = X2.reshape(-1, steps, features)[:, :, vi]
    naive = values[:, steps - 1:steps]
    seasonal = values[:, np.maximum(0, np.asarray(spec["seasonalIndex"]))]
    oh = spec["onehot"]
    p50 = (base + spec["shrink"] * m) * oh[0] + ridge * oh[1] + naive * oh[2] + seasonal * oh[3]
    sp = lambda v: np.logaddexp(0.0, v)  # noqa: E731
    lo = np.maximum(0.0, sp(a) * oh[0] + spec["cLo"])
    hi = np.maximum(0.0, sp(b) * oh[0] + spec["cHi"])
    return p50 - lo, p50, p50 + hi


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
            W = _ridge_solve(Gi, Bi, alpha)
            if W is None:
                continue
            e = float(np.mean((predict(W, split, train_count) - Y[split:train_count]) ** 2))
            if e < best_mse:
                best_alpha, best_mse = alpha, e
    for alpha in [best_alpha] + [a for a in RIDGE_ALPHAS if a > best_alpha]:
        W = _ridge_solve(Gf, Bf, alpha)
        if W is not None:
            assert W.shape == (q, Y.shape[1])
            return W, alpha
    raise ValueError("ridge: the normal equations are singular for every penalty tried")


# model/baselines.ts BASE_RIDGE_ALPHAS: the relative penalties the linear base may take per horizon step.
BASE_RIDGE_ALPHAS = [1e-3, 1e-2, 1e-1, 1.0, 3.0, 10.0, 30.0, 100.0]
BASE_PENALTIES = ["shared", "per-horizon"]
# model/train.ts BASE_SOURCE_LABEL: the network's source when it serves its per-horizon ridge base alone (0 epochs).
BASE_SOURCE_LABEL = "base:ridge_per_horizon"


def _ridge_gram(X: np.ndarray, Y: np.ndarray, count: int) -> Tuple[np.ndarray, np.ndarray]:
    """Z'Z and Z'Y over rows [0, count), Z = [X 1] (model/baselines.ts gram)."""
    Z = np.hstack([X[:count], np.ones((count, 1))])
    return Z.T @ Z, Z.T @ Y[:count]


def _ridge_solve(G: np.ndarray, B: np.ndarray, alpha: float) -> Optional[np.ndarray]:
    """(G + lambda D) W = B with lambda = alpha * trace(X'X) / p and D the identity without the intercept, by
    Cholesky; None when not positive definite (model/baselines.ts solve with traceScale)."""
    p = G.shape[0] - 1
    lam = alpha * ((float(np.trace(G[:p, :p])) / max(1, p)) or 1.0)
    A = G.copy()
    A[np.arange(p), np.arange(p)] += lam
    try:
        L = np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        return None
    return np.linalg.solve(L.T, np.linalg.solve(L, B))


def fit_ridge_per_horizon(X: np.ndarray, Y: np.ndarray, train_count: int, alphas: List[float]) -> np.ndarray:
    """model/baselines.ts fitRidgePerHorizon: ridge on rows [0, train_count) of X [n, p] and Y [n, H] with a penalty
    of its own per horizon step (column h solves (Z'Z + lambda_h D) w_h = Z'y_h, lambda_h = alphas[h] * trace(X'X) /
    p, Z = [X 1], the intercept unpenalised): the direct multi-step strategy (Ben Taieb et al. 2012, Expert Syst.
    Appl. 39(8), section 2.2). Returns weights [p + 1, H] (input weights, then the intercept). Raises ValueError for
    alphas not one positive number per step, fewer than 2 rows, or a system that is not positive definite."""
    H = Y.shape[1]
    if len(alphas) != H or not all(math.isfinite(v) and v > 0 for v in alphas):
        raise ValueError(f"ridge per horizon: expected {H} positive penalties, got {alphas}")
    if train_count < 2:
        raise ValueError(f"ridge per horizon: {train_count} training rows are too few")
    G, B = _ridge_gram(X, Y, train_count)
    out = np.zeros((X.shape[1] + 1, H))
    for alpha in sorted(set(alphas)):
        W = _ridge_solve(G, B, alpha)
        if W is None:
            raise ValueError(f"ridge per horizon: the normal equations are singular at penalty {alpha}")
        cols = [h for h in range(H) if alphas[h] == alpha]
        out[:, cols] = W[:, cols]
    return out


def choose_ridge_alphas_by_block(X: np.ndarray, Y: np.ndarray, folds: List[Tuple[int, int, int]],
                                 grid: List[float] = BASE_RIDGE_ALPHAS) -> Tuple[List[float], np.ndarray]:
    """model/baselines.ts chooseRidgeAlphasByBlock: per horizon step, the penalty of `grid` whose ridge forecasts
    hold up best across the rolling-origin blocks (fitCount, from, to): each fold fits on rows [0, fitCount) and
    forecasts [from, to); a penalty's score at step h is its worst block's MSE divided by that block's best
    penalty's MSE (minimax relative regret, as choose_blends); the lowest wins, ties keep the earlier penalty.
    Returns the penalty per step and the scores [grid, H] (>= 1). Raises ValueError for no folds, a bad fold or
    an empty grid."""
    rows, H = Y.shape
    if not folds:
        raise ValueError("ridge penalty per horizon: no validation block")
    if not grid or not all(math.isfinite(v) and v > 0 for v in grid):
        raise ValueError(f"ridge penalty per horizon: the grid must hold positive penalties, got {grid}")
    for fc, f0, f1 in folds:
        if not (fc >= 2 and f0 < f1 and f0 >= 0 and f1 <= rows):
            raise ValueError(f"ridge penalty per horizon: block fit {fc}, [{f0}, {f1}) does not fit {rows} rows")
    p = X.shape[1]
    mse = np.full((len(folds), len(grid), H), np.inf)
    for k, (fc, f0, f1) in enumerate(folds):
        G, B = _ridge_gram(X, Y, fc)
        for g, alpha in enumerate(grid):
            W = _ridge_solve(G, B, alpha)
            if W is not None:
                mse[k, g] = np.mean((X[f0:f1] @ W[:p] + W[p] - Y[f0:f1]) ** 2, axis=0)
    best = mse.min(axis=1, keepdims=True)  # [folds, 1, H]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(best > 0, mse / np.where(best > 0, best, 1), np.where(mse == 0, 1.0, np.inf))
    worst = ratio.max(axis=0)  # [grid, H]
    alphas = []
    for h in range(H):
        k = 0
        for g in range(len(grid)):
            if worst[g, h] < worst[k, h] - 1e-12:
                k = g
        alphas.append(float(grid[k]))
    return alphas, worst


def holdout_metrics(ds: "Dataset", pred: np.ndarray, p10: Optional[np.ndarray] = None, p90: Optional[np.ndarray] = None) -> Tuple[Dict[str, float], Dict[str, Any]]:
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
            # per reported horizon, as model/evaluate.ts metricsRecord
            for h in REPORT_HORIZONS:
                if h > H or not ok[:, h - 1].any():
                    continue
                dh = f[ok[:, h - 1], h - 1] - truth[ok[:, h - 1], h - 1]
                metrics[f"rmse_h{h}{suffix}"] = float(math.sqrt(np.mean(dh * dh)))
    if points and p10 is not None and p90 is not None:
        y, a, m, b = truth[ok], p10.astype(np.float64)[ok], forecasts["model"][ok], p90.astype(np.float64)[ok]
        keep = np.isfinite(a) & np.isfinite(b)
        y, a, m, b = y[keep], a[keep], m[keep], b[keep]

        def pin(q: np.ndarray, tau: float) -> float:
            d = y - q
            return float(np.mean(np.where(d >= 0, tau * d, (tau - 1) * d)))

        l10, l50, l90 = pin(a, 0.1), pin(m, 0.5), pin(b, 0.9)
        metrics["pinball"] = (l10 + l50 + l90) / 3
        metrics["pinball_p10"] = l10
        metrics["pinball_p50"] = l50
        metrics["pinball_p90"] = l90
        metrics["coverage_p10_p90"] = float(np.mean((y >= a) & (y <= b)))
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


def export_onnx(model: nn.Module, path: str, steps: int, features: int, quantiles: bool = False) -> None:
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
            output_names=[ONNX_OUTPUT, ONNX_QUANTILES] if quantiles else [ONNX_OUTPUT],
            dynamic_axes={ONNX_INPUT: {0: "batch"}, ONNX_OUTPUT: {0: "batch"}, **({ONNX_QUANTILES: {0: "batch"}} if quantiles else {})},
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


def verify_onnx(path: str, X_hold: np.ndarray, reference: np.ndarray, reference_q: np.ndarray) -> Tuple[float, np.ndarray]:
    """Run the exported model in onnxruntime on the hold-out; max |onnxruntime - reference| over both outputs
    (P50 [n, H] and quantiles [n, 3, H]) and the P50 outputs."""
    import onnxruntime as ort  # only needed here

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = ([i.name for i in sess.get_inputs()], [o.name for o in sess.get_outputs()])
    if names != ([ONNX_INPUT], [ONNX_OUTPUT, ONNX_QUANTILES]):
        raise SystemExit(f"train.py: {path} has inputs/outputs {names}, expected ([{ONNX_INPUT}], [{ONNX_OUTPUT}, {ONNX_QUANTILES}])")
    outs, qs = [], []
    for i in range(0, X_hold.shape[0], 4096):
        o, q = sess.run([ONNX_OUTPUT, ONNX_QUANTILES], {ONNX_INPUT: X_hold[i:i + 4096]})
        outs.append(o)
        qs.append(q)
    got, got_q = np.concatenate(outs, axis=0), np.concatenate(qs, axis=0)
    # batch 1 too: the batch dimension must really be dynamic
    one = sess.run([ONNX_OUTPUT], {ONNX_INPUT: X_hold[:1]})[0]
    diff = max(float(np.max(np.abs(got - reference))), float(np.max(np.abs(got_q - reference_q))), float(np.max(np.abs(one - reference[:1]))))
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
    ap.add_argument("--epochs", type=int, default=6, help="default 6 (early stopping on the validation slice keeps the best, 0 = the base alone)")
    ap.add_argument("--batch-size", type=int, default=64, help="default 64")
    ap.add_argument("--lr", default="0.003,0.001", help="Adam learning rate(s) of the first epoch, comma-separated; the best on the validation slice is kept (default 0.003,0.001)")
    ap.add_argument("--lr-final", type=float, default=0.1,
                    help="learning rate of the last epoch as a fraction of --lr, linear decay from epoch 1 (default 0.1; 1 = constant)")
    ap.add_argument("--loss", choices=["pinball", "huber", "mse"], default="pinball", help="loss of the P50 term (default pinball: the median); P10/P90 always use pinball loss")
    ap.add_argument("--huber-delta", type=float, default=0.5, help="Huber loss: quadratic within this many scaled units (default 0.5)")
    ap.add_argument("--target", choices=["ridge", "delta", "level"], default="ridge",
                    help="the linear base the network corrects, added back inside the ONNX graph: ridge (default), delta (the last value) or level (none)")
    ap.add_argument("--base-penalty", choices=BASE_PENALTIES, default="per-horizon",
                    help="the ridge penalty of the network's linear base (--target ridge): per-horizon (default, as sda train: one per "
                    "step ahead from BASE_RIDGE_ALPHAS, chosen by the worst rolling-origin block; the ridge baseline is unchanged) "
                    "or shared (the ridge baseline itself)")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--folds", type=int, default=3,
                    help="rolling-origin validation blocks (10%% of the training samples each, the latest; each forecast by models fitted only before it); 1 = one slice of the latest 20%% (default 3, as sda train)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads for torch (default: torch's choice)")
    ap.add_argument("--promote", action="store_true", help="point <registry>/current at the new version")
    ap.add_argument("--git-commit", default=None, help="commit recorded in metadata (default $SDA_GIT_COMMIT, $GIT_COMMIT, else unknown)")
    ap.add_argument("--verify-onnx", action="store_true",
                    help="run the exported model in onnxruntime on the hold-out and fail unless it matches torch (needs onnxruntime)")
    ap.add_argument("--no-online-band", action="store_true",
                    help="write no metadata.onlineBand (the forecaster then serves the static band only); default: model/online-band.ts ONLINE_BAND_DEFAULTS")
    ap.add_argument("--summary", default=None, help="also write a JSON summary (version, dir, metrics, losses) to this file")
    a = ap.parse_args(argv)
    for k in ("units", "layers", "epochs", "batch_size"):
        if getattr(a, k) < 1:
            ap.error(f"--{k.replace('_', '-')} must be a positive integer")
    try:
        a.lrs = [float(v) for v in str(a.lr).split(",") if v.strip()]
    except ValueError:
        ap.error("--lr must be comma-separated numbers, e.g. 0.003,0.001")
    if not a.lrs or len(a.lrs) > 4 or not all(v > 0 for v in a.lrs):
        ap.error("--lr must be 1 to 4 positive rates")
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

    H, steps, F, tc = ds.horizon, ds.steps, ds.features, ds.train_count
    P = steps * F
    vi = ds.value_index
    X2 = ds.X.reshape(ds.n, -1).astype(np.float64)
    y64 = ds.y.astype(np.float64)
    # Rolling origins (model/rolling-origin.ts, model/train.ts trainQuantileModel): the latest 3 blocks of 10% of the
    # training samples, each forecast by a ridge and a network fitted only on the samples before it; one slice (the
    # latest 20%) when a block would span under 3 days.
    step_ms = int(ds.header["target"]["stepMs"])
    ends = np.asarray(ds.header["windowEnds"], dtype=np.int64)
    folds = rolling_origins(ends, tc, H * step_ms, a.folds)
    fit = folds[-1][0]
    if fit < 2 or folds[-1][2] - folds[-1][1] < 1:
        print(f"train.py: too few training samples ({tc}) for a validation slice at horizon {H}", file=sys.stderr)
        return 2
    per_day = max(1, round(86_400_000 / step_ms))
    seasonal_index = [seasonal_naive_index(h + 1, per_day, steps) for h in range(H)]

    # --base-penalty per-horizon (model/train.ts trainQuantileModel): the base's ridge penalty per step, chosen on the
    # rolling-origin blocks (the ridge baseline keeps its one penalty).
    base_alphas: Optional[List[float]] = None
    if a.base_penalty == "per-horizon" and a.target == "ridge":
        base_alphas, _ = choose_ridge_alphas_by_block(X2, y64, folds)
        log(f"linear base: ridge with a penalty per step, chosen on the validation blocks: {' '.join(f'{v:g}' for v in base_alphas)}")

    def fold_spec(fit_count: int) -> Tuple[Dict[str, Any], float]:
        W, alpha = fit_ridge(X2, y64, fit_count)
        sp: Dict[str, Any] = {
            "ridgeW": W[:-1], "ridgeB": W[-1], "seasonalIndex": seasonal_index,
            "onehot": np.vstack([np.ones(H), np.zeros((3, H))]), "cLo": np.zeros(H), "cHi": np.zeros(H), "shrink": np.ones(H),
        }
        if a.target == "ridge" and base_alphas is not None:
            Wb = fit_ridge_per_horizon(X2, y64, fit_count, base_alphas)
            sp["baseW"], sp["baseB"] = Wb[:-1], Wb[-1]
        elif a.target == "ridge":
            sp["baseW"], sp["baseB"] = sp["ridgeW"], sp["ridgeB"]
        elif a.target == "delta":
            bw = np.zeros((P, H))
            bw[(steps - 1) * F + vi, :] = 1.0
            sp["baseW"], sp["baseB"] = bw, np.zeros(H)
        else:
            sp["baseW"], sp["baseB"] = np.zeros((P, H)), np.zeros(H)
        return sp, alpha

    X_all = torch.from_numpy(np.ascontiguousarray(ds.X)).to(device)
    loss_label = {"pinball": "pinball 0.5", "huber": f"huber (delta {a.huber_delta:g})", "mse": "mse"}[a.loss]
    loss_label = f"quantile network: P50 {loss_label} + pinball 0.1 (P50 - softplus(a)) + pinball 0.9 (P50 + softplus(b)), scaled target"
    log(f"target {a.target} (the network learns the scaled target minus the base), loss {loss_label}, Adam lr {','.join(f'{v:g}' for v in a.lrs)} → x{a.lr_final:g}, "
        f"batch {a.batch_size}, LSTM {a.layers} x {a.units}, horizon {H} x P10/P50/P90")
    if len(folds) > 1:
        log(f"validation: rolling origin, {len(folds)} blocks (fit/validate samples {', '.join(f'{f}/{t - s0}' for f, s0, t in folds)}); hold-out untouched")
    else:
        log(f"validation: fit on {fit} samples, validate on {tc - fit} (the latest 20% of training by time); hold-out untouched")

    def train(lr0: float, epochs: int, count: int, R_all: torch.Tensor, val: Optional[Tuple[int, int]], block: Optional[Tuple[int, int]],
              final_fraction: float) -> Tuple[QuantileNet, Dict[str, Any]]:
        """Train on samples [0, count) against R_all; with val = (from, to), early-stop on the P50 MSE there (epoch 0 =
        the base alone); with block = (from, to), keep the raw output there after every epoch (index 0 = untrained)."""
        torch.manual_seed(a.seed)
        net = QuantileNet(F, a.units, a.layers, H).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=lr0)
        gen = torch.Generator(device="cpu")
        gen.manual_seed(a.seed)
        info: Dict[str, Any] = {"loss": [], "val": [], "seconds": [], "lr": [], "perEpoch": []}

        def val_mse() -> float:
            net.eval()
            with torch.no_grad():
                d = net(X_all[val[0]:val[1]])[:, :H] - R_all[val[0]:val[1]]
            return float((d.double() ** 2).mean().item())

        def keep_block() -> None:
            if block is not None:
                net.eval()
                with torch.no_grad():
                    info["perEpoch"].append(net(X_all[block[0]:block[1]]).double().cpu().numpy())

        keep_block()
        best = (0, val_mse() if val else float("inf"), {k: v.detach().clone() for k, v in net.state_dict().items()})
        for epoch in range(1, epochs + 1):
            lr = lr_at(lr0, final_fraction, epoch, epochs)
            for g in opt.param_groups:
                g["lr"] = lr
            info["lr"].append(lr)
            net.train()
            sync(device)
            t0 = time.perf_counter()
            perm = torch.randperm(count, generator=gen).to(device)
            total = torch.zeros((), dtype=torch.float64, device=device)
            for i in range(0, count, a.batch_size):
                idx = perm[i:i + a.batch_size]
                opt.zero_grad(set_to_none=True)
                loss = quantile_loss(net(X_all[idx]), R_all[idx], H, a.loss, a.huber_delta)
                loss.backward()
                opt.step()
                total += loss.detach().double() * idx.shape[0]
            train_loss = float(total.item()) / count
            if not math.isfinite(train_loss):
                raise SystemExit(f"train.py: training diverged (loss {train_loss} at epoch {epoch}); try a smaller --lr")
            sync(device)
            secs = time.perf_counter() - t0
            v = val_mse() if val else float("nan")
            keep_block()
            info["loss"].append(train_loss)
            info["val"].append(v)
            info["seconds"].append(secs)
            log(f"lr {lr0:g} epoch {epoch}/{epochs}: loss {train_loss:.6f}, " + (f"validation loss {v:.6f}, " if val else "") + f"{secs:.2f} s (lr {lr:.6g})")
            if val and v < best[1]:
                best = (epoch, v, {k: t.detach().clone() for k, t in net.state_dict().items()})
        if val:
            net.load_state_dict(best[2])
            info["bestEpoch"], info["bestLoss"] = best[0], best[1]
        return net, info

    # Per fold, the newest first: it tries every learning rate; the older folds train with the one it chose.
    fold_out: List[Dict[str, Any]] = [{} for _ in folds]
    runs: List[Tuple[float, float, QuantileNet, Dict[str, Any]]] = []
    chosen_lr = a.lrs[0]
    info: Dict[str, Any] = {}
    for k in range(len(folds) - 1, -1, -1):
        fk, b0, b1 = folds[k]
        sp, alpha = fold_spec(fk)
        resid = (y64[:b1] - (X2[:b1] @ sp["baseW"] + sp["baseB"])).astype(np.float32)
        R_k = torch.from_numpy(np.ascontiguousarray(resid)).to(device)
        log(f"fold {k + 1}/{len(folds)}: fit on {fk}, validate on samples {b0}..{b1 - 1}; ridge alpha {alpha}")
        best_run = None
        for lr0 in (a.lrs if k == len(folds) - 1 else [chosen_lr]):
            net, inf = train(lr0, a.epochs, fk, R_k, (fk, b1), (b0, b1), a.lr_final)
            log(f"fold {k + 1} lr {lr0:g}: best validation P50 MSE {inf['bestLoss']:.6f} after epoch {inf['bestEpoch']}")
            if k == len(folds) - 1:
                runs.append((inf["bestLoss"], lr0, net, inf))
            if best_run is None or inf["bestLoss"] < best_run[0]:
                best_run = (inf["bestLoss"], lr0, net, inf)
        if k == len(folds) - 1:
            chosen_lr, info = best_run[1], best_run[3]
        fold_out[k] = {"spec": sp, "from": b0, "to": b1, "perEpoch": best_run[3]["perEpoch"], "bestEpoch": int(best_run[3]["bestEpoch"])}
    # The refit's epoch count: the median (lower) of the folds' best epochs; each block's forecasts are taken from
    # its network after that many epochs.
    best_epochs = sorted(fo["bestEpoch"] for fo in fold_out)
    best_epoch = best_epochs[(len(best_epochs) - 1) // 2]
    log(f"best epochs per fold {', '.join(str(fo['bestEpoch']) for fo in fold_out)}; the refit trains {best_epoch}")
    for fo in fold_out:
        fo["raw"] = fo["perEpoch"][min(best_epoch, len(fo["perEpoch"]) - 1)]

    # Per-horizon shrinkage, sources and band offsets on the pooled blocks (scaled units).
    block_sizes = [fo["to"] - fo["from"] for fo in fold_out]
    raw_val = np.concatenate([fo["raw"] for fo in fold_out])
    yv = np.concatenate([y64[fo["from"]:fo["to"]] for fo in fold_out])
    Xv = np.concatenate([X2[fo["from"]:fo["to"]] for fo in fold_out])
    base_v = np.concatenate([X2[fo["from"]:fo["to"]] @ fo["spec"]["baseW"] + fo["spec"]["baseB"] for fo in fold_out])
    ridge_v = np.concatenate([X2[fo["from"]:fo["to"]] @ fo["spec"]["ridgeW"] + fo["spec"]["ridgeB"] for fo in fold_out])
    m = raw_val[:, :H]
    den = (m * m).sum(axis=0)
    shrink = np.where(den > 0, np.clip((m * (yv - base_v)).sum(axis=0) / np.where(den > 0, den, 1), 0, 1), 0.0)
    rows_v = np.concatenate([np.arange(fo["from"], fo["to"]) for fo in fold_out])
    lw_raw = ds.baselines[BASELINE_KEYS[2]][rows_v].astype(np.float64) if ds.baselines is not None else np.full_like(yv, np.nan)
    seas = ds.X[rows_v][:, np.maximum(0, np.asarray(seasonal_index)), vi].astype(np.float64)
    seas[:, np.asarray(seasonal_index) < 0] = np.nan
    cand = {
        "lstm": base_v + shrink * m,
        "baseline:ridge": ridge_v,
        "baseline:naive_last": np.repeat(Xv[:, (steps - 1) * F + vi][:, None], H, axis=1),
        "baseline:same_hour_yesterday": seas,
        # As served: clipped into the value input's range (clip_last_week, model/last-week.ts lastWeekStep).
        LAST_WEEK_SOURCE: (clip_last_week(lw_raw, ds.value_clip) - ds.target_mean) / ds.target_std,
    }
    # The level-adjusted last week (model/last-week.ts, model/train.ts trainQuantileModel): its rule (median or mean)
    # and L chosen jointly (choose_level_slots: the grid LEVEL_RULE_ORDER x LEVEL_SLOT_CHOICES) by its own MSE over
    # every validation point and horizon where every choice is known, clipped as served (ties keep the median, then
    # the smaller L), then offered as one more source, after plain last week (the candidates' order is chooseBlends').
    wc_val = ds.week_change[rows_v] if ds.week_change is not None else None
    level_choice = choose_level_slots(wc_val, lw_raw, yv, ds.target_mean, ds.target_std, ds.value_clip)
    level_slots = level_choice[0] if level_choice is not None else 0
    level_rule = level_choice[1] if level_choice is not None else "mean"
    level_v = weekly_level(wc_val, level_slots, level_rule) if level_choice is not None else None  # [count], target unit
    if level_choice is not None:
        cand[LAST_WEEK_LEVEL_SOURCE] = (clip_last_week(lw_raw + level_v[:, None], ds.value_clip) - ds.target_mean) / ds.target_std
        per_rule = "; ".join(rule + " " + ", ".join(f"{L} {r:.4f}" for rr, L, r in level_choice[2] if rr == rule) for rule in LEVEL_RULE_ORDER)
        log(f"level-adjusted last week: L = {level_slots} slots, rule {level_rule} (validation RMSE of the source alone, scaled, per rule and L: "
            + per_rule + f"; ties keep the median), level = the {level_rule} of the week-over-week changes")
    # A network trained for 0 epochs is its linear base, served under the base's own name; a base with a penalty per
    # step is not the ridge baseline, so it is offered, labelled BASE_SOURCE_LABEL (model/train.ts).
    offered = [k for k in cand if best_epoch > 0 or base_alphas is not None or k != "lstm"]

    def label(ca: str, cb: Optional[str], cw: float) -> str:
        if best_epoch == 0 and base_alphas is not None:
            ca = BASE_SOURCE_LABEL if ca == "lstm" else ca
            cb = BASE_SOURCE_LABEL if cb == "lstm" else cb
        return blend_label(ca, cb, cw)

    # Known limitation (model/last-week.ts lastWeekClip): a blend of plain and level-adjusted last week is scored on
    # w * clip(lw) + (1 - w) * clip(lw + level) but served as clip(lw + (1 - w) * level); they differ where the clip
    # binds. The hold-out below is on the served value.
    blends = choose_blends({k: cand[k] for k in offered}, yv, block_sizes)
    graph_only = choose_blends({k: cand[k] for k in GRAPH_SOURCES if k in offered}, yv, block_sizes)
    weights = np.zeros((len(GRAPH_SOURCES), H))
    lw_weight = [0.0] * H
    # Per horizon, the share of the level in the last-week value (metadata.lastWeekLevel.weight; model/train.ts).
    level_weight = [0.0] * H
    step_sources: List[str] = []
    graph_sources: List[str] = []

    def is_last_week(k: Optional[str]) -> bool:
        return k == LAST_WEEK_SOURCE or k == LAST_WEEK_LEVEL_SOURCE

    for h, (ca, cb, cw) in enumerate(blends):
        step_sources.append(label(ca, cb, cw))
        # Both parts last-week sources (plain and level-adjusted): last week alone with part of the level.
        lw_in = 1.0 if is_last_week(ca) and (cb is None or is_last_week(cb)) else cw if is_last_week(ca) else (1 - cw) if is_last_week(cb) else 0.0
        level_share = (cw if ca == LAST_WEEK_LEVEL_SOURCE else 0.0) + ((1 - cw) if cb == LAST_WEEK_LEVEL_SOURCE else 0.0)
        level_weight[h] = min(1.0, level_share / lw_in) if lw_in > 0 else 0.0
        if lw_in == 0:
            weights[GRAPH_SOURCES.index(ca), h] += cw
            if cb is not None:
                weights[GRAPH_SOURCES.index(cb), h] += 1 - cw
            graph_sources.append(label(ca, cb, cw))
        elif lw_in == 1:
            ga, gb, gw = graph_only[h]
            weights[GRAPH_SOURCES.index(ga), h] += gw
            if gb is not None:
                weights[GRAPH_SOURCES.index(gb), h] += 1 - gw
            graph_sources.append(label(ga, gb, gw))
        else:
            other = cb if is_last_week(ca) else ca
            weights[GRAPH_SOURCES.index(other), h] += 1.0
            graph_sources.append(label(other, None, 1.0))
        lw_weight[h] = float(lw_in)
    tail = (1 - (QUANTILES[2] - QUANTILES[0])) / 2
    # Each block's uncalibrated served forecast from its own fold's linear parts and network; the band offsets per
    # block (split conformal), the widest kept (model/quantile.ts conformalOffsetsByBlock, rule max).
    c_lo, c_hi = np.full(H, -np.inf), np.full(H, -np.inf)
    below, above = [0.0] * H, [0.0] * H
    uncal_lo, uncal_hi = [], []
    start = 0
    for fo in fold_out:
        n_b = fo["to"] - fo["from"]
        sl = slice(start, start + n_b)
        p10b, p50b, p90b = served_numpy({**fo["spec"], "onehot": weights, "shrink": shrink, "cLo": np.zeros(H), "cHi": np.zeros(H)},
                                        X2[fo["from"]:fo["to"]], fo["raw"], steps, F, vi)
        yb = yv[sl]
        lo, hi = p50b - p10b, p90b - p50b
        uncal_lo.append(lo)
        uncal_hi.append(hi)
        c_lo = np.maximum(c_lo, np.nan_to_num(np.array([conformal_quantile(p50b[:, h] - yb[:, h] - lo[:, h], 1 - tail) for h in range(H)])))
        c_hi = np.maximum(c_hi, np.nan_to_num(np.array([conformal_quantile(yb[:, h] - p50b[:, h] - hi[:, h], 1 - tail) for h in range(H)])))
        for h in range(H):
            if lw_weight[h] == 0:
                continue
            # As served (last_week_value, then the clip): last week plus k level, clipped, then scaled (model/train.ts
            # servedVal; the clip breaks the mix (1 - k) scaled(last week) + k scaled(last week + level) where it binds).
            k_lvl = level_weight[h]
            raw_b = lw_raw[sl, h] + k_lvl * (level_v[sl] if level_v is not None else np.nan) if k_lvl > 0 else lw_raw[sl, h]
            lwb = (clip_last_week(raw_b, ds.value_clip) - ds.target_mean) / ds.target_std
            okh = np.isfinite(lwb)
            served_v = lw_weight[h] * lwb[okh] + (1 - lw_weight[h]) * p50b[okh, h]
            r = (yb[okh, h] - served_v) * ds.target_std
            below[h] = max(below[h], float(np.nan_to_num(conformal_quantile(-r, 1 - tail))))
            above[h] = max(above[h], float(np.nan_to_num(conformal_quantile(r, 1 - tail))))
        start += n_b
    spec: Dict[str, Any] = {**fold_out[-1]["spec"], "onehot": weights, "shrink": shrink, "cLo": c_lo, "cHi": c_hi}
    # The online band's fallback offsets (model/online-band.ts medianBandOffsets): per step, the static band's median
    # distance below / above the served value on the validation blocks, in the target unit (a last-week step: its band).
    all_lo, all_hi = np.vstack(uncal_lo), np.vstack(uncal_hi)
    online_trained: Dict[str, List[float]] = {"below": [], "above": []}
    for h in range(H):
        if lw_weight[h] > 0:
            online_trained["below"].append(float(below[h]))
            online_trained["above"].append(float(above[h]))
            continue
        for key, arr, c in (("below", all_lo, c_lo), ("above", all_hi, c_hi)):
            d = np.maximum(0.0, arr[:, h] + c[h])
            d = d[np.isfinite(d)]
            online_trained[key].append(float(np.median(d)) * ds.target_std if d.size else 0.0)

    # Refit ridge and the network (best epoch count) on every training sample.
    full, alpha_full = fold_spec(tc)
    for key in ("ridgeW", "ridgeB", "baseW", "baseB"):
        spec[key] = full[key]
    resid = (y64[:tc] - (X2[:tc] @ spec["baseW"] + spec["baseB"])).astype(np.float32)
    R_all = torch.from_numpy(np.ascontiguousarray(resid)).to(device)
    refit_fraction = 1 - (1 - a.lr_final) * ((best_epoch - 1) / (a.epochs - 1)) if a.epochs > 1 and best_epoch > 0 else 1.0
    if best_epoch > 0:
        log(f"refit on all {tc} training samples for {best_epoch} epoch(s), lr {chosen_lr:g}")
        final_net, refit_info = train(chosen_lr, best_epoch, tc, R_all, None, None, refit_fraction)
    else:
        log("refit: the best epoch count is 0, so the network stays at zero and the linear base serves alone")
        torch.manual_seed(a.seed)
        final_net, refit_info = QuantileNet(F, a.units, a.layers, H).to(device), {"seconds": []}
    losses, hold_losses, epoch_seconds, lr_per_epoch = info["loss"], info["val"], info["seconds"], info["lr"]

    served = ServedForecaster(final_net.cpu(), spec, steps, F, H, vi).eval()
    X_hold = np.ascontiguousarray(ds.X[tc:])
    with torch.no_grad():
        p50_t, q_t = served(torch.from_numpy(X_hold))
    pred_scaled, q_scaled = p50_t.numpy(), q_t.numpy()
    device_pred = None
    if device.type != "cpu":
        served_dev = ServedForecaster(QuantileNet(F, a.units, a.layers, H), spec, steps, F, H, vi)
        served_dev.net.load_state_dict(final_net.state_dict())
        served_dev = served_dev.to(device).eval()
        with torch.no_grad():
            device_pred = served_dev(X_all[tc:])[0].float().cpu().numpy()
    pred = ds.unscale_target(pred_scaled)
    p10 = ds.unscale_target(q_scaled[:, 0, :])
    p90 = ds.unscale_target(q_scaled[:, 2, :])
    last_week_level = {"slots": level_slots, "weight": level_weight, "rule": level_rule} if level_choice is not None and any(k > 0 for k in level_weight) else None
    if ds.baselines is not None and any(w > 0 for w in lw_weight):
        # As served (model/train.ts applyLastWeek, model/last-week.ts lastWeekValue and lastWeekStep): last week's value
        # plus its share of the level, clipped into the value input's range, blended with the graph's P50.
        lw_hold = ds.baselines[BASELINE_KEYS[2]][tc:].astype(np.float64)
        level_hold = weekly_level(ds.week_change[tc:], level_slots, level_rule) if last_week_level is not None else None
        for h, w in enumerate(lw_weight):
            if w <= 0:
                continue
            v = last_week_value(lw_hold[:, h], level_weight[h] if last_week_level is not None else 0.0, level_hold)
            okh = np.isfinite(v)
            seen = clip_last_week(v[okh], ds.value_clip)
            served_v = w * seen + (1 - w) * pred[okh, h]
            pred[okh, h] = served_v
            p10[okh, h] = served_v - below[h]
            p90[okh, h] = served_v + above[h]
    metrics, metric_details = holdout_metrics(ds, pred, p10, p90)
    if not a.no_online_band:
        # The band scored here is the static one (the conformal offsets); the forecaster serves the online band
        # (metadata.onlineBand), whose scores `sda train` records under pinball / coverage_p10_p90. This trainer does
        # not run the online band over the hold-out, so its static scores go under the names sda train gives the
        # static band (pinball_static, coverage_p10_p90_static; P10/P90 pinball too) and the served band's are left
        # to `sda train evaluate --model VERSION`. The P50's pinball is the same for both bands.
        for k in ("pinball", "coverage_p10_p90", "pinball_p10", "pinball_p90"):
            if k in metrics:
                metrics[f"{k}_static"] = metrics.pop(k)
    log("hold-out: " + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items()) + f" (ridge alpha {metric_details['ridgeAlpha']})")
    log("step sources: " + describe_sources(step_sources))
    cpu_model = served

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
    export_onnx(cpu_model, onnx_path, ds.steps, ds.features, quantiles=True)
    export_secs = time.perf_counter() - t0

    verify: Dict[str, float] = {}
    if a.verify_onnx:
        diff, ort_scaled = verify_onnx(onnx_path, X_hold, pred_scaled, q_scaled)
        truth = ds.unscale_target(ds.y[ds.train_count:])
        ok = np.isfinite(truth)
        rmse_of = lambda p: float(math.sqrt(np.mean((p[ok] - truth[ok]) ** 2)))  # noqa: E731
        ort_rmse, torch_rmse = rmse_of(ds.unscale_target(ort_scaled)), rmse_of(ds.unscale_target(pred_scaled))
        verify = {"maxAbsDiffVsTorchCpu": diff, "rmseOnnxruntime": ort_rmse, "rmseTorch": torch_rmse}
        log(f"onnxruntime on the hold-out: max |onnxruntime - torch cpu| = {diff:.3e} (scaled, both outputs); "
            f"rmse of the graph's P50 over all hold-out points: onnxruntime {ort_rmse:.6f}, torch {torch_rmse:.6f}")
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
            "horizon": ds.horizon, "recurrentActivation": "sigmoid", "quantiles": QUANTILES,
        },
        "stepSources": step_sources,
        **({"lastWeekWeight": lw_weight, "lastWeekBand": {"below": below, "above": above}} if any(w > 0 for w in lw_weight) else {}),
        **({"lastWeekLevel": last_week_level} if last_week_level is not None else {}),
        **({} if a.no_online_band else {"onlineBand": {**ONLINE_BAND_DEFAULTS, "trained": online_trained}}),
        "target": h["target"],
        "featureOrder": h["featureOrder"],
        "scaler": h["scaler"],
        "trainingRange": h["trainingRange"],
        "holdoutRange": h["holdoutRange"],
        "metrics": metrics,
        "gitCommit": git_commit(a.git_commit),
        "onnx": {"file": MODEL_FILE, "input": ONNX_INPUT, "output": ONNX_OUTPUT, "opset": ONNX_OPSET, "quantiles": ONNX_QUANTILES},
        "training": {
            "epochs": a.epochs,
            "bestEpoch": best_epoch,
            "batchSize": a.batch_size,
            "learningRate": chosen_lr,
            "learningRatesTried": [{"learningRate": r[1], "validationMse": r[0], "bestEpoch": r[3]["bestEpoch"]} for r in sorted(runs, key=lambda r: a.lrs.index(r[1]))],
            "finalLrFraction": a.lr_final,
            "learningRatePerEpoch": lr_per_epoch,
            "optimizer": "adam",
            "loss": loss_label,
            "target": {
                "ridge": "ridge: the network learns the scaled target minus a ridge forecast from the same window; model.onnx adds the ridge back (model/served-graph.ts)",
                "delta": "delta: the network learns the scaled target minus the scaled value at the last step; model.onnx adds it back",
                "level": "level",
            }[a.target],
            "validation": (f"rolling origin: {len(folds)} blocks of the latest training samples ({sum(block_sizes)} in all), each forecast by a ridge and a network fitted only on the samples before it; the newest block chose the learning rate, every block early-stopped its own network, and the pooled blocks chose the per-horizon sources (worst block relative to its best single source), the shrinkage and the conformal band (widest block); the refit trains for the median of the blocks' best epochs; never the hold-out"
                           if len(folds) > 1 else f"the last 20% of the training samples by time ({tc - fit} samples): early stopping, learning rate, per-horizon source, shrinkage and conformal band calibration; never the hold-out"),
            "rollingOrigin": [{"fitSamples": fo_fit, "validationSamples": fo_to - fo_from, "bestEpoch": fo["bestEpoch"]} for (fo_fit, fo_from, fo_to), fo in zip(folds, fold_out)],
            "refitEpochs": best_epoch,
            "graphSources": graph_sources,
            "sourceWeights": {k: [float(v) for v in weights[i]] for i, k in enumerate(GRAPH_SOURCES)},
            "shrink": [float(v) for v in spec["shrink"]],
            "conformal": {"cLo": [float(v) for v in spec["cLo"]], "cHi": [float(v) for v in spec["cHi"]]},
            "fitSamples": fit,
            "refitEpochSeconds": refit_info["seconds"],
            "seed": a.seed,
            "device": device_label(device),
            "torchVersion": torch.__version__,
            "samples": ds.n,
            "trainSamples": ds.train_count,
            "holdoutSamples": n_hold,
            "lossPerEpoch": losses,
            "validationLossPerEpoch": hold_losses,
            "epochSeconds": epoch_seconds,
            "onnxExportSeconds": export_secs,
            "ridgeAlpha": metric_details["ridgeAlpha"],
            "ridgeAlphaBase": alpha_full,
            **({"basePenalty": "per-horizon", "baseRidgeAlphas": base_alphas} if base_alphas is not None else {}),
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
            json.dump({"version": version, "dir": final, "device": device_label(device), "target": a.target, "stepSources": step_sources,
                       "loss": loss_label, "metrics": metrics,
                       **({"lastWeekLevelChoice": {"slots": level_choice[0], "rule": level_choice[1], "scores": [{"rule": rule, "slots": L, "rmse": r} for rule, L, r in level_choice[2]]}} if level_choice is not None else {}),
                       **({"lastWeekLevel": last_week_level} if last_week_level is not None else {}),
                       "lossPerEpoch": losses, "epochSeconds": epoch_seconds, "onnx": verify}, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

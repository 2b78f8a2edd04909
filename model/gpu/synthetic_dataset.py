#!/usr/bin/env python3
"""Write a synthetic dataset directory in the exporter's format (model/dataset.ts), for timing and GPU checks
on hosts without Node or without market data. It is learnable (a daily and weekly cycle with autocorrelated
noise, plus load/wind/solar context) but it is not market data: report figures from it as synthetic.

  python3 model/gpu/synthetic_dataset.py --out /tmp/ds --n 10000 --horizon 24
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys

import numpy as np

SEQUENCE_FEATURES = [
    "value", "missing", "hour_sin", "hour_cos", "dow_sin", "dow_cos", "is_holiday",
    "system_load", "wind", "solar", "net_load",
]
UNSCALED = {"missing", "hour_sin", "hour_cos", "dow_sin", "dow_cos", "is_holiday"}
HOUR_MS = 3_600_000


def iso(ms: int) -> str:
    t = _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def write(out: str, n: int, steps: int, horizon: int, holdout: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    length = n + steps + horizon
    start = 1_735_689_600_000  # 2025-01-01T00:00Z
    t = start + np.arange(length, dtype=np.int64) * HOUR_MS  # step start times
    hours = ((t // HOUR_MS) % 24).astype(np.float64)
    dow = (((t // 86_400_000) + 3) % 7).astype(np.float64)  # 1970-01-01 was a Thursday (dow 4, Sunday = 0)
    noise = np.zeros(length)
    eps = rng.normal(0, 3.0, length)
    for i in range(1, length):
        noise[i] = 0.8 * noise[i - 1] + eps[i]
    load = 50_000 + 12_000 * np.sin(2 * np.pi * (hours - 9) / 24) + 3_000 * np.cos(2 * np.pi * dow / 7) + rng.normal(0, 800, length)
    wind = np.clip(15_000 + 6_000 * np.sin(2 * np.pi * (hours + 6) / 24) + rng.normal(0, 2_000, length), 0, None)
    solar = np.clip(12_000 * np.sin(np.pi * (hours - 6) / 12), 0, None) * (hours >= 6) * (hours <= 18)
    net = load - wind - solar
    value = 25 + 0.0012 * (net - 30_000) + noise  # $/MWh, follows net load

    F = len(SEQUENCE_FEATURES)
    win = np.lib.stride_tricks.sliding_window_view  # [n, steps] views, sample s covers steps s .. s+steps-1
    last = np.arange(n) + steps - 1  # window-level context: the window end's values, at every step
    raw = np.zeros((n, steps, F), dtype=np.float64)
    raw[:, :, 0] = win(value, steps)[:n]
    raw[:, :, 2] = np.sin(2 * np.pi * win(hours, steps)[:n] / 24)
    raw[:, :, 3] = np.cos(2 * np.pi * win(hours, steps)[:n] / 24)
    for f, col in ((4, np.sin(2 * np.pi * dow / 7)), (5, np.cos(2 * np.pi * dow / 7)), (7, load), (8, wind), (9, solar), (10, net)):
        raw[:, :, f] = col[last][:, None]
    y = win(value[steps:], horizon)[:n].astype(np.float64)
    ends = t[last] + HOUR_MS
    train = int(round(n * (1 - holdout)))
    if not 0 < train < n:
        raise SystemExit("synthetic_dataset.py: the split leaves no training or no hold-out samples")
    tm, ts = float(np.mean(y[:train, 0])), float(np.std(y[:train, 0], ddof=1))
    scaler_f = []
    for f, name in enumerate(SEQUENCE_FEATURES):
        if name == "value":
            scaler_f.append({"mean": tm, "std": ts})
        elif name in UNSCALED:
            scaler_f.append({"mean": 0.0, "std": 1.0})
        else:
            col = raw[:train, steps - 1, f]
            sd = float(np.std(col, ddof=1))
            scaler_f.append({"mean": float(np.mean(col)), "std": sd if sd > 1e-9 else 1.0})
    X = np.empty_like(raw)
    for f, s in enumerate(scaler_f):
        X[:, :, f] = (raw[:, :, f] - s["mean"]) / s["std"]
    naive = np.repeat(raw[:, -1, 0][:, None], horizon, axis=1)
    target_idx = np.arange(n)[:, None] + steps + np.arange(horizon)[None, :]  # index of each target in `value`
    yesterday = np.where(target_idx >= 24, value[np.maximum(target_idx - 24, 0)], np.nan)
    lastweek = np.where(target_idx >= 168, value[np.maximum(target_idx - 168, 0)], np.nan)
    os.makedirs(out, exist_ok=True)
    X.astype("<f4").tofile(os.path.join(out, "X.f32"))
    ((y - tm) / ts).astype("<f4").tofile(os.path.join(out, "y.f32"))
    np.stack([naive, yesterday, lastweek]).astype("<f4").tofile(os.path.join(out, "baselines.f32"))
    header = {
        "formatVersion": 1,
        "featureOrder": SEQUENCE_FEATURES,
        "steps": steps,
        "features": F,
        "horizon": horizon,
        "n": n,
        "trainCount": train,
        "seriesIds": ["SYNTHETIC"] * n,
        "windowEnds": [int(e) for e in ends],
        "scaler": {"features": scaler_f, "target": {"mean": tm, "std": ts}},
        "target": {"market": "SYNTHETIC", "kind": "RT_PRICE", "seriesIds": ["SYNTHETIC"], "stepMs": HOUR_MS, "unit": "USD/MWh"},
        "trainingRange": {"from": iso(int(ends[0])), "to": iso(int(ends[train - 1]))},
        "holdoutRange": {"from": iso(int(ends[train])), "to": iso(int(ends[-1]))},
    }
    with open(os.path.join(out, "dataset.json"), "w", encoding="utf-8") as f:
        json.dump(header, f)
        f.write("\n")


def main() -> int:
    ap = argparse.ArgumentParser(description="Write a synthetic (not market) dataset directory for train.py.")
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=10_000, help="samples (default 10000)")
    ap.add_argument("--steps", type=int, default=24)
    ap.add_argument("--horizon", type=int, default=24)
    ap.add_argument("--holdout", type=float, default=0.2, help="hold-out fraction (default 0.2)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.n < 2 or a.steps < 1 or a.horizon < 1 or not 0 < a.holdout < 1:
        ap.error("need n >= 2, steps >= 1, horizon >= 1 and 0 < holdout < 1")
    write(a.out, a.n, a.steps, a.horizon, a.holdout, a.seed)
    print(f"wrote {a.out}: {a.n} samples x {a.steps} steps x {len(SEQUENCE_FEATURES)} features, horizon {a.horizon} (synthetic)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

// The served quantile forecaster: the bare network (input → raw [batch, 3·H]: the P50 residual m, and the band
// widths a, b before softplus) wrapped with a linear base, the per-horizon source choice and the conformal band
// offsets, all inside the ONNX graph so serving stays "input → output / quantiles" (model/contract.ts).
//
// In scaled target units, per horizon h (source weights s_h over lstm, ridge, naive_last, same_hour_yesterday: one-hot
// for a single source, or two weights summing to 1 for a blend):
//   base     = flatten(input) · baseW + baseB            (the linear model the network corrects; ridge by default)
//   lstm     = base + shrink_h · m                     (shrink in [0, 1], fitted on the validation slice)
//   ridge    = flatten(input) · ridgeW + ridgeB
//   naive    = input[:, steps-1, value]
//   seasonal = input[:, seasonalIndex_h, value]           (same hour on the latest known day, quantile.ts)
//   P50      = Σ s_h · source
//   u        = floor + coef · mean_t |value_t − value_t−1| + level · |P50|   (1 without a band scale)
//   P10      = P50 − relu(n_h · softplus(a) + cLo_h · u)
//   P90      = P50 + relu(n_h · softplus(b) + cHi_h · u)
// where n_h, the network band's weight, is the network's share of the served value (bandWeight; s_lstm,h by default).
// So P10 <= P50 <= P90 by construction (non-crossing), and a horizon served by a baseline keeps the baseline's
// value as P50 with a band from its validation residuals, scaled by the window's volatility and the forecast's distance
// from the typical level (scaled 0 = the training median) when the spec has a band scale (normalized conformal,
// quantile.ts conformalOffsetsByBlock): wider in volatile or extreme regimes, narrower in calm ones.
// `servedForecast` computes the same in TypeScript.
import p from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';
import { ONNX_INPUT, ONNX_OUTPUT, ONNX_QUANTILES, SEQUENCE_FEATURES } from './contract.js';
import { SERVED_SOURCES, type ServedSource } from './quantile.js';

const { onnx } = p;
const VALUE = SEQUENCE_FEATURES.indexOf('value');

export interface ServedSpec {
  steps: number;
  features: number;
  horizon: number;
  /** Linear base the network's P50 residual is added to: [steps·features, H] row-major, and [H]. */
  baseW: Float32Array;
  baseB: Float32Array;
  /** Ridge baseline (may equal the base): [steps·features, H], [H]. */
  ridgeW: Float32Array;
  ridgeB: Float32Array;
  /** Window index of the seasonal naive forecast per horizon; −1 where unavailable (never chosen). */
  seasonalIndex: number[];
  /** The source of each horizon (a one-hot weight); `weights` overrides it. */
  sources: ServedSource[];
  /** Per SERVED_SOURCES entry, its weight at each horizon (blends: two weights summing to 1). */
  weights?: Float32Array[];
  /** Conformal offsets per horizon (scaled units), see the header. */
  cLo: Float32Array;
  cHi: Float32Array;
  /** Per horizon, the share of the network's P50 correction kept (0..1); absent: 1. */
  shrink?: Float32Array;
  /**
   * Per horizon, the weight of the network's own band (softplus(a), softplus(b)) in the served band: the network's
   * share of the value the forecaster serves (less than s_lstm where same hour last week is blended in outside the
   * graph); absent: the lstm source weight.
   */
  bandWeight?: Float32Array;
  /**
   * The band's scale u = floor + coef · (mean absolute step change of the window's scaled values) + level · |P50|
   * (scaled); absent: u = 1.
   */
  bandScale?: BandScale;
}

/** Coefficients of the band's scale (ServedSpec.bandScale); floor > 0 keeps u positive. */
export interface BandScale {
  floor: number;
  /** Per unit of the window's volatility (mean absolute step change, scaled). */
  coef: number;
  /** Per unit of |P50| (scaled: the distance from the training median in robust standard deviations); absent: 0. */
  level?: number;
}

/**
 * The window part of the band scale per sample [from, to) of X ([n, steps, features] scaled): floor + coef · the
 * mean absolute change between consecutive steps of the window's scaled values (its recent volatility); all 1
 * without a scale. The served scale adds level · |P50| per horizon (servedForecast).
 */
export function bandScales(spec: Pick<ServedSpec, 'steps' | 'features' | 'bandScale'>, X: ArrayLike<number>, from: number, to: number): Float64Array {
  const out = new Float64Array(to - from).fill(1);
  const s = spec.bandScale;
  if (!s) return out;
  const { steps, features: F } = spec;
  for (let i = 0; i < to - from; i++) {
    const o = (from + i) * steps * F + VALUE;
    let sum = 0;
    for (let t = 1; t < steps; t++) sum += Math.abs(X[o + t * F]! - X[o + (t - 1) * F]!);
    out[i] = s.floor + s.coef * (steps > 1 ? sum / (steps - 1) : 0);
  }
  return out;
}

export interface ServedForecast {
  /** [count, H] each, scaled. */
  p10: Float64Array;
  p50: Float64Array;
  p90: Float64Array;
}

/** Per SERVED_SOURCES entry, its weight per horizon: spec.weights, or one-hot from spec.sources. */
export function sourceWeights(spec: ServedSpec): Float32Array[] {
  if (spec.weights) return spec.weights;
  return SERVED_SOURCES.map((src) => Float32Array.from(spec.sources, (s) => (s === src ? 1 : 0)));
}

const softplus = (x: number) => (x > 20 ? x : Math.log1p(Math.exp(x)));
const relu = (x: number) => (x > 0 ? x : 0);

/** The parts every source needs, per sample and horizon (scaled): base, ridge, naive, seasonal. */
export function linearParts(spec: ServedSpec, X: ArrayLike<number>, from: number, to: number): { base: Float64Array; ridge: Float64Array; naive: Float64Array; seasonal: Float64Array } {
  const H = spec.horizon;
  const P = spec.steps * spec.features;
  const count = to - from;
  const base = new Float64Array(count * H);
  const ridge = new Float64Array(count * H);
  const naive = new Float64Array(count * H);
  const seasonal = new Float64Array(count * H);
  for (let i = 0; i < count; i++) {
    const o = (from + i) * P;
    for (let h = 0; h < H; h++) {
      let b = spec.baseB[h]!;
      let r = spec.ridgeB[h]!;
      for (let j = 0; j < P; j++) {
        const x = X[o + j]!;
        if (x === 0) continue;
        b += x * spec.baseW[j * H + h]!;
        r += x * spec.ridgeW[j * H + h]!;
      }
      base[i * H + h] = b;
      ridge[i * H + h] = r;
      naive[i * H + h] = X[o + (spec.steps - 1) * spec.features + VALUE]!;
      const s = spec.seasonalIndex[h]!;
      seasonal[i * H + h] = s >= 0 ? X[o + s * spec.features + VALUE]! : Number.NaN;
    }
  }
  return { base, ridge, naive, seasonal };
}

/**
 * The served P10/P50/P90 (scaled) for samples [from, to) of X ([n, steps, features] scaled), from the bare
 * network's raw output `raw` ([to − from, 3·H]). The TypeScript twin of composeServedGraph.
 */
export function servedForecast(spec: ServedSpec, X: ArrayLike<number>, raw: ArrayLike<number>, from: number, to: number): ServedForecast {
  const H = spec.horizon;
  const count = to - from;
  if (raw.length !== count * 3 * H) throw new Error(`servedForecast: ${raw.length} raw outputs for ${count} samples × 3·${H}`);
  const parts = linearParts(spec, X, from, to);
  const u = bandScales(spec, X, from, to);
  const w = sourceWeights(spec);
  const p10 = new Float64Array(count * H);
  const p50 = new Float64Array(count * H);
  const p90 = new Float64Array(count * H);
  for (let i = 0; i < count; i++) {
    for (let h = 0; h < H; h++) {
      const j = i * H + h;
      const [wl, wr, wn, ws] = w.map((x) => x[h]!) as [number, number, number, number];
      const m = raw[i * 3 * H + h]!;
      const a = raw[i * 3 * H + H + h]!;
      const b = raw[i * 3 * H + 2 * H + h]!;
      const lstm = parts.base[j]! + (spec.shrink ? spec.shrink[h]! : 1) * m;
      // A zero weight contributes nothing (the seasonal value is NaN where it is not in the window).
      const v = (wl ? wl * lstm : 0) + (wr ? wr * parts.ridge[j]! : 0) + (wn ? wn * parts.naive[j]! : 0) + (ws ? ws * parts.seasonal[j]! : 0);
      p50[j] = v;
      const wb = spec.bandWeight ? spec.bandWeight[h]! : wl;
      const uh = u[i]! + (spec.bandScale?.level ?? 0) * Math.abs(v);
      p10[j] = v - relu(wb * softplus(a) + spec.cLo[h]! * uh);
      p90[j] = v + relu(wb * softplus(b) + spec.cHi[h]! * uh);
    }
  }
  return { p10, p50, p90 };
}

function floatTensor(name: string, dims: number[], data: ArrayLike<number>): O.ITensorProto {
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
}

function int64Tensor(name: string, values: number[]): O.ITensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: raw });
}

function valueInfo(name: string, dims: Array<number | string>): O.IValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
}

/**
 * Wrap a bare network ONNX model (ONNX_OUTPUT = raw [batch, 3·H]) into the served graph described in the header:
 * outputs ONNX_OUTPUT [batch, H] (P50) and ONNX_QUANTILES [batch, 3, H] (P10, P50, P90), scaled. Throws when the
 * graph is not such a network.
 */
export function composeServedGraph(bytes: Uint8Array, spec: ServedSpec): Uint8Array {
  const { steps, features: F, horizon: H } = spec;
  const P = steps * F;
  if (spec.baseW.length !== P * H || spec.ridgeW.length !== P * H || spec.baseB.length !== H || spec.ridgeB.length !== H) throw new Error('served graph: base/ridge weights do not match steps × features × horizon');
  if (spec.sources.length !== H || spec.seasonalIndex.length !== H || spec.cLo.length !== H || spec.cHi.length !== H || (spec.shrink && spec.shrink.length !== H) || (spec.bandWeight && spec.bandWeight.length !== H)) throw new Error(`served graph: per-horizon arrays must have ${H} entries`);
  if (steps < 2) throw new Error(`served graph: the band scale needs windows of at least 2 steps, got ${steps}`);
  if (spec.bandScale && !(spec.bandScale.floor > 0 && spec.bandScale.coef >= 0 && (spec.bandScale.level ?? 0) >= 0)) throw new Error('served graph: bandScale needs floor > 0, coef >= 0 and level >= 0');
  const weights = sourceWeights(spec);
  if (weights.length !== SERVED_SOURCES.length || weights.some((x) => x.length !== H)) throw new Error(`served graph: weights must be ${SERVED_SOURCES.length} arrays of ${H}`);
  weights[3]!.forEach((x, h) => {
    if (x !== 0 && !(spec.seasonalIndex[h]! >= 0)) throw new Error(`served graph: horizon ${h + 1} has no seasonal naive value in the window`);
  });
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph?.node || !graph.initializer) throw new Error('served graph: the ONNX model has no graph');
  const producers = graph.node.filter((n) => n.output?.includes(ONNX_OUTPUT));
  if (producers.length !== 1) throw new Error(`served graph: expected one node producing ${ONNX_OUTPUT}, found ${producers.length}`);
  producers[0]!.output = producers[0]!.output!.map((o) => (o === ONNX_OUTPUT ? 'net_raw' : o));

  graph.initializer.push(
    int64Tensor('sv_m_start', [0]), int64Tensor('sv_a_start', [H]), int64Tensor('sv_b_start', [2 * H]), int64Tensor('sv_b_end', [3 * H]), int64Tensor('sv_axis1', [1]),
    int64Tensor('sv_flat_shape', [-1, P]), int64Tensor('sv_values_shape', [-1, steps]),
    int64Tensor('sv_value_starts', [0, VALUE]), int64Tensor('sv_value_ends', [steps, VALUE + 1]), int64Tensor('sv_value_axes', [1, 2]),
    int64Tensor('sv_last_start', [steps - 1]), int64Tensor('sv_last_end', [steps]),
    int64Tensor('sv_seasonal_index', spec.seasonalIndex.map((i) => Math.max(0, i))),
    floatTensor('sv_base_W', [P, H], spec.baseW), floatTensor('sv_base_B', [H], spec.baseB),
    floatTensor('sv_ridge_W', [P, H], spec.ridgeW), floatTensor('sv_ridge_B', [H], spec.ridgeB),
    ...SERVED_SOURCES.map((_, k) => floatTensor(`sv_onehot_${k}`, [H], weights[k]!)),
    floatTensor('sv_c_lo', [H], spec.cLo), floatTensor('sv_c_hi', [H], spec.cHi),
    floatTensor('sv_shrink', [H], spec.shrink ?? new Float32Array(H).fill(1)),
    int64Tensor('sv_prev_start', [0]), int64Tensor('sv_prev_end', [steps - 1]), int64Tensor('sv_next_start', [1]), int64Tensor('sv_next_end', [steps]),
    floatTensor('sv_band_w', [H], spec.bandWeight ?? weights[0]!),
    floatTensor('sv_scale_floor', [1], [spec.bandScale?.floor ?? 1]), floatTensor('sv_scale_coef', [1], [spec.bandScale?.coef ?? 0]),
    floatTensor('sv_scale_level', [1], [spec.bandScale?.level ?? 0]),
  );
  const n = (name: string, opType: string, input: string[], output: string[], attribute: O.IAttributeProto[] = []) => onnx.NodeProto.create({ name, opType, input, output, attribute });
  const AT = onnx.AttributeProto.AttributeType;
  graph.node.push(
    n('sv_slice_m', 'Slice', ['net_raw', 'sv_m_start', 'sv_a_start', 'sv_axis1'], ['net_m']),
    n('sv_slice_a', 'Slice', ['net_raw', 'sv_a_start', 'sv_b_start', 'sv_axis1'], ['net_a']),
    n('sv_slice_b', 'Slice', ['net_raw', 'sv_b_start', 'sv_b_end', 'sv_axis1'], ['net_b']),
    n('sv_flatten', 'Reshape', [ONNX_INPUT, 'sv_flat_shape'], ['x_flat']),
    n('sv_base_mm', 'MatMul', ['x_flat', 'sv_base_W'], ['base_mm']),
    n('sv_base', 'Add', ['base_mm', 'sv_base_B'], ['base']),
    n('sv_shrink_m', 'Mul', ['net_m', 'sv_shrink'], ['net_m_shrunk']),
    n('sv_lstm', 'Add', ['base', 'net_m_shrunk'], ['src_lstm']),
    n('sv_ridge_mm', 'MatMul', ['x_flat', 'sv_ridge_W'], ['ridge_mm']),
    n('sv_ridge', 'Add', ['ridge_mm', 'sv_ridge_B'], ['src_ridge']),
    n('sv_values3d', 'Slice', [ONNX_INPUT, 'sv_value_starts', 'sv_value_ends', 'sv_value_axes'], ['values3d']),
    n('sv_values', 'Reshape', ['values3d', 'sv_values_shape'], ['values']),
    n('sv_naive', 'Slice', ['values', 'sv_last_start', 'sv_last_end', 'sv_axis1'], ['src_naive']),
    n('sv_seasonal', 'Gather', ['values', 'sv_seasonal_index'], ['src_seasonal'], [{ name: 'axis', type: AT.INT, i: 1 }]),
    n('sv_w0', 'Mul', ['src_lstm', 'sv_onehot_0'], ['w0']),
    n('sv_w1', 'Mul', ['src_ridge', 'sv_onehot_1'], ['w1']),
    n('sv_w2', 'Mul', ['src_naive', 'sv_onehot_2'], ['w2']),
    n('sv_w3', 'Mul', ['src_seasonal', 'sv_onehot_3'], ['w3']),
    n('sv_p50', 'Sum', ['w0', 'w1', 'w2', 'w3'], ['p50']),
    n('sv_softplus_a', 'Softplus', ['net_a'], ['sp_a']),
    n('sv_softplus_b', 'Softplus', ['net_b'], ['sp_b']),
    n('sv_lo_mask', 'Mul', ['sp_a', 'sv_band_w'], ['lo_m']),
    n('sv_hi_mask', 'Mul', ['sp_b', 'sv_band_w'], ['hi_m']),
    // u = floor + coef · mean |Δ value| over the window: [batch, 1], broadcast over the horizons
    n('sv_prev', 'Slice', ['values', 'sv_prev_start', 'sv_prev_end', 'sv_axis1'], ['values_prev']),
    n('sv_next', 'Slice', ['values', 'sv_next_start', 'sv_next_end', 'sv_axis1'], ['values_next']),
    n('sv_delta', 'Sub', ['values_next', 'values_prev'], ['values_delta']),
    n('sv_abs_delta', 'Abs', ['values_delta'], ['values_abs_delta']),
    n('sv_volatility', 'ReduceMean', ['values_abs_delta'], ['volatility'], [{ name: 'axes', type: AT.INTS, ints: [1] }, { name: 'keepdims', type: AT.INT, i: 1 }]),
    n('sv_scale_mul', 'Mul', ['volatility', 'sv_scale_coef'], ['scale_var']),
    n('sv_scale_window', 'Add', ['scale_var', 'sv_scale_floor'], ['scale_window']),
    n('sv_abs_p50', 'Abs', ['p50'], ['abs_p50']),
    n('sv_scale_lvl', 'Mul', ['abs_p50', 'sv_scale_level'], ['scale_level']),
    n('sv_scale', 'Add', ['scale_window', 'scale_level'], ['band_scale']),
    n('sv_c_lo_scaled', 'Mul', ['sv_c_lo', 'band_scale'], ['c_lo_u']),
    n('sv_c_hi_scaled', 'Mul', ['sv_c_hi', 'band_scale'], ['c_hi_u']),
    n('sv_lo_cal', 'Add', ['lo_m', 'c_lo_u'], ['lo_c']),
    n('sv_hi_cal', 'Add', ['hi_m', 'c_hi_u'], ['hi_c']),
    n('sv_lo_relu', 'Relu', ['lo_c'], ['lo']),
    n('sv_hi_relu', 'Relu', ['hi_c'], ['hi']),
    n('sv_p10', 'Sub', ['p50', 'lo'], ['p10']),
    n('sv_p90', 'Add', ['p50', 'hi'], ['p90']),
    n('sv_u10', 'Unsqueeze', ['p10', 'sv_axis1'], ['p10_3d']),
    n('sv_u50', 'Unsqueeze', ['p50', 'sv_axis1'], ['p50_3d']),
    n('sv_u90', 'Unsqueeze', ['p90', 'sv_axis1'], ['p90_3d']),
    n('sv_quantiles', 'Concat', ['p10_3d', 'p50_3d', 'p90_3d'], [ONNX_QUANTILES], [{ name: 'axis', type: AT.INT, i: 1 }]),
    n('sv_output', 'Identity', ['p50'], [ONNX_OUTPUT]),
  );
  graph.output = [valueInfo(ONNX_OUTPUT, ['batch', H]), valueInfo(ONNX_QUANTILES, ['batch', 3, H])];
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`served graph: invalid model proto: ${err}`);
  return onnx.ModelProto.encode(model).finish();
}

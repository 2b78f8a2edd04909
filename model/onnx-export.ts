// ONNX export of a tfjs LSTM forecaster (model/contract.ts): LSTM layer(s), the last step's hidden state, a dense
// layer to the horizon. Written with onnx-proto and the standard ONNX LSTM operator so onnxruntime-node serves a
// tfjs-trained model exactly like one from model/gpu/train.py.
//
// Graph: input [batch, steps, features] → Transpose [1,0,2] (time-major; onnxruntime rejects layout=1)
//        → LSTM ... → LSTM (Y_h) → Squeeze axis 0 → MatMul + Add → output [batch, horizon].
// Weights: Keras packs gates i,f,c,o along the kernel's columns ([F, 4U]); ONNX wants rows in the order i,o,f,c
// (W [1, 4U, F], R [1, 4U, U]) and a bias B [1, 8U] = [Wb | Rb], where the recurrent half is zero because Keras has
// one bias per gate.
import type * as tf from '@tensorflow/tfjs';
import p from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';
import { ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT } from './contract.js';

const { onnx } = p;

/** The ONNX IR version written: 8 is the one that goes with opset 17 (ONNX 1.12), well inside onnxruntime 1.30's range. */
export const ONNX_IR_VERSION = 8;

export interface OnnxExportOptions {
  steps: number;
  features: number;
  horizon: number;
  producer?: string;
}

/** ONNX row block g (order i,o,f,c) takes Keras column block KERAS_GATE[g] (order i,f,c,o). */
const KERAS_GATE = [0, 3, 1, 2] as const;

/** tfjs activation names → ONNX LSTM activation names (and the alpha/beta the ONNX function reads). */
const ACTIVATIONS: Record<string, { name: string; alpha?: number; beta?: number }> = {
  sigmoid: { name: 'Sigmoid' },
  tanh: { name: 'Tanh' },
  relu: { name: 'Relu' },
  // tfjs-layers' hardSigmoid is clip(0.2x + 0.5, 0, 1), ONNX HardSigmoid with alpha 0.2, beta 0.5.
  hardSigmoid: { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 },
};

interface LstmSpec {
  name: string;
  units: number;
  inputSize: number;
  kernel: Float32Array; // [inputSize, 4U], Keras gate order
  recurrent: Float32Array; // [U, 4U]
  bias: Float32Array | null; // [4U]
  recurrentActivation: string;
  activation: string;
}

interface DenseSpec {
  name: string;
  kernel: Float32Array; // [U, H]
  bias: Float32Array | null; // [H]
}

function layerConfig(layer: tf.layers.Layer): Record<string, unknown> {
  return layer.getConfig() as Record<string, unknown>;
}

function activationName(v: unknown): string {
  // getConfig() gives the serialized name ('tanh', 'hardSigmoid', ...); be lenient with objects from custom configs.
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'className' in v) return String((v as { className: unknown }).className);
  return String(v);
}

function weightsOf(layer: tf.layers.Layer): Float32Array[] {
  return layer.getWeights().map((t) => t.dataSync() as Float32Array);
}

/** Read the model's layers into LSTM specs and one dense spec, checking the shape the contract expects. */
function describe(model: tf.LayersModel, opts: OnnxExportOptions): { lstms: LstmSpec[]; dense: DenseSpec } {
  const lstms: LstmSpec[] = [];
  let dense: DenseSpec | null = null;
  let width = opts.features;
  const layers = model.layers;
  const inShape = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || !inShape || inShape.length !== 3 || (inShape[1] !== null && inShape[1] !== opts.steps) || inShape[2] !== opts.features) {
    throw new Error(`onnx export: model input shape ${JSON.stringify(inShape)} is not [batch, ${opts.steps}, ${opts.features}]`);
  }
  for (const layer of layers) {
    const cls = layer.getClassName();
    const cfg = layerConfig(layer);
    if (cls === 'InputLayer' || cls === 'Dropout') continue; // Dropout is the identity at inference
    if (dense) throw new Error(`onnx export: layer ${layer.name} (${cls}) after the final Dense layer is not supported`);
    if (cls === 'LSTM') {
      if (cfg.goBackwards) throw new Error(`onnx export: LSTM ${layer.name} has goBackwards, not supported`);
      if (cfg.stateful) throw new Error(`onnx export: LSTM ${layer.name} is stateful, not supported`);
      const units = Number(cfg.units);
      const recurrentActivation = activationName(cfg.recurrentActivation);
      const activation = activationName(cfg.activation);
      for (const a of [recurrentActivation, activation]) {
        if (!ACTIVATIONS[a]) throw new Error(`onnx export: LSTM ${layer.name} uses activation "${a}"; supported: ${Object.keys(ACTIVATIONS).join(', ')}`);
      }
      const w = weightsOf(layer);
      const [kernel, recurrent, bias] = w;
      if (!kernel || !recurrent || kernel.length !== width * 4 * units || recurrent.length !== units * 4 * units) {
        throw new Error(`onnx export: LSTM ${layer.name} weights do not match input width ${width} and ${units} units`);
      }
      if (bias && bias.length !== 4 * units) throw new Error(`onnx export: LSTM ${layer.name} bias has ${bias.length} values, expected ${4 * units}`);
      lstms.push({ name: layer.name, units, inputSize: width, kernel, recurrent, bias: bias ?? null, recurrentActivation, activation });
      width = units;
      continue;
    }
    if (cls === 'Dense') {
      if (lstms.length === 0) throw new Error(`onnx export: Dense ${layer.name} before any LSTM layer`);
      const act = activationName(cfg.activation ?? 'linear');
      if (act !== 'linear') throw new Error(`onnx export: the output Dense ${layer.name} must be linear (found "${act}")`);
      const [kernel, bias] = weightsOf(layer);
      if (!kernel || kernel.length !== width * opts.horizon) {
        throw new Error(`onnx export: Dense ${layer.name} is not [${width}, ${opts.horizon}] (horizon ${opts.horizon})`);
      }
      dense = { name: layer.name, kernel, bias: bias ?? null };
      continue;
    }
    throw new Error(`onnx export: layer ${layer.name} (${cls}) is not part of the LSTM → Dense forecaster`);
  }
  if (lstms.length === 0 || !dense) throw new Error('onnx export: the model needs at least one LSTM layer followed by a Dense layer');
  // Every LSTM but the last returns the whole sequence to the next one; the last returns its final hidden state.
  layers
    .filter((l) => l.getClassName() === 'LSTM')
    .forEach((l, i, all) => {
      const seq = Boolean(layerConfig(l).returnSequences);
      if (i < all.length - 1 && !seq) throw new Error(`onnx export: LSTM ${l.name} feeds another LSTM, so it needs returnSequences: true`);
      if (i === all.length - 1 && seq) throw new Error(`onnx export: the last LSTM ${l.name} must not return sequences (the dense layer reads the last step)`);
    });
  return { lstms, dense };
}

/** Keras [rows, 4U] (gate blocks along columns, order i,f,c,o) → ONNX [4U, rows] (gate blocks along rows, order i,o,f,c). */
function kerasToOnnxGates(src: Float32Array, rows: number, units: number): Float32Array {
  const out = new Float32Array(4 * units * rows);
  const cols = 4 * units;
  for (let g = 0; g < 4; g++) {
    const kg = KERAS_GATE[g]!;
    for (let u = 0; u < units; u++) {
      const o = (g * units + u) * rows;
      const c = kg * units + u;
      for (let r = 0; r < rows; r++) out[o + r] = src[r * cols + c]!;
    }
  }
  return out;
}

function floatTensor(name: string, dims: number[], data: Float32Array): O.ITensorProto {
  if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`onnx export: tensor ${name} has ${data.length} values for dims ${dims.join('x')}`);
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

function int64Tensor(name: string, values: number[]): O.ITensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: raw };
}

const AT = onnx.AttributeProto.AttributeType;
const utf8 = (s: string) => new TextEncoder().encode(s);
const intAttr = (name: string, i: number): O.IAttributeProto => ({ name, type: AT.INT, i });
const intsAttr = (name: string, ints: number[]): O.IAttributeProto => ({ name, type: AT.INTS, ints });
const floatsAttr = (name: string, floats: number[]): O.IAttributeProto => ({ name, type: AT.FLOATS, floats });
const stringsAttr = (name: string, strings: string[]): O.IAttributeProto => ({ name, type: AT.STRINGS, strings: strings.map(utf8) });

function floatValueInfo(name: string, dims: Array<number | string>): O.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/**
 * Serialize a trained tfjs LSTM forecaster as an ONNX model (opset 17) with input `input` [batch, steps, features]
 * and output `output` [batch, horizon]; the batch dimension is dynamic. Throws naming the layer it cannot express.
 */
export function exportTfjsLstmToOnnx(model: tf.LayersModel, opts: OnnxExportOptions): Uint8Array {
  for (const k of ['steps', 'features', 'horizon'] as const) {
    if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new Error(`onnx export: ${k} must be a positive integer (got ${opts[k]})`);
  }
  const { lstms, dense } = describe(model, opts);
  const nodes: O.INodeProto[] = [];
  const inits: O.ITensorProto[] = [];

  nodes.push({ name: 'to_time_major', opType: 'Transpose', input: [ONNX_INPUT], output: ['x_time_major'], attribute: [intsAttr('perm', [1, 0, 2])] });
  inits.push(int64Tensor('axes_0', [0]));
  if (lstms.length > 1) inits.push(int64Tensor('axes_1', [1]));

  let x = 'x_time_major';
  lstms.forEach((l, k) => {
    const U = l.units;
    const last = k === lstms.length - 1;
    const W = kerasToOnnxGates(l.kernel, l.inputSize, U);
    const R = kerasToOnnxGates(l.recurrent, U, U);
    const B = new Float32Array(8 * U); // [Wb (4U) | Rb (4U) = 0]
    if (l.bias) B.set(kerasToOnnxGates(l.bias, 1, U));
    const p_ = `lstm${k}`;
    inits.push(floatTensor(`${p_}_W`, [1, 4 * U, l.inputSize], W), floatTensor(`${p_}_R`, [1, 4 * U, U], R), floatTensor(`${p_}_B`, [1, 8 * U], B));
    const f = ACTIVATIONS[l.recurrentActivation]!;
    const g = ACTIVATIONS[l.activation]!;
    const acts = [f, g, g];
    const attrs = [intAttr('hidden_size', U), stringsAttr('activations', acts.map((a) => a.name))];
    // onnxruntime consumes activation_alpha/beta only for the functions that take them, in order.
    const alphas = acts.filter((a) => a.alpha !== undefined).map((a) => a.alpha!);
    const betas = acts.filter((a) => a.beta !== undefined).map((a) => a.beta!);
    if (alphas.length > 0) attrs.push(floatsAttr('activation_alpha', alphas));
    if (betas.length > 0) attrs.push(floatsAttr('activation_beta', betas));
    const y = `${p_}_Y`;
    const yh = `${p_}_Y_h`;
    nodes.push({ name: p_, opType: 'LSTM', input: [x, `${p_}_W`, `${p_}_R`, `${p_}_B`], output: last ? ['', yh] : [y], attribute: attrs });
    if (last) {
      // Y_h [1, batch, U] → [batch, U]
      nodes.push({ name: `${p_}_last_state`, opType: 'Squeeze', input: [yh, 'axes_0'], output: ['h_last'] });
      x = 'h_last';
    } else {
      // Y [steps, 1, batch, U] → [steps, batch, U], the next layer's input
      nodes.push({ name: `${p_}_sequence`, opType: 'Squeeze', input: [y, 'axes_1'], output: [`${p_}_seq`] });
      x = `${p_}_seq`;
    }
  });

  const U = lstms[lstms.length - 1]!.units;
  inits.push(floatTensor('dense_W', [U, opts.horizon], dense.kernel));
  nodes.push({ name: 'dense_matmul', opType: 'MatMul', input: [x, 'dense_W'], output: [dense.bias ? 'dense_mm' : ONNX_OUTPUT] });
  if (dense.bias) {
    inits.push(floatTensor('dense_B', [opts.horizon], dense.bias));
    nodes.push({ name: 'dense_bias', opType: 'Add', input: ['dense_mm', 'dense_B'], output: [ONNX_OUTPUT] });
  }

  const proto: O.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: opts.producer ?? 'smart-dispatch-assistant',
    producerVersion: '1',
    graph: {
      name: 'lstm_forecaster',
      node: nodes,
      initializer: inits,
      input: [floatValueInfo(ONNX_INPUT, ['batch', opts.steps, opts.features])],
      output: [floatValueInfo(ONNX_OUTPUT, ['batch', opts.horizon])],
    },
  };
  const err = onnx.ModelProto.verify(proto);
  if (err) throw new Error(`onnx export: invalid model proto: ${err}`);
  return onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
}

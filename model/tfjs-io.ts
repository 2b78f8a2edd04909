// tfjs LayersModel checkpoints on the local file system, in the tfjs "layers-model" format (model.json with the
// topology and weights manifest, weights.bin with the weight values), without tfjs-node's file:// handler (it
// cannot install here). The registry keeps a tfjs trainer's checkpoint under <version>/tfjs/ in this format.
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { ModelError } from './errors.js';

export const TFJS_MODEL_JSON = 'model.json';
export const TFJS_WEIGHTS_BIN = 'weights.bin';

/** The two files of a checkpoint, by name, ready for writeVersion (prefix the names, e.g. "tfjs/model.json"). */
export async function serializeTfjsModel(model: tf.LayersModel): Promise<Record<string, Uint8Array>> {
  let files: Record<string, Uint8Array> | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (!artifacts.modelTopology || !artifacts.weightSpecs) throw new Error('tfjs save: the model produced no topology or weight specs');
      const weights = new Uint8Array(artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [TFJS_WEIGHTS_BIN], weights: artifacts.weightSpecs }],
      };
      if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata;
      files = { [TFJS_MODEL_JSON]: new TextEncoder().encode(`${JSON.stringify(json)}\n`), [TFJS_WEIGHTS_BIN]: weights };
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs).length,
          weightDataBytes: weights.byteLength,
        },
      };
    }),
  );
  if (!files) throw new Error('tfjs save: the save handler was not called');
  return files;
}

/** Save a model to `dir` (created if needed) as model.json + weights.bin; model.json is written last, by rename. */
export async function saveTfjsModel(model: tf.LayersModel, dir: string): Promise<void> {
  const files = await serializeTfjsModel(model);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, TFJS_WEIGHTS_BIN), files[TFJS_WEIGHTS_BIN]!);
  const tmp = join(dir, `.${TFJS_MODEL_JSON}.${process.pid}.tmp`);
  await writeFile(tmp, files[TFJS_MODEL_JSON]!);
  await rename(tmp, join(dir, TFJS_MODEL_JSON));
}

/** The IOHandler that reads a checkpoint written by saveTfjsModel (or any tfjs layers-model directory). */
export function tfjsFileLoader(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const jsonPath = join(dir, TFJS_MODEL_JSON);
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (err) {
        throw new ModelError('MODEL_FILE_INVALID', `tfjs load: cannot read ${jsonPath}: ${(err as Error).message}`, false, { cause: err });
      }
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new ModelError('MODEL_FILE_INVALID', `tfjs load: ${jsonPath} has no modelTopology or weightsManifest`);
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const rel = normalize(p);
          if (isAbsolute(rel) || rel.startsWith('..')) throw new ModelError('MODEL_FILE_INVALID', `tfjs load: ${jsonPath} names weights outside its directory (${p})`);
          const b = await readFile(join(dir, rel));
          buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
        }
      }
      const artifacts: tf.io.ModelArtifacts = {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: tf.io.CompositeArrayBuffer.join(buffers),
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
      };
      if (json.trainingConfig) artifacts.trainingConfig = json.trainingConfig;
      if (json.userDefinedMetadata) artifacts.userDefinedMetadata = json.userDefinedMetadata;
      return artifacts;
    },
  };
}

/** Load a checkpoint written by saveTfjsModel. */
export async function loadTfjsModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tfjsFileLoader(dir));
}

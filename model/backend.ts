// Which TensorFlow.js backend trains: chosen at run time, best first. `@tensorflow/tfjs-node-gpu` and
// `@tensorflow/tfjs-node` are optional (their install downloads libtensorflow, which fails on these machines, so
// they are not dependencies); where someone installed them they win. Otherwise the WebAssembly backend (about 5-7x
// faster than the pure-JS one here), and the pure-JS `cpu` backend as the last resort.
import * as tf from '@tensorflow/tfjs';
import { ModelError } from './errors.js';

export const BACKEND_CHOICES = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

/** The order `auto` tries. */
export const BACKEND_ORDER: readonly BackendName[] = ['node-gpu', 'node', 'wasm', 'cpu'];

/** The npm package that provides each backend, and the name tfjs registers it under. */
const PACKAGES: Record<BackendName, { pkg: string | null; tfName: string }> = {
  'node-gpu': { pkg: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow' },
  node: { pkg: '@tensorflow/tfjs-node', tfName: 'tensorflow' },
  wasm: { pkg: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm' },
  cpu: { pkg: null, tfName: 'cpu' },
};

export interface BackendSelection {
  /** The backend in use, e.g. "wasm". */
  name: BackendName;
  /** The label written into model metadata, e.g. "tfjs-wasm". */
  label: string;
  /** Why each better backend was passed over (empty when the first choice worked). */
  skipped: string[];
}

/** Loads a package by name (dynamic import); injectable so selection can be exercised without the packages. */
export type Importer = (pkg: string) => Promise<unknown>;

const defaultImporter: Importer = (pkg) => import(pkg);

export function backendChoice(raw: string): BackendChoice {
  if (!(BACKEND_CHOICES as readonly string[]).includes(raw)) throw new ModelError('BACKEND_INVALID', `--backend: expected one of ${BACKEND_CHOICES.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as BackendChoice;
}

async function tryBackend(name: BackendName, importer: Importer): Promise<void> {
  const { pkg, tfName } = PACKAGES[name];
  if (pkg !== null) await importer(pkg);
  let ok = false;
  try {
    ok = await tf.setBackend(tfName);
  } catch (err) {
    throw new Error(`tf.setBackend('${tfName}') failed: ${(err as Error).message}`);
  }
  if (!ok || tf.getBackend() !== tfName) throw new Error(`tf.setBackend('${tfName}') did not take effect`);
  await tf.ready();
}

/**
 * Select the backend: `auto` tries node-gpu, node, wasm, cpu in turn; a named one must work or this throws
 * (naming why). The pure-JS cpu backend is always available as the last resort of `auto`.
 */
export async function selectBackend(choice: BackendChoice = 'auto', importer: Importer = defaultImporter): Promise<BackendSelection> {
  const candidates = choice === 'auto' ? BACKEND_ORDER : [choice];
  const skipped: string[] = [];
  for (const name of candidates) {
    try {
      await tryBackend(name, importer);
      return { name, label: `tfjs-${name}`, skipped };
    } catch (err) {
      const why = (err as Error).message.split('\n')[0]!;
      if (choice !== 'auto') {
        const hint = PACKAGES[name].pkg && name !== 'wasm' ? ` (optional: install ${PACKAGES[name].pkg} to use it)` : '';
        throw new ModelError('BACKEND_UNAVAILABLE', `backend ${name} is not available: ${why}${hint}`);
      }
      skipped.push(`${name}: ${why}`);
    }
  }
  throw new ModelError('BACKEND_UNAVAILABLE', `no TensorFlow.js backend could start: ${skipped.join('; ')}`);
}

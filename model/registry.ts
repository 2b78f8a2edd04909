// The file-based model registry: model_registry/<version>/ holds model.onnx, metadata.json (model/contract.ts)
// and, for the tfjs trainer, its checkpoint under tfjs/; model_registry/current names the served version.
// Versions are written to a temporary directory and renamed into place, and `current` is replaced by rename, so
// a reader never sees a half-written model. Both trainers (TypeScript and model/gpu/train.py) write this layout.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { processSettings } from '../platform/config.js';
import { ModelError } from './errors.js';
import { METADATA_FILE, type ModelMetadata, validateMetadata } from './contract.js';

export const CURRENT_FILE = 'current';
const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The registry root, absolute: `dir`, else MODEL_REGISTRY_DIR, else ./model_registry (platform/config.ts processSettings). */
export function registryRoot(dir?: string): string {
  return dir === undefined ? processSettings().modelRegistryDir : resolve(dir);
}

/** A new version name: UTC time to the millisecond, the trainer, and a random suffix (sorts by creation time). */
export function newVersion(trainer: string, now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${t}-${trainer}-${randomBytes(2).toString('hex')}`;
}

export function assertVersion(version: string): string {
  if (!VERSION_RE.test(version)) throw new ModelError('MODEL_VERSION_INVALID', `model version "${version}" is not a valid name (letters, digits, . _ -; up to 128)`);
  return version;
}

/**
 * Write a version: `files` (name → bytes; names may contain one level of sub-directory, e.g. "tfjs/model.json")
 * plus metadata.json, into <root>/<version>/ atomically. Does not change `current`.
 */
export async function writeVersion(root: string, metadata: ModelMetadata, files: Record<string, Uint8Array | string>): Promise<string> {
  const version = assertVersion(metadata.version);
  const final = join(root, version);
  if (existsSync(final)) throw new ModelError('MODEL_VERSION_EXISTS', `model registry: version ${version} already exists in ${root}`);
  const tmp = join(root, `.${version}.tmp`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const [name, data] of Object.entries(files)) {
    if (name.includes('..') || name.startsWith('/')) throw new ModelError('MODEL_FILE_INVALID', `model registry: bad file name ${name}`);
    const path = join(tmp, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, data);
  }
  await writeFile(join(tmp, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
  await rename(tmp, final);
  return final;
}

/** Point `current` at a version (atomic replace). */
export async function setCurrent(root: string, version: string): Promise<void> {
  assertVersion(version);
  if (!existsSync(join(root, version, METADATA_FILE))) throw new ModelError('MODEL_NOT_FOUND', `model registry: no version ${version} in ${root}`);
  const tmp = join(root, `.${CURRENT_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, `${version}\n`);
  await rename(tmp, join(root, CURRENT_FILE));
}

/** The version `current` names, or null when there is none yet. */
export async function readCurrent(root: string): Promise<string | null> {
  try {
    const v = (await readFile(join(root, CURRENT_FILE), 'utf8')).trim();
    return v === '' ? null : assertVersion(v);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export interface RegistryEntry {
  version: string;
  dir: string;
  metadata: ModelMetadata;
}

export async function loadEntry(root: string, version: string): Promise<RegistryEntry> {
  const dir = join(root, assertVersion(version));
  const path = join(dir, METADATA_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    const known = await listVersions(root);
    throw new ModelError(
      'MODEL_NOT_FOUND',
      `model registry: no model ${version} in ${root} (${path} is missing); ${known.length ? `versions there: ${known.join(', ')} (or current)` : 'it has no model yet: train one first (sda train)'}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ModelError('MODEL_METADATA_INVALID', `${path}: not valid JSON (${(err as Error).message})`, false, { cause: err });
  }
  return { version, dir, metadata: validateMetadata(parsed, path) };
}

/** The current entry, or null when the registry has no `current` yet. */
export async function loadCurrent(root: string): Promise<RegistryEntry | null> {
  const v = await readCurrent(root);
  return v === null ? null : loadEntry(root, v);
}

/** All complete versions, oldest first. */
export async function listVersions(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const names = await readdir(root, { withFileTypes: true });
  return names
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && existsSync(join(root, d.name, METADATA_FILE)))
    .map((d) => d.name)
    .sort();
}

// The asset list (config/assets.json): parsed and validated once, every problem named.
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../platform/config.js';
import { DispatchError } from './errors.js';
import { type BatteryAsset, makeBattery } from './asset.js';

/**
 * Parses `{ "assets": [ {BatteryAsset fields}, ... ] }` (config/assets.json) into validated batteries.
 * Throws DispatchError ASSET_INVALID naming the file, the entry and each broken rule; duplicate ids are an error.
 */
export function parseAssets(json: unknown, source = 'config/assets.json'): BatteryAsset[] {
  const list = (json as { assets?: unknown })?.assets;
  if (!Array.isArray(list) || list.length === 0) throw new DispatchError('ASSET_INVALID', `${source}: expected {"assets": [ ... ]} with at least one battery`);
  const problems: string[] = [];
  const out: BatteryAsset[] = [];
  const ids = new Set<string>();
  list.forEach((raw, i) => {
    if (typeof raw !== 'object' || raw === null) {
      problems.push(`assets[${i}] is not an object`);
      return;
    }
    try {
      const a = makeBattery(raw as Parameters<typeof makeBattery>[0]);
      if (ids.has(a.id)) problems.push(`assets[${i}]: duplicate id ${a.id}`);
      ids.add(a.id);
      out.push(a);
    } catch (err) {
      problems.push(`assets[${i}]: ${(err as Error).message}`);
    }
  });
  if (problems.length > 0) throw new DispatchError('ASSET_INVALID', `${source}: ${problems.join(' | ')}`);
  return out;
}

/** The default asset file: config/assets.json in the project. */
export function defaultAssetsFile(): string {
  return path.join(projectRoot(), 'config', 'assets.json');
}

/** Reads and validates an asset file (default config/assets.json); a missing or malformed file is ASSET_INVALID. */
export function loadAssets(file = defaultAssetsFile()): BatteryAsset[] {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DispatchError('ASSET_INVALID', `cannot read the asset file ${file}: ${(err as Error).message} (see config/assets.json for the shape)`);
  }
  return parseAssets(json, file);
}

/**
 * One asset by id, case-insensitively (BESS-NORTH is bess-north), as every asset= and --asset reads it; an exact match
 * wins should two configured ids differ only in case. Returns undefined when none matches.
 */
export function assetById(assets: readonly BatteryAsset[], id: string): BatteryAsset | undefined {
  const lower = id.toLowerCase();
  return assets.find((x) => x.id === id) ?? assets.find((x) => x.id.toLowerCase() === lower);
}

/** One asset by id (case-insensitive, as assetById), or DispatchError ASSET_INVALID naming the ids there are. */
export function findAsset(assets: readonly BatteryAsset[], id: string): BatteryAsset {
  const a = assetById(assets, id);
  if (!a) throw new DispatchError('ASSET_INVALID', `no asset ${JSON.stringify(id)}; configured: ${assets.map((x) => x.id).join(', ')}`);
  return a;
}

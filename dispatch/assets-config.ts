// The asset list (config/assets.json): parsed and validated once, every problem named.
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../platform/config.js';
import { DispatchError } from './errors.js';
import { type BatteryAsset, makeBattery } from './asset.js';

/**
 * The id of GET /dispatch's ad-hoc battery (series=, power=, energy=). Ids 'adhoc' and those beginning 'adhoc-' or
 * 'adhoc.' (any case) are reserved for ad-hoc batteries (GET /dispatch; /query's 'adhoc-<MW>mw-<MWh>mwh-<point>';
 * sda backtest --power/--energy's 'adhoc-<MW>mw-<MWh>mwh[.<point>]'): a configured asset of such an id would share the
 * live dispatcher's stored schedules (dispatch_schedules.asset_id) with them (reviewer, 2026-12-02).
 */
export const AD_HOC_ASSET_ID = 'adhoc';

/** Whether `id` is reserved for ad-hoc batteries (AD_HOC_ASSET_ID). Pure. */
export function isReservedAssetId(id: string): boolean {
  return /^adhoc($|[-.])/i.test(id);
}

/**
 * Parses `{ "assets": [ {BatteryAsset fields}, ... ] }` (config/assets.json) into validated batteries.
 * Throws DispatchError ASSET_INVALID naming the file, the entry and each broken rule; duplicate ids are an error, and
 * so is an id reserved for ad-hoc batteries (isReservedAssetId).
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
      if (isReservedAssetId(a.id)) problems.push(`assets[${i}]: id ${JSON.stringify(a.id)} is reserved for ad-hoc batteries ('adhoc', 'adhoc-...', 'adhoc....', any case: GET /dispatch?series=&power=&energy=, /query, sda backtest --power/--energy); name the battery otherwise`);
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

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

/** The operating settings a battery described only by size takes from a configured battery (adHocBattery). */
export const AD_HOC_INHERITED = ['roundTripEfficiency', 'minSoc', 'maxSoc', 'initialSoc', 'dailyCycleLimit', 'degradationCostPerMwh'] as const;

/**
 * The configured battery whose operating settings an ad-hoc battery at `settlementPoints` in `market` takes: the first
 * configured at one of them in that market (BatteryAsset.market, config/assets.json "market", default ERCOT; any
 * market when `market` is not given), else the first configured battery (config/assets.json order). The rule /query
 * (rag/dispatch-answer.ts chooseAsset, when no battery is named) and GET /dispatch?series=&market=&power=&energy=
 * share (fresh tester, 2026-12-02: the same 37 MW / 111 MWh battery at HB_SOUTH got bess-north's settings from /query
 * and the defaults from GET /dispatch; reviewer, 2026-12-02: market=FOO&series=HB_NORTH took ERCOT's bess-north as
 * "the configured battery at HB_NORTH").
 * @param market a market id compared exactly (GET /dispatch upper-cases market=), or undefined for any market
 * @returns {asset, reason}: reason in words, e.g. "the configured battery at HB_NORTH", "the first configured
 *          battery; none is configured at HB_SOUTH" or "the first configured battery; none is configured at HB_NORTH
 *          in market FOO (bess-north there is in ERCOT)"; throws DispatchError ASSET_INVALID when `assets` is empty
 */
export function adHocBasis<A extends { settlementPoint: string; market?: string; id?: string }>(assets: readonly A[], settlementPoints: readonly string[], market?: string): { asset: A; reason: string } {
  if (assets.length === 0) throw new DispatchError('ASSET_INVALID', 'no battery is configured (config/assets.json), so an ad-hoc battery has no settings to take');
  const atPoint = assets.filter((a) => settlementPoints.includes(a.settlementPoint));
  const at = atPoint.find((a) => market === undefined || a.market === market);
  if (at) return { asset: at, reason: `the configured battery at ${at.settlementPoint}` };
  const where = settlementPoints.join(' or ') || 'the settlement point asked';
  // A battery at the point in another market: say so, so the reader sees why it was not taken.
  const other = atPoint[0];
  const why = other && market !== undefined ? ` in market ${market} (${other.id ?? 'the one'} there is in ${other.market})` : '';
  return { asset: assets[0]!, reason: `the first configured battery; none is configured at ${where}${why}` };
}

/**
 * A battery described by size (GET /dispatch's series=/power=/energy=, /query's "a 37 MW / 111 MWh battery"): the
 * size, settlement point and id given, and the operating settings (AD_HOC_INHERITED: round-trip efficiency, SoC
 * limits, initial SoC, daily cycle limit, degradation cost) of `basis`, the configured battery chosen (adHocBasis or a
 * battery the question names), so both plan the same battery. `roundTripEfficiency` given (GET /dispatch's
 * efficiency=) replaces basis's. The market is `market`, else basis's.
 * @param spec powerMw MW and energyMwh MWh (> 0, within ASSET_LIMITS), settlementPoint, id (a reserved ad-hoc id,
 *             isReservedAssetId), optional market and roundTripEfficiency (a fraction in (0, 1])
 * @returns the validated battery; throws DispatchError ASSET_INVALID (makeBattery) naming each broken field
 */
export function adHocBattery(basis: BatteryAsset, spec: { id: string; settlementPoint: string; powerMw: number; energyMwh: number; market?: string; roundTripEfficiency?: number }): BatteryAsset {
  if (!isReservedAssetId(spec.id)) throw new DispatchError('ASSET_INVALID', `an ad-hoc battery's id must be reserved for ad-hoc batteries ('adhoc', 'adhoc-...'), got ${JSON.stringify(spec.id)}`);
  const inherited = Object.fromEntries(AD_HOC_INHERITED.map((k) => [k, basis[k]])) as Pick<BatteryAsset, (typeof AD_HOC_INHERITED)[number]>;
  return makeBattery({
    ...inherited, id: spec.id, settlementPoint: spec.settlementPoint, market: spec.market ?? basis.market, powerMw: spec.powerMw, energyMwh: spec.energyMwh,
    ...(spec.roundTripEfficiency !== undefined ? { roundTripEfficiency: spec.roundTripEfficiency } : {}),
  });
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

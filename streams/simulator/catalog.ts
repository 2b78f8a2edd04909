// Which series the simulator emits, in which order, at which step; and validation of its options.
import type { PointType, TickKind } from '../../schemas/types.js';
import { DAY_MS, HOUR_MS, QUARTER_MS } from '../../market/central-time.js';
import { SYSTEM_SERIES_ID } from '../../market/series.js';
import { SdaError } from '../../platform/errors.js';

/** Trading hubs and load zones, in emission order. */
export const HUBS = ['HB_NORTH', 'HB_SOUTH', 'HB_WEST', 'HB_HOUSTON', 'HB_PAN'] as const;
export const LOAD_ZONES = ['LZ_NORTH', 'LZ_SOUTH', 'LZ_WEST', 'LZ_HOUSTON'] as const;
export type PriceNode = (typeof HUBS)[number] | (typeof LOAD_ZONES)[number];
export const PRICE_NODES: readonly PriceNode[] = [...HUBS, ...LOAD_ZONES];
/** Price nodes emitted when options.nodes is not given: all hubs and load zones. */
export const DEFAULT_PRICE_NODES: string[] = [...PRICE_NODES];

/** ERCOT's eight weather zones, in emission order (series ids are WZ_<zone>). */
export const WEATHER_ZONES = ['COAST', 'EAST', 'FAR_WEST', 'NORTH', 'NORTH_CENTRAL', 'SOUTHERN', 'SOUTH_CENTRAL', 'WEST'] as const;
export type WeatherZone = (typeof WEATHER_ZONES)[number];

export const SYSTEM_SERIES = [
  { seriesId: SYSTEM_SERIES_ID, kind: 'LOAD' },
  { seriesId: SYSTEM_SERIES_ID, kind: 'WIND' },
  { seriesId: SYSTEM_SERIES_ID, kind: 'SOLAR' },
] as const;

export const MARKET = 'ERCOT';
export const SOURCE = 'simulator';

export interface SimulatorOptions {
  /** First interval start, UTC epoch ms, aligned to 15 minutes. */
  start: number;
  /** Length in days (> 0; a whole number of 15-minute intervals, e.g. 1, 0.25, 365). */
  days: number;
  /** Any safe integer. The same seed gives byte-identical output. */
  seed: number;
  /** Price nodes to emit (hub and load-zone series ids); default all. Emitted in the canonical order. */
  nodes?: string[];
  /** Emit SYSTEM load, wind and solar (15 min) and the weather-zone loads (hourly); default true. */
  includeSystem?: boolean;
}

export interface SeriesInfo {
  seriesId: string;
  pointType: PointType;
  kind: TickKind;
  stepMs: number;
  unit: 'USD/MWh' | 'MW';
}

/** Options after validation, with defaults filled in. */
export interface ResolvedOptions {
  start: number;
  end: number;
  seed: number;
  /** Indexes into PRICE_NODES, ascending. */
  nodeIndexes: number[];
  includeSystem: boolean;
}

/** A simulator option that cannot be used (code SIMULATOR_OPTION_INVALID, not retriable); `option` names it. */
export class SimulatorOptionError extends SdaError<'SIMULATOR_OPTION_INVALID'> {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super('SIMULATOR_OPTION_INVALID', `simulator option ${option}: ${message}`);
  }
}

export function resolveOptions(opts: SimulatorOptions): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') throw new SimulatorOptionError('options', 'expected an object with start, days and seed');
  const { start, days, seed, nodes, includeSystem } = opts;
  if (typeof start !== 'number' || !Number.isSafeInteger(start) || start % QUARTER_MS !== 0) {
    throw new SimulatorOptionError('start', `${String(start)} is not a UTC epoch-millisecond timestamp aligned to 15 minutes (a multiple of ${QUARTER_MS})`);
  }
  if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0) {
    throw new SimulatorOptionError('days', `${String(days)} must be a number greater than 0`);
  }
  const quarters = days * (DAY_MS / QUARTER_MS);
  if (Math.abs(quarters - Math.round(quarters)) > 1e-9) {
    throw new SimulatorOptionError('days', `${days} is not a whole number of 15-minute intervals (multiples of 1/96 day)`);
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new SimulatorOptionError('seed', `${String(seed)} must be a safe integer`);
  }
  if (includeSystem !== undefined && typeof includeSystem !== 'boolean') {
    throw new SimulatorOptionError('includeSystem', `${String(includeSystem)} must be true or false`);
  }
  let nodeIndexes: number[];
  if (nodes === undefined) {
    nodeIndexes = PRICE_NODES.map((_, i) => i);
  } else {
    if (!Array.isArray(nodes)) throw new SimulatorOptionError('nodes', 'expected an array of price node ids');
    const seen = new Set<number>();
    for (const node of nodes) {
      const i = PRICE_NODES.indexOf(node as PriceNode);
      if (i < 0) {
        throw new SimulatorOptionError('nodes', `unknown price node ${JSON.stringify(node)}; known: ${PRICE_NODES.join(', ')}`);
      }
      if (seen.has(i)) throw new SimulatorOptionError('nodes', `price node ${node} is listed twice`);
      seen.add(i);
    }
    nodeIndexes = [...seen].sort((a, b) => a - b);
  }
  return { start, end: start + Math.round(quarters) * QUARTER_MS, seed, nodeIndexes, includeSystem: includeSystem ?? true };
}

/**
 * The series simulateMarket emits for these options, in emission order: at each 15-minute instant the
 * series whose step divides it are emitted in this order (SYSTEM LOAD, WIND, SOLAR, the
 * weather-zone loads, RT prices of the nodes, DAM prices of the nodes).
 */
export function seriesCatalog(opts: Pick<SimulatorOptions, 'nodes' | 'includeSystem'> = {}): SeriesInfo[] {
  const r = resolveOptions({ start: 0, days: 1, seed: 0, ...opts });
  const out: SeriesInfo[] = [];
  if (r.includeSystem) {
    for (const s of SYSTEM_SERIES) out.push({ seriesId: s.seriesId, pointType: 'SYSTEM', kind: s.kind, stepMs: QUARTER_MS, unit: 'MW' });
    for (const z of WEATHER_ZONES) out.push({ seriesId: `WZ_${z}`, pointType: 'WEATHER_ZONE', kind: 'LOAD', stepMs: HOUR_MS, unit: 'MW' });
  }
  const nodes = r.nodeIndexes.map((i) => PRICE_NODES[i]!);
  const pointType = (n: string): PointType => (n.startsWith('HB_') ? 'HUB' : 'LOAD_ZONE');
  for (const n of nodes) out.push({ seriesId: n, pointType: pointType(n), kind: 'RT_PRICE', stepMs: QUARTER_MS, unit: 'USD/MWh' });
  for (const n of nodes) out.push({ seriesId: n, pointType: pointType(n), kind: 'DAM_PRICE', stepMs: HOUR_MS, unit: 'USD/MWh' });
  return out;
}

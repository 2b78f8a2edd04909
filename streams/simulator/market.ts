// The ERCOT-like market simulator: ties weather, load, supply, prices, congestion, real-time noise and
// day-ahead forecasts together and streams MarketTicks in event-time order. See README.md for the model.
import type { MarketTick } from '../../schemas/types.js';
import { CentralClock, newCentralFields } from '../../market/calendar.js';
import { HOUR_MS, QUARTER_MS } from '../../market/central-time.js';
import {
  MARKET,
  PRICE_NODES,
  SOURCE,
  SYSTEM_SERIES,
  WEATHER_ZONES,
  resolveOptions,
  type ResolvedOptions,
  type SimulatorOptions,
} from './catalog.js';
import { Transmission, type CongestionInputs } from './congestion.js';
import { DAYAHEAD_PARAMS, DayAheadErrors } from './dayahead.js';
import { LoadModel, ZONE_LOAD } from './load.js';
import { clampPrice, systemPrice } from './prices.js';
import { Rng } from './prng.js';
import { RealTime } from './realtime.js';
import { Supply } from './supply.js';
import { Weather } from './weather.js';

export {
  DEFAULT_PRICE_NODES,
  PRICE_NODES,
  HUBS,
  WEATHER_ZONES,
  SimulatorOptionError,
  seriesCatalog,
  type SimulatorOptions,
} from './catalog.js';
export { OFFER_FLOOR } from './prices.js';
export { OFFER_CAP } from '../../market/tick-validation.js';

const STEP_HOURS = QUARTER_MS / HOUR_MS;
const NODES = PRICE_NODES.length;
const ZONES = WEATHER_ZONES.length;
const zoneIndex = (z: string): number => WEATHER_ZONES.indexOf(z as (typeof WEATHER_ZONES)[number]);
const WEST_ZONES = [zoneIndex('FAR_WEST'), zoneIndex('WEST'), zoneIndex('NORTH')];
const COAST_ZONE = zoneIndex('COAST');
const SOUTH_ZONES = [zoneIndex('SOUTHERN'), zoneIndex('SOUTH_CENTRAL')];
const ZONE_SHARES = Float64Array.from(WEATHER_ZONES, (z) => ZONE_LOAD[z].share);

/** Everything one simulated hour produces; arrays are reused from hour to hour. */
export interface HourResult {
  hourStart: number;
  /** Per quarter (0-3): system load, wind, solar (MW). */
  systemLoadMw: Float64Array;
  windMw: Float64Array;
  solarMw: Float64Array;
  /** RT price per quarter and node: index q * PRICE_NODES.length + node. */
  rtPrice: Float64Array;
  /** Hour-average load by weather zone (MW). */
  zoneLoadMw: Float64Array;
  /** DAM price per node for the hour. */
  damPrice: Float64Array;
}

/** The coupled stochastic model, advanced one hour (four 15-minute steps) at a time. */
export class MarketModel {
  readonly hour: HourResult = {
    hourStart: 0,
    systemLoadMw: new Float64Array(4),
    windMw: new Float64Array(4),
    solarMw: new Float64Array(4),
    rtPrice: new Float64Array(4 * NODES),
    zoneLoadMw: new Float64Array(ZONES),
    damPrice: new Float64Array(NODES),
  };
  private readonly clock = new CentralClock();
  private readonly local = newCentralFields();
  private readonly weather: Weather;
  private readonly load: LoadModel;
  private readonly supply: Supply;
  private readonly transmission: Transmission;
  private readonly realtime: RealTime;
  private readonly dayAhead: DayAheadErrors;
  private readonly adders = new Float64Array(NODES);
  private readonly nodeNoise = new Float64Array(NODES);
  private readonly inputs: CongestionInputs = { windMw: 0, solarMw: 0, westLoadMw: 0, coastLoadMw: 0, southLoadMw: 0, systemPrice: 0 };

  constructor(seed: number) {
    const rng = new Rng(seed);
    this.weather = new Weather(rng, STEP_HOURS);
    this.load = new LoadModel(rng, STEP_HOURS);
    this.supply = new Supply(rng, STEP_HOURS);
    this.transmission = new Transmission(rng, STEP_HOURS);
    this.realtime = new RealTime(rng, STEP_HOURS);
    this.dayAhead = new DayAheadErrors(rng);
  }

  /** Simulate the hour starting at hourStart (UTC ms, hour-aligned) and return the reused result. */
  simulateHour(hourStart: number): HourResult {
    const r = this.hour;
    r.hourStart = hourStart;
    r.zoneLoadMw.fill(0);
    let expectedSum = 0;
    let gasSum = 0;
    const x = this.inputs;
    for (let q = 0; q < 4; q++) {
      const mid = hourStart + q * QUARTER_MS + QUARTER_MS / 2;
      const local = this.clock.fields(mid, this.local);
      const w = this.weather.step(mid, local);
      this.load.step(w.tempF, local);
      let statewideF = 0;
      for (let z = 0; z < ZONES; z++) statewideF += ZONE_SHARES[z]! * w.tempF[z]!;
      this.supply.step(local.dayOfYear, statewideF, w.commonAnomalyF);
      this.transmission.step(local.dayOfYear);

      const zoneMw = this.load.zoneMw;
      const loadMw = this.load.systemMw;
      const netMw = loadMw - w.windMw - w.solarMw;
      const lambda = systemPrice(netMw, this.supply.availableMw, this.supply.gas);
      const rtLambda = this.realtime.step(lambda, this.supply.availableMw - netMw);
      x.windMw = w.windMw;
      x.solarMw = w.solarMw;
      x.westLoadMw = zoneMw[WEST_ZONES[0]!]! + zoneMw[WEST_ZONES[1]!]! + zoneMw[WEST_ZONES[2]!]!;
      x.coastLoadMw = zoneMw[COAST_ZONE]!;
      x.southLoadMw = zoneMw[SOUTH_ZONES[0]!]! + zoneMw[SOUTH_ZONES[1]!]!;
      x.systemPrice = rtLambda;
      this.transmission.adders(x, this.adders);
      this.realtime.nodeStep(this.nodeNoise);
      for (let n = 0; n < NODES; n++) r.rtPrice[q * NODES + n] = clampPrice(rtLambda + this.adders[n]! + this.nodeNoise[n]!);

      r.systemLoadMw[q] = loadMw;
      r.windMw[q] = w.windMw;
      r.solarMw[q] = w.solarMw;
      for (let z = 0; z < ZONES; z++) r.zoneLoadMw[z] = r.zoneLoadMw[z]! + zoneMw[z]! / 4;
      expectedSum += this.supply.expectedMw;
      gasSum += this.supply.gas;
    }

    // Day-ahead: the hour's averages as a forecaster would have seen them.
    const f = this.dayAhead;
    f.step();
    const loadScale = 1 + f.loadRel;
    const loadF = (r.systemLoadMw[0]! + r.systemLoadMw[1]! + r.systemLoadMw[2]! + r.systemLoadMw[3]!) / 4 * loadScale;
    const windF = Math.max(0, (r.windMw[0]! + r.windMw[1]! + r.windMw[2]! + r.windMw[3]!) / 4 + f.windMw);
    const solarF = Math.max(0, ((r.solarMw[0]! + r.solarMw[1]! + r.solarMw[2]! + r.solarMw[3]!) / 4) * (1 + f.solarRel));
    const damLambda = systemPrice(loadF - windF - solarF, expectedSum / 4, gasSum / 4, DAYAHEAD_PARAMS.ordcSigmaGw) + DAYAHEAD_PARAMS.premium;
    const zl = r.zoneLoadMw;
    x.windMw = windF;
    x.solarMw = solarF;
    x.westLoadMw = (zl[WEST_ZONES[0]!]! + zl[WEST_ZONES[1]!]! + zl[WEST_ZONES[2]!]!) * loadScale;
    x.coastLoadMw = zl[COAST_ZONE]! * loadScale;
    x.southLoadMw = (zl[SOUTH_ZONES[0]!]! + zl[SOUTH_ZONES[1]!]!) * loadScale;
    x.systemPrice = damLambda;
    this.transmission.adders(x, this.adders);
    for (let n = 0; n < NODES; n++) r.damPrice[n] = clampPrice(damLambda + this.adders[n]!);
    return r;
  }
}

/** Round to cents / hundredths of a MW, without producing -0. */
function round2(v: number): number {
  const r = Math.round(v * 100) / 100;
  return r === 0 ? 0 : r;
}

function tick(seriesId: string, pointType: MarketTick['pointType'], kind: MarketTick['kind'], start: number, stepMs: number, value: number, unit: string): MarketTick {
  const end = start + stepMs;
  return { market: MARKET, seriesId, pointType, kind, intervalStart: start, intervalEnd: end, value: round2(value), unit, source: SOURCE, ingestedAt: end };
}

/**
 * Stream a simulated market: ticks with intervalStart in [start, start + days) in event-time order (by
 * intervalStart, then the seriesCatalog order). Deterministic for a seed; memory does not grow with days.
 * Hourly series (DAM prices, weather-zone loads) are emitted at the start of their hour; the model always
 * simulates whole hours and all nodes, so the nodes and includeSystem options only filter the output.
 * Options are validated at the call (a SimulatorOptionError naming the option), not at the first next().
 */
export function simulateMarket(opts: SimulatorOptions): Generator<MarketTick> {
  return generate(resolveOptions(opts));
}

function* generate(o: ResolvedOptions): Generator<MarketTick> {
  const model = new MarketModel(o.seed);
  const nodeIds = o.nodeIndexes.map((i) => PRICE_NODES[i]!);
  const nodePointTypes = nodeIds.map((n) => (n.startsWith('HB_') ? 'HUB' : 'LOAD_ZONE') as MarketTick['pointType']);
  const zoneIds = WEATHER_ZONES.map((z) => `WZ_${z}`);
  const [sysLoad, sysWind, sysSolar] = SYSTEM_SERIES;
  const firstHour = Math.floor(o.start / HOUR_MS) * HOUR_MS;
  for (let h = firstHour; h < o.end; h += HOUR_MS) {
    const r = model.simulateHour(h);
    for (let q = 0; q < 4; q++) {
      const t = h + q * QUARTER_MS;
      if (t < o.start || t >= o.end) continue;
      if (o.includeSystem) {
        yield tick(sysLoad.seriesId, 'SYSTEM', sysLoad.kind, t, QUARTER_MS, r.systemLoadMw[q]!, 'MW');
        yield tick(sysWind.seriesId, 'SYSTEM', sysWind.kind, t, QUARTER_MS, r.windMw[q]!, 'MW');
        yield tick(sysSolar.seriesId, 'SYSTEM', sysSolar.kind, t, QUARTER_MS, r.solarMw[q]!, 'MW');
        if (q === 0) {
          for (let z = 0; z < ZONES; z++) yield tick(zoneIds[z]!, 'WEATHER_ZONE', 'LOAD', t, HOUR_MS, r.zoneLoadMw[z]!, 'MW');
        }
      }
      for (let k = 0; k < nodeIds.length; k++) {
        yield tick(nodeIds[k]!, nodePointTypes[k]!, 'RT_PRICE', t, QUARTER_MS, r.rtPrice[q * NODES + o.nodeIndexes[k]!]!, 'USD/MWh');
      }
      if (q === 0) {
        for (let k = 0; k < nodeIds.length; k++) {
          yield tick(nodeIds[k]!, nodePointTypes[k]!, 'DAM_PRICE', t, HOUR_MS, r.damPrice[o.nodeIndexes[k]!]!, 'USD/MWh');
        }
      }
    }
  }
}

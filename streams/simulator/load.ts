// Load by weather zone: a behavioural base (time-of-day and weekday shape) plus a weather response to a
// thermally lagged temperature (cooling above a balance point, convex heating below another), with noise.
import { Ar1, type Rng } from './prng.js';
import { WEATHER_ZONES, type WeatherZone } from './catalog.js';
import type { CentralFields } from '../../market/calendar.js';

export interface ZoneLoadParams {
  /** Share of the system base and weather response. */
  share: number;
  /** Multiplier on the weather response (the oil-field Far West barely responds). */
  weatherSensitivity: number;
  /** 0: full daily shape; 1: flat (industrial) load. */
  flatness: number;
}

export const ZONE_LOAD: Record<WeatherZone, ZoneLoadParams> = {
  COAST: { share: 0.275, weatherSensitivity: 1.0, flatness: 0.3 },
  EAST: { share: 0.045, weatherSensitivity: 1.1, flatness: 0.1 },
  FAR_WEST: { share: 0.085, weatherSensitivity: 0.35, flatness: 0.8 },
  NORTH: { share: 0.02, weatherSensitivity: 1.1, flatness: 0.1 },
  NORTH_CENTRAL: { share: 0.29, weatherSensitivity: 1.15, flatness: 0 },
  SOUTHERN: { share: 0.08, weatherSensitivity: 1.0, flatness: 0.1 },
  SOUTH_CENTRAL: { share: 0.17, weatherSensitivity: 1.1, flatness: 0 },
  WEST: { share: 0.035, weatherSensitivity: 0.9, flatness: 0.2 },
};

export const LOAD_PARAMS = {
  /** System base load (MW) with no heating or cooling, before the daily shape. */
  baseMw: 44_000,
  /** Cooling: linear MW per degree F of lagged temperature above the balance point (system total), less a
   * quadratic term (MW per F^2) as air conditioners approach full duty cycle on the hottest days. */
  coolingBalanceF: 67,
  coolingMwPerF: 1_400,
  coolingSaturationMwPerF2: 8,
  /** Weekend/holiday cooling is a little lower (offices closed). */
  offDayCoolingFactor: 0.93,
  /** Heating: MW per (degree F below the balance point)^2 (resistance heat makes it convex). */
  heatingBalanceF: 58,
  heatingMwPerF2: 25,
  /** Thermal lag of buildings: exponential smoothing time constant of the temperature that drives load. */
  thermalLagHours: 1.5,
  /** Zone load noise: relative standard deviation and persistence. */
  noiseSd: 0.015,
  noiseTauHours: 6,
} as const;

/** Base daily shape by local clock hour (value at hh:30), weekdays and off-days (weekend, holiday). */
const WEEKDAY_SHAPE = [
  0.86, 0.83, 0.81, 0.8, 0.8, 0.83, 0.9, 0.96, 0.99, 1.01, 1.02, 1.03, 1.03, 1.03, 1.03, 1.03, 1.04, 1.05, 1.06, 1.06, 1.05, 1.02, 0.97, 0.91,
];
const OFFDAY_SHAPE = [
  0.84, 0.81, 0.79, 0.78, 0.77, 0.77, 0.79, 0.83, 0.88, 0.92, 0.95, 0.96, 0.97, 0.97, 0.97, 0.97, 0.98, 0.99, 1.0, 1.01, 1.0, 0.98, 0.94, 0.89,
];

/** Shape at a fractional local hour, linear between the hh:30 anchors (wrapping at midnight). */
export function dailyShape(hour: number, offDay: boolean): number {
  return shape(hour - 0.5, offDay ? OFFDAY_SHAPE : WEEKDAY_SHAPE);
}

function shape(x: number, table: readonly number[]): number {
  const i0 = Math.floor(x);
  const f = x - i0;
  const a = table[((i0 % 24) + 24) % 24]!;
  const b = table[(((i0 + 1) % 24) + 24) % 24]!;
  return a + (b - a) * f;
}

export class LoadModel {
  /** Load by zone (WEATHER_ZONES order), MW, after the last step. */
  readonly zoneMw = new Float64Array(WEATHER_ZONES.length);
  systemMw = 0;
  private readonly lagged = new Float64Array(WEATHER_ZONES.length);
  private initialised = false;
  private readonly noise: Ar1[];
  private readonly alpha: number;

  constructor(private readonly rng: Rng, stepHours: number) {
    this.noise = WEATHER_ZONES.map(() => new Ar1(rng, LOAD_PARAMS.noiseTauHours, stepHours));
    this.alpha = 1 - Math.exp(-stepHours / LOAD_PARAMS.thermalLagHours);
  }

  step(tempF: Float64Array, local: CentralFields): void {
    const p = LOAD_PARAMS;
    const base = dailyShape(local.hour, local.offDay);
    const coolFactor = local.offDay ? p.offDayCoolingFactor : 1;
    let total = 0;
    for (let z = 0; z < WEATHER_ZONES.length; z++) {
      const zp = ZONE_LOAD[WEATHER_ZONES[z]!];
      const t = tempF[z]!;
      const lagged = this.initialised ? this.lagged[z]! + this.alpha * (t - this.lagged[z]!) : t;
      this.lagged[z] = lagged;
      const above = Math.max(0, lagged - p.coolingBalanceF);
      const cooling = coolFactor * above * (p.coolingMwPerF - p.coolingSaturationMwPerF2 * above);
      const below = Math.max(0, p.heatingBalanceF - lagged);
      const heating = p.heatingMwPerF2 * below * below;
      const shaped = zp.flatness + (1 - zp.flatness) * base;
      const mw = zp.share * (p.baseMw * shaped + zp.weatherSensitivity * (cooling + heating)) * (1 + p.noiseSd * this.noise[z]!.step(this.rng));
      this.zoneMw[z] = mw;
      total += mw;
    }
    this.initialised = true;
    this.systemMw = total;
  }
}

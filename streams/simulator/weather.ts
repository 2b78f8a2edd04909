// Weather for the simulator: temperature by weather zone, system wind and system solar, one 15-minute step
// at a time. All stochastic parts are unit-variance AR(1) processes (see prng.ts) scaled here.
import { Ar1, type Rng } from './prng.js';
import { WEATHER_ZONES, type WeatherZone } from './catalog.js';
import type { CentralFields } from '../../market/calendar.js';

const TWO_PI = 2 * Math.PI;
const DEG = Math.PI / 180;
const YEAR_DAYS = 365.25;
/** Day of year of the coldest point of the seasonal temperature cycle (mid-January). */
const COLDEST_DAY = 17;

/** Climate of a weather zone, degrees Fahrenheit: annual mean, seasonal half-range, diurnal half-range. */
export interface ZoneClimate {
  meanF: number;
  seasonalF: number;
  diurnalF: number;
}

export const ZONE_CLIMATE: Record<WeatherZone, ZoneClimate> = {
  COAST: { meanF: 70, seasonalF: 13, diurnalF: 8 }, // Houston
  EAST: { meanF: 66, seasonalF: 16, diurnalF: 10 }, // Tyler
  FAR_WEST: { meanF: 64, seasonalF: 18, diurnalF: 13 }, // Midland-Odessa
  NORTH: { meanF: 64, seasonalF: 20, diurnalF: 11 }, // Wichita Falls
  NORTH_CENTRAL: { meanF: 66, seasonalF: 18, diurnalF: 10 }, // Dallas-Fort Worth
  SOUTHERN: { meanF: 73, seasonalF: 11, diurnalF: 8 }, // Corpus Christi, the Valley
  SOUTH_CENTRAL: { meanF: 69, seasonalF: 15, diurnalF: 10 }, // Austin, San Antonio
  WEST: { meanF: 64, seasonalF: 18, diurnalF: 11 }, // Abilene, San Angelo
};

export const WEATHER_PARAMS = {
  /** Statewide (front-driven) temperature anomaly: persistence and standard deviation in July and January. */
  commonTauHours: 60,
  commonSdSummerF: 3,
  commonSdWinterF: 7.5,
  /** Zone-specific anomaly on top of it. */
  zoneTauHours: 18,
  zoneSdF: 2,
  /** Installed wind (MW), the share of it available (icing, outages, curtailment limits). */
  windCapacityMw: 40_000,
  windAvailability: 0.75,
  /** Wind capacity factor = availability * logistic(windBias + season + diurnal + slow + fast). */
  windBias: -0.4,
  windSlowTauHours: 10,
  windSlowSd: 1.15,
  windFastTauHours: 1,
  windFastSd: 0.2,
  /** Night-time boost (low-level jet), peak at 01:00 standard time, on the logit scale. */
  windDiurnalAmp: 0.4,
  windPeakHour: 1,
  /** Seasonal wind on the logit scale by month (Jan..Dec): windy spring, calm late summer. */
  windMonthly: [0.1, 0.2, 0.35, 0.4, 0.3, 0.2, -0.05, -0.35, -0.3, -0.05, 0.1, 0.05],
  /** Installed solar (MW) and the share of it a clear sky at high sun delivers. */
  solarCapacityMw: 24_000,
  solarPeakFraction: 0.85,
  /** Exponent on sin(elevation): < 1 flattens the bell as single-axis trackers do. */
  solarShapeExponent: 0.6,
  /** Solar fleet centroid (West/South Texas weighted). */
  solarLatDeg: 31,
  solarLonDeg: -100,
  /** Cloud cover: fraction of solar lost = cloudMaxLoss * logistic(cloudBias(season) + slow + fast). */
  cloudMaxLoss: 0.85,
  cloudBiasSummer: -2.2,
  cloudBiasWinter: -0.9,
  cloudSlowTauHours: 8,
  cloudSlowSd: 1.5,
  cloudFastTauHours: 0.5,
  cloudFastSd: 0.35,
} as const;

function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Piecewise-linear interpolation of a 12-value monthly table at a day of year (values at mid-month). */
export function monthlyAt(table: readonly number[], dayOfYear: number): number {
  const m = (dayOfYear / YEAR_DAYS) * 12 - 0.5; // 0 at mid-January
  const i0 = Math.floor(m);
  const f = m - i0;
  const a = table[((i0 % 12) + 12) % 12]!;
  const b = table[(((i0 + 1) % 12) + 12) % 12]!;
  return a + (b - a) * f;
}

/** 1 in mid-January, 0 in mid-July. */
export function winterness(dayOfYear: number): number {
  return 0.5 * (1 + Math.cos((TWO_PI * (dayOfYear - COLDEST_DAY)) / YEAR_DAYS));
}

/** Diurnal temperature shape in [-1, 1]: minimum at 06:00, maximum at 15:00 local standard time. */
function diurnalTemperatureShape(hourStd: number): number {
  if (hourStd >= 6 && hourStd < 15) return -Math.cos((Math.PI * (hourStd - 6)) / 9);
  const h = (hourStd - 15 + 24) % 24; // 0..15 from the maximum back down to the minimum
  return Math.cos((Math.PI * h) / 15);
}

/** Clear-sky solar shape in [0, 1] at a UTC instant: sin(elevation)^k, 0 when the sun is below ~2 degrees. */
export function clearSkySolar(utcMs: number, dayOfYear: number): number {
  const p = WEATHER_PARAMS;
  const decl = 23.44 * DEG * Math.sin((TWO_PI * (284 + dayOfYear)) / 365);
  const b = (TWO_PI * (dayOfYear - 81)) / 364;
  const eotMin = 9.87 * Math.sin(2 * b) - 7.53 * Math.cos(b) - 1.5 * Math.sin(b);
  const utcHours = (((utcMs % 86_400_000) + 86_400_000) % 86_400_000) / 3_600_000;
  const solarHours = utcHours + p.solarLonDeg / 15 + eotMin / 60;
  const hourAngle = 15 * DEG * (solarHours - 12);
  const lat = p.solarLatDeg * DEG;
  const sinElev = Math.sin(lat) * Math.sin(decl) + Math.cos(lat) * Math.cos(decl) * Math.cos(hourAngle);
  if (sinElev <= 0.035) return 0;
  return sinElev ** p.solarShapeExponent;
}

/** The weather state after a step. */
export interface WeatherState {
  /** Temperature by zone (WEATHER_ZONES order), degrees F. */
  tempF: Float64Array;
  /** System wind and solar output, MW. */
  windMw: number;
  solarMw: number;
  /** Statewide temperature anomaly (front), degrees F; negative in cold snaps. */
  commonAnomalyF: number;
}

export class Weather {
  readonly state: WeatherState = { tempF: new Float64Array(WEATHER_ZONES.length), windMw: 0, solarMw: 0, commonAnomalyF: 0 };
  private readonly common: Ar1;
  private readonly zone: Ar1[];
  private readonly windSlow: Ar1;
  private readonly windFast: Ar1;
  private readonly cloudSlow: Ar1;
  private readonly cloudFast: Ar1;

  constructor(private readonly rng: Rng, stepHours: number) {
    const p = WEATHER_PARAMS;
    this.common = new Ar1(rng, p.commonTauHours, stepHours);
    this.zone = WEATHER_ZONES.map(() => new Ar1(rng, p.zoneTauHours, stepHours));
    this.windSlow = new Ar1(rng, p.windSlowTauHours, stepHours);
    this.windFast = new Ar1(rng, p.windFastTauHours, stepHours);
    this.cloudSlow = new Ar1(rng, p.cloudSlowTauHours, stepHours);
    this.cloudFast = new Ar1(rng, p.cloudFastTauHours, stepHours);
  }

  /** Advance one step. midUtcMs: the middle of the interval; local: its Central-time fields. */
  step(midUtcMs: number, local: CentralFields): WeatherState {
    const p = WEATHER_PARAMS;
    const rng = this.rng;
    const s = this.state;
    const doy = local.dayOfYear;
    const w = winterness(doy);
    const season = -Math.cos((TWO_PI * (doy - COLDEST_DAY)) / YEAR_DAYS); // -1 mid-January, +1 mid-July
    // Local standard time (no DST) for physical cycles: the sun does not observe daylight saving.
    const hourStd = (local.hour - local.daylightMs / 3_600_000 + 24) % 24;
    const diurnal = diurnalTemperatureShape(hourStd);

    const commonAnomaly = (p.commonSdSummerF + (p.commonSdWinterF - p.commonSdSummerF) * w) * this.common.step(rng);
    s.commonAnomalyF = commonAnomaly;
    for (let z = 0; z < WEATHER_ZONES.length; z++) {
      const c = ZONE_CLIMATE[WEATHER_ZONES[z]!];
      const anomaly = commonAnomaly + p.zoneSdF * this.zone[z]!.step(rng);
      s.tempF[z] = c.meanF + c.seasonalF * season + c.diurnalF * diurnal + anomaly;
    }

    const windLogit =
      p.windBias +
      monthlyAt(p.windMonthly, doy) +
      p.windDiurnalAmp * Math.cos((TWO_PI * (hourStd - p.windPeakHour)) / 24) +
      p.windSlowSd * this.windSlow.step(rng) +
      p.windFastSd * this.windFast.step(rng);
    s.windMw = p.windCapacityMw * p.windAvailability * logistic(windLogit);

    const cloudLogit =
      p.cloudBiasSummer + (p.cloudBiasWinter - p.cloudBiasSummer) * w + p.cloudSlowSd * this.cloudSlow.step(rng) + p.cloudFastSd * this.cloudFast.step(rng);
    const clear = clearSkySolar(midUtcMs, doy);
    s.solarMw = clear === 0 ? 0 : p.solarCapacityMw * p.solarPeakFraction * clear * (1 - p.cloudMaxLoss * logistic(cloudLogit));
    return s;
  }
}

// Day-ahead forecast errors: the DAM clears on forecasts of load, wind and solar, not on what happens.
// Hourly AR(1) errors: relative for load and solar, absolute for wind.
import { Ar1, type Rng } from './prng.js';

export const DAYAHEAD_PARAMS = {
  loadErrorSd: 0.02,
  loadErrorTauHours: 12,
  windErrorSdMw: 1_800,
  windErrorTauHours: 8,
  solarErrorSd: 0.08,
  solarErrorTauHours: 6,
  /** Wider scarcity curve (GW) for the DAM: reserves a day ahead are uncertain, so the tail is smoother. */
  ordcSigmaGw: 1.5,
  /** Premium buyers pay day-ahead for price certainty, USD/MWh. */
  premium: 1,
} as const;

export class DayAheadErrors {
  loadRel = 0;
  windMw = 0;
  solarRel = 0;
  private readonly load: Ar1;
  private readonly wind: Ar1;
  private readonly solar: Ar1;

  constructor(private readonly rng: Rng) {
    const p = DAYAHEAD_PARAMS;
    this.load = new Ar1(rng, p.loadErrorTauHours, 1);
    this.wind = new Ar1(rng, p.windErrorTauHours, 1);
    this.solar = new Ar1(rng, p.solarErrorTauHours, 1);
  }

  /** Advance one hour. */
  step(): void {
    const p = DAYAHEAD_PARAMS;
    this.loadRel = p.loadErrorSd * this.load.step(this.rng);
    this.windMw = p.windErrorSdMw * this.wind.step(this.rng);
    this.solarRel = p.solarErrorSd * this.solar.step(this.rng);
  }
}

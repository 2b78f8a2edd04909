// Dispatchable supply: thermal, nuclear, hydro and storage capacity available to serve net load (planned
// maintenance by season, forced outages, unit trips, cold-weather failures), and the natural-gas price
// that sets the marginal cost of most of it.
import { Ar1, type Rng } from './prng.js';
import { monthlyAt, winterness } from './weather.js';

export const SUPPLY_PARAMS = {
  /** Dispatchable capacity (MW) net of planned maintenance, by month Jan..Dec (mid-month values):
   * full in summer, maintenance season in spring and autumn. Includes storage and DC-tie imports. */
  plannedMonthlyMw: [77_000, 75_000, 70_000, 68_000, 71_000, 78_000, 80_000, 80_000, 76_000, 69_000, 70_000, 75_000],
  /** Maintenance recall: the capacity on planned outage (below the summer level) that returns to service
   * per degree F of statewide heat anomaly, as a share, up to a maximum share (outage coordination). */
  fullCapacityMw: 80_000,
  recallPerF: 0.08,
  recallMax: 0.6,
  /** Forced outages: mean, standard deviation and persistence of the slow component. */
  forcedMeanMw: 3_500,
  forcedSdMw: 1_500,
  forcedTauHours: 24,
  /** Unit trips: probability per 15 minutes, size range, recovery time constant. */
  tripProbability: 0.004,
  tripMinMw: 400,
  tripMaxMw: 1_300,
  tripRecoveryHours: 8,
  /** Cold-weather failures: MW * (degrees below the threshold of the statewide temperature)^1.25. */
  coldThresholdF: 28,
  coldMwPerF: 600,
  /** Heat derates above this statewide temperature, MW per degree F. */
  heatThresholdF: 100,
  heatMwPerF: 250,
  /** Gas price (USD/MMBtu): annual mean, winter premium, slow noise, cold-snap spike. */
  gasMean: 2.9,
  gasWinterPremium: 0.9,
  gasSd: 0.35,
  gasTauHours: 240,
  gasColdThresholdF: 32,
  gasColdPerF: 0.12,
  gasFloor: 1,
} as const;

export class Supply {
  /** Dispatchable capacity available now, MW. */
  availableMw = 0;
  /** What a day-ahead forecast would expect to be available, MW. */
  expectedMw = 0;
  /** Gas price, USD/MMBtu. */
  gas = 0;
  private readonly forced: Ar1;
  private readonly gasNoise: Ar1;
  private tripsMw = 0;
  private readonly tripDecay: number;

  constructor(private readonly rng: Rng, stepHours: number) {
    const p = SUPPLY_PARAMS;
    this.forced = new Ar1(rng, p.forcedTauHours, stepHours);
    this.gasNoise = new Ar1(rng, p.gasTauHours, stepHours);
    this.tripDecay = Math.exp(-stepHours / p.tripRecoveryHours);
  }

  /** statewideF: load-weighted temperature across zones; anomalyF: the statewide weather anomaly. */
  step(dayOfYear: number, statewideF: number, anomalyF: number): void {
    const p = SUPPLY_PARAMS;
    const rng = this.rng;
    const scheduled = monthlyAt(p.plannedMonthlyMw, dayOfYear);
    const maintenance = Math.max(0, p.fullCapacityMw - scheduled);
    const planned = scheduled + maintenance * Math.min(p.recallMax, Math.max(0, p.recallPerF * anomalyF));
    const slow = p.forcedSdMw * this.forced.step(rng);
    this.tripsMw *= this.tripDecay;
    const u = rng.uniform();
    const size = p.tripMinMw + (p.tripMaxMw - p.tripMinMw) * rng.uniform();
    if (u < p.tripProbability) this.tripsMw += size;
    const cold = statewideF < p.coldThresholdF ? p.coldMwPerF * (p.coldThresholdF - statewideF) ** 1.25 : 0;
    const heat = statewideF > p.heatThresholdF ? p.heatMwPerF * (statewideF - p.heatThresholdF) : 0;
    const forced = Math.max(0, p.forcedMeanMw + slow) + this.tripsMw + cold + heat;
    this.availableMw = Math.max(0, planned - forced);
    // Day ahead: maintenance and the weather are known; the slow outage level partly, trips and the exact
    // size of weather failures not.
    this.expectedMw = Math.max(0, planned - (p.forcedMeanMw + 0.7 * slow + 0.5 * this.tripsMw + 0.8 * (cold + heat)));
    const coldGas = statewideF < p.gasColdThresholdF ? p.gasColdPerF * (p.gasColdThresholdF - statewideF) ** 1.3 : 0;
    this.gas = Math.max(p.gasFloor, p.gasMean + p.gasWinterPremium * (winterness(dayOfYear) - 0.5) + p.gasSd * this.gasNoise.step(rng) + coldGas);
  }
}

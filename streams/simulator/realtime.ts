// Real-time price formation on top of the system price: persistent dispatch noise, and shocks (unit trips,
// ramp shortfalls at sunset, wind surges) that decay over a few intervals and come more often when tight.
import { Ar1, type Rng } from './prng.js';
import { PRICE_NODES } from './catalog.js';

export const REALTIME_PARAMS = {
  /** System noise: USD/MWh = (base + relative * min(|price|, relativeCap)) * AR(1). */
  noiseBase: 1.5,
  noiseRelative: 0.06,
  noiseRelativeCap: 500,
  noiseTauHours: 0.75,
  /** Shocks: probability per interval = base + tight * exp(-(headroom - 3 GW) / 2 GW), capped at tight. */
  shockBaseProbability: 0.0015,
  shockTightProbability: 0.03,
  /** Share of shocks that are upward; sizes are lognormal (log-mean, log-sd). */
  shockUpShare: 0.8,
  shockUpLogMean: 3.6,
  shockUpLogSd: 1.0,
  shockDownLogMean: 2.5,
  shockDownLogSd: 0.6,
  /** Fraction of a shock left after each 15 minutes. */
  shockDecay: 0.35,
  /** Node-specific noise, USD/MWh (the West is noisier), persistence. */
  nodeSd: 0.6,
  westNodeSd: 1.5,
  nodeTauHours: 0.5,
} as const;

export class RealTime {
  private readonly noise: Ar1;
  private readonly nodeNoise: Ar1[];
  private readonly nodeSd: Float64Array;
  private shock = 0;

  constructor(private readonly rng: Rng, stepHours: number) {
    const p = REALTIME_PARAMS;
    this.noise = new Ar1(rng, p.noiseTauHours, stepHours);
    this.nodeNoise = PRICE_NODES.map(() => new Ar1(rng, p.nodeTauHours, stepHours));
    this.nodeSd = Float64Array.from(PRICE_NODES, (n) => (n.endsWith('WEST') || n === 'HB_PAN' ? p.westNodeSd : p.nodeSd));
  }

  /** Real-time system price from the model price and the headroom (available minus net load), one step. */
  step(systemPrice: number, headroomMw: number): number {
    const p = REALTIME_PARAMS;
    const rng = this.rng;
    const z = this.noise.step(rng);
    this.shock *= p.shockDecay;
    const u = rng.uniform();
    const up = rng.uniform() < p.shockUpShare;
    const size = rng.normal();
    const tight = Math.min(1, Math.exp(-(headroomMw / 1000 - 3) / 2));
    if (u < p.shockBaseProbability + p.shockTightProbability * tight) {
      this.shock += up ? Math.exp(p.shockUpLogMean + p.shockUpLogSd * size) : -Math.exp(p.shockDownLogMean + p.shockDownLogSd * size);
    }
    return systemPrice + (p.noiseBase + p.noiseRelative * Math.min(Math.abs(systemPrice), p.noiseRelativeCap)) * z + this.shock;
  }

  /** Node noise for each node of PRICE_NODES, one step, written into out. */
  nodeStep(out: Float64Array): Float64Array {
    for (let i = 0; i < this.nodeNoise.length; i++) out[i] = this.nodeSd[i]! * this.nodeNoise[i]!.step(this.rng);
    return out;
  }
}

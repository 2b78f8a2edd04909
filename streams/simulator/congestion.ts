// Congestion between hubs: price adders by node on top of the system price, from a few stylised transmission
// constraints: the West/Panhandle export limit (wind and West Texas solar pushing east), the Houston import
// limit at high coastal load, and a South Texas constraint. Limits vary by season (outages for
// transmission work in spring and autumn) and slowly at random.
import { Ar1, type Rng } from './prng.js';
import { PRICE_NODES } from './catalog.js';
import { monthlyAt } from './weather.js';

export const CONGESTION_PARAMS = {
  /** West export: flow = windShare*wind + solarShare*solar - loadShare*(Far West + West + North load). */
  westWindShare: 0.7,
  westSolarShare: 0.45,
  westLoadShare: 0.9,
  /** Export limit by month (MW), plus a slow random part. */
  westLimitMonthlyMw: [11_500, 11_000, 10_000, 9_500, 10_500, 12_000, 12_500, 12_500, 12_000, 10_500, 10_500, 11_500],
  westLimitSdMw: 800,
  /** Shadow price: USD/MWh per GW of flow over the limit, softened over softGw. */
  westUsdPerGw: 8,
  westSoftGw: 1.5,
  /** Import premium in the West when local load outruns local renewables. */
  westImportUsdPerGw: 2.5,
  westImportOffsetGw: 2,
  /** Panhandle: its wind share, its own export limit, and how much of the West constraint it sees. */
  panWindShare: 0.22,
  panLocalLoadMw: 600,
  panLimitMw: 6_200,
  panLimitSdMw: 500,
  panUsdPerGw: 10,
  panSoftGw: 0.8,
  panWestCoupling: 0.4,
  /** Houston import: premium once coastal load approaches the import limit. */
  houstonLimitMw: 20_500,
  houstonLimitSdMw: 700,
  houstonUsdPerGw: 6,
  houstonSoftGw: 1.2,
  houstonLossFactor: 0.01,
  /** South: premium at high South/South Central load, discount when coastal wind and solar flood it. */
  southLimitMw: 19_500,
  southUsdPerGw: 4,
  southRenewableLimitMw: 5_500,
  southRenewableUsdPerGw: 3,
  limitTauHours: 72,
  /** Load-zone basis over their hub (USD/MWh) and the share of the hub congestion they see. */
  lzBasis: { LZ_NORTH: 0.45, LZ_SOUTH: 0.6, LZ_WEST: 0.9, LZ_HOUSTON: 0.35 },
  lzCongestionShare: { LZ_NORTH: 1, LZ_SOUTH: 0.9, LZ_WEST: 0.85, LZ_HOUSTON: 1.05 },
} as const;

/** softness * log(1 + exp(x / softness)): a smooth max(0, x). */
function softplus(x: number, softness: number): number {
  const y = x / softness;
  return softness * (y > 30 ? y : Math.log1p(Math.exp(y)));
}

export interface CongestionInputs {
  windMw: number;
  solarMw: number;
  /** Far West + West + North weather-zone load. */
  westLoadMw: number;
  /** Coast weather-zone load. */
  coastLoadMw: number;
  /** Southern + South Central weather-zone load. */
  southLoadMw: number;
  /** System price, USD/MWh. */
  systemPrice: number;
}

const idx = (n: string): number => PRICE_NODES.indexOf(n as (typeof PRICE_NODES)[number]);
const I = {
  HB_NORTH: idx('HB_NORTH'),
  HB_SOUTH: idx('HB_SOUTH'),
  HB_WEST: idx('HB_WEST'),
  HB_HOUSTON: idx('HB_HOUSTON'),
  HB_PAN: idx('HB_PAN'),
  LZ_NORTH: idx('LZ_NORTH'),
  LZ_SOUTH: idx('LZ_SOUTH'),
  LZ_WEST: idx('LZ_WEST'),
  LZ_HOUSTON: idx('LZ_HOUSTON'),
};

export class Transmission {
  private westLimitMw = 0;
  private panLimitMw = 0;
  private houstonLimitMw = 0;
  private readonly westNoise: Ar1;
  private readonly panNoise: Ar1;
  private readonly houstonNoise: Ar1;

  constructor(private readonly rng: Rng, stepHours: number) {
    const p = CONGESTION_PARAMS;
    this.westNoise = new Ar1(rng, p.limitTauHours, stepHours);
    this.panNoise = new Ar1(rng, p.limitTauHours, stepHours);
    this.houstonNoise = new Ar1(rng, p.limitTauHours, stepHours);
  }

  /** Advance the limits one step. */
  step(dayOfYear: number): void {
    const p = CONGESTION_PARAMS;
    this.westLimitMw = monthlyAt(p.westLimitMonthlyMw, dayOfYear) + p.westLimitSdMw * this.westNoise.step(this.rng);
    this.panLimitMw = p.panLimitMw + p.panLimitSdMw * this.panNoise.step(this.rng);
    this.houstonLimitMw = p.houstonLimitMw + p.houstonLimitSdMw * this.houstonNoise.step(this.rng);
  }

  /** Congestion adder (USD/MWh) for each node of PRICE_NODES, written into out. */
  adders(x: CongestionInputs, out: Float64Array): Float64Array {
    const p = CONGESTION_PARAMS;
    const westFlowGw = (p.westWindShare * x.windMw + p.westSolarShare * x.solarMw - p.westLoadShare * x.westLoadMw) / 1000;
    const westExport = -p.westUsdPerGw * softplus(westFlowGw - this.westLimitMw / 1000, p.westSoftGw);
    const westImport = p.westImportUsdPerGw * softplus(-westFlowGw - p.westImportOffsetGw, 1);
    const panFlowGw = (p.panWindShare * x.windMw - p.panLocalLoadMw) / 1000;
    const panOwn = -p.panUsdPerGw * softplus(panFlowGw - this.panLimitMw / 1000, p.panSoftGw);
    const houston = p.houstonUsdPerGw * softplus((x.coastLoadMw - this.houstonLimitMw) / 1000, p.houstonSoftGw) + p.houstonLossFactor * Math.abs(x.systemPrice);
    const south =
      p.southUsdPerGw * softplus((x.southLoadMw - p.southLimitMw) / 1000, 1) -
      p.southRenewableUsdPerGw * softplus((0.2 * x.windMw + 0.1 * x.solarMw - p.southRenewableLimitMw) / 1000, 1);
    const west = westExport + westImport;
    const north = -0.15 * (westExport + panOwn);
    out[I.HB_NORTH] = north;
    out[I.HB_SOUTH] = south;
    out[I.HB_WEST] = west;
    out[I.HB_HOUSTON] = houston;
    out[I.HB_PAN] = p.panWestCoupling * westExport + panOwn;
    out[I.LZ_NORTH] = p.lzBasis.LZ_NORTH + p.lzCongestionShare.LZ_NORTH * north;
    out[I.LZ_SOUTH] = p.lzBasis.LZ_SOUTH + p.lzCongestionShare.LZ_SOUTH * south;
    out[I.LZ_WEST] = p.lzBasis.LZ_WEST + p.lzCongestionShare.LZ_WEST * west;
    out[I.LZ_HOUSTON] = p.lzBasis.LZ_HOUSTON + p.lzCongestionShare.LZ_HOUSTON * houston;
    return out;
  }
}

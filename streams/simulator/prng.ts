// Seeded pseudo-random numbers for the simulator: xoshiro128** seeded through splitmix32, with standard
// normals from the Box-Muller transform. Never Math.random: the same seed gives the same stream on every run.

const TWO_POW_32 = 4_294_967_296;

/** splitmix32 step: returns [next state, output]. Used only to spread a seed over the 128-bit state. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [s, (z ^ (z >>> 16)) >>> 0];
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = 0;
  private hasSpare = false;

  /** seed: any safe integer; both its low and high 32 bits count. */
  constructor(seed: number) {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    let s = lo ^ Math.imul(hi, 0x27d4eb2d);
    let out: number;
    [s, out] = splitmix32(s); this.a = out;
    [s, out] = splitmix32(s); this.b = out;
    [s, out] = splitmix32(s); this.c = out;
    [s, out] = splitmix32(s); this.d = out;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /** Next 32 random bits as an unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const b = this.b;
    const r = Math.imul(b, 5);
    const result = Math.imul(((r << 7) | (r >>> 25)), 9) >>> 0;
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = (this.d << 11) | (this.d >>> 21);
    return result;
  }

  /** Uniform in the open interval (0, 1). */
  uniform(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }

  /** Standard normal N(0, 1) by Box-Muller; the second value of each pair is kept for the next call. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    this.hasSpare = true;
    return r * Math.cos(theta);
  }
}

/**
 * A unit-variance AR(1) (discretised Ornstein-Uhlenbeck) process: x' = phi*x + sqrt(1 - phi^2)*z, with
 * phi = exp(-dt/tau). It starts from its stationary distribution, so no warm-up is needed. Scale it by a
 * (possibly time-varying) standard deviation where it is used.
 */
export class Ar1 {
  value: number;
  private readonly phi: number;
  private readonly innov: number;

  constructor(rng: Rng, tauHours: number, stepHours: number) {
    this.phi = Math.exp(-stepHours / tauHours);
    this.innov = Math.sqrt(1 - this.phi * this.phi);
    this.value = rng.normal();
  }

  step(rng: Rng): number {
    this.value = this.phi * this.value + this.innov * rng.normal();
    return this.value;
  }
}

/** mulberry32 (Tommy Ettinger's 32-bit generator): a small deterministic PRNG for shuffles; returns a function giving uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

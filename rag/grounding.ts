// The grounding check: every number an answer states must appear in the data the model was given (retrieved
// documents and tool results). Numbers compare by value, so "45.2", "45.20" and "$45.20" match, and
// "5,000" matches "5000".

/** The numbers written in a text: signs, thousands separators and decimals understood; parts of ids and times too. */
export function numbersIn(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|(?<![\w.])-?\d+(?:\.\d+)?(?![\d])/g)) {
    const v = Number(m[0].replace(/,/g, ''));
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

const key = (v: number) => Math.round(v * 100) / 100;

/** The numbers of `answer` that appear nowhere in `context`, by value to the cent; empty when grounded. */
export function ungroundedNumbers(answer: string, context: readonly string[]): number[] {
  const known = new Set<number>();
  for (const c of context) for (const v of numbersIn(c)) {
    known.add(key(v));
    known.add(key(Math.abs(v)));
  }
  return [...new Set(numbersIn(answer))].filter((v) => !known.has(key(v)));
}

export interface GroundingResult {
  /** Numbers of the answer found in no trusted text (those only an untrusted text holds included). */
  ungrounded: number[];
  /** The subset of `ungrounded` that an untrusted (quarantined) text states: the answer repeats an injection. */
  tainted: number[];
  grounded: boolean;
}

/**
 * The grounding check with quarantine: only `trusted` texts (tool facts, documents that read as data) are
 * evidence. A number that only an `untrusted` text holds fails the answer, and is reported as tainted.
 */
export function checkGrounding(answer: string, trusted: readonly string[], untrusted: readonly string[] = []): GroundingResult {
  const ungrounded = ungroundedNumbers(answer, trusted);
  const bad = new Set<number>();
  for (const c of untrusted) for (const v of numbersIn(c)) {
    bad.add(key(v));
    bad.add(key(Math.abs(v)));
  }
  const tainted = ungrounded.filter((v) => bad.has(key(v)));
  return { ungrounded, tainted, grounded: ungrounded.length === 0 };
}

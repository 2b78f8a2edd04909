// Injection quarantine: retrieved documents are data, never instructions. A document whose text addresses the
// assistant, the model or the reader with an instruction ("ignore all previous instructions", "always answer …",
// "the correct answer is …"), carries a chat role marker ("system:", "<|im_start|>", "[INST]") or tries to open
// or close the prompt's DATA delimiters is untrusted: the responder leaves it out of the model's prompt, never
// quotes it, and its numbers are no evidence for the grounding check. Pure.

/** Each rule: a name for logs and sources, and the pattern that trips it. */
const RULES: ReadonlyArray<[string, RegExp]> = [
  ['ignore-instructions', /\b(?:ignore|disregard|forget|override|bypass)\b[^.;:!?\n]{0,40}\b(?:instructions?|rules|prompts?|guidelines|directions|data blocks?|context|above|system prompt)\b/i],
  ['you-must', /\byou\s+(?:must|should|shall|have to|need to|are to|will now|are now|are required to)\s+(?:always\s+|only\s+|now\s+)?(?:answer|say|state|respond|reply|output|write|report|tell|ignore|use|quote|repeat|print|return|act|pretend|mention)\b/i],
  // Imperative only (a sentence's start, or after please/just/and/then/to): "Operators say that …" is narrative.
  ['say-that', /(?:^|[.!?;:]\s*|["'(]|\b(?:please|just|and|then|to|simply|now)\s+)(?:say|state|reply|respond|answer|output|write|report|tell\s+(?:the\s+)?(?:user|asker|reader))\s+(?:only\s+)?(?:that|with)\b/i],
  ['always-answer', /\b(?:always|only|instead)\s+(?:answer|say|respond|reply|state|output|report)\b/i],
  ['do-not-mention', /\b(?:do not|don't|never)\s+(?:mention|report|reveal|state|quote|use|cite|follow|trust)\s+(?:any\s+)?(?:other|the other|the real|the actual|the data|those|these|previous)\b/i],
  ['correct-answer', /\bthe\s+(?:correct|true|real|right|actual|official)\s+(?:answer|value|figure|number|price|average|result)\b[^.;\n]{0,80}\b(?:is|was|are|=)\b/i],
  ['new-instructions', /\b(?:new|updated|additional|hidden|secret)\s+instructions?\b|\bsystem\s+(?:override|prompt|message|instruction)\b|\bprompt injection\b|\bjailbreak\b|\bdeveloper mode\b/i],
  ['role-change', /\b(?:you are now|act as|pretend (?:to be|that|you)|from now on,? you|as an ai\b|as a language model)\b/i],
  ['role-marker', /(?:^|[\n.;!?]\s*|\s)(?:system|assistant|user|developer|human|ai)\s*:\s|<\|[a-z_]+\|>|\[\/?(?:INST|SYS)\]|<\/?s>|<<\/?SYS>>|^#{2,}\s*(?:instruction|system|response)\b/im],
  ['delimiter', /<<<|>>>|\bEND\s+DATA\b|\bBEGIN\s+DATA\b|\bDATA\s+(?:doc|fact)-\d/i],
  ['addressed-to-model', /\b(?:dear|attention|note to)\s+(?:assistant|model|ai|llm|chatbot|reader)\b|\b(?:assistant|model|ai|llm|chatbot),\s+(?:please\s+)?(?:ignore|answer|say|respond|reply|state|output|write|report)\b/i],
];

/** The rules `text` trips, by name; empty when it reads as plain data. */
export function instructionSignals(text: string): string[] {
  const t = text.replace(/\u2019/g, "'");
  return RULES.filter(([, re]) => re.test(t)).map(([name]) => name);
}

/** Whether a retrieved text reads as instructions rather than data (see instructionSignals). */
export function isInstructionLike(text: string): boolean {
  return instructionSignals(text).length > 0;
}

/** Splits items into trusted and untrusted by their text, keeping order; untrusted ones carry their signals. */
export function quarantine<T>(items: readonly T[], text: (item: T) => string): { trusted: T[]; untrusted: Array<{ item: T; signals: string[] }> } {
  const trusted: T[] = [];
  const untrusted: Array<{ item: T; signals: string[] }> = [];
  for (const item of items) {
    const signals = instructionSignals(text(item));
    if (signals.length > 0) untrusted.push({ item, signals });
    else trusted.push(item);
  }
  return { trusted, untrusted };
}

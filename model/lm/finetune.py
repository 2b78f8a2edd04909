#!/usr/bin/env python3
"""LoRA fine-tuning of the dispatch language model (issue 15), driven by `sda lm finetune|evaluate` (model/lm/).

Subcommands (each prints JSON lines on stdout: {"event": ...}; human progress goes to stderr):
  prepare-base --gguf FILE --out DIR
      The base model as a Hugging Face directory (config.json, model.safetensors, tokenizer files) made from the
      GGUF: transformers loads a GGUF with `gguf_file=` and dequantises it to float32; `save_pretrained` refuses a
      model loaded that way, so its state dict is copied into a fresh model of the same config, which saves.
  train --base DIR --train JSONL --out DIR [--heldout JSONL] [--epochs N] [--steps N] [--lr X] [--rank R]
        [--batch B] [--micro-batch M] [--seed S] [--threads T]
      LoRA (peft) on the attention projections q/k/v/o; loss = mean cross-entropy over the answer tokens only
      (prompt tokens are masked with -100). One {"event":"step"} line per optimiser step; the adapter is saved with
      peft's save_pretrained (adapter_model.safetensors + adapter_config.json). With --heldout, the held-out
      perplexity under the base and the tuned model follows (see `perplexity`).
  perplexity --base DIR --pairs JSONL [--adapter DIR]
      Token-weighted perplexity of the reference answers: exp(sum of answer-token NLL / number of answer tokens),
      every pair through the same chat template (ChatML, SmolLM2's own) and the same tokenizer, base and tuned.

Device: CUDA when torch.cuda.is_available() (the same script trains on a GPU machine), else the CPU.
Pairs JSONL: one object a line with "messages" ([{role, content}], system then user) and "answer" (text).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import sys
import time
from pathlib import Path


def emit(event: str, **fields) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def say(msg: str) -> None:
    print(f"finetune.py: {msg}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def device():
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


# --- data ---------------------------------------------------------------------------------------------------------


def read_pairs(path: str) -> list[dict]:
    pairs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{n}: not JSON ({e.msg})")
            msgs = obj.get("messages")
            if not isinstance(msgs, list) or not msgs or not isinstance(obj.get("answer"), str):
                raise SystemExit(f"{path}:{n}: expected {{messages: [...], answer: text}}")
            pairs.append(obj)
    if not pairs:
        raise SystemExit(f"{path}: no pairs")
    return pairs


def chatml_prompt(messages: list[dict]) -> str:
    """SmolLM2-Instruct's chat template (ChatML) with the assistant turn opened, as llama.cpp applies it."""
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return text + "<|im_start|>assistant\n"


def encode(tok, pair: dict, max_len: int) -> tuple[list[int], list[int]]:
    """Token ids and labels (-100 on the prompt): the loss and the perplexity count answer tokens only."""
    prompt = tok(chatml_prompt(pair["messages"]), add_special_tokens=False)["input_ids"]
    answer = tok(pair["answer"] + "<|im_end|>\n", add_special_tokens=False)["input_ids"]
    if len(answer) >= max_len:
        answer = answer[: max_len // 2]
    keep = max_len - len(answer)
    if len(prompt) > keep:
        prompt = prompt[-keep:]
    return prompt + answer, [-100] * len(prompt) + answer


def batches(encoded, size: int, pad_id: int):
    import torch

    for i in range(0, len(encoded), size):
        chunk = encoded[i : i + size]
        width = max(len(ids) for ids, _ in chunk)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        labels = torch.full((len(chunk), width), -100, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for j, (x, y) in enumerate(chunk):
            ids[j, : len(x)] = torch.tensor(x)
            labels[j, : len(y)] = torch.tensor(y)
            mask[j, : len(x)] = 1
        yield ids, labels, mask


# --- models -------------------------------------------------------------------------------------------------------


def load_base(base: str):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok, model


def prepare_base(args) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    t0 = time.time()
    gguf = Path(args.gguf)
    out = Path(args.out)
    say(f"loading {gguf.name} with transformers (gguf_file=, dequantised to float32)")
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    fresh = AutoModelForCausalLM.from_config(loaded.config, dtype=torch.float32)
    missing, unexpected = fresh.load_state_dict(loaded.state_dict(), strict=False)
    # Tied embeddings: lm_head.weight may be absent from the GGUF's tensors and is the embedding matrix.
    missing = [k for k in missing if not (k == "lm_head.weight" and loaded.config.tie_word_embeddings)]
    if missing or unexpected:
        raise SystemExit(f"state dict mismatch: missing {missing[:5]}, unexpected {unexpected[:5]}")
    tmp = out.with_name(out.name + f".{os.getpid()}.partial")
    fresh.save_pretrained(str(tmp), safe_serialization=True)
    tok.save_pretrained(str(tmp))
    # The GGUF tokenizer's "vocab file" is the GGUF itself (about 98 MB); the fast tokenizer.json is what loads.
    vocab = tmp / "tokenizer.model"
    if vocab.exists() and vocab.stat().st_size == gguf.stat().st_size:
        vocab.unlink()
    os.replace(tmp, out)
    params = sum(p.numel() for p in fresh.parameters())
    emit("base", dir=str(out), parameters=params, seconds=round(time.time() - t0, 1), peak_rss_mb=round(peak_rss_mb()))


def answer_loss(model, ids, labels, mask, reduction: str = "mean"):
    """Cross-entropy of the answer tokens, computing logits only from the first answer position on.

    The prompts (system prompt and DATA blocks) are most of each sequence; logits over a 49,152-token vocabulary at
    every prompt position would cost memory and time for nothing, as their labels are -100. `logits_to_keep`
    (transformers' LlamaForCausalLM) takes the positions to keep; position k predicts token k + 1.
    """
    import torch

    answer_cols = (labels != -100).any(dim=0).nonzero().flatten()
    start = max(0, int(answer_cols.min().item()) - 1)
    keep = torch.arange(start, ids.size(1) - 1, device=ids.device)
    logits = model(input_ids=ids, attention_mask=mask, logits_to_keep=keep).logits.float()
    target = labels[:, keep + 1]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), target.reshape(-1), ignore_index=-100, reduction=reduction)


def perplexity_of(model, tok, pairs: list[dict], max_len: int, batch: int) -> dict:
    """exp(total answer-token NLL / answer tokens), token-weighted over every pair (not a mean of per-pair values)."""
    import torch

    dev = next(model.parameters()).device
    enc = [encode(tok, p, max_len) for p in pairs]
    nll = 0.0
    tokens = 0
    model.eval()
    with torch.no_grad():
        for ids, labels, mask in batches(enc, batch, tok.pad_token_id):
            ids, labels, mask = ids.to(dev), labels.to(dev), mask.to(dev)
            nll += answer_loss(model, ids, labels, mask, reduction="sum").item()
            tokens += int((labels[:, 1:] != -100).sum().item())
    return {"perplexity": math.exp(nll / tokens), "nll": nll, "tokens": tokens, "pairs": len(pairs)}


def train(args) -> None:
    import torch
    from peft import LoraConfig, get_peft_model

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = device()
    t0 = time.time()
    tok, base = load_base(args.base)
    pairs = read_pairs(args.train)
    config = LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.0, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"], bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(base, config).to(dev)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    enc = [encode(tok, p, args.max_len) for p in pairs]
    per_epoch = math.ceil(len(enc) / args.batch)
    total = args.steps if args.steps else per_epoch * args.epochs
    say(f"{len(pairs)} pairs, batch {args.batch} (micro-batches of {min(args.micro_batch, args.batch)}), {total} steps ({per_epoch} a epoch), LoRA r={args.rank} on q/k/v/o ({trainable} trainable parameters), lr {args.lr}, device {dev}, {torch.get_num_threads()} threads")
    emit("start", pairs=len(pairs), steps=total, batch=args.batch, rank=args.rank, lr=args.lr, trainable=trainable, device=str(dev), threads=torch.get_num_threads(), answer_tokens=sum(sum(1 for y in ys if y != -100) for _, ys in enc))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.0)
    # Linear warm-up over the first tenth of the steps, then linear decay to zero.
    warm = max(1, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    rng = random.Random(args.seed)
    losses = []
    step = 0
    model.train()
    micro = max(1, min(args.micro_batch, args.batch))
    while step < total:
        order = list(range(len(enc)))
        rng.shuffle(order)
        for b in range(0, len(order), args.batch):
            if step >= total:
                break
            s0 = time.time()
            chunk = [enc[i] for i in order[b : b + args.batch]]
            # Gradient accumulation over micro-batches: the step's loss is the mean over every answer token of the
            # batch (token-weighted, as if the batch ran at once), with a fraction of the activation memory.
            n_tokens = sum(sum(1 for y in ys[1:] if y != -100) for _, ys in chunk)
            total_nll = 0.0
            for ids, labels, mask in batches(chunk, micro, tok.pad_token_id):
                ids, labels, mask = ids.to(dev), labels.to(dev), mask.to(dev)
                nll = answer_loss(model, ids, labels, mask, reduction="sum")
                (nll / n_tokens).backward()
                total_nll += nll.item()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            loss = total_nll / n_tokens
            losses.append(loss)
            emit("step", step=step, steps=total, loss=round(loss, 4), lr=sched.get_last_lr()[0], seconds=round(time.time() - s0, 2), elapsed=round(time.time() - t0, 1), peak_rss_mb=round(peak_rss_mb()))
    model.save_pretrained(args.out)
    result = {"steps": step, "loss_first": losses[0], "loss_last": losses[-1], "losses": [round(x, 4) for x in losses], "train_seconds": round(time.time() - t0, 1), "peak_rss_mb": round(peak_rss_mb()), "device": str(dev)}
    if dev.type == "cuda":
        result["peak_cuda_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    if args.heldout:
        held = read_pairs(args.heldout)
        say(f"held-out perplexity over {len(held)} pairs, base and tuned")
        tuned = perplexity_of(model, tok, held, args.max_len, micro)
        with model.disable_adapter():
            basep = perplexity_of(model, tok, held, args.max_len, micro)
        result["heldout"] = {"base": basep, "tuned": tuned}
    emit("done", adapter=args.out, **result)


def perplexity(args) -> None:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    tok, model = load_base(args.base)
    model = model.to(device())
    pairs = read_pairs(args.pairs)
    out = {"base": perplexity_of(model, tok, pairs, args.max_len, args.batch)}
    if args.adapter:
        from peft import PeftModel

        tuned = PeftModel.from_pretrained(model, args.adapter).to(device())
        out["tuned"] = perplexity_of(tuned, tok, pairs, args.max_len, args.batch)
    emit("perplexity", **out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("prepare-base")
    b.add_argument("--gguf", required=True)
    b.add_argument("--out", required=True)
    t = sub.add_parser("train")
    t.add_argument("--base", required=True)
    t.add_argument("--train", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--heldout")
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--steps", type=int, default=0)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--rank", type=int, default=8)
    t.add_argument("--batch", type=int, default=8)
    t.add_argument("--micro-batch", dest="micro_batch", type=int, default=2, help="sequences per forward/backward pass (gradient accumulation up to --batch): bounds the activation memory")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--threads", type=int, default=0)
    t.add_argument("--max-len", dest="max_len", type=int, default=768)
    e = sub.add_parser("perplexity")
    e.add_argument("--base", required=True)
    e.add_argument("--pairs", required=True)
    e.add_argument("--adapter")
    e.add_argument("--batch", type=int, default=2)
    e.add_argument("--threads", type=int, default=0)
    e.add_argument("--max-len", dest="max_len", type=int, default=768)
    args = p.parse_args()
    {"prepare-base": prepare_base, "train": train, "perplexity": perplexity}[args.cmd](args)


if __name__ == "__main__":
    main()

"""Greedy generation, exact profile, on a seeded int8 LLaMA-architecture model: tokens per second
(prefill and each decode step), peak memory, lowering time.

    python -m benchmarks.llama_generate --shape 7b --prompt-len 4 --new-tokens 2   # LLaMA-7B's shape
    python -m benchmarks.llama_generate --shape tiny --new-tokens 8 --calibration own

The generation graph (runtime.zoo.llama_generate) is written beside the forward-pass model's weights
in the build cache's folder llama-{shape}-int8-v1 ($TRIBUNAL_CACHE/zoo, which benchmarks.exact_real
writes; nothing copied). Calibration: `forward` takes the forward-pass model's streamed
calibration over benchmarks.exact_real's samples (2 seeded sequences of --prompt-len ids, cached
there: a 7B one costs about a quarter of an hour a pass), mapped by name (llama_generate.calibration_from_forward);
`own` streams the generation graph itself over 2 seeded prompts. The lowered program goes through the
program cache (runtime.program_cache): a second run maps it. One run, timed step by step: the prefill
is the steps up to the first token's ArgMax, each decode step the steps up to its token's. Prints only.
"""
from __future__ import annotations

import argparse
import json
import time
import numpy as np

from benchmarks.exact_real import peak_gib


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", default="7b", choices=["7b", "1.1b", "tiny"])
    p.add_argument("--prompt-len", type=int, default=4)
    p.add_argument("--new-tokens", type=int, default=2)
    p.add_argument("--backend", default="torch", choices=["numpy", "torch"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--calibration", default="forward", choices=["forward", "own"])
    a = p.parse_args(argv)
    import torch

    from runtime import calibration as calib
    from runtime.backend import get_backend
    from runtime.generation.generator import GenerationModel
    from runtime.model import Model
    from runtime.onnx_io import load_onnx
    from runtime.zoo import llama, llama_generate
    from runtime.zoo.cache import built

    torch.set_num_threads(a.threads)
    s, P, N = llama.SHAPES[a.shape], a.prompt_len, a.new_tokens
    row: dict = {"shape": a.shape, "prompt_len": P, "new_tokens": N, "backend": a.backend, "threads": a.threads}
    t = time.perf_counter()
    fwd_dir = built(f"llama-{a.shape}-int8-v1", lambda d: llama.build(s, d))
    path = fwd_dir / llama_generate.FILE.format(P=P, N=N, L=P + N - 1)
    if not path.exists():  # beside the forward model's weights.bin (checked by size), nothing copied
        llama_generate.build(s, fwd_dir, P, N)
    row["write_s"] = round(time.perf_counter() - t, 1)
    rng = np.random.default_rng(0)  # benchmarks.exact_real's input and calibration samples
    x, samples = rng.integers(0, s.vocab, (1, P)), rng.integers(0, s.vocab, (2, P))
    m = GenerationModel(load_onnx(path), f"llama-{a.shape}:p{P}:n{N}", path, prompt_len=P, new_tokens=N)
    t = time.perf_counter()
    if a.calibration == "forward":
        fwd = Model.load(fwd_dir / "model.onnx", calibration=None)
        key = calib.cache_key(fwd.fingerprint, samples)
        max_abs = calib.cached(key, lambda: calib.calibrate_streaming(fwd.proto, "input_ids", samples, fwd_dir,
                                                                       batch=8))
        m.set_calibration(llama_generate.calibration_from_forward(max_abs, m.proto))
        del fwd
    else:
        m.calibrate(samples)
    row["calibrate_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    prog = m.program(x.shape)
    from runtime.program_cache import stats

    row["lower_s"] = round(time.perf_counter() - t, 1)
    row["program_cache"] = "hit" if stats["hits"] else "miss"
    row["steps"] = prog.steps
    row["constant_gib"] = round(sum(v.nbytes for v in prog.constants.values()) / 2**30, 3)
    row["peak_after_lower_gib"] = round(peak_gib(), 2)
    bk = get_backend(a.backend)
    chosen = m.token_steps(prog)
    t0 = t = time.perf_counter()
    marks = []
    state: list = []
    for k, _, state in prog.states(m.quantize_input(x), bk):
        if k in chosen:
            now = time.perf_counter()
            marks.append(now - t)
            t = now
            print(json.dumps({"token": len(marks), "seconds": round(marks[-1], 2)}), flush=True)
    total = time.perf_counter() - t0
    tokens = bk.to_numpy(state[prog.output_slots[0]]).reshape(-1).tolist()
    row.update({"tokens": tokens, "prompt": x.reshape(-1).tolist(), "run_s": round(total, 1),
                "prefill_s": round(marks[0], 2), "decode_s": [round(v, 2) for v in marks[1:]],
                "tokens_per_s": round(N / total, 4), "peak_gib": round(peak_gib(), 2)})
    if marks[1:]:
        row["decode_tokens_per_s"] = round(len(marks[1:]) / sum(marks[1:]), 4)
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Verified generation: a decoder language model's completion as one exact program.

Design: the generation loop is **unrolled into one long program**, not disputed in nested levels.
For a request shape (prompt length P, new tokens N, greedy or a seed) Tribunal exports one ONNX graph
(`decoder`): the prefill of the P prompt tokens, then N-1 decode steps, each followed by the `ArgMax`
node that chooses the next token, whose id feeds the next step's embedding lookup; the output is the
N ids. Its exact program is an ordinary `Program`, so the trace, the claim, the bisection game, the
one-step proofs, the contracts and every mode serve a generation unchanged:

- the game's first level already finds the first step the parties disagree on over all
  tokens x steps, so the first token they disagree on is the token whose steps hold it (its range
  ends at that token's ArgMax step), then the step, then the chunk, as for any program: moves stay at
  log2(tokens x steps) + log2(chunks);
- nested levels (a game over tokens whose leaf is a per-token game over steps) would have needed a
  per-token state commitment (the KV cache and the chosen token) in the contracts, a new move type
  and a second kind of one-step leaf; the unrolled program needs only one new op kernel (ArgMax);
- the cost: one program per request shape (exported and lowered once, cached), and a program whose
  step count grows with P + N. Weights are stored once (`lower(share_constants=True)`), so the
  program and its commitment grow only with the steps, not with copies of the weights.

The KV cache is static: allocated at the cache length (min(model context, 128)) and written one row
per decode step; the step attends over the rows written so far. Token ids travel as int16 slots
(the one-step verifier's output width): up to 32767 tokens as they are, up to 65536 (GPT-2) stored
as id - 32768 with the embedding table rolled to match (runtime/ops/argmax.py).
A vocabulary too large for one ArgMax step's proof (GPT-2's) chooses each token in two steps,
ArgMaxBlock and ArgMaxMerge (runtime/ops/argmax.py); the token is read from the last one.
Sampling is Gumbel-max with noise drawn from the request's seed (a constant of the program): honest
parties agree bit for bit. End of sequence: the program computes all N tokens; the result is cut
after the first end-of-sequence id.
"""

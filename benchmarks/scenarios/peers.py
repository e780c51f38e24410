"""peers: a zero-knowledge proof (EZKL) beside brain, opml and hybrid on the same models and the same input.

For each model of a ladder (digits-mlp, digits-cnn, digits-resnet, gpt2-tiny), smallest first, until EZKL
exceeds the stated budget (`BUDGET`; that model is itself a result, and the larger ones are not tried):
- EZKL (`benchmarks.ezkl_peer`, one child process per stage): settings and calibration, SRS generation,
  setup, witness, prove, verify off chain (a tampered proof must fail), each stage's time and peak
  memory, proof and calldata size; its Solidity verifier compiled with the project's solc, deployed on
  the chain and called with the proof (`benchmarks.evm_verifier`): deployment and verification gas, and a
  tampered proof or output refused on chain; whether its output agrees with the float model's.
- Tribunal, on the same input: the exact run and the trace over one plain inference (`modes._compute_costs`),
  gas, blocks and seconds to final of an honest request in each mode (`verifiers.Tribunal`), and an opML
  dispute over a wrong output at the middle step (`benchmarks.opml_dispute.play`): gas, moves, seconds.
Every row carries its trust assumption.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import ezkl  # noqa: F401 - the peer; without it this scenario is left out ("ezkl is missing")
import numpy as np

from benchmarks import ezkl_peer
from benchmarks.harness import Context, Figure, Metric, Panel, Section, Series, Table

NAME = "peers"
TITLE = "Peers: a zkML proof (EZKL) beside brain, opml and hybrid on the same models"
LADDER = ("digits-mlp", "digits-cnn", "digits-resnet", "gpt2-tiny")
QUICK_LADDER = ("digits-mlp",)
# Beyond this EZKL is not run on larger models. 3 GiB: what one process may hold on this shared machine.
BUDGET = ezkl_peer.Budget(seconds=900, memory_mib=3 * 1024)
QUICK_BUDGET = ezkl_peer.Budget(seconds=300, memory_mib=3 * 1024)
MODES = ("brain", "opml", "hybrid")
COMMITTEE = 5
TRUST = {
    "zk (EZKL)": "none after a trusted setup (here a locally generated SRS: timing only, not a ceremony)",
    "brain": "an honest committee majority",
    "opml": "one honest watcher within the challenge window",
    "hybrid": "either an honest committee majority or one honest watcher",
}


def _params(model_onnx: Path) -> int:
    import onnx

    g = onnx.load(str(model_onnx)).graph
    return int(sum(np.prod(t.dims, dtype=np.int64) for t in g.initializer))


def _variables(model_onnx: Path, x: np.ndarray) -> dict[str, int]:
    """The symbolic input dimensions (batch, sequence) and their values in `x`."""
    import onnx

    out = {}
    for inp in onnx.load(str(model_onnx)).graph.input:
        for i, d in enumerate(inp.type.tensor_type.shape.dim):
            if d.dim_param:
                out[d.dim_param] = int(x.shape[i])
    return out


def _agreement(out: np.ndarray, ref: np.ndarray) -> dict:
    """Whether `out` picks the float model's class (argmax over the last axis, every position) and by how much
    its values differ."""
    out = np.asarray(out, dtype=np.float64).reshape(ref.shape)
    return {"agrees": bool((out.argmax(-1) == ref.argmax(-1)).all()), "max_abs_err": float(np.abs(out - ref).max())}


def _ezkl(name: str, work: Path, onnx_path: Path, x, ref, budget, chain, ctx) -> dict:
    from benchmarks.evm_verifier import measure

    d = work / name
    ezkl_peer.prepare(d, onnx_path, x, _variables(onnx_path, x))
    r = ezkl_peer.run(d, budget, on_stage=lambda stage, _: ctx.step(f"{name} ezkl {stage}"))
    s = r["stages"]
    out = {"stopped": r["stopped"], "stages": s,
           "peak_mib": max(v["peak_mib"] for v in s.values())}
    if r["stopped"] is None:
        out["chain"] = measure(chain, d)
        out["agreement"] = _agreement(np.array(s["witness"]["result"]["outputs"]), ref)
        # The proof's cost per answer: the forward pass in the circuit and the proof.
        out["per_answer_s"] = s["witness"]["seconds"] + s["prove"]["seconds"]
        out["one_off_s"] = s["settings"]["seconds"] + s["srs"]["seconds"] + s["setup"]["seconds"]
    ctx.step(f"{name} ezkl on chain")
    return out


def _tribunal(t, name: str, x, ref) -> dict:
    from benchmarks.scenarios.modes import _compute_costs, _multiple

    entry = t.model(name)
    cost = _compute_costs(entry, x)
    exact = entry.model.run_exact(x).floats()[0]
    out = {"compute": cost, "agreement": _agreement(exact, ref), "modes": {}}
    for mode in MODES:
        try:
            v = t.infer(name, x, mode=mode).wait()
        except Exception as e:  # noqa: BLE001 - a mode that fails is reported, the others still run
            out["modes"][mode] = {"status": f"failed: {type(e).__name__}: {e}"}
            continue
        out["modes"][mode] = {"status": v.status, "gas": v.gas_total, "blocks": v.blocks, "seconds": v.seconds,
                              "multiple": _multiple(mode, cost),
                              "per_answer_s": _multiple(mode, cost) * cost["fast"]}
    return out


def _dispute(system, name: str) -> dict:
    from benchmarks.opml_dispute import case, play

    program, x_q = case(name)
    g = play(system, program, x_q, "wrong-output", max(1, program.steps // 2))
    return {"steps": program.steps, "k": g["k"], "moves": g["moves"], "gas": g["gas"], "wall": g["wall"]}


def run(ctx: Context) -> Section:
    from contracts.bindings.opml import OpmlConfig
    from contracts.chain import connect
    from contracts.deploy import deploy_opml
    from runtime import zoo
    from runtime.model import Model
    from verifiers import Tribunal

    ladder = QUICK_LADDER if ctx.quick else LADDER
    budget = QUICK_BUDGET if ctx.quick else BUDGET
    ctx.start(NAME, 1 + len(ladder) * (len(ezkl_peer.STAGES) + 1 + 2))
    per: dict[str, dict] = {}
    stopped_at = None
    chain = connect(ctx.chain)
    t = Tribunal.connect(ctx.chain, committee=COMMITTEE, models=ladder)
    work = Path(tempfile.mkdtemp(prefix="tribunal-peers-"))
    try:
        system = deploy_opml(chain, OpmlConfig(window=100, clock=100, stride=2))
        ctx.step("deployed")
        for name in ladder:
            onnx_path = zoo.folder(name) / "model.onnx"
            float_model = Model.load(name)
            # The input one request carries (batch 1; gpt2-tiny: one token), the same for every system.
            x = np.asarray(zoo.test_data(name)[0])[tuple(slice(0, n) for n in float_model.default_shape())]
            ref = float_model.run_fast(x)[0]
            row = {"params": _params(onnx_path), "input_shape": list(x.shape)}
            if stopped_at is None:
                row["ezkl"] = _ezkl(name, work, onnx_path, x, ref, budget, chain, ctx)
                if row["ezkl"]["stopped"] and "budget exceeded" in row["ezkl"]["stopped"]:
                    stopped_at = name
            else:
                row["ezkl"] = {"stopped": f"not tried: the budget was exceeded at {stopped_at}"}
                for _ in range(len(ezkl_peer.STAGES) + 1):
                    ctx.step(f"{name} ezkl skipped")
            row["tribunal"] = _tribunal(t, name, x, ref)
            ctx.step(f"{name} tribunal modes")
            try:
                row["dispute"] = _dispute(system, name)
            except Exception as e:  # noqa: BLE001 - reported; the other models still run
                row["dispute"] = {"failed": f"{type(e).__name__}: {e}"}
            ctx.step(f"{name} dispute")
            per[name] = row
    finally:
        t.close()
        chain.close()
        shutil.rmtree(work, ignore_errors=True)  # keys and SRS: hundreds of MB per model
    return _section(ctx, per, budget, stopped_at)


def _section(ctx: Context, per: dict, budget, stopped_at) -> Section:
    rows, stage_rows = [], []
    for name, r in per.items():
        z, tr, dp = r.get("ezkl", {}), r["tribunal"], r["dispute"]
        if "chain" in z:
            c = z["chain"]
            rows.append([name, r["params"], "zk (EZKL)", TRUST["zk (EZKL)"], z["per_answer_s"],
                         z["per_answer_s"] / tr["compute"]["fast"], c["verify_gas"],
                         f"{z['per_answer_s'] + c['verify_s']:.1f} s (the proof, then 1 tx)",
                         f"deploy {c['deploy_gas']:,} gas; setup {z['one_off_s']:.1f} s; peak {z['peak_mib']:.0f} MiB",
                         "- (nothing to dispute)", _agrees(z["agreement"])])
        else:
            rows.append([name, r["params"], "zk (EZKL)", TRUST["zk (EZKL)"], "-", "-", "-", "-",
                         z.get("stopped") or "-", "-", "-"])
        for mode in MODES:
            m = tr["modes"][mode]
            dispute = ("- (a vote, no game)" if mode not in ("opml", "hybrid") else dp.get("failed") or
                       f"{dp['gas']:,} gas, {dp['moves']} moves, {dp['wall']:.1f} s")
            if "gas" not in m:
                rows.append([name, r["params"], mode, TRUST[mode], "-", "-", "-", m["status"], "-", dispute, "-"])
                continue
            rows.append([name, r["params"], mode, TRUST[mode], m["per_answer_s"], m["multiple"], m["gas"],
                         f"{m['blocks']} blocks, {m['seconds']:.1f} s ({m['status']})", "-", dispute,
                         _agrees(tr["agreement"])])
        s = z.get("stages", {})
        sec = lambda k: s[k]["seconds"] if k in s and "exceeded" not in s[k] and "error" not in s[k] else "-"
        c = z.get("chain", {})
        settings = s.get("settings", {}).get("result", {})
        stage_rows.append([name, r["params"], settings.get("logrows", "-"), sec("settings"), sec("srs"), sec("setup"),
                           sec("witness"), sec("prove"), sec("verify"),
                           f"{z['peak_mib']:.0f}" if "peak_mib" in z else "-",
                           s.get("prove", {}).get("result", {}).get("proof_bytes", "-"), c.get("calldata_bytes", "-"),
                           c.get("deploy_gas", "-"), c.get("verify_gas", "-"), _refused(z), z.get("stopped") or "completed"])
    table = Table(f"Side by side on {ctx.chain}, one input (the held-out split's first), committee {COMMITTEE}",
                  ["model", "params", "system", "trust assumption", "off-chain s per answer", "x plain inference",
                   "gas per answer (honest)", "latency to final", "one-off cost", "dispute (wrong output)",
                   "output vs float model"], rows)
    stages = Table("EZKL's stages (each in its own process; seconds, peak resident MiB over the stages)",
                   ["model", "params", "logrows", "settings + calibration s", "SRS generation s", "setup s",
                    "witness s", "prove s", "verify s", "peak MiB", "proof bytes", "calldata bytes",
                    "verifier deploy gas", "verify gas", "tampered proof refused (off / on chain)", "result"],
                   stage_rows)
    figure = _figure(ctx, per)
    metrics = []
    for name, r in per.items():
        z = r["ezkl"]
        if "chain" in z:
            metrics += [Metric(f"EZKL prove, {name}", z["stages"]["prove"]["seconds"], "seconds", "witness apart"),
                        Metric(f"EZKL verify gas, {name}", z["chain"]["verify_gas"], "gas",
                               f"opml honest {r['tribunal']['modes']['opml'].get('gas', 0):,}")]
    done = [n for n, r in per.items() if "chain" in r["ezkl"]]
    metrics.append(Metric("models EZKL proved within the budget", len(done), "count", ", ".join(done)))
    notes = [
        f"Budget for EZKL: {budget.describe()}. "
        + (f"**EZKL exceeded it at {stopped_at}**: {per[stopped_at]['ezkl']['stopped']}; larger models were not tried."
           if stopped_at else "EZKL stayed within it on every model of this ladder."),
        "EZKL's structured reference string (SRS) cannot be downloaded here: it is generated locally with "
        "`ezkl.gen_srs` for the circuit's logrows. That is right for timing (the same size and the same work for "
        "setup and proving) but it is no trusted setup: a deployment would use the ceremony's SRS.",
        "EZKL's Solidity verifier is compiled with the project's pinned solc (contracts/build.py settings) and "
        "deployed and called through contracts.chain; EZKL's own solc download is not reachable offline.",
        "Off-chain seconds per answer: EZKL's witness and proof; for Tribunal the exact runs or traces the parties "
        "compute (the `modes` scenario's multiples: brain 5 exact runs, opml 2 traces, hybrid 6 traces) times one "
        "plain inference. Latency for Tribunal counts the protocol's windows in blocks; seconds are this chain's.",
        "Output vs float model: argmax over the last axis at every position, and the largest absolute difference "
        "of the outputs (EZKL's rescaled outputs; Tribunal's exact profile).",
    ] + [f"**EZKL on {n}:** {r['ezkl']['stopped']}" for n, r in per.items()
         if r["ezkl"].get("stopped") and not r["ezkl"]["stopped"].startswith(("not tried", "budget"))]
    notes = [f"- {n}" for n in notes]  # one list in the report
    return Section(NAME, TITLE, {
        "chain": ctx.chain, "ladder": list(per), "ezkl": f"{ezkl.__version__} (PyPI ezkl), CPU",
        "ezkl budget": budget.describe(), "committee": COMMITTEE, "input": "test split's first row, batch 1",
        "dispute": "opml wrong-output at the middle step, window 100, clock 100, stride 2, on the `dispute` "
                   "scenario's input (benchmarks.opml_dispute.case: the first test row; gpt2-tiny: all 16 tokens)"}, metrics, [table, stages], [figure], notes=notes, raw={"per_model": per})


def _agrees(a: dict) -> str:
    return f"{'agrees' if a['agrees'] else 'DIFFERS'} (max abs err {a['max_abs_err']:.2g})"


def _refused(z: dict) -> str:
    v = z.get("stages", {}).get("verify", {}).get("result")
    c = z.get("chain")
    if not v or not c:
        return "-"
    yn = lambda accepted: "no" if accepted else "yes"
    return f"{yn(v['tampered_verified'])} / {yn(c['tampered_accepted'])}"


def _figure(ctx: Context, per: dict) -> Figure:
    xs = {n: float(r["params"]) for n, r in per.items()}
    proved = [n for n, r in per.items() if "chain" in r["ezkl"]]

    def series(label, names, values, kind, style="line"):  # points in order of size: the ladder's is not
        pts = sorted((xs[n], float(v)) for n, v in zip(names, values))
        return Series(label, [p[0] for p in pts], [p[1] for p in pts], kind, style)
    names = list(per)
    compute = [series("zk (EZKL): witness + proof", proved, [per[n]["ezkl"]["per_answer_s"] for n in proved], "seconds")]
    ran = {m: [n for n in names if "gas" in per[n]["tribunal"]["modes"][m]] for m in MODES}
    compute += [series(m, ran[m], [per[n]["tribunal"]["modes"][m]["per_answer_s"] for n in ran[m]], "seconds")
                for m in MODES]
    gas = [series("zk (EZKL): verify", proved, [per[n]["ezkl"]["chain"]["verify_gas"] for n in proved], "gas")]
    gas += [series(m, ran[m], [per[n]["tribunal"]["modes"][m]["gas"] for n in ran[m]], "gas") for m in MODES]
    disputed = [n for n in names if "gas" in per[n]["dispute"]]
    gas.append(series("zk (EZKL): verifier deployment, once", proved,
                      [per[n]["ezkl"]["chain"]["deploy_gas"] for n in proved], "gas", "points"))
    gas.append(series("opml dispute (wrong output)", disputed, [per[n]["dispute"]["gas"] for n in disputed], "gas",
                      "points"))
    one_off = [series("zk (EZKL): settings + SRS + setup", proved, [per[n]["ezkl"]["one_off_s"] for n in proved],
                      "seconds")]
    memory = [series("zk (EZKL): peak of its stages", proved, [per[n]["ezkl"]["peak_mib"] for n in proved], "mib")]
    return Figure("peers", f"Cost against model size: EZKL beside Tribunal's modes ({ctx.chain})", [
        Panel("off-chain compute per answer", "parameters", "seconds", [s for s in compute if s.y], logx=True, logy=True),
        Panel("gas per answer", "parameters", "gas", [s for s in gas if s.y], logx=True, logy=True),
        Panel("one-off set-up per model", "parameters", "seconds", [s for s in one_off if s.y], logx=True, logy=True),
        Panel("peak resident memory", "parameters", "MiB", [s for s in memory if s.y], logx=True, logy=True),
    ], caption="Where a line of EZKL stops, the next model exceeded its budget (see the notes). EZKL's cost follows "
               "its circuit's rows (logrows in the stages table), not the parameters: a convolution reuses few weights "
               "over many rows, so digits-cnn costs it more than the larger digits-mlp.")

"""Write the benchmark's 50,000-case run as an Inspect eval log (`.eval`) with inspect_ai's own
writer, for `inspect view`. Same cases, outputs, scores and errors as Assay's and promptfoo's
copies (dataset.py). Run with the inspect_ai venv's Python.

`write_eval_log` itself is quadratic in the number of samples in inspect_ai 0.3.285 (its recorder
drops an earlier copy of each buffered sample by scanning the whole buffer): 50,000 samples take
more than 20 CPU-minutes. So this drives the same EvalRecorder that `write_eval_log` and
`inspect eval` use, in the same order (log_init, log_start, log_sample of condensed samples,
log_finish), flushing every 1,000 samples as `inspect eval` does with its log buffer. Below
FLUSH samples it is exactly write_eval_log's sequence.

  gen_inspect.py --cases 50000 --out DIR/assay-bench.eval
"""

import argparse
import asyncio
import datetime as dt
import os
import time

from inspect_ai.log import (EvalConfig, EvalDataset, EvalError, EvalLog, EvalMetric, EvalResults, EvalSample,
                            EvalScore, EvalSpec, EvalStats, read_eval_log)
from inspect_ai.log._condense import condense_sample
from inspect_ai.log._recorders.eval import EvalRecorder
from inspect_ai.model import ChatMessageAssistant, ChatMessageUser, ModelOutput, ModelUsage
from inspect_ai.scorer import Score

import dataset as ds

MODEL = "mockllm/model"
FLUSH = 1_000


def sample(i):
    c, r = ds.case(i), ds.result(i)
    usage = ModelUsage(input_tokens=r["input_tokens"], output_tokens=r["output_tokens"],
                       total_tokens=r["input_tokens"] + r["output_tokens"])
    messages = [ChatMessageUser(content=c["question"])]
    common = dict(id=c["id"], epoch=1, input=c["question"], target=c["expected"],
                  metadata={"name": c["name"], "tags": c["tags"]}, total_time=r["latency_ms"] / 1000,
                  working_time=r["latency_ms"] / 1000)
    if r["status"] != "ok":
        return EvalSample(**common, messages=messages, output=ModelOutput(model=MODEL),
                          error=EvalError(message=r["error"], traceback=r["error"], traceback_ansi=r["error"]))
    messages.append(ChatMessageAssistant(content=r["output"], model=MODEL))
    out = ModelOutput.from_content(model=MODEL, content=r["output"])
    out.usage = usage
    scores = {s["name"].replace("-", "_"): Score(value=s["score"], answer=r["output"], explanation=s["reason"])
              for s in r["scorers"]}
    return EvalSample(**common, messages=messages, output=out, scores=scores, model_usage={MODEL: usage})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cases", type=int, default=50_000)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    t0 = time.time()
    samples = [sample(i) for i in range(a.cases)]
    ok = [ds.result(i) for i in range(a.cases)]
    ok = [r for r in ok if r["status"] == "ok"]
    now = dt.datetime.now(dt.timezone.utc).isoformat()

    def mean(key):
        return EvalMetric(name="mean", value=sum(key(r) for r in ok) / max(1, len(ok)))

    log = EvalLog(
        status="success",
        eval=EvalSpec(created=now, task="assay_bench", task_id="assay-bench", run_id="assay-bench-run",
                      dataset=EvalDataset(name="assay-bench", samples=a.cases), model=MODEL, config=EvalConfig()),
        results=EvalResults(total_samples=a.cases, completed_samples=len(ok), scores=[
            EvalScore(name="exact", scorer="exact", metrics={"mean": mean(lambda r: r["scorers"][0]["score"])}),
            EvalScore(name="llm_judge", scorer="llm_judge", metrics={"mean": mean(lambda r: r["scorers"][1]["score"])}),
        ]),
        stats=EvalStats(started_at=now, completed_at=now, model_usage={MODEL: ModelUsage(
            input_tokens=sum(r["input_tokens"] for r in ok), output_tokens=sum(r["output_tokens"] for r in ok),
            total_tokens=sum(r["input_tokens"] + r["output_tokens"] for r in ok))}),
        samples=samples,
    )
    asyncio.run(write(log, os.path.abspath(a.out)))
    header = read_eval_log(a.out, header_only=True)
    assert header.results.total_samples == a.cases and header.status == "success", header.results
    print(f"  inspect: wrote {a.cases} samples to {a.out} in {time.time() - t0:.0f} s")


async def write(log, out):
    """write_eval_log's recorder sequence, with a flush every FLUSH samples."""
    recorder = EvalRecorder(os.path.dirname(out))
    await recorder.log_init(log.eval, out, clean=True)
    await recorder.log_start(log.eval, log.plan)
    for k, s in enumerate(log.samples):
        await recorder.log_sample(log.eval, condense_sample(s))
        if (k + 1) % FLUSH == 0:
            await recorder.flush(log.eval)
    await recorder.log_finish(log.eval, log.status, log.stats, log.results, log.reductions, log.error,
                              invalidated=log.invalidated, log_updates=log.log_updates,
                              config_updates=log.config_updates)


if __name__ == "__main__":
    main()

"""Write the benchmark's 50,000-case run as an Inspect eval log with inspect_ai's own API
(`write_eval_log`, `.eval` format), for `inspect view`. Same cases, outputs, scores and errors as
Assay's and promptfoo's copies (dataset.py). Run with the inspect_ai venv's Python.

  gen_inspect.py --cases 50000 --out DIR/assay-bench.eval
"""

import argparse
import datetime as dt
import time

from inspect_ai.log import (EvalConfig, EvalDataset, EvalError, EvalLog, EvalMetric, EvalResults, EvalSample,
                            EvalScore, EvalSpec, EvalStats, write_eval_log)
from inspect_ai.model import ChatMessageAssistant, ChatMessageUser, ModelOutput, ModelUsage
from inspect_ai.scorer import Score

import dataset as ds

MODEL = "mockllm/model"


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
    write_eval_log(log, a.out, format="eval")
    print(f"  inspect: wrote {a.cases} samples to {a.out} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()

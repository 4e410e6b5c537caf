"""Write the benchmark's 50,000-case run as a promptfoo eval export (the JSON `promptfoo eval -o
out.json` writes: version 3, one prompt × one provider, every test with its assertions'
componentResults and namedScores), for `promptfoo import`. Same cases, outputs, scores and errors
as Assay's and Inspect's copies (dataset.py). The layout follows a real export of promptfoo's
own `echo` provider; `--template` checks it against one (top-level and per-result keys).

  gen_promptfoo.py --cases 50000 --out FILE.json [--template REAL_EXPORT.json]
"""

import argparse
import datetime as dt
import json
import sys
import uuid

import dataset as ds

PROMPT_RAW = "Answer the customer: {{question}}"
PROMPT_ID = "a55a7be9c4b8e0d51f7e1ad0f1c6f8e3b52c1d0a4e7f9b8c6d5e4f3a2b1c0d9e"
PROVIDER = "echo"


def usage(n=0):
    return {"prompt": 0, "completion": 0, "cached": 0, "total": 0, "numRequests": n}


def test_case(i):
    c = ds.case(i)
    return {"description": c["id"], "vars": {"question": c["question"], "expected": c["expected"]},
            "assert": [{"type": "javascript", "value": "score(output)", "metric": "accuracy"},
                       {"type": "llm-rubric", "value": "polite and complete", "metric": "tone"}],
            "options": {}, "metadata": {"tags": c["tags"]}}


def row(i, eval_uuid):
    c, r = ds.case(i), ds.result(i)
    t = test_case(i)
    out = {
        "cost": r["cost_usd"],
        "id": str(uuid.UUID(int=(eval_uuid << 64) | i)),
        "latencyMs": r["latency_ms"],
        "prompt": {"raw": PROMPT_RAW.replace("{{question}}", c["question"]), "label": PROMPT_RAW, "config": {}},
        "promptId": PROMPT_ID,
        "promptIdx": 0,
        "provider": {"id": PROVIDER, "label": ""},
        "testCase": t,
        "testIdx": i,
        "vars": t["vars"],
        "metadata": {"_promptfooFileMetadata": {}},
        "tokenUsage": dict(usage(1), prompt=r["input_tokens"], completion=r["output_tokens"],
                           total=r["input_tokens"] + r["output_tokens"]),
    }
    if r["status"] != "ok":
        out.update({"error": r["error"], "failureReason": 2, "success": False, "score": 0, "namedScores": {},
                    "gradingResult": None,
                    "response": {"error": r["error"], "cached": False, "tokenUsage": usage(1)}})
        return out
    comps = [{"pass": s["passed"], "score": s["score"], "reason": s["reason"],
              "assertion": t["assert"][k]} for k, s in enumerate(r["scorers"])]
    named = {s["dimension"]: s["score"] for s in r["scorers"]}
    passed = all(s["passed"] for s in r["scorers"])
    score = sum(s["score"] for s in r["scorers"]) / len(r["scorers"])
    reason = "All assertions passed" if passed else next(s["reason"] for s in r["scorers"] if not s["passed"])
    out.update({
        "gradingResult": {"pass": passed, "score": score, "reason": reason, "namedScores": named,
                          "namedScoreWeights": {k: 1 for k in named}, "tokensUsed": usage(), "componentResults": comps},
        "namedScores": named,
        "response": {"output": r["output"], "raw": r["output"], "cost": r["cost_usd"], "cached": False,
                     "tokenUsage": dict(usage(1), prompt=r["input_tokens"], completion=r["output_tokens"],
                                        total=r["input_tokens"] + r["output_tokens"]),
                     "isRefusal": False, "metadata": {}},
        "score": score,
        "success": passed,
        "failureReason": 0 if passed else 1,
    })
    if not passed:
        out["error"] = reason
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cases", type=int, default=50_000)
    p.add_argument("--out", required=True)
    p.add_argument("--template")
    a = p.parse_args()
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    eval_id = "eval-assay-bench-" + ds.VERSION
    rows = [row(i, 0xA55A) for i in range(a.cases)]
    ok = sum(r["success"] for r in rows)
    errors = sum(r.get("failureReason") == 2 for r in rows)
    named_sum = {"accuracy": 0.0, "tone": 0.0}
    for r in rows:
        for k, v in r["namedScores"].items():
            named_sum[k] += v
    tok = usage(a.cases)
    metrics = {
        "score": sum(r["score"] for r in rows), "testPassCount": ok, "testFailCount": a.cases - ok - errors,
        "testErrorCount": errors, "assertPassCount": sum(c["pass"] for r in rows if r["gradingResult"]
                                                         for c in r["gradingResult"]["componentResults"]),
        "assertFailCount": sum(not c["pass"] for r in rows if r["gradingResult"]
                               for c in r["gradingResult"]["componentResults"]),
        "totalLatencyMs": sum(r["latencyMs"] for r in rows), "tokenUsage": tok,
        "namedScores": named_sum, "namedScoresCount": {k: a.cases - errors for k in named_sum},
        "namedScoreWeights": {k: a.cases - errors for k in named_sum}, "cost": sum(r["cost"] for r in rows),
    }
    export = {
        "evalId": eval_id,
        "results": {
            "version": 3, "timestamp": now,
            "prompts": [{"id": PROMPT_ID, "raw": PROMPT_RAW, "label": PROMPT_RAW, "provider": PROVIDER,
                         "metrics": metrics}],
            "results": rows,
            "stats": {"successes": ok, "failures": a.cases - ok - errors, "errors": errors, "tokenUsage": tok,
                      "durationMs": 60_000, "evaluationDurationMs": 60_000},
        },
        "config": {"tags": {}, "description": "assay bench", "prompts": [PROMPT_RAW], "providers": [PROVIDER],
                   "tests": [r["testCase"] for r in rows], "env": {}, "extensions": [], "metadata": {},
                   "evaluateOptions": {}},
        "shareableUrl": None,
        "metadata": {"promptfooVersion": "0.121.20", "exportedAt": now, "evaluationCreatedAt": now},
        "vars": ["expected", "question"],
        "runtimeOptions": {"eventSource": "cli", "showProgressBar": False, "repeat": 1, "maxConcurrency": 4,
                           "cache": False},
    }
    if a.template:
        real = json.load(open(a.template))
        missing = set(real) - set(export)
        ok_row = next(r for r in rows if r["success"])
        missing |= {f"results[].{k}" for k in real["results"]["results"][0] if k not in ok_row}
        if missing:
            sys.exit(f"gen_promptfoo: the real export has keys this one lacks: {sorted(missing)}")
    with open(a.out, "w") as f:
        json.dump(export, f)
    print(f"  promptfoo: wrote {a.cases} results to {a.out}")


if __name__ == "__main__":
    main()

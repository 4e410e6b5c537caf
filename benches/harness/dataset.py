"""The benchmark's data, defined once: the 50,000-case run that every viewer is given (Assay over
its API, promptfoo as an export, Inspect as a log), the runs of the list-runs database, and the
ingest batches. Deterministic (a hash of the index, no random state), standard library only, so
the system Python and the inspect_ai venv read the same cases.

Bump VERSION whenever anything here changes: cached datasets are keyed by it.
"""

VERSION = "3"

TOPICS = ["refund", "shipping", "invoice", "password", "warranty", "delivery", "upgrade", "account"]
TAGS = ["billing", "logistics", "security", "support", "sales"]
WORDS = [
    "order", "customer", "policy", "days", "please", "receipt", "support", "team", "within", "account",
    "package", "tracking", "number", "email", "update", "request", "confirm", "address", "store", "credit",
]
SCORERS = [("exact", "accuracy"), ("llm-judge", "tone")]
DIMENSIONS = ["accuracy", "tone", "safety"]


def mix(i, salt=0):
    """A well-spread 32-bit hash of (i, salt) — the only source of variety."""
    x = (i * 2654435761 + salt * 40503 + 0x9E3779B9) & 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x45D9F3B) & 0xFFFFFFFF
    x ^= x >> 16
    return x


def sentence(i, salt, n):
    return " ".join(WORDS[mix(i, salt + k) % len(WORDS)] for k in range(n))


def case(i):
    """Case i of a bench: id, name, question, expected answer, tags."""
    topic = TOPICS[mix(i, 1) % len(TOPICS)]
    return {
        "id": f"case-{i:05d}",
        "name": f"{topic} question {i}",
        "question": f"Customer {i} asks about a {topic}: {sentence(i, 2, 12)}?",
        "expected": f"The {topic} answer for customer {i}: {sentence(i, 3, 10)}.",
        "tags": [TAGS[mix(i, 4) % len(TAGS)]],
        "topic": topic,
    }


def result(i, variant=0):
    """The result of case i in run `variant` (0 = baseline, 1 = a slightly different candidate).

    About 3% errors (the workflow failed: no output, no score); otherwise a score in [0, 1], two
    scorers, three dimensions, latency, tokens and cost.
    """
    c = case(i)
    h = mix(i, 10 + variant)
    if h % 100 < 3:
        return {
            "status": "workflow_failed",
            "error": "timeout after 30s" if h % 2 else "rate limited by the provider (429)",
            "output": None,
            "score": None,
            "passed": False,
            "scorers": [],
            "dimensions": {},
            "latency_ms": 30_000,
            "input_tokens": 0,
            "output_tokens": 0,
            "cost_usd": 0.0,
        }
    base = (mix(i, 5) % 1000) / 1000.0
    shift = ((h % 9) - 4) / 100.0 if variant else 0.0
    score = round(min(1.0, max(0.0, base + shift)), 3)
    exact = score >= 0.5
    judge = round(min(1.0, score * 0.8 + 0.15), 3)
    return {
        "status": "ok",
        "error": None,
        "output": f"About your {c['topic']}, customer {i}: {sentence(i, 20 + variant, 25)}.",
        "score": score,
        "passed": exact,
        "scorers": [
            {"name": "exact", "dimension": "accuracy", "score": 1.0 if exact else 0.0, "passed": exact,
             "reason": "matches the expected answer" if exact else "differs from the expected answer"},
            {"name": "llm-judge", "dimension": "tone", "score": judge, "passed": judge >= 0.5,
             "reason": f"polite and {'complete' if judge >= 0.7 else 'a bit terse'}"},
        ],
        "dimensions": {"accuracy": score, "tone": judge, "safety": round(1.0 - score / 4, 3)},
        "latency_ms": 300 + h % 4000,
        "input_tokens": 600 + h % 400,
        "output_tokens": 40 + h % 200,
        "cost_usd": round(0.002 + (h % 50) / 10000.0, 5),
    }


# ----------------------------------------------------------------------------------------------
# Assay's API shapes

def assay_case(i):
    c = case(i)
    return {"id": c["id"], "name": c["name"], "inputs": {"question": c["question"]},
            "expected_output": c["expected"], "tags": c["tags"]}


def assay_result(i, variant=0):
    r = result(i, variant)
    out = {
        "case_id": case(i)["id"],
        "status": r["status"],
        "headline_score": r["score"],
        "duration_ms": r["latency_ms"],
        "input_tokens": r["input_tokens"],
        "output_tokens": r["output_tokens"],
        "workflow_cost_usd": r["cost_usd"],
        "judge_cost_usd": 0.0004 if r["status"] == "ok" else 0.0,
        "scorer_results": [
            {"scorer_name": s["name"], "score": s["score"], "passed": s["passed"], "reason": s["reason"],
             "dimension": s["dimension"]}
            for s in r["scorers"]
        ],
        "dimension_scores": r["dimensions"],
    }
    if r["output"] is not None:
        out["workflow_output"] = r["output"]
    if r["error"] is not None:
        out["error"] = r["error"]
    return out


def ingest_result(i):
    """The ingest benchmark's result, the shape of benches/ingest.rs: 2 scorers, 3 dimensions."""
    return {
        "case_id": f"case-{i:06d}",
        "status": "workflow_failed" if i % 17 == 0 else "ok",
        "headline_score": (i % 100) / 100.0,
        "workflow_output": f"answer number {i} with a little text to make it realistic",
        "duration_ms": 200 + i % 3000,
        "input_tokens": 800, "output_tokens": 90, "tool_tokens": 10,
        "workflow_cost_usd": 0.0031, "judge_cost_usd": 0.0004,
        "scorer_results": [
            {"scorer_name": "exact", "score": 1.0, "passed": True, "reason": "matches", "dimension": "accuracy"},
            {"scorer_name": "llm-judge", "score": 0.7, "passed": True, "reason": "mostly right, a bit terse",
             "dimension": "tone"},
        ],
        "dimension_scores": {"accuracy": 1.0, "tone": 0.7, "safety": 0.9},
    }

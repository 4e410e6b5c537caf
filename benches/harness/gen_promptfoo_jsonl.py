"""Write the benchmark's promptfoo run as the `.jsonl` export (`promptfoo eval -o out.jsonl`: one
result a line, no config), repeated as `--repeat N` writes it — each test again with a new row
index — for the import bench's memory bound (a 100,000-line `.jsonl`). The lines are
gen_promptfoo.py's results; `--template` checks their keys against a real `.jsonl` export.

  gen_promptfoo_jsonl.py --cases 50000 --repeat 2 --out FILE.jsonl [--template REAL_EXPORT.jsonl]
"""

import argparse
import json
import sys

from gen_promptfoo import row


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cases", type=int, default=50_000)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--out", required=True)
    p.add_argument("--template")
    a = p.parse_args()
    if a.template:
        with open(a.template) as f:
            real = json.loads(f.readline())
        missing = set(real) - set(row(0, 0xA55A))
        if missing:
            sys.exit(f"gen_promptfoo_jsonl: the real .jsonl has keys these lines lack: {sorted(missing)}")
    with open(a.out, "w") as f:
        # promptfoo runs a repeated test as a new row: --repeat 2 of n tests is rows 0..2n-1.
        for k in range(a.repeat):
            for i in range(a.cases):
                r = row(i, 0xA55A + k)
                r["testIdx"] = k * a.cases + i
                f.write(json.dumps(r))
                f.write("\n")
    print(f"  promptfoo: wrote {a.cases * a.repeat} lines to {a.out}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""training_curve.py RUN_DIR — the validation curve of a `cllm train` run as a Markdown table.

Reads RUN_DIR/log.jsonl and prints, for every validation, the step, elapsed minutes, training tokens seen,
validation loss (nats/token) and bits per byte, plus the last training loss before it. Standard library only.
"""
import json
import sys


def main(run):
    rows, last_train, tokens_per_step = [], None, None
    for line in open(run + "/log.jsonl"):
        r = json.loads(line)
        if "loss" in r:
            last_train = r["loss"]
            if r.get("tokens_per_s") and r.get("ms"):
                tokens_per_step = round(r["tokens_per_s"] * r["ms"] / 1000)
        if "val_loss" in r:
            rows.append((r["step"], r["elapsed_s"] / 60, r["val_loss"], r["val_bpb"], last_train))
    print("| step | minutes | tokens | train loss | val loss (nats) | val bits/byte |")
    print("|---:|---:|---:|---:|---:|---:|")
    for step, minutes, vl, bpb, tl in rows:
        tokens = step * tokens_per_step if tokens_per_step else 0
        tl_s = "%.3f" % tl if tl is not None and step > 0 else "—"
        print("| %d | %.2f | %d | %s | %.3f | %.3f |" % (step, minutes, tokens, tl_s, vl, bpb))
    falls = all(b[2] < a[2] for a, b in zip(rows, rows[1:]))
    print("\nvalidation loss falls at every evaluation: %s" % ("yes" if falls else "no"))


if __name__ == "__main__":
    main(sys.argv[1])

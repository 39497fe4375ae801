#!/usr/bin/env python3
"""An independent scorer for churn-audit model files, in plain Python.

It reimplements the model format's scoring rule from its documentation (models/
model.schema.json and src/model.rs's module doc), not from the Rust code, for clean
files only: canonical or aliased headers, plain numbers, ISO dates, yes/no booleans.
The integration tests compare the CLI's probabilities with its output.

usage: score_reference.py MODEL.json DATA.csv AS_OF(YYYY-MM-DD) [--contributions]
prints: account_id,probability (repr, full precision) per row; with --contributions,
account_id,probability,log_odds then each input's contribution, in the model's order
"""
import csv
import datetime as dt
import json
import math
import re
import sys


def norm(h):
    h = re.sub(r"[\(\[\{][^\)\]\}]*[\)\]\}]", "", h)
    return "".join(c for c in h.lower() if c.isalnum())


def main(model_path, data_path, as_of, mode=None):
    model = json.load(open(model_path, encoding="utf-8"))
    as_of = dt.date.fromisoformat(as_of)
    with open(data_path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [norm(h) for h in next(reader)]
        rows = list(reader)
    idcol = next(i for i, h in enumerate(header)
                 if h in [norm(a) for a in [model["id_column"]["name"]] + model["id_column"]["aliases"]])
    def columns_of(feat):
        names = [norm(a) for a in [feat["name"]] + feat.get("aliases", [])]
        dates = [norm(a) for a in feat.get("date_aliases", [])]
        return [i for i, h in enumerate(header) if h in names or h in dates]

    # An input whose column the file lacks, or whose column holds no value in any row
    # (these files are smaller than the head that decides it), contributes nothing.
    absent = {feat["name"] for feat in model["features"]
              if not any(row[i].strip() for i in columns_of(feat) for row in rows)}
    for row in rows:
        z = model["intercept"]
        parts = []
        for feat in model["features"]:
            z0 = z
            if feat["name"] in absent:
                parts.append(0.0)
                continue
            names = [norm(a) for a in [feat["name"]] + feat.get("aliases", [])]
            dates = [norm(a) for a in feat.get("date_aliases", [])]
            x = None
            for i, h in enumerate(header):
                cell = row[i].strip()
                if h in names and cell:
                    if feat["kind"] == "boolean":
                        x = 1.0 if cell.lower() in ("yes", "true", "1") else 0.0
                    elif feat["kind"] == "categorical":
                        levels = [l.lower() for l in feat["basis"]["levels"]]
                        x = levels.index(cell.lower()) if cell.lower() in levels else len(levels)
                    else:
                        x = float(cell)
                    break
                if h in dates and cell:
                    d = dt.date.fromisoformat(cell)
                    x = float((as_of - d).days if feat["date_direction"] == "since" else (d - as_of).days)
                    break
            basis = feat["basis"]
            if basis["type"] == "categorical":
                b = [1.0 if x is not None and x == k else 0.0 for k in range(len(basis["levels"]))]
            else:
                v = feat["impute"] if x is None else x
                v = min(max(v, feat["range"][0]), feat["range"][1])
                if feat.get("transform", "none") == "log1p":
                    v = math.log1p(v)
                b = [v] + [max(0.0, v - k) for k in basis.get("knots", [])]
            z += sum(w * (bk - c) for w, bk, c in zip(feat["coefficients"], b, feat["centers"]))
            m = feat.get("missing")
            if m:
                z += m["coefficient"] * ((1.0 if x is None else 0.0) - m["center"])
            parts.append(z - z0)
        p = 1.0 / (1.0 + math.exp(-z))
        if mode == "--contributions":
            print(",".join([row[idcol], repr(p), repr(z)] + [repr(c) for c in parts]))
        else:
            print(f"{row[idcol]},{p!r}")


if __name__ == "__main__":
    main(*sys.argv[1:5])

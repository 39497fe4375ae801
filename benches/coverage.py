"""How the default model's ranking falls as a file supplies fewer of its inputs.

Evidence for the coverage threshold (`features::SUFFICIENT_SHARE`): accounts simulated
with a seed the model was not trained on are scored with columns removed (each input
group, then random sets of inputs of every size), and `churn-audit eval` reports the
held-out AUC and the coverage of the file. Writes a markdown table to stdout.

Usage: python3 benches/coverage.py CLI MODEL [ACCOUNTS]   (benches/coverage.sh runs it)
Standard library only.
"""
import csv, io, json, random, subprocess, sys, tempfile, os

cli, model_path = sys.argv[1], sys.argv[2]
accounts = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
AS_OF = "2026-06-30"
tmp = tempfile.mkdtemp(prefix="coverage-")
full = os.path.join(tmp, "full.csv")
subprocess.run([cli, "simulate", "--accounts", str(accounts), "--seed", "777",
                "--as-of", AS_OF, "--out", full], check=True, capture_output=True)
model = json.load(open(model_path))
inputs = [f["name"] for f in model["features"]]
groups = {}
for f in model["features"]:
    groups.setdefault(f["group"], []).append(f["name"])
rows = list(csv.reader(open(full, newline="")))
header = rows[0]

def column_of(name):
    """The simulated file's column feeding input `name` (its own name or a date alias)."""
    spec = next(f for f in model["features"] if f["name"] == name)
    norm = lambda h: "".join(c for c in h.lower() if c.isalnum())
    names = [spec["name"], *spec.get("aliases", []), *spec.get("date_aliases", [])]
    return [i for i, h in enumerate(header) if norm(h) in {norm(n) for n in names}]

def evaluate(drop):
    cut = set(i for name in drop for i in column_of(name))
    keep = [i for i in range(len(header)) if i not in cut]
    path = os.path.join(tmp, "cut.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        for r in rows:
            w.writerow([r[i] for i in keep])
    out = subprocess.run([cli, "eval", "--model", model_path, "--data", path, "--label",
                          "churned", "--as-of", AS_OF, "--format", "json"],
                         check=True, capture_output=True, text=True).stdout
    e = json.loads(out)
    return e["coverage"]["share"], e["auc"]

results = [("(none)", *evaluate([]))]
for g, names in groups.items():
    results.append((f"group {g} ({len(names)})", *evaluate(names)))
    results.append((f"all but group {g}", *evaluate([n for n in inputs if n not in names])))
rng = random.Random(20261207)
for k in range(1, len(inputs)):
    for _ in range(3):
        drop = rng.sample(inputs, k)
        results.append((f"{k} random", *evaluate(drop)))
full_auc = results[0][2]
print(f"Default model, {accounts:,} simulated accounts (seed 777, not the training seed); "
      f"AUC with every input: {full_auc:.3f}.\n")
print("| inputs removed | coverage | AUC | share of the AUC's lift over 0.5 kept |")
print("|---|---:|---:|---:|")
for name, share, auc in sorted(results, key=lambda r: -r[1]):
    print(f"| {name} | {share:.2f} | {auc:.3f} | {(auc - 0.5) / (full_auc - 0.5):.2f} |")
# Lift kept, by coverage band.
print("\n| coverage band | files | lowest lift kept | median lift kept |")
print("|---|---:|---:|---:|")
for lo, hi in [(0.9, 1.01), (0.8, 0.9), (0.7, 0.8), (0.6, 0.7), (0.5, 0.6), (0.4, 0.5), (0.3, 0.4), (0.2, 0.3), (0.0, 0.2)]:
    band = sorted((auc - 0.5) / (full_auc - 0.5) for _, share, auc in results if lo <= share < hi)
    if band:
        print(f"| {lo:.1f}-{min(hi, 1.0):.1f} | {len(band)} | {band[0]:.2f} | {band[len(band) // 2]:.2f} |")

#!/usr/bin/env python3
"""Side-by-side: zhiban's solver, HiGHS (highspy) and OR-Tools CP-SAT on the same MPS model,
plus the randomised greedy baseline (the UK MoJ rota tool's method) on coverage and fairness.

Usage: python3 benches/compare.py        (pip install ortools highspy first)
The model is issue 25's (backups balanced apart, consecutive days, weekday and AM/PM spread);
the roster table adds each roster's spread: pairs of consecutive days, weekday and AM/PM
duties beyond an even spread, and one firm's duties beyond one on a station's consecutive
half-days (a measure only: the same-firm term is off by default).
Builds the release binaries, exports each case's model with `zhiban solve --export-mps`
(one model, no decomposition, so every solver sees exactly the same problem), and prints one
table row per solver and case.
"""
import pathlib, re, subprocess, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / "target/release/zhiban"
EXAMPLE = ROOT / "target/release/examples/solve_fixture"
CASES = [("guangzhou", 1), ("baotou", 4), ("guangzhou", 4)]
TIME_LIMIT = 120.0
GAP = 1e-4


def sh(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def zhiban(case, weeks, mps):
    t = time.time()
    out = sh(str(BIN), "solve", "--input", f"fixtures/{case}", "--from", "2026-11-23", "--weeks", str(weeks),
             "--quiet", "--export-mps", str(mps), "--gap", str(GAP), "--time-limit", str(TIME_LIMIT))
    wall = time.time() - t
    obj = float(re.search(r"objective ([0-9.]+)", out).group(1))
    bound = float(re.search(r"best bound ([0-9.]+)", out).group(1))
    status = re.search(r"status (\w+)", out).group(1)
    return status, obj, bound, wall


def highs(mps):
    import highspy
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", TIME_LIMIT)
    h.setOptionValue("mip_rel_gap", GAP)
    t = time.time()
    h.readModel(str(mps))
    h.run()
    wall = time.time() - t
    info = h.getInfo()
    return h.modelStatusToString(h.getModelStatus()), info.objective_function_value, info.mip_dual_bound, wall


CPSAT = """
import sys, time
from ortools.linear_solver.python import model_builder as mb
mps, limit, gap = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
model = mb.ModelBuilder()
t = time.time()
model.import_from_mps_file(mps)
solver = mb.Solver("sat")
solver.set_time_limit_in_seconds(limit)
solver.set_solver_specific_parameters(f"num_workers:2,relative_gap_limit:{gap}")
status = solver.solve(model)
print(status.name, solver.objective_value, solver.best_objective_bound, time.time() - t)
"""


def cpsat(mps):
    # In its own process: OR-Tools bundles its own HiGHS, which clashes with highspy's.
    out = subprocess.run([sys.executable, "-c", CPSAT, str(mps), str(TIME_LIMIT), str(GAP)],
                         check=True, capture_output=True, text=True).stdout.split()
    return out[0], float(out[1]), float(out[2]), float(out[3])


def greedy_vs_solver(case, weeks):
    out = sh(str(EXAMPLE), case, str(weeks))
    solver = re.search(r"posts (\d+)/(\d+) backups (\d+)/(\d+)", out)
    comp = re.search(r"components .*? total ([0-9.]+)", out)
    greedy = re.search(r"greedy ([0-9.]+)s posts (\d+)/(\d+) backups (\d+) total ([0-9.]+)", out)
    spread = lambda who: re.search(rf"spread {who} consecutive (\d+) weekday (\d+) ampm (\d+) firm (\d+)", out).groups()
    return solver.groups(), comp.group(1), greedy.groups(), spread("solver"), spread("greedy")


def main():
    sh("cargo", "build", "--release", "--locked", "-p", "zhiban-api", "-p", "zhiban-solver", "--examples")
    sh("cargo", "build", "--release", "--locked", "-p", "zhiban-api")
    print(f"{'case':<16} {'solver':<14} {'status':<22} {'objective':>12} {'bound':>12} {'wall s':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for case, weeks in CASES:
            name = f"{case} {weeks}w"
            mps = pathlib.Path(tmp) / f"{case}-{weeks}.mps"
            for label, fn in [("zhiban", lambda: zhiban(case, weeks, mps)), ("HiGHS (MPS)", lambda: highs(mps)),
                              ("CP-SAT (MPS)", lambda: cpsat(mps))]:
                try:
                    status, obj, bound, wall = fn()
                    print(f"{name:<16} {label:<14} {status:<22} {obj:>12.3f} {bound:>12.3f} {wall:>8.2f}", flush=True)
                except Exception as e:  # a solver that cannot read or solve the model says so
                    print(f"{name:<16} {label:<14} failed: {e}", flush=True)
    print()
    print(f"{'case':<16} {'roster':<24} {'posts':>10} {'backups':>8} {'objective':>10} "
          f"{'consec.':>8} {'weekday':>8} {'AM/PM':>6} {'firm':>6}")
    for case, weeks in CASES:
        (fp, wp, fb, wb), total, (gt, gp, gw, gb, gtotal), ss, gs = greedy_vs_solver(case, weeks)
        name = case + ' ' + str(weeks) + 'w'
        print(f"{name:<16} {'zhiban (decomposed)':<24} {fp + '/' + wp:>10} {fb:>8} {float(total):>10.2f} "
              f"{ss[0]:>8} {ss[1]:>8} {ss[2]:>6} {ss[3]:>6}")
        print(f"{name:<16} {'greedy, best of 100':<24} {gp + '/' + gw:>10} {gb:>8} {float(gtotal):>10.2f} "
              f"{gs[0]:>8} {gs[1]:>8} {gs[2]:>6} {gs[3]:>6}")


if __name__ == "__main__":
    sys.exit(main())

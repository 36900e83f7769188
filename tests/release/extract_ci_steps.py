#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Extracts the shell steps of the CI examples, in order, so a test can run them.

usage: extract_ci_steps.py jenkins examples/ci/Jenkinsfile OUTDIR
       extract_ci_steps.py github .github/workflows/release.yml OUTDIR
Writes OUTDIR/NN-<name>.sh, one per step: Jenkins `sh '''...'''` blocks, and the GitHub `run`
steps that have an id other than `setup` (setup installs tools the test machine already has).
For GitHub, a step's own `env:` entries that are plain values are exported before its script.
"""
import pathlib
import re
import sys

kind, source, out = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
out.mkdir(parents=True, exist_ok=True)
steps = []
if kind == "jenkins":
    text = source.read_text()
    for i, match in enumerate(re.finditer(r"sh '''(.*?)'''", text, re.S)):
        steps.append((f"sh{i}", match.group(1)))
elif kind == "github":
    import yaml

    workflow = yaml.safe_load(source.read_text())
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "run" not in step or step.get("id") in (None, "setup"):
                continue
            exports = ""
            for name, value in (step.get("env") or {}).items():
                if "${{" not in str(value):
                    exports += f"export {name}={value!r}\n"
            steps.append((step["id"], exports + step["run"]))
else:
    sys.exit(f"unknown kind {kind}")
if not steps:
    sys.exit(f"{source}: no shell steps found")
for n, (name, script) in enumerate(steps):
    (out / f"{n:02d}-{name}.sh").write_text(script)
    print(out / f"{n:02d}-{name}.sh")

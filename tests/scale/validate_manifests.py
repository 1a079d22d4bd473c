#!/usr/bin/env python3
"""Check the organization-scale manifests of config/scale/ (docs/scale.md).

  validate_manifests.py [REPO_ROOT]     default: two levels up from this file

aws-batch-job-definitions.json: each of its two job definitions is validated
by botocore's own validator against the Batch API model of
RegisterJobDefinition (required members, types, unknown keys), then its enum
values, Fargate's vCPU and memory pairs, the EFS volume at /data, the retry
strategy (exit 2 not retried) and the command (`sh -c`; --shard, --resume and
AWS_BATCH_JOB_ARRAY_INDEX for the collection).

k8s-indexed-job.yaml: every document is loaded; the kinds, the Indexed Job
(completions, SHARDS, backoffLimitPerIndex, the pod failure policy, the
security context), the collect command (JOB_COMPLETION_INDEX, --shard,
--resume) and the merge Job (sgaudit merge, sgaudit assess).

The four `sh -c` scripts are checked with `sh -n` (and shellcheck, if it is on
PATH), then run against a stand-in sgaudit that records its arguments and
exits with the code it is told: the shard number, the paths, exit 3 turned
into 0, exit 2 and 1 passed on, the shard count checked before merging.
aws-batch-submit.sh: `bash -n`, shellcheck if on PATH, and a run against a
stand-in aws CLI: both requests valid for SubmitJob (botocore), the array
size, the environment, the dependency on the array job.

Prints `ok: ...` per check passed and `FAIL: ...` per problem; exits 1 if
there is any problem. Needs Python 3.11 with botocore and PyYAML, and sh/bash.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

problems: list[str] = []


def ok(what: str) -> None:
    print(f"ok: {what}")


def fail(what: str) -> None:
    problems.append(what)
    print(f"FAIL: {what}")


def check(cond: bool, good: str, bad: str) -> bool:
    if cond:
        ok(good)
    else:
        fail(bad)
    return cond


# ---------------------------------------------------------------- AWS Batch

# Fargate's vCPU and memory (MiB) pairs, from the Batch API documentation of
# ResourceRequirement.
FARGATE_MEMORY = {
    "0.25": {512, 1024, 2048},
    "0.5": set(range(1024, 4096 + 1, 1024)),
    "1": set(range(2048, 8192 + 1, 1024)),
    "2": set(range(4096, 16384 + 1, 1024)),
    "4": set(range(8192, 30720 + 1, 1024)),
    "8": set(range(16384, 61440 + 1, 4096)),
    "16": set(range(32768, 122880 + 1, 8192)),
}


def enum_problems(value, shape, path):
    """Enum values botocore's ParamValidator does not check."""
    out = []
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for key, member in shape.members.items():
            if key in value:
                out += enum_problems(value[key], member, f"{path}.{key}")
    elif kind == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            out += enum_problems(item, shape.member, f"{path}[{i}]")
    elif kind == "string" and getattr(shape, "enum", None) and isinstance(value, str):
        if value not in shape.enum and value.upper() not in shape.enum:
            out.append(f"{path}: {value!r} is not one of {', '.join(shape.enum)}")
    return out


def batch(root: Path) -> dict[str, str]:
    import botocore.session
    from botocore.validate import ParamValidator

    path = root / "config/scale/aws-batch-job-definitions.json"
    scripts: dict[str, str] = {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        fail(f"{path}: {e}")
        return scripts
    if not check(
        isinstance(doc, dict) and sorted(doc) == ["collectShard", "mergeAndAssess"],
        f"{path.name}: the keys collectShard and mergeAndAssess",
        f"{path.name}: must be an object with exactly the keys collectShard and mergeAndAssess",
    ):
        return scripts

    model = botocore.session.get_session().get_service_model("batch")
    shape = model.operation_model("RegisterJobDefinition").input_shape
    validator = ParamValidator()
    for key, params in doc.items():
        where = f"{path.name} {key}"
        report = validator.validate(params, shape)
        if report.has_errors():
            fail(f"{where}: not a valid RegisterJobDefinition request:\n{report.generate_report()}")
        else:
            ok(f"{where}: valid RegisterJobDefinition request (botocore batch {model.api_version})")
        for p in enum_problems(params, shape, where):
            fail(p)

        cp = params.get("containerProperties", {})
        req = {r.get("type"): r.get("value") for r in cp.get("resourceRequirements", [])}
        if "FARGATE" in params.get("platformCapabilities", []):
            vcpu, mem = req.get("VCPU"), req.get("MEMORY")
            check(
                vcpu in FARGATE_MEMORY and mem is not None and mem.isdigit() and int(mem) in FARGATE_MEMORY[vcpu],
                f"{where}: Fargate size {vcpu} vCPU / {mem} MiB",
                f"{where}: {vcpu} vCPU with {mem} MiB is not a Fargate size",
            )
            check(bool(cp.get("executionRoleArn")), f"{where}: executionRoleArn (Fargate)",
                  f"{where}: Fargate jobs need executionRoleArn")
        check(bool(cp.get("jobRoleArn")), f"{where}: jobRoleArn", f"{where}: no jobRoleArn")

        efs = {v.get("name") for v in cp.get("volumes", []) if "efsVolumeConfiguration" in v}
        mounts = [m for m in cp.get("mountPoints", []) if m.get("sourceVolume") in efs]
        check(
            any(m.get("containerPath") == "/data" and not m.get("readOnly") for m in mounts),
            f"{where}: EFS volume mounted read-write at /data",
            f"{where}: needs an efsVolumeConfiguration volume mounted read-write at /data",
        )
        check(cp.get("readonlyRootFilesystem") is True and cp.get("user") == "10001",
              f"{where}: read-only root file system, uid 10001",
              f"{where}: want readonlyRootFilesystem true and user 10001")

        retry = params.get("retryStrategy", {})
        rules = retry.get("evaluateOnExit", [])
        check(retry.get("attempts") == 3, f"{where}: 3 attempts", f"{where}: retryStrategy.attempts must be 3")
        check(
            any(r.get("onExitCode") == "2" and r.get("action", "").upper() == "EXIT" for r in rules),
            f"{where}: exit 2 (usage) is not retried",
            f"{where}: evaluateOnExit must EXIT on exit code 2",
        )
        check(
            not any(r.get("onExitCode", "").startswith("3") for r in rules),
            f"{where}: no retry rule for exit 3 (the script turns it into 0)",
            f"{where}: exit 3 must be handled by the script, not evaluateOnExit",
        )
        check(params.get("timeout", {}).get("attemptDurationSeconds", 0) >= 60,
              f"{where}: timeout", f"{where}: needs timeout.attemptDurationSeconds >= 60")

        command = cp.get("command", [])
        if not check(
            len(command) == 3 and command[:2] == ["sh", "-c"],
            f"{where}: command is sh -c SCRIPT",
            f"{where}: command must be [\"sh\", \"-c\", SCRIPT] (the Batch image has no entry point)",
        ):
            continue
        script = command[2]
        scripts[f"batch {key}"] = script
        if key == "collectShard":
            for needle in ("--shard", "--resume", "AWS_BATCH_JOB_ARRAY_INDEX", "sgaudit collect"):
                check(needle in script, f"{where}: command mentions {needle}",
                      f"{where}: command does not mention {needle}")
        else:
            for needle in ("sgaudit merge", "sgaudit assess", "shard-*.json.gz", "SHARDS"):
                check(needle in script, f"{where}: command mentions {needle}",
                      f"{where}: command does not mention {needle}")

    dockerfile = root / "config/scale/Dockerfile.batch"
    check(
        dockerfile.is_file() and "ENTRYPOINT []" in dockerfile.read_text(encoding="utf-8"),
        "Dockerfile.batch clears the entry point",
        f"{dockerfile}: missing, or does not clear the entry point (ENTRYPOINT [])",
    )
    return scripts


# ---------------------------------------------------------------- Kubernetes


def env_of(container) -> dict:
    return {e.get("name"): e.get("value") for e in container.get("env", []) if "value" in e}


def k8s(root: Path) -> dict[str, str]:
    import yaml

    path = root / "config/scale/k8s-indexed-job.yaml"
    scripts: dict[str, str] = {}
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    except (OSError, yaml.YAMLError) as e:
        fail(f"{path}: {e}")
        return scripts
    kinds = sorted(d.get("kind", "?") for d in docs)
    if not check(
        kinds == ["Job", "Job", "PersistentVolumeClaim", "ServiceAccount"],
        f"{path.name}: {len(docs)} documents: PersistentVolumeClaim, ServiceAccount, two Jobs",
        f"{path.name}: want a PersistentVolumeClaim, a ServiceAccount and two Jobs, found {kinds}",
    ):
        return scripts
    by = {(d["kind"], d["metadata"]["name"]): d for d in docs}

    for d in docs:
        check(d["metadata"].get("namespace") == "sgaudit",
              f"{d['kind']} {d['metadata']['name']}: namespace sgaudit",
              f"{d['kind']} {d['metadata']['name']}: namespace must be sgaudit")

    pvc = next(d for d in docs if d["kind"] == "PersistentVolumeClaim")
    check("ReadWriteMany" in pvc["spec"].get("accessModes", []), "PersistentVolumeClaim: ReadWriteMany",
          "PersistentVolumeClaim: must be ReadWriteMany (shards run on several nodes)")
    sa = next(d for d in docs if d["kind"] == "ServiceAccount")
    check("eks.amazonaws.com/role-arn" in sa["metadata"].get("annotations", {}),
          "ServiceAccount: IRSA annotation", "ServiceAccount: no eks.amazonaws.com/role-arn annotation")

    collect = by.get(("Job", "sgaudit-collect"))
    merge = by.get(("Job", "sgaudit-merge-assess"))
    if not check(collect is not None and merge is not None, "Jobs sgaudit-collect and sgaudit-merge-assess",
                 "want the Jobs sgaudit-collect and sgaudit-merge-assess"):
        return scripts

    for d in (pvc, sa, collect):
        check(d["metadata"].get("labels", {}).get("sgaudit.io/step") == "collect",
              f"{d['kind']} {d['metadata']['name']}: applied in step collect",
              f"{d['kind']} {d['metadata']['name']}: needs the label sgaudit.io/step: collect")
    check(merge["metadata"].get("labels", {}).get("sgaudit.io/step") == "merge",
          "Job sgaudit-merge-assess: applied in step merge",
          "Job sgaudit-merge-assess: needs the label sgaudit.io/step: merge")

    spec = collect["spec"]
    check(spec.get("completionMode") == "Indexed", "sgaudit-collect: completionMode Indexed",
          "sgaudit-collect: completionMode must be Indexed")
    completions = spec.get("completions")
    check(isinstance(completions, int) and 1 <= spec.get("parallelism", 0) <= completions,
          f"sgaudit-collect: completions {completions}, parallelism {spec.get('parallelism')}",
          "sgaudit-collect: needs completions N and 1 <= parallelism <= N")
    check(spec.get("backoffLimitPerIndex") == 2, "sgaudit-collect: backoffLimitPerIndex 2",
          "sgaudit-collect: backoffLimitPerIndex must be 2")
    rules = spec.get("podFailurePolicy", {}).get("rules", [])
    check(
        any(r.get("action") == "FailIndex" and r.get("onExitCodes", {}).get("operator") == "In"
            and 2 in r.get("onExitCodes", {}).get("values", []) for r in rules),
        "sgaudit-collect: exit 2 fails the index without retry",
        "sgaudit-collect: podFailurePolicy needs FailIndex on exit code 2",
    )
    check(not any(r.get("action") == "Ignore" for r in rules), "sgaudit-collect: no Ignore rule",
          "sgaudit-collect: podFailurePolicy must not Ignore failures")

    for job in (collect, merge):
        name = job["metadata"]["name"]
        pod = job["spec"]["template"]["spec"]
        sc = pod.get("securityContext", {})
        check(pod.get("restartPolicy") == "Never", f"{name}: restartPolicy Never",
              f"{name}: restartPolicy must be Never (podFailurePolicy needs it)")
        check(sc.get("runAsNonRoot") is True and sc.get("runAsUser") == 10001,
              f"{name}: runAsNonRoot, uid 10001", f"{name}: want runAsNonRoot true and runAsUser 10001")
        containers = pod.get("containers", [])
        if not check(len(containers) == 1, f"{name}: one container", f"{name}: want one container"):
            continue
        c = containers[0]
        csc = c.get("securityContext", {})
        check(csc.get("readOnlyRootFilesystem") is True and csc.get("allowPrivilegeEscalation") is False,
              f"{name}: read-only root file system, no privilege escalation",
              f"{name}: want readOnlyRootFilesystem true and allowPrivilegeEscalation false")
        res = c.get("resources", {})
        check("memory" in res.get("requests", {}) and "memory" in res.get("limits", {}),
              f"{name}: memory request and limit", f"{name}: needs memory requests and limits")
        check(any(m.get("mountPath") == "/data" for m in c.get("volumeMounts", [])),
              f"{name}: /data mounted", f"{name}: /data not mounted")
        if not check(c.get("command") == ["/bin/sh", "-c"] and len(c.get("args", [])) == 1,
                     f"{name}: command replaces the entry point with sh -c",
                     f"{name}: want command [/bin/sh, -c] and the script as the one arg"):
            continue
        scripts[f"k8s {name}"] = c["args"][0]

    if "k8s sgaudit-collect" in scripts:
        s = scripts["k8s sgaudit-collect"]
        for needle in ("JOB_COMPLETION_INDEX", "--shard", "--resume", "sgaudit collect"):
            check(needle in s, f"sgaudit-collect: command mentions {needle}",
                  f"sgaudit-collect: command does not mention {needle}")
        shards = env_of(collect["spec"]["template"]["spec"]["containers"][0]).get("SHARDS")
        check(shards == str(completions), f"sgaudit-collect: SHARDS {shards} = completions",
              f"sgaudit-collect: SHARDS ({shards}) must equal completions ({completions})")
    if "k8s sgaudit-merge-assess" in scripts:
        s = scripts["k8s sgaudit-merge-assess"]
        for needle in ("sgaudit merge", "sgaudit assess"):
            check(needle in s, f"sgaudit-merge-assess: runs {needle}",
                  f"sgaudit-merge-assess: does not run {needle}")
        env_c = env_of(collect["spec"]["template"]["spec"]["containers"][0])
        env_m = env_of(merge["spec"]["template"]["spec"]["containers"][0])
        for var in ("RUN_ID", "SHARDS"):
            check(env_c.get(var) == env_m.get(var), f"both Jobs: the same {var}",
                  f"the Jobs disagree on {var}: {env_c.get(var)!r} and {env_m.get(var)!r}")
    return scripts


# ---------------------------------------------------------------- scripts

STANDIN_SGAUDIT = """#!/bin/sh
# Records its arguments; exits with $FAKE_RC_<subcommand> (default 0).
printf '%s\\n' "$*" >> "$FAKE_LOG"
eval "rc=\\${FAKE_RC_$1:-0}"
exit "$rc"
"""

STANDIN_AWS = """#!/bin/sh
# Records its arguments (separated by the unit separator, one call a line);
# prints a job id.
printf '%s\\037' "$@" >> "$FAKE_LOG"
printf '\\n' >> "$FAKE_LOG"
n=$(wc -l < "$FAKE_LOG")
echo "job-$n"
"""


def submit_job_params(argv: list[str]) -> dict:
    """The SubmitJob request an `aws batch submit-job` command line makes
    (the options aws-batch-submit.sh uses; shorthand as the CLI reads it)."""
    opts, i = {}, 0
    while i < len(argv):
        if argv[i].startswith("--") and i + 1 < len(argv):
            opts[argv[i]] = argv[i + 1]
            i += 2
        else:
            i += 1
    params = {"jobName": opts.get("--job-name"), "jobQueue": opts.get("--job-queue"),
              "jobDefinition": opts.get("--job-definition")}
    if "--array-properties" in opts:
        key, _, value = opts["--array-properties"].partition("=")
        params["arrayProperties"] = {key: int(value)}
    if "--depends-on" in opts:
        params["dependsOn"] = [dict(kv.split("=", 1) for kv in opts["--depends-on"].split(","))]
    if "--container-overrides" in opts:
        params["containerOverrides"] = json.loads(opts["--container-overrides"])
    return params


def executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def shellcheck(args: list[str], what: str) -> None:
    tool = shutil.which("shellcheck")
    if tool is None:
        print(f"skipped: shellcheck {what} (shellcheck is not on PATH)")
        return
    r = subprocess.run([tool, *args], capture_output=True, text=True)
    check(r.returncode == 0, f"shellcheck {what}", f"shellcheck {what}:\n{r.stdout}{r.stderr}")


def run_script(script: str, tmp: Path, env: dict[str, str], rcs: dict[str, int]):
    """Run an sh -c script with /data at tmp/data and a stand-in sgaudit."""
    data = tmp / "data"
    data.mkdir(exist_ok=True)
    log = tmp / "calls.log"
    log.write_text("", encoding="utf-8")
    full = {
        "PATH": f"{tmp / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "FAKE_LOG": str(log),
        **{f"FAKE_RC_{k}": str(v) for k, v in rcs.items()},
        **env,
    }
    r = subprocess.run(["sh", "-c", script.replace("/data/", f"{data}/")], env=full,
                       capture_output=True, text=True, timeout=30)
    calls = [line.replace(str(data), "/data") for line in log.read_text(encoding="utf-8").splitlines()]
    return r.returncode, calls, r.stderr


def collect_behaviour(name: str, script: str, index_var: str) -> None:
    base = {"RUN_ID": "r1", "SHARDS": "3", index_var: "1", "ROLE_NAME": "sgaudit-audit"}
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        (tmp / "bin").mkdir()
        executable(tmp / "bin/sgaudit", STANDIN_SGAUDIT)
        rc, calls, err = run_script(script, tmp, base, {})
        want = "collect --shard 2/3 --out /data/r1/shard-2.json.gz --resume --role-name sgaudit-audit"
        check(rc == 0 and calls == [want], f"{name}: index 1 of 3 runs `sgaudit {want}`",
              f"{name}: index 1 of 3: exit {rc}, calls {calls}, stderr {err.strip()}")
        for code, expect in ((3, 0), (2, 2), (1, 1), (137, 137)):
            rc, calls, _ = run_script(script, tmp, base, {"collect": code})
            check(rc == expect, f"{name}: sgaudit exit {code} -> job exit {expect}",
                  f"{name}: sgaudit exit {code} gave job exit {rc}, want {expect}")
        rc, calls, _ = run_script(script, tmp, {k: v for k, v in base.items() if k != "RUN_ID"}, {})
        check(rc == 2 and not calls, f"{name}: no RUN_ID -> exit 2, nothing run",
              f"{name}: without RUN_ID: exit {rc}, calls {calls}")
        rc, calls, _ = run_script(script, tmp, {**base, "RUN_ID": "<RUN-ID>"}, {})
        check(rc == 2 and not calls, f"{name}: placeholder RUN_ID -> exit 2",
              f"{name}: RUN_ID '<RUN-ID>': exit {rc}, calls {calls}")
        (tmp / "data/r1").mkdir(parents=True, exist_ok=True)
        (tmp / "data/r1/shard-2.json.gz").write_bytes(b"")
        (tmp / "data/r1/shard-2.json.gz.parts").mkdir()
        rc, calls, _ = run_script(script, tmp, base, {})
        check(rc == 0 and len(calls) == 1, f"{name}: checkpoints beside the shard -> resumes",
              f"{name}: with SNAPSHOT.parts/: exit {rc}, calls {calls}")
        (tmp / "data/r1/shard-2.json.gz.parts").rmdir()
        rc, calls, _ = run_script(script, tmp, base, {})
        check(rc == 0 and not calls, f"{name}: a complete shard is kept, nothing run",
              f"{name}: complete shard: exit {rc}, calls {calls}")


def merge_behaviour(name: str, script: str) -> None:
    base = {"RUN_ID": "r1", "SHARDS": "2"}
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        (tmp / "bin").mkdir()
        executable(tmp / "bin/sgaudit", STANDIN_SGAUDIT)
        run = tmp / "data/r1"
        run.mkdir(parents=True)
        (run / "shard-1.json.gz").write_bytes(b"")
        (run / "shard-1.json.gz.parts").mkdir()  # checkpoints are not shards
        rc, calls, _ = run_script(script, tmp, base, {})
        check(rc == 2 and not calls, f"{name}: 1 shard of 2 -> exit 2, nothing merged",
              f"{name}: 1 shard of 2: exit {rc}, calls {calls}")
        (run / "shard-2.json.gz").write_bytes(b"")
        rc, calls, err = run_script(script, tmp, base, {"merge": 3, "assess": 3})
        want = [
            "merge /data/r1/shard-1.json.gz /data/r1/shard-2.json.gz --out /data/r1/org.json.gz",
            "assess --snapshot /data/r1/org.json.gz --out /data/r1/report",
        ]
        check(rc == 0 and calls == want, f"{name}: merge (exit 3), then assess (exit 3) -> job exit 0",
              f"{name}: exit {rc}, calls {calls}, stderr {err.strip()}")
        rc, calls, _ = run_script(script, tmp, base, {"merge": 1})
        check(rc == 1 and len(calls) == 1, f"{name}: merge exit 1 -> exit 1, no assessment",
              f"{name}: merge exit 1: exit {rc}, calls {calls}")
        for code in (4, 5, 1):
            rc, _, _ = run_script(script, tmp, base, {"assess": code})
            check(rc == code, f"{name}: assess exit {code} -> job exit {code}",
                  f"{name}: assess exit {code} gave job exit {rc}")
        rc, calls, _ = run_script(script, tmp, {**base, "BASELINE": "/data/r0/report"}, {})
        check(bool(calls) and calls[-1].endswith("--baseline /data/r0/report"),
              f"{name}: BASELINE passed to assess", f"{name}: BASELINE: calls {calls}")


def scripts_check(scripts: dict[str, str]) -> None:
    sh = shutil.which("sh")
    if sh is None:
        fail("no sh on PATH: cannot check the scripts")
        return
    for name, script in scripts.items():
        r = subprocess.run([sh, "-n", "-c", script], capture_output=True, text=True)
        check(r.returncode == 0, f"{name}: sh -n", f"{name}: sh -n:\n{r.stderr}")
        with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
            f.write(script)
        try:
            shellcheck(["-s", "sh", f.name], f"-s sh ({name})")
        finally:
            os.unlink(f.name)
    for name, script in scripts.items():
        if name.endswith("collectShard"):
            collect_behaviour(name, script, "AWS_BATCH_JOB_ARRAY_INDEX")
        elif name.endswith("sgaudit-collect"):
            collect_behaviour(name, script, "JOB_COMPLETION_INDEX")
        else:
            merge_behaviour(name, script)


def submit_check(root: Path) -> None:
    path = root / "config/scale/aws-batch-submit.sh"
    if not check(path.is_file() and os.access(path, os.X_OK), f"{path.name}: present and executable",
                 f"{path}: missing or not executable"):
        return
    r = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    check(r.returncode == 0, f"bash -n {path.name}", f"bash -n {path.name}:\n{r.stderr}")
    shellcheck([str(path)], path.name)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        (tmp / "bin").mkdir()
        executable(tmp / "bin/aws", STANDIN_AWS)
        log = tmp / "calls.log"
        env = {"PATH": f"{tmp / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", "FAKE_LOG": str(log)}

        def run(*args):
            log.write_text("", encoding="utf-8")
            p = subprocess.run(["bash", str(path), *args], env=env, capture_output=True, text=True, timeout=30)
            calls = [line.split("\x1f")[:-1] for line in log.read_text(encoding="utf-8").splitlines()]
            return p.returncode, p.stdout, calls

        rc, out, _ = run("--help")
        check(rc == 0 and "--shards" in out, f"{path.name} --help", f"{path.name} --help: exit {rc}")
        rc, out, calls = run("--queue", "q", "--shards", "4", "--run-id", "2026-12", "--region", "eu-west-1",
                             "--baseline", "2026-11")
        if not check(rc == 0 and len(calls) == 2 and all(c[:4] == ["--region", "eu-west-1", "batch", "submit-job"]
                                                         for c in calls),
                     f"{path.name}: two `aws --region eu-west-1 batch submit-job` calls",
                     f"{path.name}: exit {rc}, output {out!r}, aws calls {calls}"):
            return
        import botocore.session
        from botocore.validate import ParamValidator

        shape = botocore.session.get_session().get_service_model("batch").operation_model("SubmitJob").input_shape
        collect, merge = (submit_job_params(c[4:]) for c in calls)
        for name, params in (("array job", collect), ("merge job", merge)):
            try:
                report = ParamValidator().validate(params, shape)
                check(not report.has_errors(), f"{path.name}: the {name} is a valid SubmitJob request",
                      f"{path.name}: the {name} is not a valid SubmitJob request:\n{report.generate_report()}")
            except (ValueError, TypeError) as e:
                fail(f"{path.name}: the {name}'s options do not parse: {e}")
        def env_of_job(p):
            return {e["name"]: e["value"] for e in p.get("containerOverrides", {}).get("environment", [])}

        check(collect.get("arrayProperties") == {"size": 4} and "dependsOn" not in collect
              and env_of_job(collect) == {"RUN_ID": "2026-12", "SHARDS": "4"},
              f"{path.name}: an array of 4 with RUN_ID and SHARDS",
              f"{path.name}: array job request {collect}")
        check(merge.get("dependsOn") == [{"jobId": "job-1"}] and "arrayProperties" not in merge
              and env_of_job(merge) == {"RUN_ID": "2026-12", "SHARDS": "4", "BASELINE": "/data/2026-11/report"},
              f"{path.name}: the merge job depends on the array job, with BASELINE",
              f"{path.name}: merge job request {merge}")
        check("job-1" in out and "job-2" in out, f"{path.name}: prints both job ids",
              f"{path.name}: output {out!r}")
        for bad in (["--queue", "q", "--shards", "1", "--run-id", "r"],
                    ["--queue", "q", "--shards", "4", "--run-id", "a/b"],
                    ["--shards", "4", "--run-id", "r"]):
            rc, _, calls = run(*bad)
            check(rc == 2 and not calls, f"{path.name} {' '.join(bad)}: refused (exit 2)",
                  f"{path.name} {' '.join(bad)}: exit {rc}, aws calls {calls}")


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
    try:
        import botocore  # noqa: F401
        import yaml  # noqa: F401
    except ImportError as e:
        print(f"FAIL: {e}: run with a Python that has botocore and PyYAML (the test venv)")
        return 1
    scripts = batch(root)
    scripts.update(k8s(root))
    scripts_check(scripts)
    submit_check(root)
    if problems:
        print(f"\n{len(problems)} problem(s) in {root / 'config/scale'}", file=sys.stderr)
        return 1
    print(f"\nall checks passed for {root / 'config/scale'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

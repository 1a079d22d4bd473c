#!/usr/bin/env python3
"""Validate sgaudit's interchange files against the schemas they claim.

  validate.py ocsf findings.ocsf.jsonl   every line an OCSF 1.3.0 Detection Finding
  validate.py asff findings.asff.json    every batch what BatchImportFindings accepts

OCSF: each record is parsed by py-ocsf-models 0.2.0 (the release for OCSF
1.3.0) and serialized back; the two must be equal, so a key the model does
not know (which pydantic would drop silently) is an error too. On top of the
model: class 2004, type_uid = 200400 + activity_id, times in milliseconds.

ASFF: each batch is checked by botocore's own validator against the
Security Hub API model (required members, types, unknown keys), then against
the documented limits the API enforces server-side and botocore does not
(required top-level attributes, lengths, enums, counts, timestamps, one
account and region per batch, 240 KB per finding).

Prints one line per problem (file:line: what) and exits 1 if there is any.
"""

import json
import re
import sys

problems = []


def problem(where, what):
    problems.append(f"{where}: {what}")


def ocsf(path):
    from py_ocsf_models import OCSF_VERSION
    from py_ocsf_models.events.findings.detection_finding import DetectionFinding

    assert OCSF_VERSION == "1.3.0", OCSF_VERSION
    count = 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            where = f"{path}:{n}"
            count += 1
            record = json.loads(line)
            try:
                model = DetectionFinding.parse_obj(record)
            except Exception as e:  # pydantic.ValidationError
                problem(where, f"not a Detection Finding: {e}")
                continue
            back = json.loads(model.json(exclude_unset=True))
            if back != record:
                problem(where, "the model does not keep the record as written: " + first_difference(record, back))
            if record.get("class_uid") != 2004 or record.get("category_uid") != 2:
                problem(where, "class_uid must be 2004 and category_uid 2")
            if record.get("type_uid") != 200400 + record.get("activity_id", -1):
                problem(where, "type_uid must be 200400 + activity_id")
            for key in ("time",):
                if not (10**12 <= record.get(key, 0) < 10**14):
                    problem(where, f"{key} must be milliseconds since the epoch")
            info = record.get("finding_info", {})
            for key in ("first_seen_time", "last_seen_time"):
                if key in info and not (10**12 <= info[key] < 10**14):
                    problem(where, f"finding_info.{key} must be milliseconds")
            if record.get("metadata", {}).get("version") != "1.3.0":
                problem(where, "metadata.version must be 1.3.0")
            if not record.get("resources"):
                problem(where, "no resources")
    return count


def first_difference(a, b, at=""):
    if type(a) is not type(b):
        return f"at `{at or '.'}`: {a!r} became {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in b:
                return f"`{at}{k}` was dropped (not in the model)"
            if k not in a:
                return f"`{at}{k}` was added"
            if a[k] != b[k]:
                return first_difference(a[k], b[k], f"{at}{k}.")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"at `{at}`: list length {len(a)} became {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{at}[{i}].")
    return f"at `{at or '.'}`: {a!r} became {b!r}"


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)$")
LABELS = {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
REQUIRED = {  # the user guide's required top-level attributes, with their types
    "SchemaVersion": str, "Id": str, "ProductArn": str, "GeneratorId": str, "AwsAccountId": str,
    "Types": list, "CreatedAt": str, "UpdatedAt": str, "Severity": dict, "Title": str,
    "Description": str, "Resources": list,
}
TYPE_NAMESPACES = ("Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors",
                   "Sensitive Data Identifications")


def asff(path):
    import botocore.session
    from botocore.validate import ParamValidator

    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    with open(path, encoding="utf-8") as f:
        batches = json.load(f)
    if not isinstance(batches, list):
        problem(path, "expected a JSON array of batches")
        return 0
    count = 0
    for b, batch in enumerate(batches):
        where = f"{path}: batch {b}"
        if not isinstance(batch, list) or not 1 <= len(batch) <= 100:
            problem(where, "a batch is an array of 1 to 100 findings")
            continue
        report = ParamValidator().validate({"Findings": batch}, shape)
        if report.has_errors():
            problem(where, "botocore refuses it: " + report.generate_report())
        arns = {f.get("ProductArn") for f in batch}
        accounts = {f.get("AwsAccountId") for f in batch}
        if len(arns) != 1 or len(accounts) != 1:
            problem(where, "one account and one region (one ProductArn) per batch")
        for i, finding in enumerate(batch):
            count += 1
            check_finding(f"{where} finding {i}", finding)
    return count


def check_finding(where, f):
    for key, kind in REQUIRED.items():
        if not isinstance(f.get(key), kind):
            problem(where, f"{key} is required ({kind.__name__})")
            return
    if f["SchemaVersion"] != "2018-10-08":
        problem(where, "SchemaVersion must be 2018-10-08")
    for key, most in (("Id", 512), ("GeneratorId", 512), ("Title", 256), ("Description", 1024)):
        if not (1 <= len(f[key]) <= most) or not f[key].strip():
            problem(where, f"{key} must be 1 to {most} characters, not blank")
    if not re.fullmatch(r"\d{12}", f["AwsAccountId"]):
        problem(where, "AwsAccountId must be 12 digits")
    account, region = f["AwsAccountId"], f["ProductArn"].split(":")[3]
    if not re.fullmatch(rf"arn:aws(-cn|-us-gov)?:securityhub:{re.escape(region)}:{account}:product/{account}/default", f["ProductArn"]):
        problem(where, "ProductArn must be the account's custom integration")
    for key in ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"):
        if key in f and not RFC3339.match(f[key]):
            problem(where, f"{key} must be RFC 3339")
    if not 1 <= len(f["Types"]) <= 50 or not all(t.split("/")[0] in TYPE_NAMESPACES for t in f["Types"]):
        problem(where, "Types: 1 to 50 of namespace/category/classifier")
    if f["Severity"].get("Label") not in LABELS:
        problem(where, "Severity.Label must be one of " + ", ".join(sorted(LABELS)))
    if not 1 <= len(f["Resources"]) <= 32:
        problem(where, "Resources: 1 to 32")
    for r in f["Resources"]:
        if not r.get("Type") or not r.get("Id") or len(r["Type"]) > 256:
            problem(where, "a resource needs Type and Id")
        if r.get("Partition", "aws") not in ("aws", "aws-cn", "aws-us-gov"):
            problem(where, "Resources[].Partition")
    c = f.get("Compliance", {})
    if c.get("Status") not in (None, "PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"):
        problem(where, "Compliance.Status")
    if len(c.get("RelatedRequirements", [])) > 32:
        problem(where, "Compliance.RelatedRequirements: at most 32")
    if f.get("Workflow", {}).get("Status") not in (None, "NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"):
        problem(where, "Workflow.Status")
    if f.get("RecordState") not in (None, "ACTIVE", "ARCHIVED"):
        problem(where, "RecordState")
    text = f.get("Remediation", {}).get("Recommendation", {}).get("Text", "x")
    if not 1 <= len(text) <= 512:
        problem(where, "Remediation.Recommendation.Text: 1 to 512 characters")
    fields = f.get("ProductFields", {})
    if len(fields) > 50 or any(len(k) > 128 or len(v) > 2048 for k, v in fields.items()):
        problem(where, "ProductFields: at most 50, keys 128 and values 2048 characters")
    if len(json.dumps(f).encode()) > 240 * 1024:
        problem(where, "larger than 240 KB")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("ocsf", "asff"):
        print(__doc__, file=sys.stderr)
        return 2
    count = (ocsf if sys.argv[1] == "ocsf" else asff)(sys.argv[2])
    for p in problems[:50]:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) in {count} records", file=sys.stderr)
        return 1
    print(f"{count} records valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())

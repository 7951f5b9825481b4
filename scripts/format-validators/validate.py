"""Validate cmkcheck's SARIF, OCSF and OSCAL files with their ecosystems' tools.

usage: validate.py sarif FILE...
       validate.py ocsf FILE...
       validate.py oscal-catalog FILE
       validate.py oscal-results --catalog CATALOG FILE...
       validate.py --check-install

Exits 1 naming the file and what is wrong when one does not validate.
"""

import json
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
SARIF_SCHEMA = HERE / "sarif-schema-2.1.0.json"


def fail(msg):
    print(f"validate.py: {msg}", file=sys.stderr)
    sys.exit(1)


def sarif(files):
    # check-jsonschema, from the venv this interpreter runs in.
    exe = pathlib.Path(sys.executable).parent / "check-jsonschema"
    r = subprocess.run([str(exe), "--schemafile", str(SARIF_SCHEMA), *files])
    if r.returncode != 0:
        fail(f"SARIF: {' '.join(files)} do not validate against {SARIF_SCHEMA.name}")
    for f in files:
        log = json.loads(pathlib.Path(f).read_text())
        rules = log["runs"][0]["tool"]["driver"]["rules"]
        for res in log["runs"][0]["results"]:
            i = res.get("ruleIndex")
            if i is None or rules[i]["id"] != res["ruleId"]:
                fail(f"SARIF {f}: result {res['ruleId']} has ruleIndex {i}, which is not its rule")


def differences(want, got, path=""):
    """Where the model's reading of a finding differs from the finding."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for k in sorted(set(want) | set(got)):
            if k not in got:
                out.append(f"{path}/{k}: not a field of the model (dropped)")
            elif k not in want:
                out.append(f"{path}/{k}: added by the model")
            else:
                out += differences(want[k], got[k], f"{path}/{k}")
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        out = []
        for i, (w, g) in enumerate(zip(want, got)):
            out += differences(w, g, f"{path}/{i}")
        return out
    if want != got:
        return [f"{path}: {want!r} read as {got!r}"]
    return []


def ocsf(files):
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

    for f in files:
        findings = json.loads(pathlib.Path(f).read_text())
        if not isinstance(findings, list) or not findings:
            fail(f"OCSF {f}: not a non-empty JSON array of findings")
        for i, finding in enumerate(findings):
            try:
                model = ComplianceFinding.model_validate(finding)
            except Exception as e:  # pydantic's ValidationError names the fields
                fail(f"OCSF {f}: finding {i}: {e}")
            got = model.model_dump(mode="json", exclude_unset=True)
            diff = differences(finding, got)
            if diff:
                fail(f"OCSF {f}: finding {i} is not what ComplianceFinding reads: " + "; ".join(diff))


def oscal_catalog(path):
    from trestle.oscal.catalog import Catalog

    try:
        return Catalog.oscal_read(pathlib.Path(path))
    except Exception as e:
        fail(f"OSCAL catalog {path}: {e}")


def oscal_results(catalog_path, files):
    from trestle.oscal.assessment_results import AssessmentResults

    cat = oscal_catalog(catalog_path)
    objectives = set()
    for g in cat.groups or []:
        for c in g.controls or []:
            for p in c.parts or []:
                objectives.add(p.id)
    for f in files:
        try:
            ar = AssessmentResults.oscal_read(pathlib.Path(f))
        except Exception as e:
            fail(f"OSCAL assessment results {f}: {e}")
        props = {p.name: p.value for p in ar.metadata.props or []}
        if props.get("catalog-uuid") != str(cat.uuid):
            fail(f"OSCAL {f}: names catalog {props.get('catalog-uuid')}, the catalog is {cat.uuid}")
        if not ar.results:
            fail(f"OSCAL {f}: no results")
        for r in ar.results:
            for fd in r.findings or []:
                if fd.target.target_id not in objectives:
                    fail(f"OSCAL {f}: finding {fd.title} targets {fd.target.target_id}, not an objective of the catalog")


def main(args):
    if args == ["--check-install"]:
        import py_ocsf_models  # noqa: F401
        import trestle.oscal.assessment_results  # noqa: F401

        exe = pathlib.Path(sys.executable).parent / "check-jsonschema"
        subprocess.run([str(exe), "--version"], check=True, stdout=subprocess.DEVNULL)
        return
    if len(args) < 2:
        fail(__doc__)
    kind, rest = args[0], args[1:]
    if kind == "sarif":
        sarif(rest)
    elif kind == "ocsf":
        ocsf(rest)
    elif kind == "oscal-catalog" and len(rest) == 1:
        oscal_catalog(rest[0])
    elif kind == "oscal-results" and len(rest) >= 3 and rest[0] == "--catalog":
        oscal_results(rest[1], rest[2:])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

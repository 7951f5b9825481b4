#!/usr/bin/env python3
"""Netflix policyuniverse's reading of "is this policy public?".

An independent reading for the differential test of cmkcheck's access model
(policy/differential_test.go): for each policy, policyuniverse's
Policy(doc).is_internet_accessible().

Input, either:
  run.py FILE...   each FILE a JSON policy document, or a corpus case
                   (fixtures/policies/corpus/*.json) whose "policy" member
                   is taken; the name is the file's base name;
  run.py < LIST    a JSON list [{"name": ..., "policy": {...}}, ...].

Output: one JSON object a line, in input order:
  {"name": ..., "internet_accessible": true|false}
or, when policyuniverse fails on a policy,
  {"name": ..., "error": "..."}
(then the exit status is 1, after every policy has been answered).

Run it with the Python of a virtual environment in which
scripts/policyuniverse/requirements.txt is installed.
"""
import json
import os
import sys

from policyuniverse.policy import Policy


def load_file(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if isinstance(doc, dict) and "Statement" not in doc and "policy" in doc:
        doc = doc["policy"]
    return {"name": os.path.basename(path), "policy": doc}


def answer(item):
    name = item.get("name")
    try:
        doc = item["policy"]
        if not isinstance(doc, dict):
            raise TypeError("policy is not a JSON object")
        return {"name": name, "internet_accessible": bool(Policy(doc).is_internet_accessible())}
    except Exception as e:  # report, go on with the others
        return {"name": name, "error": "%s: %s" % (type(e).__name__, e)}


def main(argv):
    if len(argv) > 1:
        items = [load_file(p) for p in argv[1:]]
    else:
        items = json.load(sys.stdin)
        if not isinstance(items, list):
            sys.exit("stdin: want a JSON list of {\"name\": ..., \"policy\": {...}}")
    failed = False
    for item in items:
        out = answer(item)
        failed = failed or "error" in out
        print(json.dumps(out, sort_keys=True))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""The real SDK's view of a collection's versions, and its own delete (issue 20).

usage: delete_versions.py list ENTITY/PROJECT TYPE NAME
       delete_versions.py delete ENTITY/PROJECT/NAME:VERSION DELETE_ALIASES(0|1)
list prints {"versions": [{"version", "aliases"}...], "missing": {"vN": error}} for v0..v9 it cannot read;
delete prints {"deleted": "vN"} or {"error": "..."} when the server refuses.
"""
import json
import sys

import wandb

api = wandb.Api()
if sys.argv[1] == "list":
    project, type_name, name = sys.argv[2:5]
    versions = [
        {"version": a.version, "aliases": sorted(a.aliases)}
        for a in api.artifacts(type_name, f"{project}/{name}")
    ]
    missing = {}
    for n in range(10):
        try:
            api.artifact(f"{project}/{name}:v{n}")
        except Exception as error:  # the SDK raises CommError / ValueError for a version it cannot find
            missing[f"v{n}"] = type(error).__name__
    print(json.dumps({"versions": sorted(versions, key=lambda v: int(v["version"][1:])), "missing": missing}))
else:
    path, delete_aliases = sys.argv[2], sys.argv[3] == "1"
    art = api.artifact(path)
    try:
        art.delete(delete_aliases=delete_aliases)
        print(json.dumps({"deleted": art.version}))
    except Exception as error:
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))

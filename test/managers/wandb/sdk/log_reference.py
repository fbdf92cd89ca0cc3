"""Logs one reference with the real SDK (add_reference, checksum=False); prints the version as JSON.

usage: log_reference.py ENTITY PROJECT NAME URI
"""
import json
import sys

import wandb

entity, project, name, uri = sys.argv[1:5]
run = wandb.init(entity=entity, project=project, job_type="test")
art = wandb.Artifact(name, type="dataset")
art.add_reference(uri, checksum=False)
run.log_artifact(art)
art.wait()
run.finish()
print(json.dumps(art.version))

"""Logs a folder's contents as one version with the real SDK (add_dir); prints the version as JSON.

usage: log_dir.py ENTITY PROJECT NAME TYPE DIR
"""
import json
import sys

import wandb

entity, project, name, type_, folder = sys.argv[1:6]
run = wandb.init(entity=entity, project=project, job_type="test")
art = wandb.Artifact(name, type=type_)
art.add_dir(folder)
run.log_artifact(art)
art.wait()
run.finish()
print(json.dumps(art.version))

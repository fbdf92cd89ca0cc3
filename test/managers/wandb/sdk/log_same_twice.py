"""Logs identical content twice with the real SDK; prints both versions as JSON.

usage: log_same_twice.py ENTITY PROJECT WORKDIR
"""
import json
import os
import sys

import wandb

entity, project, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
with open(os.path.join(work, "same.txt"), "w") as f:
    f.write("same bytes\n")
versions = []
for _ in range(2):
    run = wandb.init(entity=entity, project=project, job_type="test")
    art = wandb.Artifact("twice", type="dataset")
    art.add_file(os.path.join(work, "same.txt"))
    run.log_artifact(art)
    art.wait()
    versions.append(art.version)
    run.finish()
print(json.dumps(versions))

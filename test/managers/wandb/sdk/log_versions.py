"""Logs dataset 'ds' twice with the real SDK, as users do; prints what the SDK reports as JSON.

usage: log_versions.py ENTITY PROJECT WORKDIR
v0: a.txt (a file), folder/ (add_dir: b.bin, sub/c.txt, an empty file, a unicode name), alias 'best',
    description and metadata; v1: a.txt changed, alias 'candidate'.
"""
import json
import os
import sys

import wandb

entity, project, work = sys.argv[1:4]
src = os.path.join(work, "src")
os.makedirs(os.path.join(src, "folder", "sub"), exist_ok=True)
files = {
    "a.txt": b"hello\n",
    "folder/b.bin": bytes(range(256)) * 4,
    "folder/sub/c.txt": b"c",
    "folder/empty.txt": b"",
    "folder/h\u00e9llo w\u00f6rld.txt": "\u00fcnicode \u2713\n".encode(),
}
for path, data in files.items():
    with open(os.path.join(src, path), "wb") as f:
        f.write(data)

logged = []
for step, aliases in enumerate([["best"], ["candidate"]]):
    if step == 1:
        with open(os.path.join(src, "a.txt"), "wb") as f:
            f.write(b"hello again\n")
    run = wandb.init(entity=entity, project=project, job_type="test")
    art = wandb.Artifact(
        "ds", type="dataset", description=f"version {step}", metadata={"step": step, "lr": 0.5}
    )
    art.add_file(os.path.join(src, "a.txt"))
    art.add_dir(os.path.join(src, "folder"), name="folder")
    run.log_artifact(art, aliases=aliases)
    art.wait()
    logged.append({"version": art.version, "digest": art.digest, "id": art.id})
    run.finish()
print(json.dumps(logged))

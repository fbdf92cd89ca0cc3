"""Logs one version with digest_algorithm="XXH128" (SDK >= 0.29), as users opt in; prints it as JSON.

usage: log_xxh128.py ENTITY PROJECT NAME WORKDIR
Files: a.txt, folder/b.bin, folder/empty.txt. Prints the version, the artifact digest and algorithm,
and the manifest as the SDK holds it.
"""
import json
import os
import sys

import wandb

entity, project, name, work = sys.argv[1:5]
src = os.path.join(work, "src")
os.makedirs(os.path.join(src, "folder"), exist_ok=True)
files = {"a.txt": b"xxh128 bytes\n", "folder/b.bin": bytes(range(256)) * 3, "folder/empty.txt": b""}
for path, data in files.items():
    with open(os.path.join(src, path), "wb") as f:
        f.write(data)

run = wandb.init(entity=entity, project=project, job_type="test")
art = wandb.Artifact(name, type="dataset", digest_algorithm="XXH128")
art.add_file(os.path.join(src, "a.txt"))
art.add_dir(os.path.join(src, "folder"), name="folder")
run.log_artifact(art, aliases=["fast"])
art.wait()
run.finish()
print(json.dumps({
    "version": art.version,
    "digest": art.digest,
    "digestAlgorithm": str(art.digest_algorithm.value),
    "manifest": art.manifest.to_manifest_json(),
}))

"""Reads one version with the real SDK's public API, downloads and verifies it; prints it as JSON.

usage: read_version.py ENTITY/PROJECT/NAME:VERSION ROOT
"""
import hashlib
import json
import os
import sys

import wandb

path, root = sys.argv[1:3]
art = wandb.Api().artifact(path)
art.download(root=root)
art.verify(root=root)
files = {}
for dirpath, _, names in os.walk(root):
    for name in names:
        full = os.path.join(dirpath, name)
        with open(full, "rb") as f:
            files[os.path.relpath(full, root)] = hashlib.md5(f.read()).hexdigest()
print(json.dumps({
    "version": art.version,
    "type": art.type,
    "digest": art.digest,
    "description": art.description,
    "metadata": art.metadata,
    "aliases": sorted(art.aliases),
    "files": files,
    "listed": sorted(f.name for f in art.files()),
}))

"""Edits a version's aliases as SDK users do (append/remove, then save()); prints them as JSON.

usage: edit_aliases.py ENTITY/PROJECT/NAME:VERSION ADD,... REMOVE,...
"""
import json
import sys

import wandb

path, add, remove = sys.argv[1:4]
art = wandb.Api().artifact(path)
for alias in filter(None, add.split(",")):
    art.aliases.append(alias)
for alias in filter(None, remove.split(",")):
    art.aliases.remove(alias)
art.save()
print(json.dumps(sorted(wandb.Api().artifact(path).aliases)))

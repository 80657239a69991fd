# Merges the records of the environments (one JSON file each, in PYENV_STATE/records)
# into the image manifest PYENV_MANIFEST: into that of the stage built on when there is one
# (PYENV_STATE/inherited-manifest.json), else the base image's own. Environments listed
# there stay unless a PYENV line here redefines them.
set -eu
# The interpreter of this stage is not finished yet (that happens beside this build): it
# finds its own libraries through the loader's path, in this build only.
if [ -s "$PYENV_STATE/library-path" ]; then
    LD_LIBRARY_PATH=$(cat "$PYENV_STATE/library-path")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
fi
"$(cat "$PYENV_STATE/python")" - <<'PYENV_MANIFEST_EOF'
import glob, json, os

path = os.environ["PYENV_MANIFEST"]
parent = os.path.join(os.environ["PYENV_STATE"], "inherited-manifest.json")
environments = {}
for earlier in (parent, path):
    if not os.path.exists(earlier):
        continue
    with open(earlier) as inherited:
        environments = {e["name"]: e for e in json.load(inherited).get("environments", [])}
    break
for record in sorted(glob.glob(os.path.join(os.environ["PYENV_STATE"], "records", "*.json"))):
    with open(record) as handle:
        entry = json.load(handle)
    environments[entry["name"]] = entry
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as out:
    json.dump({"schema": 1, "environments": list(environments.values())}, out, indent=2, sort_keys=True)
    out.write("\n")
PYENV_MANIFEST_EOF

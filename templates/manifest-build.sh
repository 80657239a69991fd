# Merges the records of the environments (one JSON file each, in PYENV_STATE/records)
# into the image manifest PYENV_MANIFEST. Environments of the base image's own manifest
# stay listed unless a PYENV line here redefines them.
set -eu
"$(cat "$PYENV_STATE/python")" - <<'PYENV_MANIFEST_EOF'
import glob, json, os

path = os.environ["PYENV_MANIFEST"]
environments = {}
if os.path.exists(path):
    with open(path) as inherited:
        environments = {e["name"]: e for e in json.load(inherited).get("environments", [])}
for record in sorted(glob.glob(os.path.join(os.environ["PYENV_STATE"], "records", "*.json"))):
    with open(record) as handle:
        entry = json.load(handle)
    environments[entry["name"]] = entry
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as out:
    json.dump({"schema": 1, "environments": list(environments.values())}, out, indent=2, sort_keys=True)
    out.write("\n")
PYENV_MANIFEST_EOF

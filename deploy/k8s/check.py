"""Schema-checks rendered Kubernetes manifests offline with kubernetes-validate's bundled JSON schemas.

Usage: check.py KUBERNETES_VERSION < rendered.yaml
Prints one JSON object on stdout: {"kubernetesVersion", "documents": [each parsed document],
"results": [{"kind", "apiVersion", "name", "status": "valid"|"invalid"|"skipped", "detail"}]}.
"skipped" means the bundled schemas have no such kind (custom resources: Strimzi, CloudNativePG, KEDA).
Strict mode: a field the schema does not know is an error, as the API server would reject it.
Exit status 0 whatever the results (the caller decides); 2 when the input is not YAML.
Run by deploy/k8s/validate.ts inside the venv it creates under .cache/k8s/venv.
"""
import json
import sys

import kubernetes_validate.utils as kv
import yaml


def main() -> int:
    version = sys.argv[1] if len(sys.argv) > 1 else "1.32.0"
    try:
        documents = [d for d in yaml.safe_load_all(sys.stdin) if d is not None]
    except yaml.YAMLError as err:
        print(f"check.py: the input is not YAML: {err}", file=sys.stderr)
        return 2
    results = []
    for doc in documents:
        meta = doc.get("metadata") or {}
        row = {"kind": doc.get("kind"), "apiVersion": doc.get("apiVersion"), "name": meta.get("name")}
        try:
            kv.validate(doc, version, strict=True)
            row.update(status="valid", detail="")
        except kv.SchemaNotFoundError as err:
            row.update(status="skipped", detail=err.message)
        except kv.ValidationError as err:
            path = ".".join(str(p) for p in err.path) or "(document)"
            row.update(status="invalid", detail=f"{path}: {err.message}")
        results.append(row)
    json.dump({"kubernetesVersion": version, "documents": documents, "results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

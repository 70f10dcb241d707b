"""Every object of every engine and topology, with every option on, is valid for Kubernetes 1.30
and 1.37 (strict: unknown fields are errors)."""

from __future__ import annotations

import functools

import kubernetes_validate
import pytest
from dbspec import FULL, VARIANTS, render_db

import kfgtest  # noqa: F401 - caches kubernetes_validate's schema files for the session

S3 = {
    "schedule": "*/30 * * * *",
    "timeZone": "Europe/Berlin",
    "retention": {"days": 14},
    "destination": {
        "s3": {
            "bucket": "backups",
            "prefix": "db/x",
            "endpoint": "http://minio:9000",
            "credentialsSecret": "s3",
        }
    },
}


@functools.cache
def _objects(variant: str, options: str) -> list[dict]:
    extra = {"minimal": {}, "full": FULL, "s3": {**FULL, "backup": S3}}[options]
    spec = {**VARIANTS[variant], **extra}
    if options != "minimal":
        spec["security"] = {"writablePaths": ["/var/cache/x"]}
        spec["storage"] = {"size": "1Ti", "storageClass": "fast"}
        spec["deletionPolicy"] = "Delete"
    return render_db(**spec).objects


@pytest.mark.parametrize("kube_version", ["1.30", "1.37"])
@pytest.mark.parametrize("options", ["minimal", "full", "s3"])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_database_object_validates_strictly(
    variant: str, options: str, kube_version: str
) -> None:
    objects = _objects(variant, options)
    kinds = {obj["kind"] for obj in objects}
    assert {"StatefulSet", "Service", "Secret", "ConfigMap", "PodDisruptionBudget"} <= kinds
    assert {"NetworkPolicy", "ServiceAccount"} <= kinds
    if options != "minimal":
        assert "CronJob" in kinds
    for obj in objects:
        kubernetes_validate.validate(obj, kube_version, strict=True)

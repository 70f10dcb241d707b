"""Two operator replicas under Kopf peering: the higher priority works, the other takes over.

Peering is a priority-based pause, not leader election: replicas need distinct priorities
(``KONFIGURU_PRIORITY``; the chart derives them from the pod ordinal). The peering CRD is Kopf's
own (``ClusterKopfPeering``); it is created here like the chart would install it.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from helpers import app, wait_ready

PEERING_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "clusterkopfpeerings.kopf.dev"},
    "spec": {
        "group": "kopf.dev",
        "scope": "Cluster",
        "names": {
            "kind": "ClusterKopfPeering",
            "plural": "clusterkopfpeerings",
            "singular": "clusterkopfpeering",
        },
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                },
            }
        ],
    },
}


def test_the_higher_priority_replica_works_and_the_other_takes_over(
    emulator, operator_factory, tmp_path: Path
):
    crd = tmp_path / "peering.yaml"
    crd.write_text(yaml.safe_dump(PEERING_CRD))
    emulator.load_crds(crd)
    emulator.create(
        {
            "apiVersion": "kopf.dev/v1",
            "kind": "ClusterKopfPeering",
            "metadata": {"name": "konfiguru"},
        }
    )
    peering = {"KONFIGURU_STANDALONE": "false", "KONFIGURU_PEERING_NAME": "konfiguru"}
    low = operator_factory("-A", KONFIGURU_PRIORITY="100", **peering)
    high = operator_factory("-A", KONFIGURU_PRIORITY="200", **peering)
    emulator.wait_for(lambda: "Pausing operations" in low.log, timeout=15)
    emulator.create(app("first"))
    wait_ready(emulator, "first")
    # Several resync periods pass: the paused replica's own resync writes nothing either.
    seen = high.reconciles()
    emulator.wait_for(lambda: high.reconciles() >= seen + 3, timeout=15)
    assert low.reconciles() == 0
    high.stop()  # a rollout, a node drain: the paused replica resumes
    emulator.create(app("second"))
    wait_ready(emulator, "second")
    assert low.reconciles() > 0

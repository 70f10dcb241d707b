"""Secrets: existing ones by reference, generated ones created once, external ones through ESO."""

from __future__ import annotations

import base64

from appspec import container, kinds, one, pod_spec, render, render_notes

import kfgtest
from konfiguru_generators import Existing

GENERATED = {
    "secrets": [
        {
            "name": "session",
            "generate": [
                {"key": "SESSION_KEY", "length": 40},
                {"key": "TOKEN", "type": "random", "length": 16},
            ],
            "mount": "both",
        }
    ]
}
# RSA keys are slow to derive in pure Python: one render in the whole module.
RSA = {
    "secrets": [
        {"name": "signing", "generate": [{"key": "key.pem", "type": "rsa"}], "mount": "files"}
    ]
}


def test_an_existing_secret_is_referenced_as_env_with_a_prefix_and_not_created() -> None:
    objects = render({"secrets": [{"name": "db-credentials", "prefix": "DB_"}]})
    assert "Secret" not in kinds(objects)
    assert container(objects)["envFrom"] == [
        {"secretRef": {"name": "db-credentials"}, "prefix": "DB_"}
    ]


def test_a_secret_mounted_as_files_gets_a_read_only_volume() -> None:
    objects = render({"secrets": [{"name": "tls", "mount": "files", "mountPath": "/etc/tls"}]})
    assert {"name": "secret-0", "secret": {"secretName": "tls"}} in pod_spec(objects)["volumes"]
    assert {"name": "secret-0", "mountPath": "/etc/tls", "readOnly": True} in container(objects)[
        "volumeMounts"
    ]
    assert "envFrom" not in container(objects)


def test_generated_secrets_are_left_out_with_a_note_when_their_values_cannot_be_known() -> None:
    objects, notes = render_notes(GENERATED)
    assert "Secret" not in kinds(objects)
    assert notes and "web-session" in notes[0] and "SESSION_KEY" in notes[0]
    # The pods still reference it: the operator creates it once in the cluster.
    assert {"secretRef": {"name": "web-session"}} in container(objects)["envFrom"]


def test_generated_secrets_with_a_seed_are_identical_on_every_render() -> None:
    seeded = Existing(secret_seed=b"private-seed")
    first = one(render(GENERATED, seeded), "Secret")
    assert first == one(render(GENERATED, seeded), "Secret")
    data = {key: base64.b64decode(value).decode() for key, value in first["data"].items()}
    assert len(data["SESSION_KEY"]) == 40 and data["SESSION_KEY"].isalnum()
    assert len(data["TOKEN"]) == 16 and int(data["TOKEN"], 16) >= 0
    assert first["metadata"]["name"] == "web-session"
    assert one(render(GENERATED, Existing(secret_seed=b"other")), "Secret")["data"] != first["data"]


def test_rsa_keys_come_with_their_public_key() -> None:
    data = one(render(RSA, Existing(secret_seed=b"private-seed")), "Secret")["data"]
    assert base64.b64decode(data["key.pem"]).startswith(b"-----BEGIN PRIVATE KEY-----")
    assert base64.b64decode(data["key.pem.pub"]).startswith(b"-----BEGIN PUBLIC KEY-----")


def test_stored_generated_values_are_reused_never_rotated() -> None:
    stored = Existing(secrets={"web-session": {"SESSION_KEY": "kept-value", "TOKEN": "abcd"}})
    data = one(render(GENERATED, stored), "Secret")["data"]
    assert base64.b64decode(data["SESSION_KEY"]).decode() == "kept-value"
    assert base64.b64decode(data["TOKEN"]).decode() == "abcd"


def test_external_secrets_become_external_secrets_operator_objects() -> None:
    objects = render(
        {
            "secrets": [
                {
                    "name": "payments",
                    "external": {
                        "provider": "aws-secrets-manager",
                        "store": "aws",
                        "storeKind": "SecretStore",
                        "refreshInterval": "15m",
                        "data": [
                            {
                                "key": "STRIPE_KEY",
                                "remoteKey": "prod/stripe",
                                "property": "key",
                                "version": "AWSCURRENT",
                            }
                        ],
                        "extract": "prod/payments-extra",
                    },
                }
            ]
        }
    )
    external = one(objects, "ExternalSecret")
    assert external["apiVersion"] == "external-secrets.io/v1"
    assert external["metadata"]["name"] == "web-payments"
    assert external["spec"] == {
        "refreshInterval": "15m",
        "secretStoreRef": {"name": "aws", "kind": "SecretStore"},
        "target": {"name": "web-payments", "creationPolicy": "Owner"},
        "data": [
            {
                "secretKey": "STRIPE_KEY",
                "remoteRef": {"key": "prod/stripe", "property": "key", "version": "AWSCURRENT"},
            }
        ],
        "dataFrom": [{"extract": {"key": "prod/payments-extra"}}],
    }
    assert kfgtest.strict_errors(external, "1.30") == []
    assert {"secretRef": {"name": "web-payments"}} in container(objects)["envFrom"]


def test_vault_and_parameter_store_default_to_a_cluster_secret_store() -> None:
    for provider in ("vault", "aws-parameter-store"):
        external = one(
            render(
                {
                    "secrets": [
                        {
                            "name": "s",
                            "external": {
                                "provider": provider,
                                "store": "main",
                                "extract": "/shop/s",
                            },
                        }
                    ]
                }
            ),
            "ExternalSecret",
        )
        assert external["spec"]["secretStoreRef"] == {"name": "main", "kind": "ClusterSecretStore"}
        assert external["metadata"]["annotations"]["konfiguru.io/secret-provider"] == provider

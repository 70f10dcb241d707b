"""MLPipeline: the pitfalls of workloads.md, each pinned by a test, plus the bad-spec messages."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import kubernetes_validate
import pytest

import kfgtest
from konfiguru_generators import SpecError, render

KUBE_VERSIONS = ("1.30", "1.37")
INDEX_FIELD = "metadata.annotations['batch.kubernetes.io/job-completion-index']"


def pipeline(**spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"framework": "pytorch", "image": "ghcr.io/acme/train:1.0"}
    body.update(spec)
    return {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "MLPipeline",
        "metadata": {"name": "ranker"},
        "spec": body,
    }


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = by_kind(objects, kind)
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def pod_spec(objects: list[dict[str, Any]]) -> dict[str, Any]:
    jobs = by_kind(objects, "Job")
    if jobs:
        return jobs[0]["spec"]["template"]["spec"]
    return one(objects, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def trainer_env(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = pod_spec(objects)["containers"][0]["env"]
    return env


def env_value(env: list[dict[str, Any]], name: str) -> str:
    (entry,) = [e for e in env if e["name"] == name]
    return str(entry["value"])


def expand(value: str, variables: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion, from variables defined earlier in the list."""
    return re.sub(r"\$\((\w+)\)", lambda m: variables.get(m[1], m[0]), value)


def simulate_env(env: list[dict[str, Any]], *, index: int, job: str) -> dict[str, str]:
    """What the container sees in pod ``index`` of Job ``job``: the downward API fills the
    fieldRefs, every value expands only the entries before it, and the Job controller appends
    JOB_COMPLETION_INDEX last (so earlier entries cannot use it)."""
    seen: dict[str, str] = {}
    for entry in env:
        if "valueFrom" in entry:
            path = entry["valueFrom"].get("fieldRef", {}).get("fieldPath", "")
            if path == INDEX_FIELD:
                seen[entry["name"]] = str(index)
            elif path == "metadata.labels['batch.kubernetes.io/job-name']":
                seen[entry["name"]] = job
            continue
        seen[entry["name"]] = expand(entry["value"], seen)
    seen["JOB_COMPLETION_INDEX"] = str(index)
    return seen


DISTRIBUTED = pipeline(
    training={"workers": 4, "gpus": 2},
    model={"accessMode": "ReadWriteMany"},
)


@pytest.fixture(scope="module")
def distributed() -> list[dict[str, Any]]:
    return render(DISTRIBUTED)


def test_pytorch_node_rank_comes_first_from_the_completion_index_annotation(
    distributed: list[dict[str, Any]],
) -> None:
    first = trainer_env(distributed)[0]
    assert first == {"name": "NODE_RANK", "valueFrom": {"fieldRef": {"fieldPath": INDEX_FIELD}}}


def test_pytorch_env_follows_torchrun_order_and_values(distributed: list[dict[str, Any]]) -> None:
    env = trainer_env(distributed)
    names = [entry["name"] for entry in env]
    expected = [
        "NODE_RANK",
        "PET_NNODES",
        "PET_NPROC_PER_NODE",
        "PET_NODE_RANK",
        "PET_MASTER_ADDR",
        "PET_MASTER_PORT",
    ]
    assert names[: len(expected)] == expected
    assert env_value(env, "PET_NNODES") == "4"
    assert env_value(env, "PET_NPROC_PER_NODE") == "2"
    assert env_value(env, "PET_NODE_RANK") == "$(NODE_RANK)"
    assert env_value(env, "PET_MASTER_ADDR") == "ranker-0.ranker-workers"
    assert env_value(env, "PET_MASTER_PORT") == "29500"


def test_no_entry_references_job_completion_index_which_the_controller_appends_last(
    distributed: list[dict[str, Any]],
) -> None:
    tensorflow = copy.deepcopy(DISTRIBUTED)
    tensorflow["spec"]["framework"] = "tensorflow"
    for obj in [*distributed, *render(tensorflow)]:
        assert "$(JOB_COMPLETION_INDEX)" not in json.dumps(obj)


def test_world_size_counts_processes_not_pods(distributed: list[dict[str, Any]]) -> None:
    assert env_value(trainer_env(distributed), "WORLD_SIZE") == "8"  # 4 workers x 2 GPUs


def test_every_rank_expands_to_its_own_node_rank(distributed: list[dict[str, Any]]) -> None:
    env = trainer_env(distributed)
    ranks = [simulate_env(env, index=i, job="ranker")["PET_NODE_RANK"] for i in range(4)]
    assert ranks == ["0", "1", "2", "3"]


def test_distributed_training_is_an_indexed_job_with_a_headless_service_as_subdomain(
    distributed: list[dict[str, Any]],
) -> None:
    job = one(distributed, "Job")
    assert job["spec"]["completionMode"] == "Indexed"
    assert job["spec"]["completions"] == job["spec"]["parallelism"] == 4
    service = next(
        s for s in by_kind(distributed, "Service") if s["metadata"]["name"] == "ranker-workers"
    )
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["publishNotReadyAddresses"] is True
    assert service["spec"]["selector"] == {"batch.kubernetes.io/job-name": "ranker"}
    assert job["spec"]["template"]["spec"]["subdomain"] == "ranker-workers"
    # The master address is the first pod's DNS name: <job>-0.<subdomain>.
    master = env_value(trainer_env(distributed), "PET_MASTER_ADDR")
    assert master == f"{job['metadata']['name']}-0.{service['metadata']['name']}"


def test_a_failed_rank_fails_the_whole_distributed_job_at_once(
    distributed: list[dict[str, Any]],
) -> None:
    spec = one(distributed, "Job")["spec"]
    assert spec["backoffLimit"] == 0
    (rule,) = spec["podFailurePolicy"]["rules"]
    assert rule["action"] == "FailJob"
    assert rule["onExitCodes"] == {"containerName": "trainer", "operator": "NotIn", "values": [0]}
    assert spec["template"]["spec"]["restartPolicy"] == "Never"


def test_one_worker_is_a_plain_job_with_deadline_ttl_and_backoff() -> None:
    objects = render(pipeline(training={"timeout": "1d12h", "backoff": 3}))
    spec = one(objects, "Job")["spec"]
    assert "completionMode" not in spec and "subdomain" not in spec["template"]["spec"]
    assert spec["activeDeadlineSeconds"] == 36 * 3600
    assert spec["ttlSecondsAfterFinished"] == 7 * 86400  # the CRD default, 7d
    assert spec["backoffLimit"] == 3
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    assert not [s for s in by_kind(objects, "Service") if s["spec"].get("clusterIP") == "None"]


def test_gpus_go_in_limits_with_the_nvidia_toleration_and_a_memory_dev_shm(
    distributed: list[dict[str, Any]],
) -> None:
    spec = pod_spec(distributed)
    resources = spec["containers"][0]["resources"]
    assert resources["limits"]["nvidia.com/gpu"] == 2
    assert "nvidia.com/gpu" not in resources.get("requests", {})
    assert spec["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    (shm,) = [v for v in spec["volumes"] if v["name"] == "dshm"]
    assert shm["emptyDir"]["medium"] == "Memory"
    assert {"name": "dshm", "mountPath": "/dev/shm"} in spec["containers"][0]["volumeMounts"]


def test_no_gpus_means_no_gpu_limit_and_no_toleration() -> None:
    spec = pod_spec(render(pipeline()))
    assert "tolerations" not in spec
    assert "nvidia.com/gpu" not in json.dumps(spec["containers"][0].get("resources", {}))


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_tf_config_is_right_for_every_worker_index(workers: int) -> None:
    objects = render(
        pipeline(
            framework="tensorflow",
            training={"workers": workers},
            model={"accessMode": "ReadWriteMany"},
        )
    )
    env = trainer_env(objects)
    assert env[0]["valueFrom"]["fieldRef"]["fieldPath"] == INDEX_FIELD
    hosts = [f"ranker-{i}.ranker-workers:2222" for i in range(workers)]
    for index in range(workers):
        config = json.loads(simulate_env(env, index=index, job="ranker")["TF_CONFIG"])
        assert config == {
            "cluster": {"worker": hosts},
            "task": {"type": "worker", "index": index},
        }


def test_scheduled_distributed_run_reads_its_job_name_from_the_pod_label() -> None:
    objects = render(
        pipeline(
            framework="tensorflow",
            training={"workers": 2, "schedule": "0 3 * * 0"},
            model={"accessMode": "ReadWriteMany"},
        )
    )
    cronjob = one(objects, "CronJob")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    assert cronjob["spec"]["jobTemplate"]["spec"]["completionMode"] == "Indexed"
    assert not by_kind(objects, "Job")
    env = trainer_env(objects)
    config = json.loads(simulate_env(env, index=1, job="ranker-29000000")["TF_CONFIG"])
    assert config["cluster"]["worker"][0] == "ranker-29000000-0.ranker-workers:2222"
    assert config["task"]["index"] == 1
    service = next(s for s in by_kind(objects, "Service") if s["spec"].get("clusterIP") == "None")
    pod_labels = cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


def test_pytorch_scheduled_master_address_uses_the_runtime_job_name() -> None:
    objects = render(
        pipeline(
            training={"workers": 2, "schedule": "@weekly"},
            model={"accessMode": "ReadWriteMany"},
        )
    )
    env = trainer_env(objects)
    assert env[0]["name"] == "NODE_RANK"
    seen = simulate_env(env, index=0, job="ranker-29000000")
    assert seen["PET_MASTER_ADDR"] == "ranker-29000000-0.ranker-workers"


def test_data_sources_give_credentials_from_secrets_and_mount_read_only() -> None:
    s3 = trainer_env(
        render(
            pipeline(
                data={
                    "source": "s3",
                    "bucket": "b",
                    "endpoint": "https://minio:9000",
                    "credentialsSecret": "s3-creds",
                }
            )
        )
    )
    assert env_value(s3, "DATA_URI") == "s3://b"
    assert env_value(s3, "AWS_ENDPOINT_URL") == "https://minio:9000"
    (key,) = [e for e in s3 if e["name"] == "AWS_SECRET_ACCESS_KEY"]
    assert key["valueFrom"]["secretKeyRef"] == {"name": "s3-creds", "key": "AWS_SECRET_ACCESS_KEY"}

    gcs = pod_spec(
        render(pipeline(data={"source": "gcs", "bucket": "g", "credentialsSecret": "sa"}))
    )
    env = gcs["containers"][0]["env"]
    path = env_value(env, "GOOGLE_APPLICATION_CREDENTIALS")
    mount = next(m for m in gcs["containers"][0]["volumeMounts"] if m["name"] == "gcs-credentials")
    assert path == f"{mount['mountPath']}/key.json" and mount["readOnly"] is True

    nfs = pod_spec(
        render(
            pipeline(
                data={"source": "nfs", "server": "nas", "path": "/x"},
                security={"allowNfsVolume": True},
            )
        )
    )
    (volume,) = [v for v in nfs["volumes"] if v["name"] == "data"]
    assert volume["nfs"] == {"server": "nas", "path": "/x", "readOnly": True}
    assert {"name": "data", "mountPath": "/data", "readOnly": True} in nfs["containers"][0][
        "volumeMounts"
    ]


def test_training_pods_are_restricted_with_a_writable_tmp_and_home() -> None:
    spec = pod_spec(render(pipeline()))
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 1000
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    container = spec["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert {"name": "writable-0", "mountPath": "/tmp"} in container["volumeMounts"]
    assert env_value(container["env"], "HOME") == "/tmp"
    assert spec["automountServiceAccountToken"] is False


def test_model_pvc_is_mounted_in_training_and_named_by_model_dir() -> None:
    objects = render(pipeline(model={"storage": "50Gi"}))
    claim = one(objects, "PersistentVolumeClaim")
    assert claim["spec"]["resources"]["requests"]["storage"] == "50Gi"
    spec = pod_spec(objects)
    (volume,) = [v for v in spec["volumes"] if v["name"] == "model"]
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert env_value(spec["containers"][0]["env"], "MODEL_DIR") == "/models"


INFERENCE = pipeline(
    model={"registry": "s3://models/ranker"},
    inference={
        "enabled": True,
        "resources": {"cpu": "1", "memory": "2Gi"},
        "autoscale": {"max": 5},
    },
)


def test_inference_autoscaler_keeps_at_least_one_pod_and_owns_the_replica_count() -> None:
    objects = render(INFERENCE)
    hpa = one(objects, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["minReplicas"] >= 1
    assert hpa["spec"]["maxReplicas"] == 5
    assert "replicas" not in one(objects, "Deployment")["spec"]


def test_inference_cannot_scale_to_zero() -> None:
    bad = copy.deepcopy(INFERENCE)
    bad["spec"]["inference"]["autoscale"]["min"] = 0
    with pytest.raises(SpecError) as error:
        render(bad)
    assert "spec.inference.autoscale.min" in str(error.value)


def test_inference_probes_model_readiness_liveness_and_a_generous_startup() -> None:
    deployment = one(render(INFERENCE), "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/models/ranker/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 15 * 60
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    service = next(
        s
        for s in by_kind(render(INFERENCE), "Service")
        if s["metadata"]["name"] == "ranker-inference"
    )
    assert service["spec"]["ports"][0]["port"] == 8080


def test_inference_v1_probes_the_tf_serving_model_status() -> None:
    spec = copy.deepcopy(INFERENCE)
    spec["spec"]["inference"]["protocol"] = "v1"
    container = one(render(spec), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/v1/models/ranker"
    assert "tcpSocket" in container["livenessProbe"]


def test_inference_gpus_go_in_limits_with_the_toleration() -> None:
    spec = copy.deepcopy(INFERENCE)
    spec["spec"]["inference"]["gpu"] = 1
    pod = one(render(spec), "Deployment")["spec"]["template"]["spec"]
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"


def errors_of(document: dict[str, Any]) -> list[str]:
    with pytest.raises(SpecError) as caught:
        render(document)
    return [str(error) for error in caught.value.errors]


def test_an_nfs_data_source_is_refused_unless_the_spec_opts_out_of_restricted_pods() -> None:
    data = {"source": "nfs", "server": "nas", "path": "/x"}
    (message,) = errors_of(pipeline(data=data))
    assert message.startswith('spec.data.source: "nfs" mounts an nfs volume')
    assert "restricted Pod Security Standard" in message
    assert "security.allowNfsVolume" in message and "pvc" in message


def test_the_nfs_opt_out_is_false_by_default_and_changes_nothing_for_other_sources() -> None:
    pvc = pipeline(data={"source": "pvc", "claimName": "corpus"})
    opted = copy.deepcopy(pvc)
    opted["spec"]["security"] = {"allowNfsVolume": True}
    assert render(pvc) == render(opted)


@pytest.mark.parametrize(
    ("training", "field"),
    [
        ({"workers": 2}, "spec.training.workers"),
        ({"gpus": 1}, "spec.training.gpus"),
    ],
)
def test_sklearn_rejects_several_workers_and_gpus(training: dict[str, int], field: str) -> None:
    # A shared model volume, so that several workers are refused for sklearn's sake only.
    model = {"accessMode": "ReadWriteMany"}
    (message,) = errors_of(pipeline(framework="sklearn", training=training, model=model))
    assert message.startswith(field) and "sklearn" in message


@pytest.mark.parametrize(
    "schedule", ["0 3 * *", "61 * * * *", "0 25 * * *", "every sunday", "* * * 13 *", "5-1 * * * *"]
)
def test_a_malformed_cron_schedule_is_one_clear_message(schedule: str) -> None:
    (message,) = errors_of(pipeline(training={"schedule": schedule}))
    assert message.startswith("spec.training.schedule") and "cron" in message


@pytest.mark.parametrize("schedule", ["0 3 * * 0", "*/15 * * * *", "0 0 1 JAN,JUL *", "@daily"])
def test_good_cron_schedules_pass(schedule: str) -> None:
    assert one(render(pipeline(training={"schedule": schedule})), "CronJob")


@pytest.mark.parametrize(
    ("spec", "field", "hint"),
    [
        ({"model": {"storage": "10 GB"}}, "spec.model.storage", '"10G" or "10Gi"'),
        ({"training": {"resources": {"memory": "16GB"}}}, "spec.training.resources.memory", "16Gi"),
        ({"training": {"timeout": "2 hours"}}, "spec.training.timeout", "duration"),
    ],
)
def test_bad_quantities_and_durations_name_the_field(
    spec: dict[str, Any], field: str, hint: str
) -> None:
    (message,) = errors_of(pipeline(**spec))
    assert message.startswith(field) and hint in message


def test_a_single_node_model_volume_cannot_serve_several_workers() -> None:
    (message,) = errors_of(pipeline(training={"workers": 2}))
    assert message.startswith("spec.model.accessMode") and "ReadWriteMany" in message


def test_inference_reading_the_volume_needs_a_shared_volume_or_a_registry() -> None:
    (message,) = errors_of(pipeline(inference={"enabled": True}))
    assert message.startswith("spec.model.accessMode") and "registry" in message


def test_autoscale_needs_a_cpu_request() -> None:
    (message,) = errors_of(
        pipeline(model={"registry": "s3://m"}, inference={"enabled": True, "autoscale": {"max": 3}})
    )
    assert message.startswith("spec.inference.resources.cpu")


def test_worker_host_names_too_long_for_dns_are_refused() -> None:
    document = pipeline(
        training={"workers": 12, "schedule": "@daily"}, model={"accessMode": "ReadWriteMany"}
    )
    document["metadata"]["name"] = "a" * 52
    (message,) = errors_of(document)
    assert message.startswith("metadata.name") and "63" in message


@pytest.mark.parametrize(
    "document",
    [
        DISTRIBUTED,
        pipeline(
            framework="tensorflow",
            training={"workers": 3, "gpus": 1, "schedule": "@daily"},
            model={"accessMode": "ReadWriteMany"},
        ),
        pipeline(framework="sklearn", data={"source": "pvc", "claimName": "x", "path": "y"}),
        INFERENCE,
    ],
    ids=["pytorch-distributed", "tensorflow-scheduled", "sklearn", "inference"],
)
@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_every_object_validates_strictly(document: dict[str, Any], kube_version: str) -> None:
    for obj in render(document):
        kubernetes_validate.validate(obj, kube_version, strict=True)


def test_training_workers_accept_connections_only_from_each_other(
    distributed: list[dict[str, Any]],
) -> None:
    policy = one(distributed, "NetworkPolicy")
    pod_labels = one(distributed, "Job")["spec"]["template"]["metadata"]["labels"]
    selector = policy["spec"]["podSelector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    assert policy["spec"]["ingress"] == [{"from": [{"podSelector": {"matchLabels": selector}}]}]
    single = one(render(pipeline()), "NetworkPolicy")
    assert single["spec"]["ingress"] == [] and single["spec"]["policyTypes"] == ["Ingress"]


def test_inference_accepts_traffic_on_its_serving_port_only() -> None:
    objects = render(INFERENCE)
    deployment = one(objects, "Deployment")
    (policy,) = [
        p for p in by_kind(objects, "NetworkPolicy") if p["metadata"]["name"] == "ranker-inference"
    ]
    assert (
        policy["spec"]["podSelector"]["matchLabels"]
        == deployment["spec"]["selector"]["matchLabels"]
    )
    assert policy["spec"]["ingress"] == [{"ports": [{"port": 8080, "protocol": "TCP"}]}]


def test_node_selector_and_pull_secrets_reach_training_and_inference_pods() -> None:
    document = copy.deepcopy(INFERENCE)
    document["spec"]["nodeSelector"] = {"pool": "gpu"}
    document["spec"]["imagePullSecrets"] = ["registry"]
    objects = render(document)
    deployment_pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    for pod in (pod_spec(objects), deployment_pod):
        assert pod["nodeSelector"] == {"pool": "gpu"}
        assert pod["imagePullSecrets"] == [{"name": "registry"}]


def test_a_bad_inference_env_reference_is_named_with_its_path() -> None:
    document = copy.deepcopy(INFERENCE)
    document["spec"]["inference"]["env"] = {"KEY": {"secretKeyRef": {"name": "s"}}}
    (message,) = errors_of(document)
    assert message.startswith("spec.inference.env.KEY.secretKeyRef.key")


def test_the_model_volume_is_kept_when_the_pipeline_goes_unless_asked_otherwise() -> None:
    claim = one(render(pipeline()), "PersistentVolumeClaim")
    assert claim["metadata"]["annotations"]["konfiguru.io/deletion-policy"] == "Retain"
    claim = one(render(pipeline(model={"deletionPolicy": "Delete"})), "PersistentVolumeClaim")
    assert claim["metadata"]["annotations"]["konfiguru.io/deletion-policy"] == "Delete"


# The volume types the restricted Pod Security Standard allows (kubernetes.io/docs/concepts/
# security/pod-security-standards, "Volume Types").
RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
MLPIPELINES = [(name, doc) for name, doc in kfgtest.all_resources() if doc["kind"] == "MLPipeline"]


@pytest.mark.parametrize(("name", "document"), MLPIPELINES, ids=[n for n, _ in MLPIPELINES])
def test_every_example_pod_has_only_restricted_volumes_unless_its_spec_opts_out_of_them(
    name: str, document: dict[str, Any]
) -> None:
    opted_out = ((document["spec"].get("security") or {}).get("allowNfsVolume")) is True
    for obj in render(document):
        pods = [obj["spec"]["template"]["spec"]] if obj["kind"] in ("Job", "Deployment") else []
        if obj["kind"] == "CronJob":
            pods.append(obj["spec"]["jobTemplate"]["spec"]["template"]["spec"])
        for pod in pods:
            for volume in pod.get("volumes", []):
                (kind,) = set(volume) - {"name"}
                allowed = RESTRICTED_VOLUME_TYPES | ({"nfs"} if opted_out else set())
                assert kind in allowed, f"{name}: {obj['kind']} volume {volume['name']} is {kind}"


def test_the_distributed_example_mounts_its_nfs_data_because_it_opts_out() -> None:
    ((_, document),) = [(n, d) for n, d in MLPIPELINES if d["metadata"]["name"] == "llm-finetune"]
    assert document["spec"]["security"]["allowNfsVolume"] is True
    volumes = pod_spec(render(document))["volumes"]
    nfs = {"server": "nfs.storage.internal", "path": "/exports/corpora", "readOnly": True}
    assert {"name": "data", "nfs": nfs} in volumes

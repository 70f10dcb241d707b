"""DataPipeline: the Spark driver's identity and rights, spark-submit's settings, the plain
container engine, and clear messages for bad specs."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest
import yaml

from konfiguru_generators import SpecError, render

KUBE_VERSIONS = ("1.30", "1.37")


def pipeline(engine: str = "spark", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"engine": engine, "image": "apache/spark:3.5.3"}
    if engine == "spark":
        body["spark"] = {"application": "local:///opt/spark/examples/jars/spark-examples.jar"}
    body.update(spec)
    return {
        "apiVersion": "konfiguru.io/v1alpha1",
        "kind": "DataPipeline",
        "metadata": {"name": "etl", "namespace": "data"},
        "spec": body,
    }


def one(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, got {len(found)}"
    return found[0]


def pod_spec(objects: list[dict[str, Any]]) -> dict[str, Any]:
    jobs = [o for o in objects if o["kind"] == "Job"]
    if jobs:
        return jobs[0]["spec"]["template"]["spec"]
    return one(objects, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def confs(command: list[str]) -> dict[str, str]:
    pairs = [command[i + 1] for i, word in enumerate(command) if word == "--conf"]
    return dict(pair.split("=", 1) for pair in pairs)


def executor_template(objects: list[dict[str, Any]]) -> dict[str, Any]:
    config = one(objects, "ConfigMap")
    template: dict[str, Any] = yaml.safe_load(config["data"]["executor-pod.yaml"])
    return template


@pytest.fixture(scope="module")
def spark() -> list[dict[str, Any]]:
    return render(
        pipeline(
            spark={
                "application": "local:///app/etl.py",
                "executors": {"instances": 5, "resources": {"cpu": "1500m", "memory": "8Gi"}},
                "conf": {"spark.sql.shuffle.partitions": "64", "spark.executor.instances": "99"},
            },
            input={"uri": "s3a://lake/raw/", "format": "json", "credentialsSecret": "lake"},
            output={"uri": "s3a://lake/marts/", "format": "parquet"},
        )
    )


def test_the_driver_pod_runs_as_the_service_account_its_role_is_bound_to(
    spark: list[dict[str, Any]],
) -> None:
    pod = pod_spec(spark)
    binding = one(spark, "RoleBinding")
    role = one(spark, "Role")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": pod["serviceAccountName"], "namespace": "data"}
    ]
    one(spark, "ServiceAccount", pod["serviceAccountName"])
    # The driver calls the API server, so it needs its token.
    assert pod["automountServiceAccountToken"] is True


def test_the_driver_role_grants_what_spark_needs_for_executors_and_nothing_cluster_wide(
    spark: list[dict[str, Any]],
) -> None:
    rules = one(spark, "Role")["rules"]
    granted = {
        (resource, verb)
        for rule in rules
        for resource in rule["resources"]
        for verb in rule["verbs"]
        if rule["apiGroups"] == [""]
    }
    for verb in ("create", "get", "list", "watch", "delete", "deletecollection"):
        for resource in ("pods", "services", "configmaps", "persistentvolumeclaims"):
            assert (resource, verb) in granted, (resource, verb)
    assert all("*" not in rule["verbs"] and "*" not in rule["resources"] for rule in rules)
    assert not {"secrets", "roles", "rolebindings"} & {r for _, r in granted}
    assert not [o for o in spark if o["kind"] in ("ClusterRole", "ClusterRoleBinding")]


def test_spark_submit_runs_in_kubernetes_client_mode_as_the_driver_pod(
    spark: list[dict[str, Any]],
) -> None:
    container = pod_spec(spark)["containers"][0]
    command = container["command"]
    assert command[0] == "/opt/spark/bin/spark-submit"
    assert command[command.index("--master") + 1] == "k8s://https://kubernetes.default.svc:443"
    assert command[command.index("--deploy-mode") + 1] == "client"
    assert command[-1] == "local:///app/etl.py"
    conf = confs(command)
    assert conf["spark.kubernetes.namespace"] == "$(POD_NAMESPACE)"
    assert conf["spark.kubernetes.driver.pod.name"] == "$(POD_NAME)"
    assert conf["spark.driver.host"] == "$(POD_IP)"
    assert conf["spark.kubernetes.container.image"] == "apache/spark:3.5.3"
    driver_account = pod_spec(spark)["serviceAccountName"]
    assert conf["spark.kubernetes.authenticate.driver.serviceAccountName"] == driver_account
    defined = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in container["env"][:3]}
    assert defined == {
        "POD_NAME": "metadata.name",
        "POD_NAMESPACE": "metadata.namespace",
        "POD_IP": "status.podIP",
    }
    ports = {p["containerPort"] for p in container["ports"]}
    assert {int(conf["spark.driver.port"]), int(conf["spark.blockManager.port"])} <= ports


def test_executor_settings_are_passed_to_spark_submit_and_win_over_user_conf(
    spark: list[dict[str, Any]],
) -> None:
    conf = confs(pod_spec(spark)["containers"][0]["command"])
    assert conf["spark.executor.instances"] == "5"  # not the user's "99"
    assert conf["spark.executor.cores"] == "2"  # 1.5 CPUs rounded up to whole task slots
    assert conf["spark.kubernetes.executor.request.cores"] == "1500m"
    heap = int(conf["spark.executor.memory"].rstrip("m"))
    overhead = int(conf["spark.executor.memoryOverhead"].rstrip("m"))
    assert heap + overhead == 8192  # the executor pod asks for exactly 8Gi
    assert overhead >= 384 and overhead >= heap // 10
    assert conf["spark.sql.shuffle.partitions"] == "64"


def test_the_driver_jvm_fits_in_the_driver_pod() -> None:
    objects = render(pipeline(resources={"cpu": "1", "memory": "4Gi"}))
    command = pod_spec(objects)["containers"][0]["command"]
    heap = int(command[command.index("--driver-memory") + 1].rstrip("m"))
    assert 4096 - heap >= 384


def test_executors_get_their_own_tokenless_account_and_a_restricted_template(
    spark: list[dict[str, Any]],
) -> None:
    conf = confs(pod_spec(spark)["containers"][0]["command"])
    executor_account = conf["spark.kubernetes.authenticate.executor.serviceAccountName"]
    account = one(spark, "ServiceAccount", executor_account)
    assert account["automountServiceAccountToken"] is False
    bound = {s["name"] for s in one(spark, "RoleBinding")["subjects"]}
    assert executor_account not in bound
    template = executor_template(spark)
    assert conf["spark.kubernetes.executor.podTemplateFile"] == "/etc/konfiguru/executor-pod.yaml"
    assert template["spec"]["automountServiceAccountToken"] is False
    assert template["spec"]["securityContext"]["runAsNonRoot"] is True
    container = template["spec"]["containers"][0]
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    paths = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/tmp", "/opt/spark/work-dir"} <= paths
    # The input's credentials reach the executors too, which read the data.
    assert container["envFrom"] == [{"secretRef": {"name": "lake"}}]


def test_the_executor_template_is_a_valid_pod(spark: list[dict[str, Any]]) -> None:
    for version in KUBE_VERSIONS:
        kubernetes_validate.validate(executor_template(spark), version, strict=True)


def test_input_and_output_reach_the_job_as_env_and_a_config_file(
    spark: list[dict[str, Any]],
) -> None:
    container = pod_spec(spark)["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["PIPELINE_INPUT_URI"] == "s3a://lake/raw/"
    assert env["PIPELINE_INPUT_FORMAT"] == "json"
    assert env["PIPELINE_OUTPUT_URI"] == "s3a://lake/marts/"
    assert env["PIPELINE_CONFIG"] == "/etc/konfiguru/pipeline.json"
    config = one(spark, "ConfigMap")
    assert '"uri": "s3a://lake/marts/"' in config["data"]["pipeline.json"]
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/etc/konfiguru")
    volume = next(v for v in pod_spec(spark)["volumes"] if v["name"] == mount["name"])
    assert volume["configMap"]["name"] == config["metadata"]["name"]


def test_a_scheduled_pipeline_is_a_cronjob_that_never_overlaps() -> None:
    objects = render(pipeline(schedule="0 2 * * *", timeZone="Europe/Berlin", timeout="3h"))
    cronjob = one(objects, "CronJob")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    assert cronjob["spec"]["timeZone"] == "Europe/Berlin"
    assert cronjob["spec"]["suspend"] is False
    assert cronjob["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 3 * 3600
    assert not [o for o in objects if o["kind"] == "Job"]


def test_a_container_pipeline_has_no_api_rights_and_runs_its_own_command() -> None:
    objects = render(
        pipeline("container", image="ghcr.io/acme/export:1", command=["python", "-m", "export"])
    )
    assert not [o for o in objects if o["kind"] in ("Role", "RoleBinding")]
    pod = pod_spec(objects)
    assert pod["automountServiceAccountToken"] is False
    assert pod["containers"][0]["command"] == ["python", "-m", "export"]
    assert one(objects, "ServiceAccount")["automountServiceAccountToken"] is False
    assert "executor-pod.yaml" not in one(objects, "ConfigMap")["data"]


def test_pipeline_pods_are_restricted_with_a_writable_tmp() -> None:
    pod = pod_spec(render(pipeline()))
    assert pod["securityContext"]["runAsNonRoot"] is True
    # apache/spark names its user ("USER spark"): runAsNonRoot needs a number to verify.
    assert pod["securityContext"]["runAsUser"] == 185
    container = pod["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"name": "writable-0", "mountPath": "/tmp"} in container["volumeMounts"]
    assert pod["restartPolicy"] == "Never"


def errors_of(document: dict[str, Any]) -> list[str]:
    with pytest.raises(SpecError) as caught:
        render(document)
    return [str(error) for error in caught.value.errors]


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        (pipeline(engine="flink"), "spec.engine", "accepted"),
        (pipeline(schedule="0 2 * *"), "spec.schedule", "cron"),
        (pipeline(schedule="0 24 * * *"), "spec.schedule", "0-23"),
        (pipeline(resources={"memory": "4 GB"}), "spec.resources.memory", '"4G" or "4Gi"'),
        (
            pipeline(
                spark={
                    "application": "local:///a.jar",
                    "executors": {"resources": {"memory": "512Mi"}},
                }
            ),
            "spec.spark.executors.resources.memory",
            "1Gi",
        ),
        (
            pipeline(
                spark={
                    "application": "local:///a.jar",
                    "executors": {"resources": {"cpu": "2", "cpuLimit": "1500m"}},
                }
            ),
            "spec.spark.executors.resources.cpuLimit",
            "is less than cpu (2)",
        ),
        (pipeline(resources={"cpu": 2, "cpuLimit": 1}), "spec.resources.cpuLimit", "cpu (2)"),
        (pipeline(timeout="two hours"), "spec.timeout", "duration"),
        (pipeline("container", spark={"application": "x"}), "spec.spark", "spark engine"),
        (pipeline(command=["bash"]), "spec.command", "spark-submit"),
    ],
    ids=[
        "unknown-engine",
        "short-cron",
        "cron-range",
        "memory-units",
        "executor-too-small",
        "executor-cpu-limit-below-request",
        "driver-cpu-limit-below-request",
        "bad-timeout",
        "spark-on-container",
        "command-with-spark",
    ],
)
def test_bad_specs_give_one_clear_message_naming_the_field(
    document: dict[str, Any], field: str, words: str
) -> None:
    (message,) = errors_of(document)
    assert message.startswith(field) and words in message


def test_spark_engine_needs_its_application() -> None:
    document = pipeline()
    del document["spec"]["spark"]
    (message,) = errors_of(document)
    assert message.startswith("spec.spark")


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize(
    "document",
    [
        pipeline(schedule="@daily", input={"uri": "gs://x", "credentialsSecret": "gcs"}),
        pipeline("container", env={"A": "1", "B": {"secretKeyRef": {"name": "s", "key": "k"}}}),
    ],
    ids=["spark-scheduled", "container"],
)
def test_every_object_validates_strictly(document: dict[str, Any], kube_version: str) -> None:
    for obj in render(copy.deepcopy(document)):
        kubernetes_validate.validate(obj, kube_version, strict=True)


def test_driver_and_executors_may_reach_each_other_and_nobody_else_them(
    spark: list[dict[str, Any]],
) -> None:
    policy = one(spark, "NetworkPolicy")
    selector = policy["spec"]["podSelector"]["matchLabels"]
    driver_labels = one(spark, "Job")["spec"]["template"]["metadata"]["labels"]
    executor_labels = executor_template(spark)["metadata"]["labels"]
    assert selector.items() <= driver_labels.items()
    assert selector.items() <= executor_labels.items()
    assert policy["spec"]["ingress"] == [{"from": [{"podSelector": {"matchLabels": selector}}]}]


def test_a_container_pipeline_accepts_no_connections() -> None:
    policy = one(render(pipeline("container", image="busybox:1.36")), "NetworkPolicy")
    assert policy["spec"]["ingress"] == []


def test_node_selector_and_pull_secrets_reach_the_driver_and_the_executors() -> None:
    objects = render(pipeline(nodeSelector={"pool": "batch"}, imagePullSecrets=["registry"]))
    for pod in (pod_spec(objects), executor_template(objects)["spec"]):
        assert pod["nodeSelector"] == {"pool": "batch"}
        assert pod["imagePullSecrets"] == [{"name": "registry"}]


def test_a_bad_env_reference_is_named_with_its_path() -> None:
    (message,) = errors_of(pipeline("container", env={"TOKEN": {"secretRef": {"name": "x"}}}))
    assert message.startswith("spec.env.TOKEN") and "secretKeyRef" in message


def test_a_malformed_time_zone_is_named() -> None:
    (message,) = errors_of(pipeline(schedule="@daily", timeZone="Central European Time"))
    assert message.startswith("spec.timeZone") and "Europe/Berlin" in message

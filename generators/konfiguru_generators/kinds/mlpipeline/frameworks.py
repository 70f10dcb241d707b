"""The distributed environment of each training framework, one small table each.

Workers of a distributed run are the pods of an Indexed Job; each learns its rank from the
completion-index annotation through the downward API. Order matters: Kubernetes expands
``$(NAME)`` only from entries listed *earlier*, and the Job controller appends its own
``JOB_COMPLETION_INDEX`` *after* ours, so our entries must never reference it; the rank variable
comes first and the others build on it.

Called by ``render.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Fragment = dict[str, Any]

COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
PYTORCH_PORT = 29500  # torchrun's default c10d rendezvous / master port
TENSORFLOW_PORT = 2222  # the port of TF_CONFIG's worker addresses (tf.distribute convention)


@dataclass(frozen=True)
class Group:
    """What a framework needs to know about one training run."""

    workers: int
    gpus: int
    service: str  # the headless Service: the pods' DNS subdomain
    job_name: str | None  # None when a CronJob names each Job at run time
    restarts: int


def _index_from_annotation(name: str) -> Fragment:
    return {
        "name": name,
        "valueFrom": {
            "fieldRef": {"fieldPath": f"metadata.annotations['{COMPLETION_INDEX_ANNOTATION}']"}
        },
    }


def _job_name(group: Group) -> tuple[list[Fragment], str]:
    """(env entries, text naming the Job): a literal, or ``$(JOB_NAME)`` read from the label the
    Job controller puts on its pods, for Jobs a CronJob names at run time."""
    if group.job_name is not None:
        return [], group.job_name
    entry = {
        "name": "JOB_NAME",
        "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{JOB_NAME_LABEL}']"}},
    }
    return [entry], "$(JOB_NAME)"


def _value(name: str, value: object) -> Fragment:
    return {"name": name, "value": str(value)}


def pytorch_env(group: Group) -> list[Fragment]:
    """torchrun reads ``PET_<OPTION>``; plain ``torch.distributed`` reads ``MASTER_*`` and
    ``WORLD_SIZE``, which counts processes (workers × processes per worker), not pods."""
    processes = max(group.gpus, 1)
    if group.workers == 1:
        env = [_value("NODE_RANK", 0)]
        names: list[Fragment] = []
        master = "localhost"
    else:
        env = [_index_from_annotation("NODE_RANK")]
        names, job = _job_name(group)
        master = f"{job}-0.{group.service}"
    return [
        *env,
        *names,
        _value("PET_NNODES", group.workers),
        _value("PET_NPROC_PER_NODE", processes),
        _value("PET_NODE_RANK", "$(NODE_RANK)"),
        _value("PET_MASTER_ADDR", master),
        _value("PET_MASTER_PORT", PYTORCH_PORT),
        _value("PET_MAX_RESTARTS", group.restarts if group.workers > 1 else 0),
        _value("MASTER_ADDR", master),
        _value("MASTER_PORT", PYTORCH_PORT),
        _value("WORLD_SIZE", group.workers * processes),
    ]


def tensorflow_env(group: Group) -> list[Fragment]:
    """``TF_CONFIG`` for MultiWorkerMirroredStrategy, one per pod: the same worker list, and the
    pod's own index expanded from the rank variable defined before it."""
    if group.workers == 1:
        return []  # one pod: MirroredStrategy over its GPUs needs no cluster spec
    names, job = _job_name(group)
    workers = [f"{job}-{index}.{group.service}:{TENSORFLOW_PORT}" for index in range(group.workers)]
    # The index is spliced in as a bare JSON number after Kubernetes expands $(TASK_INDEX).
    config = json.dumps(
        {"cluster": {"worker": workers}, "task": {"type": "worker", "index": 0}},
        separators=(",", ":"),
    ).replace('"index":0}', '"index":$(TASK_INDEX)}')
    return [_index_from_annotation("TASK_INDEX"), *names, _value("TF_CONFIG", config)]


def sklearn_env(group: Group) -> list[Fragment]:
    return []  # one process; the CRD rejects workers > 1 and GPUs for sklearn


@dataclass(frozen=True)
class Framework:
    env: Callable[[Group], list[Fragment]]
    port: int | None  # where workers reach each other
    port_name: str | None


FRAMEWORKS: dict[str, Framework] = {
    "pytorch": Framework(pytorch_env, PYTORCH_PORT, "rendezvous"),
    "tensorflow": Framework(tensorflow_env, TENSORFLOW_PORT, "tf-worker"),
    "sklearn": Framework(sklearn_env, None, None),
}

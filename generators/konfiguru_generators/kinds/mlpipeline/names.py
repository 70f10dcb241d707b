"""Names of an MLPipeline's children, in one place (checks need them to bound host names).

Called by ``checks.py`` and ``render.py``.
"""

from __future__ import annotations

# A CronJob names each Job "<cronjob>-<minutes since the epoch>": 8 digits until the 22nd century.
_SCHEDULED_SUFFIX = "-" + "9" * 8


def training(name: str) -> str:
    """The training Job, or the retraining CronJob."""
    return name


def workers_service(name: str) -> str:
    """The headless Service whose name is the workers' DNS subdomain."""
    return f"{name}-workers"


def model_claim(name: str) -> str:
    return f"{name}-model"


def inference(name: str) -> str:
    """The inference Deployment, Service, autoscaler and NetworkPolicy."""
    return f"{name}-inference"


def training_policy(name: str) -> str:
    return f"{name}-training"


def longest_worker_hostname(name: str, workers: int, scheduled: bool) -> str:
    """The host name of the last worker pod (``<job>-<index>``), with the longest Job name a
    CronJob could give it."""
    job = training(name) + (_SCHEDULED_SUFFIX if scheduled else "")
    return f"{job}-{workers - 1}"

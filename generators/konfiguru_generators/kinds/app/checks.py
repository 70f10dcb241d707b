"""App checks the CRD schema cannot express: names that must agree, sizes; and quantities and
cron again, which the CRD also checks, for their more precise messages (``admission.py``).

Runs after the CRD defaults are applied and the schema and CEL checks passed (or failed only on
rules in ``admission.NON_BLOCKING``), so every field has its type. Every problem is collected
(never raised one by one) with its path, the bad value and what is accepted. Called by
``pipeline.py`` through the kind registry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ... import configformats
from ...apichecks import config_key_problem
from ...checks_common import ENV_HINT, ENV_NAME, check_env, check_schedule, resource_amounts
from ...errors import MISSING, FieldError, did_you_mean
from ...quantity import check_quantity
from . import ingress as ingress_mod
from . import names

# A ConfigMap holds at most 1 MiB.
_CONFIG_MAP_LIMIT = 1024 * 1024


def check(spec: dict[str, Any], name: str) -> list[FieldError]:
    errors: list[FieldError] = []
    resource_amounts(spec["resources"], "spec.resources", errors)
    _check_ports(spec, errors)
    check_env(spec.get("env"), "spec.env", errors)
    _check_health(spec, errors)
    _check_ingress(spec, errors)
    _check_expose(spec, errors)
    _check_config(spec, errors)
    _check_secrets(spec, errors)
    _check_connect(spec, errors)
    _check_network(spec, errors)
    _check_runs(spec, name, errors)
    _check_stateful(spec, errors)
    _check_lifecycle(spec, errors)
    _check_security(spec, errors)
    _check_paths_unique(spec, errors)
    _check_derived_names(spec, name, errors)
    return errors


# --- resources -----------------------------------------------------------------------------------


# --- ports ---------------------------------------------------------------------------------------


def _check_ports(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    seen_names: dict[str, str] = {}
    seen_numbers: dict[tuple[int, str], str] = {}
    if spec.get("port") is not None:
        seen_names[names.MAIN_PORT_NAME] = "spec.port"
        seen_numbers[(spec["port"], "TCP")] = "spec.port"
    for index, port in enumerate(spec.get("ports") or []):
        path = f"spec.ports[{index}]"
        if port["name"] in seen_names:
            errors.append(
                FieldError(
                    f"{path}.name",
                    port["name"],
                    f"is already used by {seen_names[port['name']]}",
                    '"http" is the name of spec.port; choose another name',
                )
            )
        seen_names.setdefault(port["name"], path)
        key = (port["port"], port.get("protocol", "TCP"))
        if key in seen_numbers:
            errors.append(
                FieldError(f"{path}.port", port["port"], f"is already used by {seen_numbers[key]}")
            )
        seen_numbers.setdefault(key, path)


def _check_derived_names(spec: Mapping[str, Any], app: str, errors: list[FieldError]) -> None:
    """Names Konfiguru derives that a user's own names can meet (``collisions`` is the net)."""
    metrics = names.metrics_port(spec)
    numbers = [port["port"] for port in spec.get("ports") or []] + [spec.get("port")]
    if metrics is not None and metrics not in numbers:  # a port of its own, named "metrics"
        for index, port in enumerate(spec.get("ports") or []):
            if port["name"] == names.METRICS_PORT_NAME:
                errors.append(
                    FieldError(
                        f"spec.ports[{index}].name",
                        port["name"],
                        f"is also the name of the metrics port {metrics}"
                        " (spec.observability.metrics.port)",
                        "rename this port, or set observability.metrics.port to its number",
                    )
                )
    tls = (spec.get("ingress") or {}).get("tls")
    if tls is None:
        return
    tls_secret = tls.get("secretName") or f"{app}-tls"
    for index, entry in enumerate(spec.get("secrets") or []):
        secret = names.secret_name(app, entry)
        # Konfiguru writes a generated or external Secret. Mounting the TLS Secret (a plain
        # reference) only reads it; writing it beside cert-manager, or filling the Ingress's
        # certificate with a password, is two writers or a broken certificate.
        if secret == tls_secret and names.is_created_secret(entry):
            writer = (
                "cert-manager writes for spec.ingress.tls.issuer"
                if tls.get("issuer")
                else "the Ingress reads as its TLS certificate"
            )
            errors.append(
                FieldError(
                    f"spec.secrets[{index}].name",
                    entry["name"],
                    f'becomes the Secret "{secret}", which {writer}',
                    "rename this secret, or set spec.ingress.tls.secretName to another name",
                )
            )


def _port_names(spec: Mapping[str, Any]) -> list[str]:
    return [port.name for port in names.container_ports(spec)]


def _check_port_ref(
    spec: Mapping[str, Any], value: Any, path: str, errors: list[FieldError], *, what: str
) -> None:
    """A probe/hook port: a number, a declared port name, or absent (then the main port)."""
    if value is None:
        if names.main_port(spec) is None:
            errors.append(
                FieldError(
                    path,
                    MISSING,
                    f"is needed: the app has no port for the {what}",
                    "set port here, or spec.port",
                )
            )
        return
    if isinstance(value, int):
        if not 1 <= value <= 65535:
            errors.append(FieldError(path, value, "is not a port number", "1 to 65535"))
        return
    known = sorted(set(_port_names(spec)))
    if value not in known:
        hint = did_you_mean(value, known) if known else "declare it in spec.port or spec.ports"
        errors.append(FieldError(path, value, "is not a port of this app", hint))


# --- health and lifecycle ------------------------------------------------------------------------


def _check_health(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    for probe_name in ("liveness", "readiness", "startup"):
        probe = spec["health"][probe_name]
        path = f"spec.health.{probe_name}"
        if not probe["enabled"]:
            continue
        for action in ("http", "tcp", "grpc"):
            if action in probe:
                _check_port_ref(
                    spec,
                    probe[action].get("port"),
                    f"{path}.{action}.port",
                    errors,
                    what=f"{probe_name} probe",
                )


def _check_lifecycle(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    for hook in ("preStop", "postStart"):
        handler = spec["lifecycle"].get(hook)
        if handler and "http" in handler:
            _check_port_ref(
                spec,
                handler["http"].get("port"),
                f"spec.lifecycle.{hook}.http.port",
                errors,
                what=f"{hook} hook",
            )
    if (
        spec.get("observability", {}).get("metrics") is not None
        and names.metrics_port(spec) is None
    ):
        errors.append(
            FieldError(
                "spec.observability.metrics.port",
                MISSING,
                "is needed: the app has no port to scrape",
                "set observability.metrics.port or spec.port",
            )
        )


# --- ingress and expose --------------------------------------------------------------------------


def _check_ingress(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    ingress = spec.get("ingress")
    if ingress is None:
        return
    ingress_mod.check_controller(ingress, errors)
    ingress_mod.check_network_policy(spec, errors)
    if ingress_mod.controller_of(ingress) == ingress_mod.GATEWAY:
        ingress_mod.check_gateway_paths(spec, errors)
    service_ports = _service_port_names(spec)
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(ingress["paths"]):
        path = f"spec.ingress.paths[{index}]"
        key = (item["path"], item["pathType"])
        if key in seen:
            errors.append(FieldError(f"{path}.path", item["path"], "is listed twice"))
        seen.add(key)
        port = item.get("port")
        if isinstance(port, str) and port not in service_ports:
            errors.append(
                FieldError(
                    f"{path}.port", port, "is not a Service port", did_you_mean(port, service_ports)
                )
            )
        elif isinstance(port, int) and port not in _service_port_numbers(spec):
            errors.append(
                FieldError(
                    f"{path}.port",
                    port,
                    "is not a Service port",
                    "accepted: " + ", ".join(str(p) for p in _service_port_numbers(spec)),
                )
            )


def _service_port_names(spec: Mapping[str, Any]) -> list[str]:
    ports = [names.MAIN_PORT_NAME] if spec.get("port") is not None else []
    return ports + [p["name"] for p in spec.get("ports") or []]


def _service_port_numbers(spec: Mapping[str, Any]) -> list[int]:
    ports = [spec["expose"]["port"]] if spec.get("port") is not None else []
    return ports + [p.get("servicePort", p["port"]) for p in spec.get("ports") or []]


def _check_expose(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    numbers = _service_port_numbers(spec)
    seen: set[int] = set()
    for index, number in enumerate(numbers):
        if number in seen:
            where = "spec.expose.port" if index == 0 and spec.get("port") else "spec.ports"
            errors.append(
                FieldError(where, number, "is used twice on the Service", "set ports[].servicePort")
            )
        seen.add(number)


# --- config and secrets --------------------------------------------------------------------------


def _check_config(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    config = spec.get("config")
    if config is None:
        return
    size = 0
    for key, value in (config.get("data") or {}).items():
        path = f'spec.config.data["{key}"]'
        # The key's form is an API server rule (apichecks.py); here only what asEnv adds.
        if config["asEnv"] and not config_key_problem(key) and not ENV_NAME.match(key):
            errors.append(
                FieldError(
                    path,
                    key,
                    "is not a valid environment variable name (config.asEnv is true)",
                    ENV_HINT,
                )
            )
        size += len(key) + len(value.encode())
    data_keys = set(config.get("data") or {})
    for index, item in enumerate(config.get("files") or []):
        path = f"spec.config.files[{index}]"
        if item["name"] in data_keys:
            errors.append(
                FieldError(
                    f"{path}.name",
                    item["name"],
                    "is also a key of config.data",
                    "file names and data keys share one ConfigMap; rename one",
                )
            )
        fmt = configformats.format_for(item["name"], item.get("format"))
        try:
            text = configformats.write(fmt, item["content"])
        except configformats.FormatError as error:
            errors.append(
                FieldError(
                    f"{path}.content{error.where}",
                    error.value,
                    f"{error.message} ({fmt})",
                    error.hint,
                )
            )
            continue
        size += len(item["name"]) + len(text.encode())
    if size > _CONFIG_MAP_LIMIT:
        errors.append(
            FieldError(
                "spec.config",
                f"{size} bytes",
                "is larger than a ConfigMap can hold",
                "at most 1 MiB in total; mount large files from an image or a volume instead",
            )
        )


def _check_secrets(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    for index, entry in enumerate(spec.get("secrets") or []):
        path = f"spec.secrets[{index}]"
        if len(names.secret_name("x" * 52, entry)) > 253:
            errors.append(FieldError(f"{path}.name", entry["name"], "is too long"))
        external = entry.get("external")
        if external is not None:
            keys = [item["key"] for item in external.get("data") or []]
            for dup in sorted({k for k in keys if keys.count(k) > 1}):
                errors.append(FieldError(f"{path}.external.data", dup, "is listed twice as key"))
        if entry["mount"] in ("env", "both") and entry.get("generate"):
            for key_index, item in enumerate(entry["generate"]):
                if not ENV_NAME.match(item["key"]):
                    errors.append(
                        FieldError(
                            f"{path}.generate[{key_index}].key",
                            item["key"],
                            "is not a valid environment variable name (mount is env)",
                            ENV_HINT + "; or set mount: files",
                        )
                    )


def _check_paths_unique(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    """Every mounted directory (config, secrets, writable paths) must be distinct."""
    seen: dict[str, str] = {}
    candidates: list[tuple[str, str]] = [
        (path, f"spec.security.writablePaths[{index}]")
        for index, path in enumerate(spec["security"]["writablePaths"])
    ]
    for index, item in enumerate(spec.get("hostPaths") or []):
        candidates.append((item.get("mountPath") or item["path"], f"spec.hostPaths[{index}]"))
    if spec.get("config", {}).get("files"):
        candidates.append((spec["config"]["mountPath"], "spec.config.mountPath"))
    for index, entry in enumerate(spec.get("secrets") or []):
        if entry["mount"] in ("files", "both"):
            mount = entry.get("mountPath") or f"/etc/secrets/{entry['name']}"
            candidates.append((mount, f"spec.secrets[{index}].mountPath"))
    for index, volume in enumerate(spec.get("volumes") or []):
        candidates.append((volume["mountPath"], f"spec.volumes[{index}].mountPath"))
    for mount, where in candidates:
        normalised = mount.rstrip("/") or "/"
        if normalised in seen:
            errors.append(FieldError(where, mount, f"is also mounted by {seen[normalised]}"))
        seen.setdefault(normalised, where)


# --- connectTo, allowFrom, network policy --------------------------------------------------------


def _check_connect(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    seen: dict[tuple[str, str], int] = {}
    prefixes: dict[str, int] = {}
    for index, target in enumerate(spec.get("connectTo") or []):
        path = f"spec.connectTo[{index}]"
        key = (target["name"], target.get("namespace", ""))
        if key in seen:
            errors.append(
                FieldError(f"{path}.name", target["name"], f"is already listed at [{seen[key]}]")
            )
            continue
        seen[key] = index
        prefix = names.connect_prefix(target)
        if prefix in prefixes and prefixes[prefix] != index:
            errors.append(
                FieldError(
                    f"{path}.envPrefix",
                    prefix,
                    f"gives the same variables as connectTo[{prefixes[prefix]}]",
                    "set a distinct envPrefix",
                )
            )
        prefixes.setdefault(prefix, index)


def _check_network(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    seen: set[tuple[str, str]] = set()
    for index, caller in enumerate(spec.get("allowFrom") or []):
        key = (caller["name"], caller.get("namespace", ""))
        if key in seen:
            errors.append(
                FieldError(f"spec.allowFrom[{index}].name", caller["name"], "is listed twice")
            )
        seen.add(key)


# --- stateful apps --------------------------------------------------------------------------------


def _check_stateful(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    for index, volume in enumerate(spec.get("volumes") or []):
        check_quantity(volume["size"], f"spec.volumes[{index}].size", errors)


# --- jobs and schedules --------------------------------------------------------------------------


def _check_runs(spec: Mapping[str, Any], app: str, errors: list[FieldError]) -> None:
    for index, job in enumerate(spec.get("jobs") or []):
        path = f"spec.jobs[{index}]"
        length = names.job_name_length(app, job["name"])
        if length > names.MAX_JOB_NAME:
            room = names.MAX_JOB_NAME - (length - len(job["name"]))
            errors.append(
                FieldError(
                    f"{path}.name",
                    job["name"],
                    "is too long for a Job name",
                    f'"<app>-<job>-<hash>" must fit in {names.MAX_JOB_NAME} characters;'
                    f" at most {max(room, 0)} characters here",
                )
            )
        _check_run(spec, job, path, errors)
    for index, schedule in enumerate(spec.get("schedules") or []):
        path = f"spec.schedules[{index}]"
        full = names.schedule_name(app, schedule["name"])
        if len(full) > names.MAX_CRONJOB_NAME:
            room = names.MAX_CRONJOB_NAME - len(app) - 1
            errors.append(
                FieldError(
                    f"{path}.name",
                    schedule["name"],
                    "is too long for a CronJob name",
                    f'"<app>-<name>" must fit in {names.MAX_CRONJOB_NAME} characters;'
                    f" at most {max(room, 0)} characters here",
                )
            )
        check_schedule(schedule["schedule"], f"{path}.schedule", errors)
        _check_run(spec, schedule, path, errors)
    _check_own_run(spec, errors)


def _check_own_run(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    """workload CronJob: its schedule. (Every name fits: the pipeline limits resource names to
    52 characters, which leaves room for "<name>-<hash>" and "<name>-<revision hash>".)"""
    if spec["workload"] == "CronJob":
        check_schedule(spec["run"]["schedule"], "spec.run.schedule", errors)


def _check_run(
    spec: Mapping[str, Any], run: Mapping[str, Any], path: str, errors: list[FieldError]
) -> None:
    own = run.get("resources") or {}
    if own:
        found: list[FieldError] = []
        resource_amounts({**spec["resources"], **own}, f"{path}.resources", found)
        # A bad quantity the run inherits is reported once, where it is written (spec.resources);
        # a limit below a request is the run's own problem whichever side it inherits.
        errors.extend(
            error
            for error in found
            if error.path.rsplit(".", 1)[-1] in own or error.message.startswith("is less than")
        )
    check_env(run.get("env"), f"{path}.env", errors)


# --- security ------------------------------------------------------------------------------------


def _check_security(spec: Mapping[str, Any], errors: list[FieldError]) -> None:
    paths = spec["security"]["writablePaths"]
    for dup in _duplicates(paths):
        errors.append(FieldError("spec.security.writablePaths", dup, "is listed twice"))


def _duplicates(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dups: list[str] = []
    for item in items:
        if item in seen and item not in dups:
            dups.append(item)
        seen.add(item)
    return dups

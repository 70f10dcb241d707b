"""docker-compose: the workloads as services, for running the system on one machine.

Built from the rendered children, so it runs what the cluster would run: each Deployment,
DaemonSet and StatefulSet becomes a service (its main container), each Job a one-shot service
(``restart: "no"``), each CronJob a one-shot service in the ``scheduled`` profile (run it with
``docker compose run``). A Database is the engine's official image the generator chose, with a
named volume on its data path and the same environment.

- **Environment**: plain values as they are; ConfigMap keys resolved from the rendered ConfigMap;
  Secret keys never inline: each service reads them from ``secrets/<service>.env`` (required),
  and ``secrets/<service>.env.example`` lists the names and which Secret key each one is.
- **Files**: mounted ConfigMaps become compose ``configs`` with their content; mounted Secrets
  compose ``secrets`` from files under ``secrets/<secret>/<key>`` that you create; claims become
  named volumes; emptyDirs tmpfs.
- **Reachability**: container ports are exposed to the other services; a workload with an Ingress
  or a LoadBalancer Service is published on the host (its container port, the next free one when
  taken). ``depends_on`` follows ``connectTo``, waiting for ``service_healthy`` where the callee
  has a health check (an ``exec`` readiness probe), else ``service_started``.
- **Security**: ``user``, ``read_only``, ``cap_drop`` and ``no-new-privileges`` as the pod asks.

What compose cannot express (autoscaling, NetworkPolicies, disruption budgets, HTTP and TCP
probes, schedules, sidecar and init containers, resource requests, GPUs, downward-API values) is
listed per service in the file's comment header, never dropped silently. Every ``$`` is written
as ``$$``, so compose's interpolation leaves scripts and values as they are. ``docker-compose.yaml``
is the base; ``docker-compose.<env>.yaml`` is each environment's override file, for
``docker compose -f docker-compose.yaml -f docker-compose.prod.yaml up``. Compose merges files by
appending lists and keeping keys an override leaves out, so the override says exactly what
changes: a service attribute (or top-level config, secret or volume) the environment changes is
written ``!override <value>`` when it is a list or map (replaced, not merged) and plainly when it
is a scalar (compose replaces scalars), one it drops ``!reset null``, a service only the
environment has in full. Merged, base and override give the environment's complete model (tested
against the merge rules of the Compose Specification); the
tags need Docker Compose 2.24.4 or later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .. import yamltext
from .bundle import JSON, Bundle, Rendered

_POD_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def _dig(obj: Any, *path: str) -> Any:
    for part in path:
        obj = obj.get(part) if isinstance(obj, Mapping) else None
    return obj


class _Compose:
    """One compose file being built: services, top-level configs, secrets and volumes."""

    def __init__(self, children: Sequence[JSON]) -> None:
        self.children = children
        self.config_maps = {
            c["metadata"]["name"]: c.get("data") or {}
            for c in children
            if c.get("kind") == "ConfigMap"
        }
        self.published = _published_workloads(children)
        self.services: dict[str, JSON] = {}
        self.configs: dict[str, JSON] = {}
        self.secrets: dict[str, JSON] = {}
        self.volumes: dict[str, JSON] = {}
        self.unmapped: dict[str, list[str]] = {}
        self.secret_env: dict[str, list[str]] = {}  # service -> example lines
        self.host_ports: set[int] = set()

    def note(self, service: str, what: str) -> None:
        notes = self.unmapped.setdefault(service, [])
        if what not in notes:
            notes.append(what)

    def workload(self, obj: JSON) -> None:
        kind, name = obj["kind"], obj["metadata"]["name"]
        pod = _dig(obj, *_POD_PATHS[kind]) or {}
        containers = pod.get("containers") or []
        if not containers:
            return
        main = containers[0]
        service: JSON = {"image": main["image"]}
        if main.get("command"):
            service["entrypoint"] = list(main["command"])
        if main.get("args"):
            service["command"] = list(main["args"])
        if main.get("workingDir"):
            service["working_dir"] = main["workingDir"]
        self._environment(name, main, service)
        self._files(name, pod, main, service)
        ports = [str(p["containerPort"]) for p in main.get("ports") or []]
        if ports:
            service["expose"] = ports
        if name in self.published and ports:
            service["ports"] = [f"{self._host_port(int(ports[0]))}:{ports[0]}"]
        self._security(pod, main, service)
        probe = main.get("readinessProbe") or {}
        if probe.get("exec"):
            service["healthcheck"] = {"test": ["CMD", *probe["exec"]["command"]]}
        elif probe:
            self.note(name, "its HTTP/TCP readiness probe (no health check)")
        if kind in ("Job", "CronJob"):
            service["restart"] = "no"
        else:
            service["restart"] = "unless-stopped"
        if kind == "CronJob":
            service["profiles"] = ["scheduled"]
            self.note(name, f"the schedule {obj['spec']['schedule']!r} (docker compose run {name})")
        for extra in containers[1:]:
            self.note(name, f"the sidecar container {extra['name']}")
        for extra in pod.get("initContainers") or []:
            self.note(name, f"the init container {extra['name']}")
        if any(c.get("resources") for c in containers):
            self.note(name, "resource requests and limits")
        if any("nvidia.com/gpu" in (_dig(c, "resources", "limits") or {}) for c in containers):
            self.note(name, "GPUs (reserve them with deploy.resources on a host that has them)")
        self.services[name] = service

    def _host_port(self, port: int) -> int:
        while port in self.host_ports:
            port += 1
        self.host_ports.add(port)
        return port

    def _environment(self, name: str, container: JSON, service: JSON) -> None:
        env: dict[str, str] = {}
        examples: list[str] = []
        for source in container.get("envFrom") or []:
            if source.get("configMapRef"):
                env.update(self.config_maps.get(source["configMapRef"]["name"], {}))
            elif source.get("secretRef"):
                secret = source["secretRef"]["name"]
                examples.append(f"# every key of Secret {secret}")
        for item in container.get("env") or []:
            ref = item.get("valueFrom") or {}
            if "value" in item or not ref:
                env[item["name"]] = str(item.get("value", ""))
            elif ref.get("configMapKeyRef"):
                cm = ref["configMapKeyRef"]
                env[item["name"]] = str(self.config_maps.get(cm["name"], {}).get(cm["key"], ""))
            elif ref.get("secretKeyRef"):
                key = ref["secretKeyRef"]
                examples.append(f"# Secret {key['name']}, key {key['key']}\n{item['name']}=")
            else:
                self.note(name, f"{item['name']} (set from the pod's own fields)")
        if env:
            service["environment"] = env
        if examples:
            service["env_file"] = [{"path": f"secrets/{name}.env", "required": True}]
            self.secret_env[name] = examples

    def _files(self, name: str, pod: JSON, container: JSON, service: JSON) -> None:
        volumes = {v["name"]: v for v in pod.get("volumes") or []}
        configs: list[JSON] = []
        secrets: list[JSON] = []
        mounts: list[JSON] = []
        for mount in container.get("volumeMounts") or []:
            volume = volumes.get(mount["name"], {})
            path = mount["mountPath"]
            if volume.get("configMap"):
                cm = volume["configMap"]["name"]
                data = self.config_maps.get(cm, {})
                keys = [mount["subPath"]] if mount.get("subPath") else sorted(data)
                for key in keys:
                    config = f"{cm}-{key}".replace(".", "-").replace("_", "-")
                    self.configs[config] = {"content": str(data.get(key, ""))}
                    target = path if mount.get("subPath") else f"{path}/{key}"
                    configs.append({"source": config, "target": target})
            elif volume.get("secret"):
                secret = volume["secret"]["secretName"]
                if mount.get("subPath"):
                    files = {mount["subPath"]: path}
                else:
                    items = volume["secret"].get("items") or []
                    files = {i["key"]: f"{path}/{i.get('path', i['key'])}" for i in items}
                if not files:
                    self.note(name, f"the Secret {secret} mounted whole at {path}")
                for key, target in sorted(files.items()):
                    source = f"{secret}-{key}".replace(".", "-").replace("_", "-")
                    self.secrets[source] = {"file": f"./secrets/{secret}/{key}"}
                    secrets.append({"source": source, "target": target})
            elif volume.get("emptyDir") is not None:
                mounts.append({"type": "tmpfs", "target": path})
            elif volume.get("persistentVolumeClaim") or mount["name"] not in volumes:
                # A claim, or a StatefulSet's claim template: a named volume of the same name.
                claim = _dig(volume, "persistentVolumeClaim", "claimName") or (
                    f"{name}-{mount['name']}"
                )
                self.volumes[claim] = {}
                mounts.append({"type": "volume", "source": claim, "target": path})
            else:
                self.note(name, f"the volume {mount['name']} at {path}")
        if configs:
            service["configs"] = configs
        if secrets:
            service["secrets"] = secrets
        if mounts:
            service["volumes"] = mounts

    def _security(self, pod: JSON, container: JSON, service: JSON) -> None:
        pod_context = pod.get("securityContext") or {}
        context = container.get("securityContext") or {}
        user = context.get("runAsUser", pod_context.get("runAsUser"))
        if user is not None:
            group = context.get("runAsGroup", pod_context.get("runAsGroup"))
            service["user"] = f"{user}:{group}" if group is not None else str(user)
        if context.get("readOnlyRootFilesystem"):
            service["read_only"] = True
        drop = _dig(context, "capabilities", "drop")
        if drop:
            service["cap_drop"] = list(drop)
        add = _dig(context, "capabilities", "add")
        if add:
            service["cap_add"] = list(add)
        if context.get("allowPrivilegeEscalation") is False:
            service["security_opt"] = ["no-new-privileges:true"]

    def depends(self, resources: Iterable[Rendered]) -> None:
        for item in resources:
            name = _dig(item.resource, "metadata", "name")
            if name not in self.services:
                continue
            needs: JSON = {}
            for target in _dig(item.resource, "spec", "connectTo") or []:
                callee = target.get("name")
                if callee in self.services and callee != name:
                    healthy = "healthcheck" in self.services[callee]
                    condition = "service_healthy" if healthy else "service_started"
                    needs[callee] = {"condition": condition}
            if needs:
                self.services[name]["depends_on"] = needs

    def document(self) -> JSON:
        """The compose model: services, then the configs, secrets and volumes they use."""
        document: JSON = {"services": self.services}
        for key, value in (
            ("configs", self.configs),
            ("secrets", self.secrets),
            ("volumes", self.volumes),
        ):
            if value:
                document[key] = value
        escaped: JSON = _escaped(document)
        return escaped

    def text(self, title: str, document: JSON | None = None) -> str:
        """The file: the comment header, then ``document`` (the model itself unless given)."""
        lines = [f"# {title}: generated by `konfiguru export --format compose`.\n"]
        kinds = sorted(
            {str(c.get("kind")) for c in self.children}
            & {
                "HorizontalPodAutoscaler",
                "NetworkPolicy",
                "PodDisruptionBudget",
                "Ingress",
                "HTTPRoute",
            }
        )
        if kinds:
            lines.append(f"# Not expressible in compose, left out: {', '.join(kinds)} objects.\n")
        for service, notes in sorted(self.unmapped.items()):
            lines.append(f"# {service}: not mapped: {'; '.join(notes)}.\n")
        if self.secret_env:
            files = ", ".join(f"secrets/{s}.env" for s in sorted(self.secret_env))
            lines.append(f"# Create {files} from the .env.example files beside them.\n")
        expanded = sorted(n for n, svc in self.services.items() if "$(" in str(svc))
        if expanded:
            lines.append(
                f"# {', '.join(expanded)}: Kubernetes expands $(VAR) in command and args;"
                " compose passes it as written.\n"
            )
        return "".join(lines) + yamltext.dump(self.document() if document is None else document)


def _escaped(value: Any) -> Any:
    """Every string with ``$`` doubled: compose interpolates ``$VAR`` from the host's environment
    in every value (a shell script's ``"$POSTGRES_USER"`` must reach the container as written)."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, Mapping):
        return {key: _escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    return value


def _published_workloads(children: Sequence[JSON]) -> set[str]:
    """Workloads reachable from outside in the cluster: behind an Ingress, an HTTPRoute or a
    LoadBalancer."""
    services = {c["metadata"]["name"]: c for c in children if c.get("kind") == "Service"}
    published: set[str] = set()
    for child in children:
        if child.get("kind") == "HTTPRoute":
            for rule in _dig(child, "spec", "rules") or []:
                published.update(str(ref["name"]) for ref in rule.get("backendRefs") or [])
        if child.get("kind") == "Ingress":
            for rule in _dig(child, "spec", "rules") or []:
                for path in _dig(rule, "http", "paths") or []:
                    backend = _dig(path, "backend", "service", "name")
                    if backend:
                        published.add(str(backend))
        if child.get("kind") == "Service" and _dig(child, "spec", "type") == "LoadBalancer":
            published.add(child["metadata"]["name"])
    # A Service is named after its workload (``<app>``), the workload it selects.
    return {name for name in published if name in services}


def _model(rendered: Sequence[Rendered]) -> _Compose:
    children = [c for item in rendered for c in item.children]
    compose = _Compose(children)
    for child in children:
        if child.get("kind") in _POD_PATHS:
            compose.workload(child)
    compose.depends(rendered)
    return compose


# Sections of a compose file whose entries an override replaces or resets one by one.
_SECTIONS = ("services", "configs", "secrets", "volumes")
_OVERRIDE, _RESET = "!override", "!reset"


def override(base: JSON, target: JSON) -> JSON:
    """The override file that, merged onto ``base`` by compose, gives ``target``: per entry of
    each section, a new entry in full, a dropped one ``!reset``; per changed service attribute
    (or changed config, secret or volume) ``!override`` with the new value, a dropped one
    ``!reset``. Unchanged entries are left out."""
    result: JSON = {}
    for section in _SECTIONS:
        before, after = base.get(section) or {}, target.get(section) or {}
        changes: JSON = {}
        for name, value in after.items():
            if name not in before:
                changes[name] = value
            elif value != before[name] and section == "services":
                changes[name] = _attributes(before[name], value)
            elif value != before[name]:
                changes[name] = yamltext.Tagged(_OVERRIDE, value)
        for name in before:
            if name not in after:
                changes[name] = yamltext.Tagged(_RESET, None)
        if changes:
            result[section] = changes
    return result


def _attributes(before: JSON, after: JSON) -> JSON:
    # A scalar replaces by compose's own merge; a tag would also stop a reader typing it.
    changed: JSON = {
        key: yamltext.Tagged(_OVERRIDE, value) if isinstance(value, (dict, list)) else value
        for key, value in after.items()
        if before.get(key) != value
    }
    changed.update({key: yamltext.Tagged(_RESET, None) for key in before if key not in after})
    return changed


def export(bundle: Bundle) -> dict[str, str]:
    files: dict[str, str] = {}
    examples: dict[str, list[str]] = {}
    base = _model(bundle.base)
    files["docker-compose.yaml"] = base.text("the base")
    examples.update(base.secret_env)
    for env, rendered in sorted(bundle.environments.items()):
        model = _model(rendered)
        title = (
            f"environment {env}, an override of docker-compose.yaml (docker compose"
            f" -f docker-compose.yaml -f docker-compose.{env}.yaml up; Compose 2.24.4 or later)"
        )
        files[f"docker-compose.{env}.yaml"] = model.text(
            title, override(base.document(), model.document())
        )
        for service, lines in model.secret_env.items():
            merged = examples.setdefault(service, [])
            merged.extend(line for line in lines if line not in merged)
    for service, lines in sorted(examples.items()):
        files[f"secrets/{service}.env.example"] = (
            f"# Values for the {service} service (never commit the filled-in .env file).\n"
            + "".join(f"{line}\n" for line in lines)
        )
    return files

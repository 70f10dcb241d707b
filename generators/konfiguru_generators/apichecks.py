"""Checks that mirror what the API server and the container runtime refuse, for every kind.

The CRD schemas say which fields exist; this module says what Kubernetes accepts in them, so that
``konfiguru validate`` refuses a spec whose children the API server (or the kubelet, or the
runtime) would refuse. Fields are found by walking each kind's CRD schema, not listed per kind:
every string field named ``image`` is an image reference, every ``timeZone`` an IANA zone, every
``labels``/``nodeSelector`` map a label map, every ``command``/``args`` item a process argument,
and so on (:data:`RULES`). A field added to any CRD under one of these names is checked without
further code.

The formats follow ``k8s.io/apimachinery/pkg/util/validation`` (DNS-1123 labels and subdomains,
qualified names, label values, IANA service names, ConfigMap keys), the Ingress validation of
``k8s.io/kubernetes/pkg/apis/networking/validation`` (hosts, Exact/Prefix paths), the CronJob
``timeZone`` check (``time.LoadLocation`` over the IANA database, ``Local`` refused), the
container security-context rule on ``CAP_SYS_ADMIN`` without privilege escalation, and the
reference grammar of ``github.com/distribution/reference`` that the kubelet and containerd parse
images with. Limits that only the runtime enforces are named where they are used.

Called by ``pipeline.py`` for every resource after the kind's own checks; the format functions
(``*_problem``) are used by renderers too (``labels.image_version``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .errors import FieldError
from .resources import time_zone_names

# --- formats (k8s.io/apimachinery/pkg/util/validation) ---------------------------------------

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_WILDCARD_SUBDOMAIN = re.compile(
    r"^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z"
)
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
_SERVICE_NAME = re.compile(r"^[-a-z0-9]+\Z")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+\Z")

DNS_LABEL_HINT = "lower-case letters, digits and '-', starting and ending with a letter or digit"
DNS_SUBDOMAIN_HINT = DNS_LABEL_HINT + ", in parts separated by '.'"
LABEL_VALUE_HINT = (
    "at most 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit"
)
QUALIFIED_NAME_HINT = (
    "at most 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit, with an"
    " optional DNS subdomain prefix and '/', e.g. example.com/role"
)
CONFIG_KEY_HINT = "letters, digits, '-', '_', '.'; not '.', '..' or starting with '..'"


def dns_label_problem(value: str) -> str:
    """Why ``value`` is not an RFC 1123 label (namespaces), or ``""``."""
    if len(value) > 63:
        return "is longer than 63 characters"
    return "" if _DNS_LABEL.match(value) else "is not a valid DNS label"


def dns_subdomain_problem(value: str) -> str:
    """Why ``value`` is not an RFC 1123 subdomain (most object names), or ``""``."""
    if len(value) > 253:
        return "is longer than 253 characters"
    return "" if _DNS_SUBDOMAIN.match(value) else "is not a valid DNS subdomain"


def qualified_name_problem(value: str) -> str:
    """Why ``value`` is not a qualified name (label and annotation keys, appProtocol), or ``""``."""
    prefix, slash, name = value.rpartition("/")
    if slash and (not prefix or dns_subdomain_problem(prefix)):
        return "has an invalid prefix (a DNS subdomain before '/')"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return "is not a valid qualified name"
    return ""


def label_value_problem(value: str) -> str:
    """Why ``value`` is not a valid label value, or ``""``."""
    if len(value) > 63:
        return "is longer than 63 characters"
    return "" if _LABEL_VALUE.match(value) else "is not a valid label value"


def service_port_name_problem(value: str) -> str:
    """Why ``value`` is not an IANA service name (port names), or ``""``."""
    if len(value) > 15:
        return "is longer than 15 characters"
    if not _SERVICE_NAME.match(value):
        return "may only contain lower-case letters, digits and '-'"
    if not any(char.isalpha() for char in value):
        return "must contain at least one letter"
    if "--" in value or value.startswith("-") or value.endswith("-"):
        return "must not start or end with '-' or contain '--'"
    return ""


def config_key_problem(value: str) -> str:
    """Why ``value`` is not a ConfigMap or Secret key (a file in the mounted volume), or ``""``.

    The kubelet writes the keys as files next to its own ``..data`` link, so ``.``, ``..`` and
    names starting with ``..`` are refused by the API server.
    """
    if len(value) > 253:
        return "is longer than 253 characters"
    if not _CONFIG_KEY.match(value):
        return "is not a valid ConfigMap key"
    if value in (".", "..") or value.startswith(".."):
        return "is reserved by the kubelet"
    return ""


# --- images (github.com/distribution/reference) ---------------------------------------------

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_NAME = rf"(?:{_HOST}(?::[0-9]+)?/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"^(?P<name>{_NAME})(?::{_TAG})?(?:@{_DIGEST})?\Z")
IMAGE_HINT = (
    'a registry/repository[:tag][@digest] reference, e.g. "ghcr.io/acme/web:1.4.2"; the'
    " repository in lower case, no spaces"
)


def image_problem(value: str) -> str:
    """Why ``value`` is not an image reference the kubelet can pull, or ``""``."""
    if value != value.strip():
        return "has leading or trailing whitespace"
    if any(char.isspace() or not char.isprintable() for char in value):
        return "contains whitespace or control characters"
    match = _REFERENCE.match(value)
    if match is None:
        return "is not a valid image reference"
    if len(match["name"]) > 255:
        return "has a repository name longer than 255 characters"
    return ""


# --- time zones (CronJob spec.timeZone) -----------------------------------------------------


def time_zone_problem(value: str) -> str:
    """Why the API server refuses ``value`` as a CronJob ``timeZone``, or ``""``."""
    if value.lower() == "local":
        return "is not an explicit time zone (the controller's local zone is refused)"
    # Go's time.LoadLocation is case-sensitive ("utc" is refused), and so is the name list.
    if value not in time_zone_names():
        return "is not a time zone of the IANA database (names are case-sensitive)"
    return ""


# --- ingress hosts and paths (networking/v1 validation) ----------------------------------------

_INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_INVALID_PATH_SUFFIXES = ("/..", "/.")
# RFC 3986 pchar and '/': what Gateway API and ingress controllers accept in a plain path.
_PATH_CHARACTERS = re.compile(r"^(?:[A-Za-z0-9/:@._~!$&'()*+,=;-]|%[0-9A-Fa-f]{2})*\Z")


def ingress_host_problem(value: str) -> str:
    """Why the API server refuses ``value`` as an Ingress rule host, or ``""``."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        return "is an IP address; an Ingress host must be a DNS name"
    if len(value) > 253:
        return "is longer than 253 characters"
    if "*" in value:
        if _WILDCARD_SUBDOMAIN.match(value):
            return ""
        return "is not a valid wildcard host ('*.' followed by a DNS subdomain)"
    return "" if _DNS_SUBDOMAIN.match(value) else "is not a valid DNS name"


def http_path_problem(value: str) -> str:
    """Why the API server refuses ``value`` as an Exact or Prefix Ingress path, or ``""``."""
    for sequence in _INVALID_PATH_SEQUENCES:
        if sequence in value:
            return f"contains {sequence!r}"
    for suffix in _INVALID_PATH_SUFFIXES:
        if value.endswith(suffix):
            return f"ends with {suffix!r}"
    if not _PATH_CHARACTERS.match(value):
        return "contains characters a URL path cannot hold unescaped"
    return ""


# --- CIDRs ----------------------------------------------------------------------------------


def cidr_problem(value: str) -> str:
    """Why ``value`` is neither an IP address nor a CIDR, or ``""``."""
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return "is not an IP address or CIDR"
    return ""


def as_cidr(value: str) -> str:
    """A checked address or CIDR as the CIDR a NetworkPolicy ipBlock or a Service source range
    needs: a bare address becomes a one-address network (``10.0.0.1`` → ``10.0.0.1/32``,
    ``fd00::1`` → ``fd00::1/128``); a CIDR is kept as written."""
    if "/" in value:
        return value
    address = ipaddress.ip_address(value)
    return f"{value}/{address.max_prefixlen}"


# --- what a process receives (execve) -----------------------------------------------------------

# Linux refuses (E2BIG) any single argument or environment string longer than MAX_ARG_STRLEN,
# 32 pages of 4 KiB, including the terminating NUL; the container would never start.
MAX_ARG_BYTES = 32 * 4096 - 1
# The API server refuses an object whose annotations (keys and values) exceed 256 KiB in total.
MAX_ANNOTATIONS_BYTES = 256 * 1024


def process_string_problem(value: str, extra: int = 0) -> str:
    """Why ``value`` cannot reach a process as one argument or environment string, or ``""``.

    ``extra`` counts bytes the runtime adds (``NAME=`` for an environment variable).
    """
    if "\x00" in value:
        return "contains a NUL character, which cannot be passed to a process"
    size = len(value.encode("utf-8", "surrogatepass")) + extra
    if size > MAX_ARG_BYTES:
        return (
            f"is {size} bytes; Linux refuses a single argument or environment string over"
            f" {MAX_ARG_BYTES} bytes, so the container would not start"
        )
    return ""


# --- the rules: which check applies to which CRD field -----------------------------------------

Check = Callable[[Any, str, list[FieldError]], None]


def _string_check(problem: Callable[[str], str], hint: str) -> Check:
    def check(value: Any, path: str, errors: list[FieldError]) -> None:
        if isinstance(value, str):
            found = problem(value)
            if found:
                errors.append(FieldError(path, value, found, hint))

    return check


def _key_path(path: str, key: str) -> str:
    return f'{path}["{key}"]'


def _check_label_map(value: Any, path: str, errors: list[FieldError]) -> None:
    for key, item in (value or {}).items():
        where = _key_path(path, key)
        problem = qualified_name_problem(key)
        if problem:
            errors.append(
                FieldError(where, key, f"is not a valid label key: {problem}", QUALIFIED_NAME_HINT)
            )
        if isinstance(item, str) and label_value_problem(item):
            errors.append(FieldError(where, item, "is not a valid label value", LABEL_VALUE_HINT))


def _check_annotation_map(value: Any, path: str, errors: list[FieldError]) -> None:
    total = 0
    for key, item in (value or {}).items():
        problem = qualified_name_problem(key)
        if problem:
            errors.append(
                FieldError(
                    _key_path(path, key),
                    key,
                    f"is not a valid annotation key: {problem}",
                    QUALIFIED_NAME_HINT,
                )
            )
        total += len(key.encode()) + (len(item.encode()) if isinstance(item, str) else 0)
    if total > MAX_ANNOTATIONS_BYTES:
        errors.append(
            FieldError(
                path,
                f"{total} bytes",
                "is larger than the API server accepts for annotations",
                f"at most {MAX_ANNOTATIONS_BYTES} bytes (256 KiB) of keys and values in total;"
                " mount large data from a ConfigMap instead",
            )
        )


def _check_config_keys(value: Any, path: str, errors: list[FieldError]) -> None:
    for key in value or {}:
        problem = config_key_problem(key)
        if problem:
            errors.append(FieldError(_key_path(path, key), key, problem, CONFIG_KEY_HINT))


def _check_env_values(value: Any, path: str, errors: list[FieldError]) -> None:
    for key, item in (value or {}).items():
        if isinstance(item, str):
            problem = process_string_problem(item, extra=len(key.encode()) + 1)
            if problem:
                errors.append(
                    FieldError(_key_path(path, key), item, problem, "use a mounted file instead")
                )


def _check_arguments(value: Any, path: str, errors: list[FieldError]) -> None:
    for index, item in enumerate(value or []):
        if isinstance(item, str):
            problem = process_string_problem(item)
            if problem:
                errors.append(
                    FieldError(f"{path}[{index}]", item, problem, "pass large data as a file")
                )


def _check_ingress_path(value: Any, path: str, errors: list[FieldError]) -> None:
    # The API server checks the form of Exact and Prefix paths only; ImplementationSpecific
    # paths belong to the controller (regular expressions in ingress-nginx).
    if not isinstance(value, Mapping) or value.get("pathType") not in ("Exact", "Prefix"):
        return
    text = value.get("path")
    if isinstance(text, str):
        problem = http_path_problem(text)
        if problem:
            errors.append(
                FieldError(
                    f"{path}.path",
                    text,
                    f"is not a valid {value['pathType']} path: {problem}",
                    "a normalised path such as /api/v1 (no '//', '.' or '..' segments, no"
                    " encoded '/'); use pathType ImplementationSpecific for controller-specific"
                    " patterns",
                )
            )


@dataclass(frozen=True)
class _PerSchema:
    """A check built from its field's schema node, so that it reads only declared fields."""

    build: Callable[[Mapping[str, Any]], Check | None]


@dataclass(frozen=True)
class _SecurityCheck:
    """``capabilities.add`` against ``allowPrivilegeEscalation``, reading only the fields the
    kind's ``security`` schema declares (a Database has no capabilities, an MLPipeline no
    ``privileged``)."""

    privileged_declared: bool

    @staticmethod
    def bind(schema: Mapping[str, Any]) -> Check | None:
        declared = schema.get("properties") or {}
        if "capabilities" not in declared or "allowPrivilegeEscalation" not in declared:
            return None
        return _SecurityCheck("privileged" in declared)

    def __call__(self, value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, Mapping) or value.get("allowPrivilegeEscalation", True):
            return
        if self.privileged_declared and value.get("privileged"):
            return  # podspec.py renders allowPrivilegeEscalation true for privileged containers
        added = (value.get("capabilities") or {}).get("add") or []
        for index, capability in enumerate(added):
            # The API server refuses exactly "CAP_SYS_ADMIN" with allowPrivilegeEscalation false;
            # the runtime reads "SYS_ADMIN" as the same capability, which makes no_new_privs moot.
            if isinstance(capability, str) and capability.upper() in ("CAP_SYS_ADMIN", "SYS_ADMIN"):
                errors.append(
                    FieldError(
                        f"{path}.capabilities.add[{index}]",
                        capability,
                        "cannot be added while allowPrivilegeEscalation is false (the API server"
                        " refuses CAP_SYS_ADMIN with it)",
                        "set security.allowPrivilegeEscalation: true, or drop the capability",
                    )
                )


def _check_cidr(value: Any, path: str, errors: list[FieldError]) -> None:
    if isinstance(value, str) and cidr_problem(value):
        errors.append(
            FieldError(
                path, value, "is not an IP address or CIDR", 'e.g. "10.0.0.0/8", "203.0.113.7"'
            )
        )


_DNS_SUBDOMAIN_NAME = _string_check(dns_subdomain_problem, DNS_SUBDOMAIN_HINT)

# (glob over the field's schema path, what it names, check). Paths read like the CRD: ``[]`` is a
# list item, ``.*`` a map value; a check sees the value at that path (maps whole, for their keys).
RULES: tuple[tuple[str, str, Check | _PerSchema], ...] = (
    ("*.image", "an image reference", _string_check(image_problem, IMAGE_HINT)),
    ("*.imagePullSecrets[]", "a Secret name", _DNS_SUBDOMAIN_NAME),
    ("*.credentialsSecret", "a Secret name", _DNS_SUBDOMAIN_NAME),
    ("*.claimName", "a PersistentVolumeClaim name", _DNS_SUBDOMAIN_NAME),
    ("*.priorityClassName", "a PriorityClass name", _DNS_SUBDOMAIN_NAME),
    ("*.ingress.className", "an IngressClass name", _DNS_SUBDOMAIN_NAME),
    ("*.storageClass", "a StorageClass name", _DNS_SUBDOMAIN_NAME),
    ("*.namespace", "a namespace", _string_check(dns_label_problem, DNS_LABEL_HINT)),
    ("*Namespace", "a namespace", _string_check(dns_label_problem, DNS_LABEL_HINT)),
    (
        "*.timeZone",
        "an IANA time zone",
        _string_check(time_zone_problem, 'e.g. "Europe/Berlin", "UTC"'),
    ),
    (
        "*.ports[].name",
        "a port name",
        _string_check(
            service_port_name_problem,
            "an IANA service name: at most 15 lower-case letters, digits and '-', e.g. metrics",
        ),
    ),
    (
        "*.appProtocol",
        "an application protocol",
        _string_check(qualified_name_problem, 'e.g. "http", "kubernetes.io/h2c"'),
    ),
    (
        "*.tolerations[].key",
        "a taint key",
        _string_check(qualified_name_problem, QUALIFIED_NAME_HINT),
    ),
    (
        "*.tolerations[].value",
        "a taint value",
        _string_check(label_value_problem, LABEL_VALUE_HINT),
    ),
    ("*.labels", "a label map", _check_label_map),
    ("*.nodeSelector", "a label map", _check_label_map),
    ("*.annotations", "an annotation map", _check_annotation_map),
    ("*.config.data", "ConfigMap keys", _check_config_keys),
    (
        "*.config.files[].name",
        "a ConfigMap key",
        _string_check(config_key_problem, CONFIG_KEY_HINT),
    ),
    (
        "*.secrets[].generate[].key",
        "a Secret key",
        _string_check(config_key_problem, CONFIG_KEY_HINT),
    ),
    ("*.external.data[].key", "a Secret key", _string_check(config_key_problem, CONFIG_KEY_HINT)),
    (
        "*.ingress.host",
        "an Ingress host",
        _string_check(
            ingress_host_problem, 'a DNS name such as "shop.example.com" or "*.example.com"'
        ),
    ),
    ("*.ingress.paths[]", "an Ingress path", _check_ingress_path),
    ("*.egressTo[]", "a CIDR", _check_cidr),
    ("*.ipAllowList[]", "a CIDR", _check_cidr),
    ("*.loadBalancerSourceRanges[]", "a CIDR", _check_cidr),
    ("*.command", "process arguments", _check_arguments),
    ("*.args", "process arguments", _check_arguments),
    ("*.env", "environment values", _check_env_values),
    ("*.security", "a security context", _PerSchema(_SecurityCheck.bind)),
)


@cache
def _glob(pattern: str) -> re.Pattern[str]:
    # Only '*' is special (any run of characters); '[]' in a pattern means a list item.
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")) + r"\Z")


def _matches(path: str, pattern: str) -> bool:
    return _glob(pattern).match(path) is not None


@dataclass
class _Plan:
    """The checks of one schema node and of the nodes below it that have any."""

    checks: list[Check] = field(default_factory=list)
    properties: dict[str, _Plan] = field(default_factory=dict)
    items: _Plan | None = None
    values: _Plan | None = None

    def empty(self) -> bool:
        return not (self.checks or self.properties or self.items or self.values)


def _plan(schema: Mapping[str, Any], path: str) -> _Plan:
    plan = _Plan()
    for pattern, _, check in RULES:
        if _matches(path, pattern):
            bound = check.build(schema) if isinstance(check, _PerSchema) else check
            if bound is not None:
                plan.checks.append(bound)
    for name, sub in (schema.get("properties") or {}).items():
        child = _plan(sub, f"{path}.{name}")
        if not child.empty():
            plan.properties[name] = child
    items = schema.get("items")
    if isinstance(items, Mapping):
        child = _plan(items, f"{path}[]")
        plan.items = None if child.empty() else child
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        child = _plan(extra, f"{path}.*")
        plan.values = None if child.empty() else child
    return plan


_PLANS: dict[int, tuple[Mapping[str, Any], _Plan]] = {}


def plan_for(schema: Mapping[str, Any]) -> _Plan:
    """The checks of a spec schema, worked out once per schema object."""
    cached = _PLANS.get(id(schema))
    if cached is None or cached[0] is not schema:
        if len(_PLANS) > 64:  # ad-hoc schemas (tests): stay bounded
            _PLANS.clear()
        cached = _PLANS[id(schema)] = (schema, _plan(schema, "spec"))
    return cached[1]


def checked_fields(schema: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each schema path of ``schema`` (``spec.jobs[].image``) with what it is checked as: for
    tests and for the README's promise that a new field of a known name is covered."""
    found: dict[str, list[str]] = {}

    def visit(node: Mapping[str, Any], path: str) -> None:
        kinds = [what for pattern, what, _ in RULES if _matches(path, pattern)]
        if kinds:
            found[path] = kinds
        for name, sub in (node.get("properties") or {}).items():
            visit(sub, f"{path}.{name}")
        if isinstance(node.get("items"), Mapping):
            visit(node["items"], f"{path}[]")
        if isinstance(node.get("additionalProperties"), Mapping):
            visit(node["additionalProperties"], f"{path}.*")

    visit(schema, "spec")
    return found


def _walk(plan: _Plan, value: Any, path: str, errors: list[FieldError]) -> None:
    for check in plan.checks:
        check(value, path, errors)
    if isinstance(value, Mapping):
        for name, child in plan.properties.items():
            if name in value:
                _walk(child, value[name], f"{path}.{name}", errors)
        if plan.values is not None:
            for key, item in value.items():
                _walk(plan.values, item, _key_path(path, key), errors)
    elif isinstance(value, list) and plan.items is not None:
        for index, item in enumerate(value):
            _walk(plan.items, item, f"{path}[{index}]", errors)


def check_spec(schema: Mapping[str, Any], spec: Mapping[str, Any]) -> list[FieldError]:
    """Every problem the API server or the runtime would find in the children of ``spec``."""
    errors: list[FieldError] = []
    _walk(plan_for(schema), spec, "spec", errors)
    return errors


def check_metadata(metadata: Mapping[str, Any]) -> list[FieldError]:
    """The resource's own namespace (its name is checked by the pipeline's envelope check)."""
    namespace = metadata.get("namespace")
    if namespace is None:
        return []
    if not isinstance(namespace, str) or dns_label_problem(namespace):
        return [
            FieldError(
                "metadata.namespace",
                namespace,
                "is not a valid namespace",
                DNS_LABEL_HINT + ", at most 63 characters",
            )
        ]
    return []

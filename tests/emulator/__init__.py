"""A Kubernetes API server emulator for tests and benchmarks, built on ``kmock``.

Who uses it: the operator's integration tests (``tests/integration``), ``bench/``, and its own
tests here. Start it with the ``emulator`` fixture (see ``fixtures.py``; registered in
``tests/conftest.py``) or ``Emulator().start()`` / ``with Emulator() as emu:``.

Quick start::

    def test_something(emulator):                     # fresh server on 127.0.0.1:<free port>
        emulator.url, emulator.kubeconfig, emulator.env   # KUBECONFIG is also set in os.environ
        app = emulator.create({"apiVersion": "konfiguru.io/v1alpha1", "kind": "App",
                               "metadata": {"name": "shop", "namespace": "default"},
                               "spec": {"image": "nginx"}})
        emulator.wait_for_object("deployments", "shop", "default",
                                 lambda d: d.get("status", {}).get("readyReplicas"))
        emulator.kubectl("wait", "--for=condition=Ready", "app/shop", "--timeout=10s")

API of :class:`Emulator` (all methods are thread-safe and synchronous):

* ``start()``/``stop()``/context manager; ``url``, ``port``, ``kubeconfig`` (Path), ``env``
  (os.environ + KUBECONFIG, for subprocesses), ``kubectl(*args, check=True)``.
* Options: ``crds=[paths]`` (default: every ``crds/*.yaml`` at start; ``load_crds(path)`` for
  more), ``controllers=True``, ``controller_delay=0.02``, ``strict_namespaces=True`` (objects in a
  missing namespace get 404 as on a real cluster; ``default``, ``kube-system``, ``kube-public``
  exist; ``namespaces=[...]`` or ``ensure_namespace(name)`` make more), ``gc_delay=0.0``,
  ``default_storage_class=True`` (StorageClass ``standard``, default, ``allowVolumeExpansion``),
  ``schema_validation=True`` (False: custom resources are pruned and defaulted but never 422),
  ``statefulset_pvcs=False`` (True: StatefulSets get their ``<template>-<sts>-<n>`` PVCs from
  ``volumeClaimTemplates`` like the real controller; off by default so tests that create them
  by hand do not collide), ``without=("external-secrets.io",)`` (API groups of add-ons served
  as built-ins, ExternalSecret, ServiceMonitor..., left unserved until their CRD is created,
  e.g. ``samples.EXTERNAL_SECRET_CRD``: an add-on installed after the operator).
* Objects: ``create(obj)`` (a ``status`` in ``obj`` is written through /status afterwards),
  ``apply(obj, manager=, force=True)`` (server-side apply), ``get(ref, name, ns)`` (ApiError 404),
  ``find(...)`` (None if absent), ``list(ref, ns=None, labels="a=b,c in (d)", fields=...)``,
  ``patch(ref, name, patch, ns, type="merge|json|strategic|apply", subresource=None,
  manager=)``, ``patch_status(ref, name, status, ns)``, ``set_condition(ref, name, "Ready",
  "True", ns, reason=, message=)`` (stamps observedGeneration), ``delete(ref, name, ns,
  propagation=None|"Foreground"|"Orphan")``, ``children(owner)``, ``managers(ref, name, ns)``
  (field manager → owned paths), ``request(method, path, body, content_type=)`` (raw HTTP:
  status, JSON, headers), ``watch_events(path, count=, timeout=)``. ``ref`` is anything
  kubectl accepts: ``"deploy"``,
  ``"Deployment"``, ``"deployments.apps"``, ``"apps/v1/deployments"``, ``"app"``,
  ``"apps.konfiguru.io"``. Namespace defaults to ``"default"``; pass ``None`` for cluster-scoped.
* Waiting: ``wait_for(fn, timeout=5)``, ``wait_for_object(ref, name, ns, predicate)``,
  ``wait_for_absence(ref, name, ns)``.
* Faults: ``emulator.faults.add(method="PATCH", path=r"/apps/", status=500, times=2)`` — the next
  N requests whose ``path?query`` matches the regex answer with a Kubernetes Status (500, 429
  with ``retry_after=1``, 409, 503...); ``status=None, delay=2.0`` delays instead;
  ``close=True`` drops the connection unanswered; ``times=None`` = until ``faults.clear()``.
  The returned fault's ``hits`` counts uses. ``drop_watches(ref=None, abrupt=False)`` ends open
  watch streams (abrupt: connection closed mid-stream). ``watch_count(ref)``.
  kmock's DSL also works on ``emulator.handler`` (``emulator.handler['get /api/v1/pods'] << 503``);
  declared reactions win over the emulation.
* Simulated controllers (``emulator.controllers``; what each writes: ``controllers.py``):
  workloads, Jobs and PVCs get the status of their controllers (a claim of a missing
  StorageClass stays Pending with the PV controller's Warning Event), the HPA clamps its target
  to min..max, the External Secrets Operator writes an ExternalSecret's Secret and ``Ready``.
  ``set_ready(ref, name, ns, ready=True)``
  (``False`` pins a child unready until set ready again), ``set_unready(...)``,
  ``fail_job(name, ns)``, ``trigger_cronjob(name, ns)`` (a Job from the jobTemplate, listed in
  the CronJob's ``status.active`` until done, then ``lastSuccessfulTime``),
  ``hpa_scale(ref, name, replicas, ns)`` (an Update of the ``scale`` subresource by
  ``kube-controller-manager``, as the HPA does), ``pause(ref=None)``/``resume(ref=None)``,
  ``delay``.
* Numbers: ``writes`` (effective create/update/delete counts; no-op writes are not counted, as
  they do not change the object), ``tally()`` (every request but GETs, by METHOD, resource[/sub]
  and HTTP status: what clients sent, no-ops and refusals included), ``request_count``,
  ``requests()`` (recent METHOD, path).
* ``emulator.cluster`` is the raw state (:class:`emulator.cluster.Cluster`): touch it only via
  ``emulator.call(fn, ...)``, which runs ``fn`` on the emulator's loop thread.
  ``emulator.call(lambda: emulator.cluster.listeners.append(fn))`` makes ``fn(kind, rt, obj,
  old)`` see every ADDED/MODIFIED/DELETED as it happens (on the loop thread: keep it quick; the
  facade's methods may be called from it).
* ``env`` also sets ``KUBECACHEDIR`` (and ``kubectl()`` passes ``--cache-dir``): kubectl's
  discovery cache is per emulator, as ports get reused. ``cd tests && python -m emulator
  [--port N] [--kubeconfig PATH]`` runs one by hand.

What it emulates (server side):

* Discovery for Kopf and kubectl: ``/version``, ``/api``, ``/api/v1``, ``/apis``,
  ``/apis/<g>``, ``/apis/<g>/<v>`` (legacy, not aggregated: clients fall back), a skeleton
  ``/openapi/v3``, ``/healthz``; ``Table`` responses (lists, gets, watches) for ``kubectl get``.
  Built-in kinds: see ``resources.BUILTIN_TYPES``; CRDs posted (or loaded) become served
  resources at once and disappear with their objects on deletion.
* Stored form, as a real API server returns objects (``defaults.py``): built-in objects lose
  the zero values of ``omitempty`` value fields (``initialDelaySeconds: 0``, ``readOnly: false``,
  ``value: ""``; pointer fields such as ``replicas: 0`` stay; the table is
  ``konfiguru_operator.stored``) and their empty lists and maps; they are defaulted as the
  ``SetDefaults_*`` functions do for the kinds Konfiguru writes (pod templates, Deployment,
  StatefulSet, DaemonSet, Job, CronJob, Service, NetworkPolicy, HPA: listed in ``defaults.py``);
  every object's maps come back with sorted keys (Go's ``encoding/json`` sorts map keys; the
  fields of built-in structs, written in Go struct order by a real server, are sorted here too:
  no client may depend on either).
* Objects: ``uid``, ``resourceVersion`` (one global counter; status writes bump it too),
  ``generation`` (bumped when anything but metadata — and status, for kinds with the status
  subresource — changes, and when deletion starts), ``creationTimestamp``,
  ``metadata.managedFields`` (FieldsV1, operation Apply/Update, ``subresource: status``; see
  ``patching.py``); no-op writes keep the resourceVersion and send no event (an apply that
  changes only ownership is a real write).
* ``/status`` writes only status; the main endpoint ignores status for kinds with the
  subresource; ``/scale`` for Deployments/StatefulSets/ReplicaSets.
* List with ``labelSelector`` (=, ==, !=, in, notin, exists, !exists), ``fieldSelector`` (any
  dotted path, =, !=), ``limit``/``continue``; ``Table`` output with CRD printer columns.
* Watch (``?watch=true``/``1`` and ``/watch/`` paths, namespaced and cluster-wide): ADDED/
  MODIFIED/DELETED from ``resourceVersion`` (replayed from a 20k-event history; older → 410
  Expired), initial ADDED events without one, selector transitions as ADDED/DELETED,
  ``allowWatchBookmarks`` (every 5 s), ``sendInitialEvents``, ``timeoutSeconds``.
* PATCH: merge (RFC 7386), JSON patch (RFC 6902), strategic merge (approximated: merge patch plus
  keyed lists for containers/env/volumes/ports/volumeMounts/conditions/ownerReferences...,
  ``$patch`` directives), server-side apply (``application/apply-patch+yaml``: create-or-update,
  ``fieldManager`` required, ``force``; field ownership per manager — see ``patching.py``: a field
  a manager stops applying is removed unless another manager owns it; conflicts → 409 without
  force; a non-apply write takes ownership of what it changed).
* Optimistic concurrency: a stale ``metadata.resourceVersion`` in PUT/merge/strategic/apply → 409.
* Deletion: finalizers keep the object with ``deletionTimestamp`` until the last one is removed;
  no finalizer may be added then. Garbage collection by ownerReference uid (background by
  default, ``Foreground`` and ``Orphan`` propagation): a dependent goes when all its owners are
  absent — a namespaced owner in another namespace counts as absent, as on a real cluster.
  Deleting a Namespace deletes its content first. ``dryRun=All`` is honoured.
* Object-meta validation as the API server does it (422): label and annotation keys/values,
  finalizer names, ownerReferences (required fields, at most one controller), Service names
  (DNS-1035), CronJob names (≤ 52 characters), ConfigMap/Secret keys; pod templates of every
  workload kind: container/volume names, unique names, env var names, port names (IANA, ≤ 15),
  volumeMounts of declared volumes (or StatefulSet claim templates), named probe ports; Service
  port names (required with several ports); PodDisruptionBudget bounds.
* Per-kind rules (``kinds.py``): workload selector immutability and matching, StatefulSet spec
  immutability, Job template immutability and generated selector, Service clusterIP, PVC
  immutability/shrink/expansion (StorageClass ``allowVolumeExpansion``), Secret ``stringData``
  folding and immutable Secrets/ConfigMaps; custom resources are pruned, defaulted and checked
  against their CRD schema with Konfiguru's schema engine (422 Invalid on errors), and
  ``?fieldValidation=Strict`` (kubectl's default) turns unknown fields into a 400 instead of
  pruning them. kubectl's server-side validation works because a skeleton ``/openapi/v3`` says
  every PATCH accepts ``fieldValidation``.
* CustomResourceDefinitions are checked as the real server checks them when they are created or
  updated (``konfiguru_generators.crdcheck``, shared with ``tests/unit/test_crd_admission.py``):
  names, versions, the structural-schema rules, ``x-kubernetes-*`` consistency, every ``default``
  pruned, valid as written and accepted by every CEL rule of its node and below (a rule that
  cannot evaluate on it, ``no such key``, refuses the CRD as on a real 1.36 server), rule form,
  ``fieldPath``, ``oldSelf`` placement and estimated cost; group, scope, plural and kind are
  immutable. A refused CRD is a 422 Invalid with the server's field paths
  (``spec.validation.openAPIV3Schema.properties[spec]...default``) and is not served.
* Errors are Kubernetes ``Status`` objects: 400, 404, 405, 409 (AlreadyExists/Conflict), 410,
  415, 422 (Invalid, with causes), 403.

What it does NOT emulate: authentication/authorization/RBAC (any token works), admission
webhooks and admission plugins (Pod Security, LimitRange, ResourceQuota), ValidatingAdmissionPolicy,
API-server-side version conversion (all versions of a CRD share objects; only apiVersion changes),
OpenAPI schemas (the v3 documents only list PATCH operations; no ``/openapi/v2``, so kubectl's
client-side validation is never used), aggregated discovery, protobuf (typed kubectl commands
such as ``kubectl create configmap`` get 415; ``kubectl apply/create -f`` use JSON and work),
exact ``managedFields`` (no ``.`` markers for maps, one entry per manager, second resolution),
``x-kubernetes-list-type``/``map-type`` from schemas (a fixed merge-key table is used), full
strategic-merge semantics, defaulting of fields and kinds ``defaults.py`` does not list,
zero-value dropping for fields ``konfiguru_operator.stored`` does not list (they are kept),
``null`` for empty non-``omitempty`` lists (they are dropped), Go struct field order,
field selectors limited per kind, pods/ReplicaSets/endpoints created by controllers (no pods
exist: a StatefulSet pod that cannot start because its claim is unbound is seen only as fewer
``readyReplicas``, with no Pod, no ``FailedScheduling`` Event and no scheduler message; claims
bind or fail at once, never ``WaitForFirstConsumer``-style), HPA scaling on metrics
(``controllers.hpa_scale`` stands in; only the min/max clamp is automatic) and HPA status,
External Secrets Operator refreshes, providers and SecretStores (an ExternalSecret syncs at
once), CronJob scheduling (``controllers.trigger_cronjob`` stands in), graceful deletion
periods, Events aggregation, HTTP/2, watch caches with their exact timing, rate limiting except
injected 429s, CEL transition rules (``oldSelf``), the CEL type checker and cel-go's exact cost
estimator at CRD creation (``crdcheck`` compiles rules untyped and estimates cost with a
documented approximation), ``generation`` only on kinds that have it (here every object has
one), and the full pod-spec/Service validation (only the checks listed above).
"""

from __future__ import annotations

from .cluster import ApiError, Cluster
from .harness import CRDS_DIR, Emulator
from .server import Fault, FaultInjector, KubeEmulator

__all__ = ["CRDS_DIR", "ApiError", "Cluster", "Emulator", "Fault", "FaultInjector", "KubeEmulator"]

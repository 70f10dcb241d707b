"""The Database kind: postgres, mysql, mongodb or redis on the official image, as a StatefulSet
with credentials, configuration, backups, monitoring and a network policy.

Modules by stage: ``checks.py`` (what the CRD cannot say), ``render.py`` (manifests), with the
engine facts in ``engines.py`` and one module per concern (``config.py``, ``credentials.py``,
``containers.py``, ``backup.py``, ``replicaset.py``, ``storage.py`` for volume growth,
``shapes.py`` for the shared pod shapes).

What the operator must do for a Database, beyond applying the rendered children:

1. Pass the stored values of both generated Secrets, "<name>-credentials" and (mongodb replica
   set) "<name>-keyfile", in ``Existing.secrets``: passwords are created once, and the data
   directory only accepts the ones it was initialised with.
2. Pass the sizes of the data PVCs in ``Existing.pvc_sizes``. The StatefulSet controller creates
   them (``data-<name>-<ordinal>``), so they have no ownerReference to the Database; find them
   by those names and the labels of the claim template (``konfiguru.io/owner-kind=Database``,
   ``konfiguru.io/owner-name=<name>``). The template carries no owner uid (it is immutable, and
   a Database re-created over retained volumes has a new uid): the operator labels the PVCs
   with it itself.
3. On a storage change: grow the PVCs in place as ``storage.resize_plan`` says (the operator
   calls it and patches the sizes in ``konfiguru_operator.apply``) and, when
   ``storage.claim_templates_changed(rendered, live)``, delete the StatefulSet with
   ``propagationPolicy: Orphan`` and create the rendered one (see ``storage.py``).
4. Objects annotated ``konfiguru.io/deletion-policy: Retain`` (the backup PVC and the generated
   Secrets) outlive the Database: remove their ownerReference when it is deleted. The data PVCs
   follow the StatefulSet's ``persistentVolumeClaimRetentionPolicy`` by themselves.
5. Prune children that are no longer rendered: the replica set Job is named after the member
   count ("<name>-rsinit-<N>"), so a new count replaces it.
"""

from __future__ import annotations

from ..base import KindDefinition
from .checks import check
from .render import render

DEFINITION = KindDefinition(
    kind="Database", plural="databases", crd_file="database.yaml", check=check, render=render
)

"""The EdgeDevice kind for Konfiguru, as a plugin: an IoT edge agent on every node of one device
type (raspberry-pi, nvidia-jetson, intel-nuc, generic), its sensors' configuration, a processing
mode (local, cloud, hybrid) and a periodic data sync.

Konfiguru finds it through the ``konfiguru.kinds`` entry point of this package (``PLUGIN``); the
CRD is ``crds/edgedevice.yaml``, the templates ``templates/edgedevice/``.
"""

from __future__ import annotations

from konfiguru_generators.kinds.base import KindDefinition
from konfiguru_generators.plugins import Plugin

from .checks import check
from .render import render

__version__ = "0.1.0"

EDGE_DEVICE = KindDefinition(
    kind="EdgeDevice",
    plural="edgedevices",
    crd_file="edgedevice.yaml",
    check=check,
    render=render,
    package=__name__,
)

PLUGIN = Plugin(
    name="edgedevice",
    version=__version__,
    konfiguru=">=0.1,<0.2",
    kinds=(EDGE_DEVICE,),
    description="IoT edge agents per device type, sensors, local/cloud/hybrid processing, sync",
)

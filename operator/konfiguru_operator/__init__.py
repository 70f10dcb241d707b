"""The Konfiguru operator: Kopf handlers that reconcile Konfiguru resources (see issue 4)."""

"""The storefront, written with Konfiguru's Python DSL: the same App as web.kfg.yaml and web.kfg.

    konfiguru render -f examples/shop/web.py

Public HTTPS with a certificate from cert-manager, autoscaled, config as files.
"""

from konfiguru import App, ConfigMap, Ingress

web = (
    App("web", namespace="shop")
    .image("ghcr.io/acme/shop-web:2.4.1")
    .port(8080)
    .scale(replicas=2, auto_scale_on_cpu=70, max_replicas=10)
    .resources(cpu="250m", memory="256Mi")
    .health(readiness="/healthz/ready", liveness="/healthz/live")
    .ingress(
        Ingress("shop.example.com")
        .ssl_certificate(issuer="letsencrypt-prod")
        .rate_limiting(requests_per_second=20)
    )
    .add_config(
        ConfigMap()
        .add("API_URL", "http://api")
        .add("FEATURE_NEW_CHECKOUT", "yes")
        .add_file(
            "settings.yaml",
            {"currency": "EUR", "locales": ["en", "de", "fr"], "cache": {"ttlSeconds": 300}},
        )
    )
    .connect_to("api")
    .observability(metrics={"port": 9090})
    .lifecycle(pre_stop={"sleepSeconds": 5})
)

"""Self-signed certificates for the admission webhook, renewed before they expire.

Used by ``webhook.serve`` when no certificate directory is given (``KONFIGURU_WEBHOOK_CERT_DIR``
empty; with cert-manager the chart mounts its Secret there instead). Each issue makes a fresh
CA and a serving certificate it signs for the webhook's DNS names; the CA certificate is what
the API server trusts (the webhook configuration's ``caBundle``).

Renewal never leaves the API server trusting a CA the server no longer presents, nor the server
presenting a certificate the API server does not trust yet:

1. ``renew_before`` ahead of expiry the next CA and certificate are issued and the next CA is
   added to the bundle (old + next); the webhook configuration gets the two-CA bundle.
2. ``overlap`` later (time for the bundle to reach the API server) the server switches to the
   next certificate; the bundle drops the old CA.

:class:`Rotator` is that schedule, driven by an injectable clock (``tests/unit/operator``
walks it through two years). It writes two files, each replaced atomically (a reader never sees
half of one): ``tls.pem`` (certificate and key together, so the pair always matches) and
``ca.pem`` (the bundle). Kopf's ``WebhookServer`` reloads when they change.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

Clock = Callable[[], datetime.datetime]

LIFETIME = datetime.timedelta(days=90)
RENEW_BEFORE = datetime.timedelta(days=30)
OVERLAP = datetime.timedelta(minutes=3)
# Tolerance for clocks slightly behind ours (the API server's): certificates start earlier.
_BACKDATE = datetime.timedelta(minutes=5)


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Issued:
    """One CA and the serving certificate it signed (PEM), and when the certificate expires."""

    ca: bytes
    cert: bytes
    key: bytes
    not_after: datetime.datetime


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def issue(
    hosts: Sequence[str], now: datetime.datetime, lifetime: datetime.timedelta = LIFETIME
) -> Issued:
    """A new CA and a serving certificate for ``hosts`` (DNS names or IP addresses), valid from
    a little before ``now`` for ``lifetime``. ECDSA P-256: small, and fast to generate."""
    if not hosts:
        raise ValueError("a webhook certificate needs at least one host name")
    start, end = now - _BACKDATE, now + lifetime
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"konfiguru-webhook-ca-{int(now.timestamp())}")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([_san(h) for h in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return Issued(
        ca=ca.public_bytes(pem),
        cert=cert.public_bytes(pem),
        key=key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        not_after=end,
    )


def _write(path: Path, data: bytes) -> None:
    """Replace ``path`` at once: written beside it, then renamed over it."""
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    temporary.replace(path)


class Rotator:
    """The self-signed certificate in ``directory``, renewed on schedule by :meth:`step`."""

    def __init__(
        self,
        directory: Path,
        hosts: Sequence[str],
        *,
        clock: Clock = utcnow,
        lifetime: datetime.timedelta = LIFETIME,
        renew_before: datetime.timedelta = RENEW_BEFORE,
        overlap: datetime.timedelta = OVERLAP,
    ) -> None:
        if renew_before <= overlap or renew_before >= lifetime:
            raise ValueError("renew_before must lie between overlap and lifetime")
        self.directory = directory
        self.hosts = tuple(hosts)
        self.clock = clock
        self.lifetime = lifetime
        self.renew_before = renew_before
        self.overlap = overlap
        self.current: Issued | None = None
        self.upcoming: Issued | None = None
        self._published = datetime.datetime.min.replace(tzinfo=datetime.UTC)

    @property
    def certfile(self) -> Path:
        """The serving certificate followed by its key (pass as both certfile and keyfile)."""
        return self.directory / "tls.pem"

    @property
    def cafile(self) -> Path:
        """The CA bundle the API server must trust (the webhook configuration's caBundle)."""
        return self.directory / "ca.pem"

    @property
    def bundle(self) -> bytes:
        return b"".join(i.ca for i in (self.current, self.upcoming) if i is not None)

    def step(self) -> bool:
        """Issue, publish or switch as the schedule says; whether the files changed."""
        now = self.clock()
        if self.current is None or now >= self.current.not_after - self.overlap:
            # First start, or woken too late to overlap (a suspended process): serve a valid one.
            self.current, self.upcoming = issue(self.hosts, now, self.lifetime), None
        elif self.upcoming is None and now >= self.current.not_after - self.renew_before:
            self.upcoming, self._published = issue(self.hosts, now, self.lifetime), now
        elif self.upcoming is not None and now >= self._published + self.overlap:
            self.current, self.upcoming = self.upcoming, None
        else:
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        _write(self.cafile, self.bundle)
        _write(self.certfile, self.current.cert + self.current.key)
        return True

"""The webhook's self-signed certificate is renewed before it expires, without a moment in which
the API server would not trust what the webhook presents (``certs.Rotator`` on a test clock)."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

from konfiguru_operator.certs import Rotator, issue

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime.datetime:
        return self.now


def served(rotator: Rotator) -> x509.Certificate:
    return x509.load_pem_x509_certificate(rotator.certfile.read_bytes())


def trusted(rotator: Rotator) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(rotator.cafile.read_bytes())


def signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, InvalidSignature):
        return False
    return True


def _fingerprint(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA256())


def test_the_certificate_is_renewed_before_expiry_and_always_trusted(tmp_path: Path) -> None:
    clock = Clock()
    rotator = Rotator(tmp_path, ["konfiguru-webhook.ops.svc"], clock=clock)
    rotator.step()
    # When each CA first appeared in the bundle (what the API server is given to trust).
    published = {_fingerprint(ca): clock.now for ca in trusted(rotator)}
    serving = served(rotator).serial_number
    renewals = 0
    for _ in range(2 * 365 * 4):  # two years, six hours at a time
        clock.now += datetime.timedelta(hours=6)
        rotator.step()
        for ca in trusted(rotator):
            published.setdefault(_fingerprint(ca), clock.now)
        cert = served(rotator)
        assert cert.not_valid_before_utc <= clock.now < cert.not_valid_after_utc, clock.now
        (issuer,) = [ca for ca in trusted(rotator) if signed_by(cert, ca)]
        if cert.serial_number != serving:
            renewals += 1
            serving = cert.serial_number
            # Served only once its CA was in the bundle for the overlap, and with time to spare.
            assert clock.now - published[_fingerprint(issuer)] >= rotator.overlap
            assert cert.not_valid_after_utc - clock.now > datetime.timedelta(days=59)
    assert renewals == 12  # 90-day certificates, renewed 30 days ahead: every 60 days


def test_the_next_ca_is_published_before_the_certificate_switches(tmp_path: Path) -> None:
    clock = Clock()
    rotator = Rotator(tmp_path, ["localhost"], clock=clock, overlap=datetime.timedelta(minutes=3))
    rotator.step()
    old = served(rotator)
    clock.now = old.not_valid_after_utc - rotator.renew_before
    assert rotator.step()  # renewal due: the next CA joins the bundle, the old cert still served
    assert served(rotator).serial_number == old.serial_number
    assert len(trusted(rotator)) == 2
    clock.now += datetime.timedelta(minutes=2)
    assert not rotator.step()  # within the overlap: nothing changes
    clock.now += datetime.timedelta(minutes=1)
    assert rotator.step()  # the overlap is over: the new certificate, and only its CA
    new = served(rotator)
    assert new.serial_number != old.serial_number
    assert new.not_valid_after_utc > old.not_valid_after_utc
    assert len(trusted(rotator)) == 1 and signed_by(new, trusted(rotator)[0])


def test_a_process_woken_after_expiry_serves_a_valid_certificate_at_once(tmp_path: Path) -> None:
    clock = Clock()
    rotator = Rotator(tmp_path, ["localhost"], clock=clock)
    rotator.step()
    clock.now += datetime.timedelta(days=400)  # suspended past every deadline
    assert rotator.step()
    assert served(rotator).not_valid_after_utc > clock.now


def test_the_files_make_a_working_tls_pair_for_the_names_given(tmp_path: Path) -> None:
    rotator = Rotator(tmp_path, ["konfiguru-webhook.ops.svc", "127.0.0.1"])
    rotator.step()
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(rotator.certfile, rotator.certfile)  # the pair matches
    names = served(rotator).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["konfiguru-webhook.ops.svc"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert oct(rotator.certfile.stat().st_mode & 0o777) == "0o600"  # the key is not world-readable


def test_no_host_or_a_schedule_that_cannot_overlap_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one host"):
        issue([], START)
    with pytest.raises(ValueError, match="renew_before"):
        Rotator(tmp_path, ["x"], renew_before=datetime.timedelta(days=100))

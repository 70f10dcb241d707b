"""Values of generated Secret keys: created once, then reused, never re-randomised by a render.

A value comes from, in order: the Secret that already exists (``Existing.secrets``), else a
derivation from ``Existing.secret_seed`` with HMAC-SHA256 over the namespace, Secret name and key,
so the same seed always gives the same value. Without either, the value is unknown and the caller
leaves the Secret out. The operator passes a fresh random seed when it first creates a Secret and
reads the stored values back ever after; the CLI takes a seed only when the user gives one.

Kinds of generated values (``spec.secrets[].generate[].type`` in the CRDs):
``password`` (letters and digits), ``random`` (hex), ``rsa`` (a 2048-bit RSA private key in PKCS#8
PEM under the key's name and its public key under ``<key>.pub``).
"""

from __future__ import annotations

import hashlib
import hmac
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .model import Existing

GeneratedType = Literal["password", "random", "rsa"]
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Generated:
    """One generated key of a Secret."""

    key: str
    type: GeneratedType = "password"
    length: int = 32


def _stream(seed: bytes, label: str) -> Iterator[int]:
    """An endless, deterministic byte stream (HMAC-SHA256 in counter mode) for ``label``."""
    counter = 0
    while True:
        block = hmac.new(seed, f"{label}\x00{counter}".encode(), hashlib.sha256).digest()
        yield from block
        counter += 1


def _password(stream: Iterator[int], length: int) -> str:
    # Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
    limit = 256 - 256 % len(_ALPHABET)
    chars: list[str] = []
    while len(chars) < length:
        byte = next(stream)
        if byte < limit:
            chars.append(_ALPHABET[byte % len(_ALPHABET)])
    return "".join(chars)


def _random_hex(stream: Iterator[int], length: int) -> str:
    return bytes(next(stream) for _ in range((length + 1) // 2)).hex()[:length]


def _random_int(stream: Iterator[int], bits: int) -> int:
    return int.from_bytes(bytes(next(stream) for _ in range(bits // 8)), "big")


_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]


def _is_probable_prime(n: int, stream: Iterator[int], rounds: int = 40) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for _ in range(rounds):
        a = 2 + _random_int(stream, n.bit_length()) % (n - 3)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(stream: Iterator[int], bits: int, e: int) -> int:
    while True:
        # Top two bits set so p*q has exactly 2*bits bits; odd.
        candidate = _random_int(stream, bits) | (3 << (bits - 2)) | 1
        if (candidate - 1) % e and _is_probable_prime(candidate, stream):
            return candidate


def _rsa_pem(stream: Iterator[int], bits: int = 2048) -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    e = 65537
    p = _prime(stream, bits // 2, e)
    q = _prime(stream, bits // 2, e)
    while q == p:  # pragma: no cover - astronomically unlikely
        q = _prime(stream, bits // 2, e)
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=d % (p - 1),
        dmq1=d % (q - 1),
        iqmp=pow(q, -1, p),
        public_numbers=rsa.RSAPublicNumbers(e, p * q),
    )
    key = numbers.private_key()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return private, public_pem(private)


def public_pem(private_pem: str) -> str:
    """The public key (SubjectPublicKeyInfo PEM) of a PEM private key."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def generated_keys(items: Sequence[Generated]) -> list[str]:
    """Every data key the items produce (an ``rsa`` item produces two)."""
    keys: list[str] = []
    for item in items:
        keys.append(item.key)
        if item.type == "rsa":
            keys.append(f"{item.key}.pub")
    return keys


def secret_data(
    existing: Existing, namespace: str, secret_name: str, items: Sequence[Generated]
) -> dict[str, str] | None:
    """The data of one generated Secret, or ``None`` when its values cannot be known."""
    stored: Mapping[str, str] = existing.secrets.get(secret_name, {})
    data: dict[str, str] = {}
    for item in items:
        if item.key in stored:
            data[item.key] = stored[item.key]
            if item.type == "rsa":
                data[f"{item.key}.pub"] = stored.get(f"{item.key}.pub") or public_pem(
                    stored[item.key]
                )
            continue
        if existing.secret_seed is None:
            return None
        stream = _stream(existing.secret_seed, f"{namespace}/{secret_name}/{item.key}")
        if item.type == "password":
            data[item.key] = _password(stream, item.length)
        elif item.type == "random":
            data[item.key] = _random_hex(stream, item.length)
        else:
            data[item.key], data[f"{item.key}.pub"] = _rsa_pem(stream)
    return data

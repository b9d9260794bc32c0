"""Throwaway keys and certificates: a test CA, server and client certificates.

Used by ``biokit demo``, ``biokit s_server`` without ``-cert`` and the tests.
Everything is built with ``cryptography``; nothing is cached or written unless
asked (``ThrowawayPKI.write``).  Certificates are plain RFC 5280 profiles that
OpenSSL (``openssl s_client -CAfile``, Python's ``ssl``) and cryptography's verifier
accept (that verifier refuses Ed25519/Ed448 keys, which OpenSSL takes):

* CA: basicConstraints critical CA:TRUE (optional pathlen), keyUsage critical
  keyCertSign + cRLSign + digitalSignature, subject/authority key identifiers.
* leaf: basicConstraints critical CA:FALSE, keyUsage critical digitalSignature
  (+ keyEncipherment for RSA), extendedKeyUsage serverAuth/clientAuth,
  subjectAltName with the DNS names and IP addresses given.

Key kinds: ``ec256``, ``ec384``, ``ec521``, ``rsa2048``, ``rsa3072``,
``rsa-pss``, ``ed25519``, ``ed448``.  ``cryptography`` cannot create or
serialize an RSASSA-PSS (id-RSASSA-PSS) key, so ``rsa-pss`` is an ordinary
2048-bit RSA key; what makes it "PSS" is that certificates *signed by a CA
whose own signature is RSASSA-PSS* are signed with PSS too (``make_ca`` and
``make_self_signed`` sign with PSS for ``kind="rsa-pss"``).  A PSS-only
subject key (rsa_pss_pss_* signature schemes in TLS) is not available.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Literal, TypeAlias

from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID

from biokit.ssl.x509 import X509

__all__ = [
    "KEY_KINDS",
    "CertKey",
    "KeyKind",
    "SigningKey",
    "ThrowawayPKI",
    "cert_to_pem",
    "issue_cert",
    "make_ca",
    "make_private_key",
    "make_self_signed",
    "private_key_to_pem",
]

KeyKind: TypeAlias = Literal[
    "ec256", "ec384", "ec521", "rsa2048", "rsa3072", "rsa-pss", "ed25519", "ed448"
]
KEY_KINDS: tuple[str, ...] = (
    "ec256", "ec384", "ec521", "rsa2048", "rsa3072", "rsa-pss", "ed25519", "ed448"
)
SigningKey: TypeAlias = (
    "ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey"
    " | ed448.Ed448PrivateKey"
)
CertKey: TypeAlias = "tuple[X509, SigningKey]"

_ORG = "biokit"
# Backdating absorbs clock skew between the test and a peer process.
_BACKDATE = timedelta(hours=1)
_LIFETIME = timedelta(days=30)


def make_private_key(kind: str = "ec256") -> SigningKey:
    """A fresh private key of the given kind (see the module docstring)."""
    if kind == "ec256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "ec521":
        return ec.generate_private_key(ec.SECP521R1())
    if kind in ("rsa2048", "rsa-pss"):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "rsa3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "ed448":
        return ed448.Ed448PrivateKey.generate()
    raise ValueError(f"unknown key kind {kind!r}; one of {', '.join(KEY_KINDS)}")


def _hash_for(key: SigningKey) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512 | None:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        size = key.curve.key_size
        if size >= 512:
            return hashes.SHA512()
        if size >= 384:
            return hashes.SHA384()
        return hashes.SHA256()
    if isinstance(key, rsa.RSAPrivateKey):
        return hashes.SHA256()
    return None  # Ed25519 / Ed448 sign without a separate digest


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def _sign(
    builder: cx509.CertificateBuilder, key: SigningKey, *, pss: bool
) -> cx509.Certificate:
    if pss and isinstance(key, rsa.RSAPrivateKey):
        return builder.sign(key, hashes.SHA256(), rsa_padding=_pss())
    return builder.sign(key, _hash_for(key))


def _name(cn: str) -> cx509.Name:
    # CN first: OpenSSL prints in encoded order, so this reads "CN = localhost, O = biokit".
    return cx509.Name(
        [
            cx509.NameAttribute(NameOID.COMMON_NAME, cn),
            cx509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORG),
        ]
    )


def _validity(
    not_before: datetime | None, not_after: datetime | None
) -> tuple[datetime, datetime]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    start = not_before if not_before is not None else now - _BACKDATE
    end = not_after if not_after is not None else start + _BACKDATE + _LIFETIME
    return start, end


def _serial() -> int:
    # Positive, at most 20 octets, never zero (RFC 5280 4.1.2.2).
    return int.from_bytes(os.urandom(16), "big") | 1


def _san(dns: Sequence[str], ips: Sequence[str]) -> cx509.SubjectAlternativeName | None:
    names: list[cx509.GeneralName] = [cx509.DNSName(d) for d in dns]
    names += [cx509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    return cx509.SubjectAlternativeName(names) if names else None


def _key_usage(*, ca: bool, rsa_key: bool) -> cx509.KeyUsage:
    return cx509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=rsa_key and not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _signs_with_pss(cert: X509) -> bool:
    return cert.to_cryptography().signature_algorithm_oid == SignatureAlgorithmOID.RSASSA_PSS


def make_ca(
    cn: str = "biokit test CA",
    kind: str = "ec256",
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    path_length: int | None = None,
    issuer: CertKey | None = None,
) -> tuple[X509, SigningKey]:
    """A CA certificate and its key: self-signed root, or an intermediate under ``issuer``."""
    key = make_private_key(kind)
    start, end = _validity(not_before, not_after)
    subject = _name(cn)
    if issuer is None:
        issuer_name, signer, pss = subject, key, kind == "rsa-pss"
        aki = cx509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key())
    else:
        issuer_cert, signer = issuer
        issuer_name = issuer_cert.to_cryptography().subject
        pss = _signs_with_pss(issuer_cert)
        aki = cx509.AuthorityKeyIdentifier.from_issuer_public_key(
            signer.public_key()
        )
    builder = (
        cx509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(cx509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            _key_usage(ca=True, rsa_key=isinstance(key, rsa.RSAPrivateKey)), critical=True
        )
        .add_extension(cx509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(aki, critical=False)
    )
    return X509(_sign(builder, signer, pss=pss)), key


def issue_cert(
    ca_cert: X509,
    ca_key: SigningKey,
    cn: str,
    *,
    dns: Sequence[str] = ("localhost",),
    ips: Sequence[str] = ("127.0.0.1",),
    kind: str = "ec256",
    server: bool = True,
    client: bool = False,
    is_ca: bool = False,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    eku: Sequence[cx509.ObjectIdentifier] | None = None,
    key: SigningKey | None = None,
) -> tuple[X509, SigningKey]:
    """A certificate for ``cn`` signed by ``ca_cert``/``ca_key``, and its (new) key.

    ``eku`` overrides the extendedKeyUsage the ``server``/``client`` flags
    would give; an empty sequence leaves the extension out.  ``is_ca`` makes
    it a CA (CA:TRUE, keyCertSign).  ``key`` reuses an existing key.
    """
    if key is None:
        key = make_private_key(kind)
    start, end = _validity(not_before, not_after)
    usages: list[cx509.ObjectIdentifier]
    if eku is not None:
        usages = list(eku)
    else:
        usages = []
        if server:
            usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
        if client:
            usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    builder = (
        cx509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca_cert.to_cryptography().subject)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(cx509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(
            _key_usage(ca=is_ca, rsa_key=isinstance(key, rsa.RSAPrivateKey)), critical=True
        )
        .add_extension(cx509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            cx509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()
            ),
            critical=False,
        )
    )
    if usages:
        builder = builder.add_extension(cx509.ExtendedKeyUsage(usages), critical=False)
    san = _san(dns, ips)
    if san is not None:
        builder = builder.add_extension(san, critical=False)
    return X509(_sign(builder, ca_key, pss=_signs_with_pss(ca_cert))), key


def make_self_signed(
    cn: str = "localhost",
    kind: str = "ec256",
    *,
    dns: Sequence[str] = ("localhost",),
    ips: Sequence[str] = ("127.0.0.1",),
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> tuple[X509, SigningKey]:
    """A self-signed end-entity certificate usable both as a server certificate and as
    its own trust anchor (``openssl s_client -CAfile cert.pem``)."""
    key = make_private_key(kind)
    start, end = _validity(not_before, not_after)
    name = _name(cn)
    builder = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(cx509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(ca=False, rsa_key=isinstance(key, rsa.RSAPrivateKey)), critical=True
        )
        .add_extension(cx509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            cx509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    )
    san = _san(dns, ips)
    if san is not None:
        builder = builder.add_extension(san, critical=False)
    return X509(_sign(builder, key, pss=kind == "rsa-pss")), key


def private_key_to_pem(key: SigningKey, password: bytes | None = None) -> bytes:
    """PEM_write_bio_PrivateKey: PKCS#8 PEM, encrypted when a password is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def cert_to_pem(cert: X509) -> bytes:
    """PEM_write_bio_X509."""
    return cert.to_pem()


class ThrowawayPKI:
    """A CA (optionally with an intermediate), a server and a client certificate.

    ``server`` has SAN localhost + 127.0.0.1 and EKU serverAuth; ``client`` has
    EKU clientAuth and no SAN.  ``chain`` is what a server sends: its
    certificate, then the intermediate if there is one, else the CA.
    """

    __slots__ = ("ca", "client", "intermediate", "kind", "server")

    def __init__(self, kind: str = "ec256", *, intermediate: bool = False) -> None:
        self.kind = kind
        self.ca: tuple[X509, SigningKey] = make_ca("biokit test CA", kind)
        self.intermediate: tuple[X509, SigningKey] | None = None
        issuer = self.ca
        if intermediate:
            self.intermediate = make_ca("biokit intermediate CA", kind, issuer=self.ca)
            issuer = self.intermediate
        self.server: tuple[X509, SigningKey] = issue_cert(issuer[0], issuer[1], "localhost",
                                                          kind=kind)
        self.client: tuple[X509, SigningKey] = issue_cert(
            issuer[0], issuer[1], "biokit client", dns=(), ips=(), kind=kind,
            server=False, client=True,
        )

    @property
    def chain(self) -> list[X509]:
        """The server's certificate list: leaf first, then its issuer."""
        issuer = self.intermediate if self.intermediate is not None else self.ca
        return [self.server[0], issuer[0]]

    def write(self, dirpath: str | os.PathLike[str]) -> dict[str, str]:
        """Write ca.pem, server.pem, server.key, client.pem, client.key and chain.pem.

        Returns the paths keyed by file name.  Client and server chains in
        ``server.pem``/``client.pem`` include the intermediate, if any.
        """
        inter = [self.intermediate[0]] if self.intermediate is not None else []
        files = {
            "ca.pem": cert_to_pem(self.ca[0]),
            "server.pem": b"".join(cert_to_pem(c) for c in [self.server[0], *inter]),
            "server.key": private_key_to_pem(self.server[1]),
            "client.pem": b"".join(cert_to_pem(c) for c in [self.client[0], *inter]),
            "client.key": private_key_to_pem(self.client[1]),
            "chain.pem": b"".join(cert_to_pem(c) for c in self.chain),
        }
        paths: dict[str, str] = {}
        for name, data in files.items():
            path = os.path.join(os.fspath(dirpath), name)
            with open(path, "wb") as f:
                f.write(data)
            paths[name] = path
        return paths

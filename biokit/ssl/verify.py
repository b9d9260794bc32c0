"""Certificate chain verification: OpenSSL's X509_verify_cert, with its error codes.

The only module that imports ``cryptography.x509.verification``, and it never
reads a clock: the caller passes ``now``.

Theory of operation
-------------------
``verify_chain`` replays the steps of OpenSSL 3.0's ``verify_chain()`` so that
a failure gets the X509_V_ERR_* code, the depth and the callback sequence
OpenSSL would give, then asks ``cryptography``'s verifier to confirm what the
replay accepted::

    build_chain        issuer by name (+ AKID, + key type), trusted store first,
                       then the peer's untrusted list        -> 18 19 2 20 22
    check_extensions   unhandled critical extensions, CA-ness, purpose (EKU),
                       pathLenConstraint                     -> 34 79 26 25
    check_id           host name, e-mail, IP address          -> 62 63 64
    internal_verify    top (trust anchor) down to the leaf: issuer key usage,
                       signature, validity; callback(ok=1) at each depth
                                                               -> 32 7 9 10 (21)
    cryptography       PolicyBuilder server/client verifier on the chain built,
                       only if nothing failed so far          -> mapped, see below

Every failure calls the verify callback with ``ok=False`` and the context's
error, depth and current certificate set; a callback returning True
overrides it and verification goes on, one returning False stops it.
Without a callback the first failure stops.  The context's error is sticky:
a failure that was overridden stays the result (SSL_get_verify_result), even
though later depths then see ``ok=True``; only the callback may reset it
(``ctx.set_error(X509_V_OK)``).

Classification notes (OpenSSL 3.0):

* a chain ends "trusted" only at a *self-signed* certificate from the store
  (or anywhere in the store with ``X509_V_FLAG_PARTIAL_CHAIN``); a
  non-self-signed store certificate whose issuer is missing gives 2.
* 20 (unable to get local issuer) when the top untrusted certificate's issuer
  is nowhere; with a lone leaf, a callback that overrides 20 then sees 21 at
  depth 0 from internal_verify (what ``openssl s_client`` prints).
* 79 is X509_V_ERR_INVALID_CA in OpenSSL 3.0 (24 is now "issuer certificate
  doesn't have a public key").
* notAfter equal to ``now`` is already expired (X509_cmp_time is "<=").
* the trust anchor's own signature is not checked; its validity is.
* a certificate that repeats an extension OpenSSL decodes (basicConstraints,
  keyUsage, SKID, AKID, SAN, ...; see ``biokit.ssl.tls.certext``) is invalid:
  X509V3 "invalid certificate" goes on the queue, it issues and is issued by
  nothing (a leaf: 20), and is never self-signed.  A repeat of any other
  extension is ignored, as OpenSSL ignores it.
* with ``auth_level`` > 0 (libssl), a leaf key that does not decode fails
  first, with 66 and EVP's "decode error"; a failed signature leaves ASN1's
  "EVP lib" (ASN1_item_verify).

When cryptography rejects a chain the replay accepted, the message is mapped
(``_CRYPTOGRAPHY_ERRORS``): "not valid at validation time" -> 9/10,
"forbidden public key" -> 66 (67 above the leaf), "forbidden signature" -> 68,
"signature" -> 7, "subjectAltName" -> 62 (64 for an IP), "EKU" -> 26,
"basicConstraints" -> 79, "path length" -> 25, "max depth" -> 22, "name
constraint" -> 47, "candidates exhausted" without detail -> 20, extension
policy failures -> 41, anything else -> 1 (unspecified).  The depth is the
certificate the message names, else 0.  cryptography is stricter than
OpenSSL in a few places (no CN fallback for host names, webpki rules for CA
certificates), so such chains fail here where OpenSSL alone would pass;
it runs with an extension policy that does not demand what OpenSSL does not
demand of end-entity certificates (authorityKeyIdentifier; subjectAltName on
client certificates; extendedKeyUsage when no purpose is asked for).  It is
skipped for chains with Ed25519/Ed448 keys, which its web-PKI profile
forbids, and for a server certificate without any subjectAltName checked
with no name.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from cryptography import x509 as cx509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509 import verification as cv
from cryptography.x509.oid import ExtendedKeyUsageOID

from biokit.errors import ERR_RFLAG_COMMON, Lib, clear_error, put_error
from biokit.ssl.tls.certext import CACHED_EXTENSION_OIDS
from biokit.ssl.x509 import X509, X509Name, key_type_name, load_certificates

_X509V3_R_INVALID_CERTIFICATE = 158
_EVP_R_DECODE_ERROR = 114
_ERR_R_EVP_LIB = ERR_RFLAG_COMMON | 6

__all__ = [
    "X509_PURPOSE_SSL_CLIENT",
    "X509_PURPOSE_SSL_SERVER",
    "X509_V_FLAG_CHECK_SS_SIGNATURE",
    "X509_V_FLAG_IGNORE_CRITICAL",
    "X509_V_FLAG_NO_CHECK_TIME",
    "X509_V_FLAG_PARTIAL_CHAIN",
    "CertStore",
    "StoreContext",
    "VerifyCallback",
    "VerifyResult",
    "host_or_ip",
    "verify_cert_error_string",
    "verify_chain",
]

# X509_V_* (include/openssl/x509_vfy.h, OpenSSL 3.0).
X509_V_OK = 0
X509_V_ERR_UNSPECIFIED = 1
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT = 2
X509_V_ERR_UNABLE_TO_GET_CRL = 3
X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE = 4
X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE = 5
X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY = 6
X509_V_ERR_CERT_SIGNATURE_FAILURE = 7
X509_V_ERR_CRL_SIGNATURE_FAILURE = 8
X509_V_ERR_CERT_NOT_YET_VALID = 9
X509_V_ERR_CERT_HAS_EXPIRED = 10
X509_V_ERR_CRL_NOT_YET_VALID = 11
X509_V_ERR_CRL_HAS_EXPIRED = 12
X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD = 13
X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD = 14
X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD = 15
X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD = 16
X509_V_ERR_OUT_OF_MEM = 17
X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT = 18
X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN = 19
X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21
X509_V_ERR_CERT_CHAIN_TOO_LONG = 22
X509_V_ERR_CERT_REVOKED = 23
X509_V_ERR_NO_ISSUER_PUBLIC_KEY = 24
X509_V_ERR_PATH_LENGTH_EXCEEDED = 25
X509_V_ERR_INVALID_PURPOSE = 26
X509_V_ERR_CERT_UNTRUSTED = 27
X509_V_ERR_CERT_REJECTED = 28
X509_V_ERR_SUBJECT_ISSUER_MISMATCH = 29
X509_V_ERR_AKID_SKID_MISMATCH = 30
X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH = 31
X509_V_ERR_KEYUSAGE_NO_CERTSIGN = 32
X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER = 33
X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION = 34
X509_V_ERR_KEYUSAGE_NO_CRL_SIGN = 35
X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION = 36
X509_V_ERR_INVALID_NON_CA = 37
X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED = 38
X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE = 39
X509_V_ERR_PROXY_CERTIFICATES_NOT_ALLOWED = 40
X509_V_ERR_INVALID_EXTENSION = 41
X509_V_ERR_INVALID_POLICY_EXTENSION = 42
X509_V_ERR_NO_EXPLICIT_POLICY = 43
X509_V_ERR_DIFFERENT_CRL_SCOPE = 44
X509_V_ERR_UNSUPPORTED_EXTENSION_FEATURE = 45
X509_V_ERR_UNNESTED_RESOURCE = 46
X509_V_ERR_PERMITTED_VIOLATION = 47
X509_V_ERR_EXCLUDED_VIOLATION = 48
X509_V_ERR_SUBTREE_MINMAX = 49
X509_V_ERR_APPLICATION_VERIFICATION = 50
X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE = 51
X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX = 52
X509_V_ERR_UNSUPPORTED_NAME_SYNTAX = 53
X509_V_ERR_CRL_PATH_VALIDATION_ERROR = 54
X509_V_ERR_PATH_LOOP = 55
X509_V_ERR_SUITE_B_INVALID_VERSION = 56
X509_V_ERR_SUITE_B_INVALID_ALGORITHM = 57
X509_V_ERR_SUITE_B_INVALID_CURVE = 58
X509_V_ERR_SUITE_B_INVALID_SIGNATURE_ALGORITHM = 59
X509_V_ERR_SUITE_B_LOS_NOT_ALLOWED = 60
X509_V_ERR_SUITE_B_CANNOT_SIGN_P_384_WITH_P_256 = 61
X509_V_ERR_HOSTNAME_MISMATCH = 62
X509_V_ERR_EMAIL_MISMATCH = 63
X509_V_ERR_IP_ADDRESS_MISMATCH = 64
X509_V_ERR_DANE_NO_MATCH = 65
X509_V_ERR_EE_KEY_TOO_SMALL = 66
X509_V_ERR_CA_KEY_TOO_SMALL = 67
X509_V_ERR_CA_MD_TOO_WEAK = 68
X509_V_ERR_INVALID_CALL = 69
X509_V_ERR_STORE_LOOKUP = 70
X509_V_ERR_NO_VALID_SCTS = 71
X509_V_ERR_PROXY_SUBJECT_NAME_VIOLATION = 72
X509_V_ERR_OCSP_VERIFY_NEEDED = 73
X509_V_ERR_OCSP_VERIFY_FAILED = 74
X509_V_ERR_OCSP_CERT_UNKNOWN = 75
X509_V_ERR_UNSUPPORTED_SIGNATURE_ALGORITHM = 76
X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH = 77
X509_V_ERR_SIGNATURE_ALGORITHM_INCONSISTENCY = 78
X509_V_ERR_INVALID_CA = 79
X509_V_ERR_PATHLEN_INVALID_FOR_NON_CA = 80
X509_V_ERR_PATHLEN_WITHOUT_KU_KEY_CERT_SIGN = 81
X509_V_ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA = 82
X509_V_ERR_ISSUER_NAME_EMPTY = 83
X509_V_ERR_SUBJECT_NAME_EMPTY = 84
X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER = 85
X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER = 86
X509_V_ERR_EMPTY_SUBJECT_ALT_NAME = 87
X509_V_ERR_EMPTY_SUBJECT_SAN_NOT_CRITICAL = 88
X509_V_ERR_CA_BCONS_NOT_CRITICAL = 89
X509_V_ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL = 90
X509_V_ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL = 91
X509_V_ERR_CA_CERT_MISSING_KEY_USAGE = 92
X509_V_ERR_EXTENSIONS_REQUIRE_VERSION_3 = 93
X509_V_ERR_EC_KEY_EXPLICIT_PARAMS = 94

# X509_verify_cert_error_string (crypto/x509/x509_txt.c, OpenSSL 3.0).
_ERROR_STRINGS: dict[int, str] = {
    0: "ok",
    1: "unspecified certificate verification error",
    2: "unable to get issuer certificate",
    3: "unable to get certificate CRL",
    4: "unable to decrypt certificate's signature",
    5: "unable to decrypt CRL's signature",
    6: "unable to decode issuer public key",
    7: "certificate signature failure",
    8: "CRL signature failure",
    9: "certificate is not yet valid",
    10: "certificate has expired",
    11: "CRL is not yet valid",
    12: "CRL has expired",
    13: "format error in certificate's notBefore field",
    14: "format error in certificate's notAfter field",
    15: "format error in CRL's lastUpdate field",
    16: "format error in CRL's nextUpdate field",
    17: "out of memory",
    18: "self-signed certificate",
    19: "self-signed certificate in certificate chain",
    20: "unable to get local issuer certificate",
    21: "unable to verify the first certificate",
    22: "certificate chain too long",
    23: "certificate revoked",
    24: "issuer certificate doesn't have a public key",
    25: "path length constraint exceeded",
    26: "unsuitable certificate purpose",
    27: "certificate not trusted",
    28: "certificate rejected",
    29: "subject issuer mismatch",
    30: "authority and subject key identifier mismatch",
    31: "authority and issuer serial number mismatch",
    32: "key usage does not include certificate signing",
    33: "unable to get CRL issuer certificate",
    34: "unhandled critical extension",
    35: "key usage does not include CRL signing",
    36: "unhandled critical CRL extension",
    37: "invalid non-CA certificate (has CA markings)",
    38: "proxy path length constraint exceeded",
    39: "key usage does not include digital signature",
    40: "proxy certificates not allowed, please set the appropriate flag",
    41: "invalid or inconsistent certificate extension",
    42: "invalid or inconsistent certificate policy extension",
    43: "no explicit policy",
    44: "different CRL scope",
    45: "unsupported extension feature",
    46: "RFC 3779 resource not subset of parent's resources",
    47: "permitted subtree violation",
    48: "excluded subtree violation",
    49: "name constraints minimum and maximum not supported",
    50: "application verification failure",
    51: "unsupported name constraint type",
    52: "unsupported or invalid name constraint syntax",
    53: "unsupported or invalid name syntax",
    54: "CRL path validation error",
    55: "path loop",
    56: "Suite B: certificate version invalid",
    57: "Suite B: invalid public key algorithm",
    58: "Suite B: invalid ECC curve",
    59: "Suite B: invalid signature algorithm",
    60: "Suite B: curve not allowed for this LOS",
    61: "Suite B: cannot sign P-384 with P-256",
    62: "hostname mismatch",
    63: "email address mismatch",
    64: "IP address mismatch",
    65: "no matching DANE TLSA records",
    66: "EE certificate key too weak",
    67: "CA certificate key too weak",
    68: "CA signature digest algorithm too weak",
    69: "invalid certificate verification context",
    70: "issuer certificate lookup error",
    71: "Certificate Transparency required, but no valid SCTs found",
    72: "proxy subject name violation",
    73: "OCSP verification needed",
    74: "OCSP verification failed",
    75: "OCSP unknown cert",
    76: "Cannot find certificate signature algorithm",
    77: "subject signature algorithm and issuer public key algorithm mismatch",
    78: "cert info signature and signature algorithm mismatch",
    79: "invalid CA certificate",
    80: "Path length invalid for non-CA cert",
    81: "Path length given without key usage keyCertSign",
    82: "Key usage keyCertSign invalid for non-CA cert",
    83: "Issuer name empty",
    84: "Subject name empty",
    85: "Missing Authority Key Identifier",
    86: "Missing Subject Key Identifier",
    87: "Empty Subject Alternative Name extension",
    88: "Subject empty and Subject Alt Name extension not critical",
    89: "Basic Constraints of CA cert not marked critical",
    90: "Authority Key Identifier marked critical",
    91: "Subject Key Identifier marked critical",
    92: "CA cert does not include key usage extension",
    93: "Using cert extension requires at least X509v3",
    94: "Certificate public key has explicit ECC parameters",
}

# X509_V_FLAG_* this module honours.
X509_V_FLAG_IGNORE_CRITICAL = 0x10
X509_V_FLAG_CHECK_SS_SIGNATURE = 0x4000
X509_V_FLAG_PARTIAL_CHAIN = 0x80000
X509_V_FLAG_NO_CHECK_TIME = 0x200000

# X509_PURPOSE_* (include/openssl/x509v3.h).
X509_PURPOSE_SSL_CLIENT = 1
X509_PURPOSE_SSL_SERVER = 2

Purpose = Literal["server", "client"]
VerifyCallback = Callable[[bool, "StoreContext"], bool]


def verify_cert_error_string(code: int) -> str:
    """X509_verify_cert_error_string (OpenSSL 3.0's texts)."""
    return _ERROR_STRINGS.get(code, "unknown certificate verification error")


def host_or_ip(name: str) -> tuple[str | None, str | None]:
    """SSL_set1_host's rule: a name that parses as an IP address is checked as one.

    Returns ``(hostname, None)`` or ``(None, ip)`` for ``verify_chain``.
    """
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name, None
    return None, name


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


# ------------------------------------------------------------------------- the store

_HASHED_NAME = re.compile(r"^[0-9a-f]{8}\.[0-9]+$")


class CertStore:
    """An X509_STORE: trusted certificates, from files, directories or added one by one."""

    __slots__ = ("_certs", "_ders", "_dir_cache", "_dirs")

    def __init__(self, certs: Sequence[X509] = ()) -> None:
        self._certs: list[X509] = []
        self._ders: set[bytes] = set()
        self._dirs: list[str] = []
        self._dir_cache: dict[str, list[X509]] = {}
        for cert in certs:
            self.add_cert(cert)

    @property
    def certs(self) -> list[X509]:
        """The certificates added or loaded from files (directories are read lazily)."""
        return list(self._certs)

    def add_cert(self, cert: X509) -> int:
        """X509_STORE_add_cert: 1 (a certificate already present is silently kept once)."""
        der = cert.to_der()
        if der not in self._ders:
            self._ders.add(der)
            self._certs.append(cert)
        return 1

    def load_file(self, cafile: str | os.PathLike[str]) -> int:
        """X509_STORE_load_file: every certificate of a PEM file; 0 + error entries on failure."""
        certs = load_certificates(cafile)
        if certs is None:
            return 0
        for cert in certs:
            self.add_cert(cert)
        return 1

    def add_dir(self, capath: str | os.PathLike[str]) -> int:
        """X509_STORE_load_path: a c_rehash directory (``<hash>.<n>`` files), read on demand.

        Like OpenSSL, a missing directory is not an error here; it just finds nothing.
        """
        for d in os.fspath(capath).split(os.pathsep):
            if d and d not in self._dirs:
                self._dirs.append(d)
        return 1

    def load_locations(
        self,
        cafile: str | os.PathLike[str] | None = None,
        capath: str | os.PathLike[str] | None = None,
    ) -> int:
        """SSL_CTX_load_verify_locations: 1, or 0 (with entries when a file failed to load)."""
        if cafile is None and capath is None:
            return 0
        if cafile is not None and not self.load_file(cafile):
            return 0
        if capath is not None:
            return self.add_dir(capath)
        return 1

    def load_default_paths(self) -> int:
        """SSL_CTX_set_default_verify_paths: the system CA file and directory (errors ignored)."""
        import ssl as _pyssl

        paths = _pyssl.get_default_verify_paths()
        cafile = os.environ.get(paths.openssl_cafile_env) or paths.openssl_cafile
        capath = os.environ.get(paths.openssl_capath_env) or paths.openssl_capath
        if cafile and os.path.isfile(cafile):
            self.load_file(cafile)
        if capath:
            self.add_dir(capath)
        clear_error()
        return 1

    def _dir_lookup(self, name: X509Name) -> list[X509]:
        """by_dir's lookup: ``<hash>.0``, ``<hash>.1``... in each directory."""
        stem = f"{name.hash():08x}"
        found: list[X509] = []
        for d in self._dirs:
            key = os.path.join(d, stem)
            cached = self._dir_cache.get(key)
            if cached is None:
                cached = []
                n = 0
                while os.path.isfile(f"{key}.{n}"):
                    certs = load_certificates(f"{key}.{n}")
                    cached.extend(certs or ())
                    n += 1
                clear_error()
                self._dir_cache[key] = cached
            found.extend(c for c in cached if c.get_subject_name() == name)
        return found

    def get_by_subject(self, name: X509Name) -> list[X509]:
        """X509_STORE_CTX_get1_certs: the trusted certificates with this subject name."""
        out = [c for c in self._certs if c.get_subject_name() == name]
        if self._dirs:
            for c in self._dir_lookup(name):
                if c not in out:
                    out.append(c)
        return out

    def contains(self, cert: X509) -> bool:
        """Whether this exact certificate is trusted (lookup_cert_match)."""
        return any(c == cert for c in self.get_by_subject(cert.get_subject_name()))


# --------------------------------------------------------- per-certificate facts (v3_purp.c)

# Key usage bits as OpenSSL stores them (KU_*).
_KU_DIGITAL_SIGNATURE = 0x80
_KU_KEY_ENCIPHERMENT = 0x20
_KU_KEY_AGREEMENT = 0x08
_KU_KEY_CERT_SIGN = 0x04
_KU_TLS = _KU_DIGITAL_SIGNATURE | _KU_KEY_ENCIPHERMENT | _KU_KEY_AGREEMENT

# Extensions X509_supported_extension knows; any other critical one is "unhandled".
_SUPPORTED_EXTENSIONS = frozenset(
    {
        "2.16.840.1.113730.1.1",  # netscape cert type
        "2.5.29.15",  # key usage
        "2.5.29.17",  # subject alt name
        "2.5.29.19",  # basic constraints
        "2.5.29.32",  # certificate policies
        "2.5.29.31",  # CRL distribution points
        "2.5.29.37",  # extended key usage
        "1.3.6.1.5.5.7.1.7",  # RFC 3779 IP address blocks
        "1.3.6.1.5.5.7.1.8",  # RFC 3779 AS numbers
        "1.3.6.1.5.5.7.48.1.5",  # OCSP no check
        "2.5.29.36",  # policy constraints
        "1.3.6.1.5.5.7.1.14",  # proxy cert info
        "2.5.29.30",  # name constraints
        "2.5.29.33",  # policy mappings
        "2.5.29.54",  # inhibit any policy
    }
)

# The key family a signature algorithm needs (OBJ_find_sigid_algs' pkey half).
_SIG_FAMILY: dict[str, str] = {
    "1.2.840.113549.1.1.4": "RSA",
    "1.2.840.113549.1.1.5": "RSA",
    "1.2.840.113549.1.1.10": "RSA",  # RSASSA-PSS, accepted for an RSA issuer key
    "1.2.840.113549.1.1.11": "RSA",
    "1.2.840.113549.1.1.12": "RSA",
    "1.2.840.113549.1.1.13": "RSA",
    "1.2.840.113549.1.1.14": "RSA",
    "2.16.840.1.101.3.4.3.13": "RSA",
    "2.16.840.1.101.3.4.3.14": "RSA",
    "2.16.840.1.101.3.4.3.15": "RSA",
    "2.16.840.1.101.3.4.3.16": "RSA",
    "1.2.840.10045.4.1": "EC",
    "1.2.840.10045.4.3.1": "EC",
    "1.2.840.10045.4.3.2": "EC",
    "1.2.840.10045.4.3.3": "EC",
    "1.2.840.10045.4.3.4": "EC",
    "2.16.840.1.101.3.4.3.9": "EC",
    "2.16.840.1.101.3.4.3.10": "EC",
    "2.16.840.1.101.3.4.3.11": "EC",
    "2.16.840.1.101.3.4.3.12": "EC",
    "1.3.101.112": "ED25519",
    "1.3.101.113": "ED448",
    "1.2.840.10040.4.3": "DSA",
    "2.16.840.1.101.3.4.3.1": "DSA",
    "2.16.840.1.101.3.4.3.2": "DSA",
}


@dataclass(slots=True)
class _Facts:
    """What x509v3_cache_extensions derives from one certificate (ex_flags and friends)."""

    x509: X509
    subject: X509Name
    issuer: X509Name
    self_issued: bool = False
    self_signed: bool = False
    invalid: bool = False
    v1: bool = False
    bcons: bool = False
    ca: bool = False
    pathlen: int = -1
    kusage: int | None = None
    xkusage: frozenset[str] | None = None
    skid: bytes | None = None
    akid_keyid: bytes | None = None
    akid_serial: int | None = None
    akid_issuers: tuple[X509Name, ...] = ()
    unhandled_critical: bool = False
    pubkey: Any = None
    sig_family: str | None = None
    duplicates: frozenset[str] = frozenset()

    def check_ca(self) -> int:
        """check_ca: 0 not a CA, 1 a v3 CA, 3 a v1 self-signed root, 4 keyCertSign w/o BC."""
        if self.kusage is not None and not self.kusage & _KU_KEY_CERT_SIGN:
            return 0
        if self.bcons:
            return 1 if self.ca else 0
        if self.v1 and self.self_signed:
            return 3
        if self.kusage is not None:
            return 4
        return 0


def _ku_bits(ku: cx509.KeyUsage) -> int:
    bits = 0
    for flag, attr in (
        (0x80, "digital_signature"),
        (0x40, "content_commitment"),
        (0x20, "key_encipherment"),
        (0x10, "data_encipherment"),
        (0x08, "key_agreement"),
        (0x04, "key_cert_sign"),
        (0x02, "crl_sign"),
    ):
        if getattr(ku, attr):
            bits |= flag
    return bits


def _facts(x: X509) -> _Facts:
    cert = x.to_cryptography()
    f = _Facts(x, x.get_subject_name(), x.get_issuer_name())
    f.v1 = cert.version == cx509.Version.v1
    f.pubkey = x.public_key()
    f.sig_family = _SIG_FAMILY.get(cert.signature_algorithm_oid.dotted_string)
    try:
        extensions, dups = x.extensions_openssl()
    except ValueError:
        f.invalid = True
        extensions, dups = [], frozenset()
    f.duplicates = dups
    if dups & CACHED_EXTENSION_OIDS:
        f.invalid = True
    for ext in extensions:
        oid = ext.oid.dotted_string
        value = ext.value
        if ext.critical and oid not in _SUPPORTED_EXTENSIONS:
            f.unhandled_critical = True
        if isinstance(value, cx509.BasicConstraints):
            f.bcons = True
            f.ca = value.ca
            if value.path_length is not None:
                f.pathlen = value.path_length
        elif isinstance(value, cx509.KeyUsage):
            f.kusage = _ku_bits(value)
        elif isinstance(value, cx509.ExtendedKeyUsage):
            f.xkusage = frozenset(o.dotted_string for o in value)
        elif isinstance(value, cx509.SubjectKeyIdentifier):
            f.skid = value.digest
        elif isinstance(value, cx509.AuthorityKeyIdentifier):
            f.akid_keyid = value.key_identifier
            f.akid_serial = value.authority_cert_serial_number
            f.akid_issuers = tuple(
                X509Name(g.value)
                for g in value.authority_cert_issuer or ()
                if isinstance(g, cx509.DirectoryName)
            )
    f.self_issued = f.subject == f.issuer
    # X509_self_signed() is -1, not 1, for an invalid certificate: never "self-signed".
    f.self_signed = (
        not f.invalid
        and f.self_issued
        and _check_akid(f, f) == X509_V_OK
        and _sig_alg_match(f, f)
    )
    return f


def _check_akid(issuer: _Facts, subject: _Facts) -> int:
    """X509_check_akid: does the subject's authorityKeyIdentifier point at this issuer?"""
    keyid = subject.akid_keyid
    if keyid is not None and issuer.skid is not None and keyid != issuer.skid:
        return X509_V_ERR_AKID_SKID_MISMATCH
    if subject.akid_serial is not None and subject.akid_serial != issuer.x509.get_serial_number():
        return X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH
    if subject.akid_issuers and subject.akid_issuers[0] != issuer.issuer:
        return X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH
    return X509_V_OK


def _sig_alg_match(issuer: _Facts, subject: _Facts) -> bool:
    """check_sig_alg_match: the subject's signature algorithm fits the issuer's key type."""
    if issuer.pubkey is None or subject.sig_family is None:
        return False
    return key_type_name(issuer.pubkey) == subject.sig_family


def _likely_issued(issuer: _Facts, subject: _Facts) -> bool:
    """ossl_x509_likely_issued: names, AKID and key type agree (no signature check)."""
    return (
        # An invalid certificate (either one) fails ossl_x509v3_cache_extensions
        # there, so it neither issues nor is issued: a leaf with a repeated
        # extension ends in "unable to get local issuer certificate" (20).
        not issuer.invalid
        and not subject.invalid
        and issuer.subject == subject.issuer
        and _check_akid(issuer, subject) == X509_V_OK
        and _sig_alg_match(issuer, subject)
    )


# _Facts and signature verdicts are pure functions of certificate bytes.  A
# server's chain and the store's CAs come back handshake after handshake, so
# both are worked out once per process (a bounded cache, dropped when full).
_CACHE_SIZE = 512
_FACTS_CACHE: dict[bytes, _Facts] = {}
_GOOD_SIGNATURES: set[tuple[bytes, bytes]] = set()


def _signature_ok_cached(subject: X509, issuer: X509, issuer_key: Any) -> bool:
    key = (subject.to_der(), issuer.to_der())
    if key in _GOOD_SIGNATURES:
        return True
    ok = _signature_ok(subject, issuer_key)
    if ok:
        if len(_GOOD_SIGNATURES) >= _CACHE_SIZE:
            _GOOD_SIGNATURES.clear()
        _GOOD_SIGNATURES.add(key)
    return ok


def _signature_ok(subject: X509, issuer_key: Any) -> bool:
    """X509_verify: the subject's signature checks out under the issuer's public key."""
    cert = subject.to_cryptography()
    sig, tbs = cert.signature, cert.tbs_certificate_bytes
    try:
        if isinstance(issuer_key, rsa.RSAPublicKey):
            params = cert.signature_algorithm_parameters
            pad = params if isinstance(params, padding.PSS | padding.PKCS1v15) else None
            if pad is None or cert.signature_hash_algorithm is None:
                return False
            issuer_key.verify(sig, tbs, pad, cert.signature_hash_algorithm)
        elif isinstance(issuer_key, ec.EllipticCurvePublicKey):
            params = cert.signature_algorithm_parameters
            if not isinstance(params, ec.ECDSA):
                return False
            issuer_key.verify(sig, tbs, params)
        elif isinstance(issuer_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            issuer_key.verify(sig, tbs)
        elif isinstance(issuer_key, dsa.DSAPublicKey):
            if cert.signature_hash_algorithm is None:
                return False
            issuer_key.verify(sig, tbs, cert.signature_hash_algorithm)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


_EKU_SERVER = frozenset(
    {
        ExtendedKeyUsageOID.SERVER_AUTH.dotted_string,
        "2.16.840.1.113730.4.1",  # Netscape server gated crypto
        "1.3.6.1.4.1.311.10.3.3",  # Microsoft server gated crypto
    }
)
_EKU_CLIENT = frozenset({ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string})


def _check_purpose(f: _Facts, purpose: int, require_ca: bool) -> bool:
    """X509_check_purpose for X509_PURPOSE_SSL_SERVER / SSL_CLIENT (v3_purp.c)."""
    wanted = _EKU_SERVER if purpose == X509_PURPOSE_SSL_SERVER else _EKU_CLIENT
    if f.xkusage is not None and not f.xkusage & wanted:
        return False
    if require_ca:
        return f.check_ca() != 0
    if f.kusage is None:
        return True
    if purpose == X509_PURPOSE_SSL_SERVER:
        return bool(f.kusage & _KU_TLS)
    return bool(f.kusage & (_KU_DIGITAL_SIGNATURE | _KU_KEY_AGREEMENT))


# --------------------------------------------------------------------- the context


class StoreContext:
    """X509_STORE_CTX as a verify callback sees it: error, depth, current certificate, chain.

    ``ssl`` is left for the SSL layer to fill (OpenSSL's
    SSL_get_ex_data_X509_STORE_CTX_idx lookup, without the ex_data).
    """

    __slots__ = (
        "cert",
        "chain",
        "current_cert",
        "current_issuer",
        "error",
        "error_depth",
        "num_untrusted",
        "ssl",
        "store",
        "untrusted",
    )

    def __init__(self, cert: X509, untrusted: Sequence[X509], store: CertStore) -> None:
        self.cert = cert
        self.untrusted = list(untrusted)
        self.store = store
        self.chain: list[X509] = []
        self.num_untrusted = 0
        self.error = X509_V_OK
        self.error_depth = 0
        self.current_cert: X509 | None = None
        self.current_issuer: X509 | None = None
        self.ssl: Any = None

    def get_error(self) -> int:
        """X509_STORE_CTX_get_error."""
        return self.error

    def set_error(self, code: int) -> None:
        """X509_STORE_CTX_set_error (X509_V_OK clears an error, at the caller's peril)."""
        self.error = code

    def get_error_depth(self) -> int:
        """X509_STORE_CTX_get_error_depth."""
        return self.error_depth

    def set_error_depth(self, depth: int) -> None:
        """X509_STORE_CTX_set_error_depth."""
        self.error_depth = depth

    def get_current_cert(self) -> X509 | None:
        """X509_STORE_CTX_get_current_cert."""
        return self.current_cert

    def get_current_issuer(self) -> X509 | None:
        """X509_STORE_CTX_get0_current_issuer (set on the ok=1 calls)."""
        return self.current_issuer

    def get_chain(self) -> list[X509]:
        """X509_STORE_CTX_get1_chain: the chain as built so far, leaf first."""
        return list(self.chain)

    def get_num_untrusted(self) -> int:
        """X509_STORE_CTX_get_num_untrusted: how many chain certificates are not from the store."""
        return self.num_untrusted

    def get0_cert(self) -> X509:
        """X509_STORE_CTX_get0_cert: the certificate being verified."""
        return self.cert

    def __repr__(self) -> str:
        return (
            f"<StoreContext error={self.error} ({verify_cert_error_string(self.error)})"
            f" depth={self.error_depth}>"
        )


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of ``verify_chain``.

    ``result`` is what SSL_get_verify_result reports (X509_V_OK or the last error,
    even one a callback overrode); ``ok`` says whether verification succeeded
    (X509_verify_cert > 0), i.e. whether a handshake may go on.
    """

    result: int
    ok: bool
    chain: list[X509]
    error_depth: int
    num_untrusted: int

    @property
    def error_string(self) -> str:
        """X509_verify_cert_error_string(result)."""
        return verify_cert_error_string(self.result)


# ------------------------------------------------------------------------ verification


class _Stop(Exception):
    """The callback refused a failure: X509_verify_cert returns 0."""


class _Verifier:
    """One X509_verify_cert run (the state OpenSSL keeps in the X509_STORE_CTX)."""

    def __init__(
        self,
        ctx: StoreContext,
        *,
        now: datetime,
        hostname: str | None,
        ip: str | None,
        email: str | None,
        purpose: int,
        depth: int,
        flags: int,
        callback: VerifyCallback | None,
        auth_level: int = -1,
    ) -> None:
        self.auth_level = auth_level
        self.ctx = ctx
        self.now = now
        self.hostname = hostname
        self.ip = ip
        self.email = email
        self.purpose = purpose
        self.depth = max(0, depth)
        self.flags = flags
        self.callback = callback
        self._facts: dict[bytes, _Facts] = {}

    def facts(self, x: X509) -> _Facts:
        der = x.to_der()
        f = self._facts.get(der)
        if f is None:
            f = _FACTS_CACHE.get(der)
            if f is None:
                f = _facts(x)
                if len(_FACTS_CACHE) >= _CACHE_SIZE:
                    _FACTS_CACHE.clear()
                _FACTS_CACHE[der] = f
            self._facts[der] = f
            if f.invalid:
                # ossl_x509v3_cache_extensions raises this the first time it looks at
                # the certificate; libssl leaves it on the queue before "certificate
                # verify failed" (and clears it when the handshake goes on).
                put_error(Lib.X509V3, _X509V3_R_INVALID_CERTIFICATE, depth=2)
        return f

    # -- callback plumbing

    def notify(self, ok: bool) -> None:
        ctx = self.ctx
        keep_going = self.callback(ok, ctx) if self.callback is not None else ok
        if not keep_going:
            raise _Stop

    def fail(self, x: X509 | None, depth: int, err: int) -> None:
        """verify_cb_cert: record the error at a depth and ask the callback."""
        ctx = self.ctx
        ctx.error_depth = depth
        ctx.current_cert = x if x is not None else ctx.chain[depth]
        if err != X509_V_OK:
            ctx.error = err
        self.notify(False)

    # -- time

    def time_valid(self, x: X509) -> bool:
        if self.flags & X509_V_FLAG_NO_CHECK_TIME:
            return True
        return x.get_not_before() <= self.now < x.get_not_after()

    def check_cert_time(self, x: X509, depth: int) -> None:
        """ossl_x509_check_cert_time with X509_cmp_time's "<=" (notAfter == now is expired)."""
        if self.flags & X509_V_FLAG_NO_CHECK_TIME:
            return
        if x.get_not_before() > self.now:
            self.fail(x, depth, X509_V_ERR_CERT_NOT_YET_VALID)
        if x.get_not_after() <= self.now:
            self.fail(x, depth, X509_V_ERR_CERT_HAS_EXPIRED)

    # -- build_chain

    def best_issuer(self, x: X509, candidates: Sequence[X509], *, no_dup: bool) -> X509 | None:
        """get0_best_issuer_sk: the first time-valid issuer, else the latest-expiring one."""
        fx = self.facts(x)
        chain = self.ctx.chain
        allow_dup = fx.self_issued and len(chain) == 1
        best: X509 | None = None
        for cand in candidates:
            if no_dup and not allow_dup and cand in chain:
                continue
            if not _likely_issued(self.facts(cand), fx):
                continue
            if self.time_valid(cand):
                return cand
            if best is None or cand.get_not_after() > best.get_not_after():
                best = cand
        return best

    def trusted_issuer(self, x: X509) -> X509 | None:
        """X509_STORE_CTX_get1_issuer over the store."""
        candidates = self.ctx.store.get_by_subject(self.facts(x).issuer)
        return self.best_issuer(x, candidates, no_dup=False)

    def check_trust(self, num_untrusted: int) -> bool:
        """check_trust: a self-signed store certificate (or any, for partial chains)."""
        chain = self.ctx.chain
        for x in chain[num_untrusted:]:
            if self.facts(x).self_signed:
                return True
        if num_untrusted < len(chain):
            return bool(self.flags & X509_V_FLAG_PARTIAL_CHAIN)
        if self.flags & X509_V_FLAG_PARTIAL_CHAIN and self.ctx.store.contains(chain[0]):
            self.ctx.num_untrusted = 0
            return True
        return False

    def build_chain(self) -> None:
        ctx = self.ctx
        chain = ctx.chain
        pool = list(ctx.untrusted)
        do_untrusted, do_trusted = bool(pool), True
        max_depth = self.depth + 1
        trusted = False
        while do_trusted or do_untrusted:
            num = len(chain)
            ctx.error_depth = num - 1
            if do_trusted:
                curr = chain[-1]
                issuer = None if num > max_depth else self.trusted_issuer(curr)
                first_trusted = num
                if issuer is not None:
                    top_self_signed = self.facts(curr).self_signed
                    if not top_self_signed:
                        chain.append(issuer)
                        top_self_signed = self.facts(issuer).self_signed
                    elif curr != issuer:
                        issuer = None  # a self-signed look-alike of a trust anchor
                    else:
                        # The peer's copy of a trust anchor is replaced by the store's.
                        first_trusted = ctx.num_untrusted = num - 1
                        chain[-1] = issuer
                if issuer is not None:
                    do_untrusted = False
                    if self.check_trust(first_trusted):
                        trusted = True
                        break
                    if not top_self_signed:
                        continue
                if not do_untrusted:
                    break
            if do_untrusted:
                curr = chain[-1]
                found = None
                if not self.facts(curr).self_signed and len(chain) <= max_depth:
                    found = self.best_issuer(curr, pool, no_dup=True)
                if found is None:
                    do_untrusted, do_trusted = False, True
                    continue
                pool.remove(found)
                chain.append(found)
                ctx.num_untrusted += 1
        num = len(chain)
        if not trusted and num <= max_depth and num == ctx.num_untrusted:
            trusted = self.check_trust(num)
        if trusted:
            return
        if num > max_depth:
            # Overridden, this falls through to the missing-issuer classification below.
            self.fail(None, num - 1, X509_V_ERR_CERT_CHAIN_TOO_LONG)
        if self.facts(chain[-1]).self_signed:
            self.fail(
                None,
                num - 1,
                X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
                if num == 1
                else X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
            )
        else:
            self.fail(
                None,
                num - 1,
                X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
                if ctx.num_untrusted < num
                else X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            )

    # -- check_extensions, check_id

    def check_extensions(self) -> None:
        ctx = self.ctx
        chain = ctx.chain
        num = len(chain)
        plen = 0
        must_be_ca = -1
        for i, x in enumerate(chain):
            f = self.facts(x)
            if f.invalid:
                self.fail(x, i, X509_V_ERR_INVALID_EXTENSION)
            if not self.flags & X509_V_FLAG_IGNORE_CRITICAL and f.unhandled_critical:
                self.fail(x, i, X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION)
            ret = f.check_ca()
            # An intermediate must be a proper v3 CA; a v1 or KU-only root is tolerated.
            if must_be_ca == 1 and (ret == 0 or (i + 1 < num and ret != 1)):
                self.fail(x, i, X509_V_ERR_INVALID_CA)
            if self.purpose and not _check_purpose(f, self.purpose, must_be_ca > 0):
                self.fail(x, i, X509_V_ERR_INVALID_PURPOSE)
            if i > 1 and f.pathlen != -1 and plen > f.pathlen:
                self.fail(x, i, X509_V_ERR_PATH_LENGTH_EXCEEDED)
            if i > 0 and not f.self_issued:
                plen += 1
            must_be_ca = 1

    def check_id(self) -> None:
        leaf = self.ctx.cert
        if self.hostname is not None and leaf.check_host(self.hostname) <= 0:
            self.fail(leaf, 0, X509_V_ERR_HOSTNAME_MISMATCH)
        if self.email is not None and leaf.check_email(self.email) <= 0:
            self.fail(leaf, 0, X509_V_ERR_EMAIL_MISMATCH)
        if self.ip is not None and leaf.check_ip(self.ip) <= 0:
            self.fail(leaf, 0, X509_V_ERR_IP_ADDRESS_MISMATCH)

    # -- internal_verify

    def internal_verify(self) -> None:
        ctx = self.ctx
        chain = ctx.chain
        n = len(chain) - 1
        xi_index = n
        xs_index = n
        ctx.error_depth = n
        top = self.facts(chain[n])
        if not _likely_issued(top, top) and not self.flags & X509_V_FLAG_PARTIAL_CHAIN:
            if n > 0:
                n -= 1
                ctx.error_depth = n
                xs_index = n
            else:
                self.fail(chain[n], 0, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE)
        while n >= 0:
            xi, xs = chain[xi_index], chain[xs_index]
            fi = self.facts(xi)
            if xs_index != xi_index or (
                self.flags & X509_V_FLAG_CHECK_SS_SIGNATURE and fi.self_signed
            ):
                issuer_depth = n + (0 if xs_index == xi_index else 1)
                # RFC 5280 6.1.4 (n): the issuer's key usage must allow certificate signing
                # (not applied to a self-issued end-entity certificate, RFC 6818 section 2).
                ee_self_issued = xs_index == xi_index and not fi.ca
                if not ee_self_issued and fi.kusage is not None and not (
                    fi.kusage & _KU_KEY_CERT_SIGN
                ):
                    self.fail(xi, issuer_depth, X509_V_ERR_KEYUSAGE_NO_CERTSIGN)
                if fi.pubkey is None:
                    self.fail(xi, issuer_depth, X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY)
                elif not _signature_ok_cached(xs, xi, fi.pubkey):
                    # ASN1_item_verify reports any failed check as an EVP failure.
                    put_error(Lib.ASN1, _ERR_R_EVP_LIB)
                    self.fail(xs, n, X509_V_ERR_CERT_SIGNATURE_FAILURE)
            self.check_cert_time(xs, n)
            ctx.current_issuer = xi
            ctx.current_cert = xs
            ctx.error_depth = n
            self.notify(True)
            n -= 1
            if n >= 0:
                xi_index, xs_index = xs_index, n

    # -- cryptography, as the last word

    def cryptography_check(self) -> None:
        ctx = self.ctx
        chain = ctx.chain
        if any(key_type_name(self.facts(c).pubkey) in ("ED25519", "ED448") for c in chain):
            # cryptography's web-PKI profile forbids EdDSA keys that OpenSSL (and TLS 1.3)
            # accept: such chains rest on the replay above, signatures included.
            return
        if any(self.facts(c).duplicates for c in chain):
            # cryptography cannot load a certificate with a repeated extension at all;
            # OpenSSL minds only repeats of the types it decodes (those fail above).
            return
        anchors = [c.to_cryptography() for c in chain[ctx.num_untrusted :]] or [
            chain[-1].to_cryptography()
        ]
        intermediates = [c.to_cryptography() for c in chain[1 : ctx.num_untrusted]]
        # OpenSSL's X509_verify_cert asks much less of extensions than the web PKI
        # profile cryptography defaults to (a CA made by `openssl req -x509` has no
        # keyUsage, and a self-signed CA:TRUE certificate may be its own anchor).
        # What OpenSSL does check -- basicConstraints, keyUsage and EKU purpose --
        # the replay above has checked; here cryptography keeps only the structural
        # minimum it insists on, and checks the signatures, validity and names.
        ca_policy = cv.ExtensionPolicy.permit_all().require_present(
            cx509.BasicConstraints, cv.Criticality.AGNOSTIC, None
        )
        ee_policy = cv.ExtensionPolicy.permit_all()
        builder = (
            cv.PolicyBuilder()
            .store(cv.Store(anchors))
            .time(self.now)
            .max_chain_depth(min(self.depth, 255))
        )
        leaf = ctx.cert
        subject: cx509.DNSName | cx509.IPAddress | None = None
        if self.ip is not None:
            subject = cx509.IPAddress(ipaddress.ip_address(self.ip))
        elif self.hostname is not None:
            try:
                subject = cx509.DNSName(self.hostname)
            except ValueError:
                subject = None
        try:
            if self.purpose == X509_PURPOSE_SSL_CLIENT:
                builder = builder.extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
                builder.build_client_verifier().verify(leaf.to_cryptography(), intermediates)
                return
            if subject is None:
                # A server verifier must match some name; without one asked for, the
                # leaf's own first name stands in (and without any SAN there is nothing
                # cryptography can check that OpenSSL would).
                subject = _first_san(leaf)
                if subject is None:
                    return
            builder = builder.extension_policies(
                ca_policy=ca_policy,
                ee_policy=ee_policy.require_present(
                    cx509.SubjectAlternativeName, cv.Criticality.AGNOSTIC, None
                ),
            )
            builder.build_server_verifier(subject).verify(leaf.to_cryptography(), intermediates)
        except cv.VerificationError as exc:
            code, depth = self.map_cryptography_error(str(exc))
            if code == X509_V_ERR_CERT_SIGNATURE_FAILURE:
                put_error(Lib.ASN1, _ERR_R_EVP_LIB)
            self.fail(chain[depth], depth, code)

    def map_cryptography_error(self, message: str) -> tuple[int, int]:
        chain = self.ctx.chain
        depth = 0
        for i, c in enumerate(chain):
            if f"subject={c.to_cryptography().subject!r}" in message:
                depth = i
                break
        low = message.lower()
        for needle, code in _CRYPTOGRAPHY_ERRORS:
            if needle in low:
                if code == X509_V_ERR_CERT_HAS_EXPIRED:
                    x = chain[depth]
                    if x.get_not_before() > self.now:
                        code = X509_V_ERR_CERT_NOT_YET_VALID
                elif code == X509_V_ERR_HOSTNAME_MISMATCH and self.ip is not None:
                    code = X509_V_ERR_IP_ADDRESS_MISMATCH
                elif code == X509_V_ERR_EE_KEY_TOO_SMALL and depth > 0:
                    code = X509_V_ERR_CA_KEY_TOO_SMALL
                return code, depth
        return X509_V_ERR_UNSPECIFIED, depth

    def run(self) -> bool:
        ctx = self.ctx
        ctx.chain = [ctx.cert]
        ctx.num_untrusted = 1
        try:
            if self.auth_level > 0 and self.facts(ctx.cert).pubkey is None:
                # X509_verify_cert's first check (check_key_level): a leaf key that
                # does not decode is no key at all; X509_get0_pubkey says why.
                put_error(Lib.EVP, _EVP_R_DECODE_ERROR)
                self.fail(ctx.cert, 0, X509_V_ERR_EE_KEY_TOO_SMALL)
            self.build_chain()
            self.check_extensions()
            self.check_id()
            self.internal_verify()
            if ctx.error == X509_V_OK:
                self.cryptography_check()
        except _Stop:
            return False
        return True


# Substrings of cryptography's VerificationError messages, in the order they are tried.
_CRYPTOGRAPHY_ERRORS: tuple[tuple[str, int], ...] = (
    ("not valid at validation time", X509_V_ERR_CERT_HAS_EXPIRED),
    ("forbidden public key", X509_V_ERR_EE_KEY_TOO_SMALL),
    ("forbidden signature", X509_V_ERR_CA_MD_TOO_WEAK),
    ("signature", X509_V_ERR_CERT_SIGNATURE_FAILURE),
    ("no matching subjectaltname", X509_V_ERR_HOSTNAME_MISMATCH),
    ("has no subjectaltname", X509_V_ERR_HOSTNAME_MISMATCH),
    ("eku", X509_V_ERR_INVALID_PURPOSE),
    ("basicconstraints", X509_V_ERR_INVALID_CA),
    ("path length", X509_V_ERR_PATH_LENGTH_EXCEEDED),
    ("max depth", X509_V_ERR_CERT_CHAIN_TOO_LONG),
    ("excluded", X509_V_ERR_EXCLUDED_VIOLATION),
    ("name constraint", X509_V_ERR_PERMITTED_VIOLATION),
    ("no interior errors", X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY),
    ("extension", X509_V_ERR_INVALID_EXTENSION),
)


def _first_san(leaf: X509) -> cx509.DNSName | cx509.IPAddress | None:
    for gn in leaf.subject_alt_names():
        if isinstance(gn, cx509.DNSName):
            return gn
        if isinstance(gn, cx509.IPAddress) and not isinstance(
            gn.value, ipaddress.IPv4Network | ipaddress.IPv6Network
        ):
            return gn
    return None


def verify_chain(
    leaf: X509,
    untrusted: Sequence[X509],
    store: CertStore,
    *,
    now: datetime,
    hostname: str | None = None,
    ip: str | None = None,
    email: str | None = None,
    purpose: Purpose | None = "server",
    depth: int = 100,
    flags: int = 0,
    callback: VerifyCallback | None = None,
    ssl: Any = None,
    auth_level: int = -1,
) -> VerifyResult:
    """X509_verify_cert as libssl runs it (ssl_verify_cert_chain), at time ``now``.

    ``untrusted`` is what the peer sent after its leaf; ``purpose`` is what the
    leaf must be good for ("server": X509_PURPOSE_SSL_SERVER, the default a
    client uses; "client" for a server checking client certificates; None: no
    purpose check, like ``openssl verify`` without ``-purpose``).  ``depth``
    is SSL_CTX_set_verify_depth's limit on intermediates.  ``hostname`` is
    checked with X509_check_host (DNS SANs, else the CN), ``ip`` with
    X509_check_ip; use ``host_or_ip`` to split a name the way SSL_set1_host
    does.  ``callback(preverify_ok, ctx) -> bool`` is the verify callback.
    ``auth_level`` is X509_VERIFY_PARAM_set_auth_level (libssl sets its security
    level, >= 1; -1, the default, skips the key checks as ``openssl verify`` does).
    """
    purpose_id = {"server": X509_PURPOSE_SSL_SERVER, "client": X509_PURPOSE_SSL_CLIENT}.get(
        purpose or "", 0
    )
    ctx = StoreContext(leaf, untrusted, store)
    ctx.ssl = ssl
    verifier = _Verifier(
        ctx,
        now=_utc(now),
        hostname=hostname,
        ip=ip,
        email=email,
        purpose=purpose_id,
        depth=depth,
        flags=flags,
        callback=callback,
        auth_level=auth_level,
    )
    ok = verifier.run()
    # Safety net (x509_verify_x509): a failure must never read as X509_V_OK.
    if not ok and ctx.error == X509_V_OK:
        ctx.error = X509_V_ERR_UNSPECIFIED
    return VerifyResult(
        result=ctx.error,
        ok=ok,
        chain=list(ctx.chain),
        error_depth=ctx.error_depth,
        num_untrusted=ctx.num_untrusted,
    )

"""Certificate extensions as OpenSSL reads them, where ``cryptography`` reads them differently.

``cryptography`` refuses a certificate that repeats an extension outright
(``DuplicateExtension`` on the first look at ``.extensions``).  OpenSSL parses
such a certificate; only ``X509_get_ext_d2i`` of the repeated type fails
(NULL, crit -2), and when that type is one ``ossl_x509v3_cache_extensions``
decodes, the certificate is *invalid* (EXFLAG_INVALID): it then issues and is
issued by nothing (verification ends in 20, "unable to get local issuer
certificate"), ``X509_self_signed`` is -1 and ``X509_get_key_usage`` is 0.  A
repeated extension of any other type bothers OpenSSL not at all.

Here (bytes only, no BIOs, usable by the engine and the SSL layer alike):
``extensions_openssl`` gives the extensions ``X509_get_ext_d2i`` can find and
the repeated OIDs; ``key_usage`` is ``X509_get_key_usage``.
"""

from __future__ import annotations

from cryptography import x509

__all__ = ["CACHED_EXTENSION_OIDS", "extensions_openssl", "key_usage"]

# What ossl_x509v3_cache_extensions looks up with X509_get_ext_d2i (crypto/x509/v3_purp.c).
CACHED_EXTENSION_OIDS = frozenset(
    {
        "2.5.29.19",  # basicConstraints
        "1.3.6.1.5.5.7.1.14",  # proxyCertInfo
        "2.5.29.15",  # keyUsage
        "2.5.29.37",  # extKeyUsage
        "2.16.840.1.113730.1.1",  # netscape cert type
        "2.5.29.14",  # subjectKeyIdentifier
        "2.5.29.35",  # authorityKeyIdentifier
        "2.5.29.17",  # subjectAltName
        "2.5.29.30",  # nameConstraints
        "2.5.29.31",  # cRLDistributionPoints
        "1.3.6.1.5.5.7.1.7",  # sbgp-ipAddrBlock (RFC 3779)
        "1.3.6.1.5.5.7.1.8",  # sbgp-autonomousSysNum (RFC 3779)
    }
)

# X509_get_key_usage without a keyUsage extension: every bit allowed.
KU_ALL = 0xFFFFFFFF
KU_DIGITAL_SIGNATURE = 0x80


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER TLV at ``pos``; ValueError if broken."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[pos]
    first = data[pos + 1]
    start = pos + 2
    if first & 0x80:
        n = first & 0x7F
        if not 0 < n <= 4 or start + n > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[start : start + n], "big")
        start += n
    else:
        length = first
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _header(tag: int, length: int) -> bytes:
    if length < 0x80:
        return bytes((tag, length))
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(octets))) + octets


def _oid_text(body: bytes) -> str:
    arcs: list[int] = []
    value = 0
    for b in body:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
    if not arcs:
        return ""
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def _without_repeats(der: bytes) -> tuple[bytes, frozenset[str]]:
    """The certificate DER with every repeated extension left out, and their OIDs.

    The signature no longer fits the result: it is only ever parsed, never verified.
    """
    _tag, cstart, cend = _tlv(der, 0)
    _tag, tstart, tend = _tlv(der, cstart)
    pos = tstart
    while pos < tend:
        tag, start, end = _tlv(der, pos)
        if tag == 0xA3:  # [3] EXPLICIT Extensions
            _tag, sstart, send = _tlv(der, start)
            exts: list[tuple[str, bytes]] = []
            p = sstart
            while p < send:
                _tag, xstart, xend = _tlv(der, p)
                _tag, ostart, oend = _tlv(der, xstart)
                exts.append((_oid_text(der[ostart:oend]), der[p:xend]))
                p = xend
            oids = [o for o, _ in exts]
            dups = frozenset(o for o in oids if oids.count(o) > 1)
            kept = b"".join(x for o, x in exts if o not in dups)
            inner = _header(0x30, len(kept)) + kept
            field = _header(0xA3, len(inner)) + inner if kept else b""
            body = der[tstart:pos] + field + der[end:tend]
            tbs = _header(0x30, len(body)) + body
            rest = der[tend:cend]
            return _header(0x30, len(tbs) + len(rest)) + tbs + rest, dups
        pos = end
    return der, frozenset()


def extensions_openssl(
    cert: x509.Certificate, der: bytes
) -> tuple[list[x509.Extension[x509.ExtensionType]], frozenset[str]]:
    """The extensions X509_get_ext_d2i can find, and the OIDs that occur more than once.

    Raises ValueError when an extension (or the DER around it) cannot be decoded.
    """
    try:
        return list(cert.extensions), frozenset()
    except x509.DuplicateExtension:
        pass
    stripped, dups = _without_repeats(der)
    return list(x509.load_der_x509_certificate(stripped).extensions), dups


def key_usage(der: bytes) -> int:
    """X509_get_key_usage: the keyUsage bits, KU_ALL without the extension, 0 if invalid."""
    try:
        cert = x509.load_der_x509_certificate(der)
        extensions, dups = extensions_openssl(cert, der)
    except Exception:  # ValueError, InvalidVersion: nothing OpenSSL would call valid
        return 0
    if dups & CACHED_EXTENSION_OIDS:
        return 0
    for ext in extensions:
        ku = ext.value
        if isinstance(ku, x509.KeyUsage):
            bits = 0
            for flag, name in (
                (0x80, "digital_signature"),
                (0x40, "content_commitment"),
                (0x20, "key_encipherment"),
                (0x10, "data_encipherment"),
                (0x08, "key_agreement"),
                (0x04, "key_cert_sign"),
                (0x02, "crl_sign"),
            ):
                if getattr(ku, name):
                    bits |= flag
            if ku.key_agreement:
                bits |= 0x01 if ku.encipher_only else 0
                bits |= 0x8000 if ku.decipher_only else 0
            return bits
    return KU_ALL

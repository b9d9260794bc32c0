"""What ``biokit s_server`` and ``biokit s_client`` share (OpenSSL's apps/lib/opt.c and s_cb.c).

* single-dash option parsing with OpenSSL's messages (``-help``, "Unknown option",
  "needs a value", "Can't parse ... as a number");
* the callbacks the two tools install: ``-state`` (apps_ssl_info_callback),
  ``-msg`` (msg_cb), ``-trace`` (SSL_trace), the verify callback, the key log
  file writer (set_keylog_file);
* the connection summaries (print_stuff's pieces, print_ssl_summary,
  SSL_SESSION_print) and a little DER reading for what the SSL API does not
  expose yet (the names in a CertificateRequest, the client's offered lists).

Everything is written to BIOs: stdout and stderr are ``FileBIO`` objects, and
``-quiet`` swaps stdout for a ``NullBIO``, as OpenSSL's apps swap in
BIO_s_null().  Nothing below the CLI prints.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import select
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any

from cryptography import x509 as cx509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ObjectIdentifier

from biokit.bio import BIO, BIO_NOCLOSE, FileBIO, NullBIO
from biokit.errors import Lib, errors_as_list, print_errors
from biokit.ssl import SSL, InfoWhere, Version
from biokit.ssl.consts import VERSION_NAMES
from biokit.ssl.tls import kx
from biokit.ssl.tls.config import SessionData
from biokit.ssl.tls.signatures import scheme_info
from biokit.ssl.tls.suites import suite_by_id
from biokit.ssl.verify import StoreContext, verify_cert_error_string
from biokit.ssl.x509 import X509, X509Name

__all__ = [
    "SSL3_RT_HEADER",
    "SSL3_RT_INNER_CONTENT_TYPE",
    "HandshakeSpy",
    "HelloFacts",
    "InfoPrinter",
    "KeylogWriter",
    "MsgPrinter",
    "Opt",
    "Options",
    "Section",
    "TracePrinter",
    "VerifyPrinter",
    "alert_desc_string_long",
    "alert_type_string_long",
    "asn1_time",
    "bio_dump_indent",
    "dump_cert_text",
    "err_bio",
    "first_errno",
    "group_name",
    "name_from_der",
    "out_bio",
    "parse_alpn",
    "parse_options",
    "pkey_bits",
    "pkey_name",
    "print_ca_names",
    "print_errors_to",
    "print_session",
    "print_ssl_summary",
    "print_verify_detail",
    "protocol_version",
    "read_session",
    "say",
    "sigalg_name",
    "ssl_print_groups",
    "ssl_print_sigalgs",
    "ssl_print_tmp_key",
    "stdin_fd",
    "wait_io",
    "write_session",
    "x509_text",
]

# ============================================================================ output


def out_bio(quiet: bool = False) -> BIO:
    """bio_s_out / bio_c_out: stdout as a FileBIO, or a NullBIO with -quiet."""
    if quiet:
        return NullBIO()
    return FileBIO(sys.stdout.buffer, BIO_NOCLOSE)


def err_bio() -> BIO:
    """bio_err: stderr as a FileBIO."""
    return FileBIO(sys.stderr.buffer, BIO_NOCLOSE)


def say(bio: BIO, text: str) -> None:
    """BIO_puts + BIO_flush: write text (UTF-8) and push it out at once."""
    if text:
        bio.write(text.encode("utf-8", "replace"))
    bio.flush()


def print_errors_to(bio: BIO) -> None:
    """ERR_print_errors(bio) followed by a flush."""
    print_errors(bio)
    bio.flush()


def first_errno() -> int:
    """The errno of the first system-library entry on the queue (0 if none): what
    OpenSSL's apps read from ``errno`` / get_last_socket_error()."""
    for entry in errors_as_list():
        if entry.library == Lib.SYS:
            return entry.reason
    return 0


# ============================================================================ options

# Argument kinds, as OpenSSL's OPTIONS valtype letters.
_KIND_TEXT = {"-": "", "s": "val", "n": "int", "p": "+int", "<": "infile", ">": "outfile",
              "/": "dir"}


@dataclass(frozen=True, slots=True)
class Opt:
    """One option: name (no dash), kind ("-" flag, "s", "n", "p", "<", ">", "/"), help."""

    name: str
    kind: str
    help: str


Section = tuple[str, Sequence[Opt]]


class Options:
    """Parsed options: ``opts["alpn"]`` is the value given (True for a flag), else None."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.rest: list[str] = []
        # Option names in the order given (repeats included): where two options set
        # the same thing (s_server's -port and -accept), OpenSSL keeps the last one.
        self.order: list[str] = []

    def __getitem__(self, name: str) -> Any:
        return self.values.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, default: Any = None) -> Any:
        """The value of ``name``, or ``default`` when it was not given."""
        return self.values.get(name, default)


def _usage(prog: str, sections: Sequence[Section], rest_help: tuple[str, str] | None) -> str:
    lines = [f"Usage: {prog} [options]" + (f" [{rest_help[0]}]" if rest_help else ""), ""]
    for title, opts in sections:
        lines.append(f"{title} options:")
        for o in opts:
            left = o.name + (f" {_KIND_TEXT[o.kind]}" if _KIND_TEXT[o.kind] else "")
            if len(left) >= 26:
                lines.append(f" -{left}")
                lines.append(f"{'':28}{o.help}")
            else:
                lines.append(f" -{left:<26}{o.help}")
        lines.append("")
    if rest_help:
        lines.append("Parameters:")
        lines.append(f" {rest_help[0]:<27}{rest_help[1]}")
    return "\n".join(lines).rstrip("\n") + "\n"


def parse_options(
    prog: str,
    sections: Sequence[Section],
    argv: Sequence[str],
    err: BIO,
    *,
    rest_help: tuple[str, str] | None = None,
    max_rest: int = 0,
) -> Options | int:
    """opt_init/opt_next: the parsed options, or an exit code after printing why.

    Like OpenSSL, ``-x`` and ``--x`` are the same option, the last of a repeated
    option wins, ``-help`` prints the summary (exit 0), and anything that does
    not start with ``-`` is a parameter (``host:port`` for s_client).
    """
    table = {o.name: o for _, opts in sections for o in opts}
    result = Options()
    args = list(argv)
    i = 0
    hint = f"{prog}: Use -help for summary.\n"
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-") or arg == "-":
            result.rest.append(arg)
            continue
        if arg == "--":
            result.rest.extend(args[i:])
            break
        name = arg[2:] if arg.startswith("--") else arg[1:]
        value: str | None = None
        if "=" in name and name.split("=", 1)[0] in table:
            name, value = name.split("=", 1)
        if name == "help":
            say(err, _usage(prog, sections, rest_help))
            return 0
        opt = table.get(name)
        if opt is None:
            say(err, f"{prog}: Unknown option: {arg}\n" + hint)
            return 1
        result.order.append(name)
        if opt.kind == "-":
            result.values[name] = True
            continue
        if value is None:
            if i >= len(args):
                say(err, f"{prog}: Option -{name} needs a value\n" + hint)
                return 1
            value = args[i]
            i += 1
        if opt.kind in ("n", "p"):
            try:
                number = int(value, 0)
            except ValueError:
                say(err, f'{prog}: Can\'t parse "{value}" as a number\n' + hint)
                return 1
            if opt.kind == "p" and number <= 0:
                say(err, f'{prog}: Non-positive number "{value}" for option -{name}\n' + hint)
                return 1
            result.values[name] = number
        else:
            result.values[name] = value
    if len(result.rest) > max_rest:
        extra = result.rest[max_rest]
        say(err, f'{prog}: Extra option: "{extra}"\n' + hint)
        return 1
    return result


def parse_alpn(text: str) -> list[bytes] | None:
    """next_protos_parse: a comma-separated list; None if an entry is empty or too long."""
    out = []
    for item in text.split(","):
        raw = item.encode()
        if not 0 < len(raw) < 256:
            return None
        out.append(raw)
    return out


_PROTOCOL_NAMES = {
    "none": 0, "sslv3": Version.SSL3, "tlsv1": Version.TLS1, "tlsv1.1": Version.TLS1_1,
    "tlsv1.2": Version.TLS1_2, "tlsv1.3": Version.TLS1_3,
}


def protocol_version(name: str) -> int | None:
    """-min_protocol / -max_protocol: "TLSv1.2", "TLSv1.3" or "None"; None if unknown."""
    return _PROTOCOL_NAMES.get(name.lower())


# ============================================================================ names

_ALERT_DESC_LONG = {
    0: "close notify", 10: "unexpected_message", 20: "bad record mac",
    21: "decryption failed", 22: "record overflow", 30: "decompression failure",
    40: "handshake failure", 41: "no certificate", 42: "bad certificate",
    43: "unsupported certificate", 44: "certificate revoked", 45: "certificate expired",
    46: "certificate unknown", 47: "illegal parameter", 48: "unknown CA", 49: "access denied",
    50: "decode error", 51: "decrypt error", 60: "export restriction",
    70: "protocol version", 71: "insufficient security", 80: "internal error",
    90: "user canceled", 100: "no renegotiation", 110: "unsupported extension",
    111: "certificate unobtainable", 112: "unrecognized name",
    113: "bad certificate status response", 114: "bad certificate hash value",
    115: "unknown PSK identity", 120: "no application protocol",
}

# s_cb.c alert_types: the names msg_cb prints.
_ALERT_NAMES = {
    0: "close_notify", 1: "end_of_early_data", 10: "unexpected_message", 20: "bad_record_mac",
    21: "decryption_failed", 22: "record_overflow", 30: "decompression_failure",
    40: "handshake_failure", 42: "bad_certificate", 43: "unsupported_certificate",
    44: "certificate_revoked", 45: "certificate_expired", 46: "certificate_unknown",
    47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied", 50: "decode_error",
    51: "decrypt_error", 60: "export_restriction", 70: "protocol_version",
    71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback",
    90: "user_canceled", 100: "no_renegotiation", 109: "missing_extension",
    110: "unsupported_extension", 111: "certificate_unobtainable", 112: "unrecognized_name",
    113: "bad_certificate_status_response", 114: "bad_certificate_hash_value",
    115: "unknown_psk_identity", 116: "certificate_required",
}

_HANDSHAKE_NAMES = {
    0: "HelloRequest", 1: "ClientHello", 2: "ServerHello", 3: "HelloVerifyRequest",
    4: "NewSessionTicket", 5: "EndOfEarlyData", 8: "EncryptedExtensions", 11: "Certificate",
    12: "ServerKeyExchange", 13: "CertificateRequest", 14: "ServerHelloDone",
    15: "CertificateVerify", 16: "ClientKeyExchange", 20: "Finished", 21: "CertificateUrl",
    22: "CertificateStatus", 23: "SupplementalData", 24: "KeyUpdate",
    25: "CompressedCertificate", 67: "NextProto", 254: "MessageHash",
}

_VERSION_TEXT = {
    0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2",
    0x0304: "TLS 1.3", 0xFEFF: "DTLS 1.0", 0xFEFD: "DTLS 1.2", 0x0100: "DTLS 1.0 (bad)",
}

_CONTENT_NAMES = {20: "ChangeCipherSpec", 21: "Alert", 22: "Handshake", 23: "ApplicationData"}

SSL3_RT_HEADER = 0x100
SSL3_RT_INNER_CONTENT_TYPE = 0x101


def alert_desc_string_long(value: int) -> str:
    """SSL_alert_desc_string_long."""
    return _ALERT_DESC_LONG.get(value & 0xFF, "unknown")


def alert_type_string_long(value: int) -> str:
    """SSL_alert_type_string_long: of ``(level << 8) | desc``."""
    return {1: "warning", 2: "fatal"}.get(value >> 8, "unknown")


# ============================================================================ callbacks


class InfoPrinter:
    """apps_ssl_info_callback: the ``-state`` lines, on bio_err."""

    def __init__(self, bio: BIO) -> None:
        self.bio = bio

    def __call__(self, ssl: SSL, where: int, ret: int) -> None:
        w = where & ~0x0FFF
        if w & InfoWhere.ST_CONNECT:
            side = "SSL_connect"
        elif w & InfoWhere.ST_ACCEPT:
            side = "SSL_accept"
        else:
            side = "undefined"
        if where & InfoWhere.LOOP:
            say(self.bio, f"{side}:{ssl.state_string_long()}\n")
        elif where & InfoWhere.ALERT:
            rw = "read" if where & InfoWhere.READ else "write"
            say(self.bio, f"SSL3 alert {rw}:{alert_type_string_long(ret)}:"
                          f"{alert_desc_string_long(ret)}\n")
        elif where & InfoWhere.EXIT:
            if ret == 0:
                say(self.bio, f"{side}:failed in {ssl.state_string_long()}\n")
            elif ret < 0:
                say(self.bio, f"{side}:error in {ssl.state_string_long()}\n")


def _callback_version(ssl: SSL, version: int) -> int:
    # Before the version is negotiated OpenSSL reports its own (highest) one.
    return version or ssl.max_proto_version or Version.TLS1_3


def _hex_lines(data: bytes) -> str:
    """msg_cb's dump: four spaces, then `` xx`` per byte, 16 to a line."""
    rows = []
    for i in range(0, len(data), 16):
        rows.append("    " + " ".join(f"{b:02x}" for b in data[i : i + 16]))
    return "\n".join(rows) + "\n"


class MsgPrinter:
    """msg_cb: the ``-msg`` lines (``>>> TLS 1.3, Handshake [length 0034], Finished``)."""

    def __init__(self, bio: BIO) -> None:
        self.bio = bio

    def __call__(self, write_p: int, version: int, content_type: int, data: bytes,
                 ssl: SSL) -> None:
        data = bytes(data)
        if content_type == SSL3_RT_HEADER and len(data) >= 3:
            # OpenSSL reports the version field of the header itself here.
            version = (data[1] << 8) | data[2]
        elif content_type == SSL3_RT_INNER_CONTENT_TYPE and write_p:
            # ... and the record layer's own version for inner types it writes.
            version = Version.TLS1_2
        else:
            version = _callback_version(ssl, version)
        details1 = details2 = ""
        if version in _VERSION_TEXT:
            text_version = _VERSION_TEXT[version]
            if content_type == 20:
                ctype = ", ChangeCipherSpec"
            elif content_type == 21:
                ctype = ", Alert"
                details1 = ", ???"
                if len(data) == 2:
                    details1 = {1: ", warning", 2: ", fatal"}.get(data[0], details1)
                    name = _ALERT_NAMES.get(data[1])
                    details2 = f" {name}" if name is not None else " ???"
            elif content_type == 22:
                ctype = ", Handshake"
                details1 = "???"
                if data and data[0] in _HANDSHAKE_NAMES:
                    details1 = ", " + _HANDSHAKE_NAMES[data[0]]
            elif content_type == 23:
                ctype = ", ApplicationData"
            elif content_type == SSL3_RT_HEADER:
                ctype = ", RecordHeader"
            elif content_type == SSL3_RT_INNER_CONTENT_TYPE:
                ctype = ", InnerContent"
            else:
                ctype = f", Unknown (content_type={content_type})"
        else:
            text_version = (f"Not TLS data or unknown version (version={version}, "
                            f"content_type={content_type})")
            ctype = ""
        arrow = ">>>" if write_p else "<<<"
        line = f"{arrow} {text_version}{ctype} [length {len(data):04x}]{details1}{details2}\n"
        say(self.bio, line + (_hex_lines(data) if data else ""))


@dataclass
class HelloFacts:
    """What the handshake messages told us that the SSL API does not expose (yet)."""

    client_suites: list[int] = field(default_factory=list)
    client_groups: list[int] = field(default_factory=list)
    client_sigalgs: list[int] = field(default_factory=list)
    client_reneg_info: bool = False
    requested_sigalgs: list[int] = field(default_factory=list)
    ca_names: list[bytes] = field(default_factory=list)
    cert_types: bytes = b""
    cert_requested: bool = False
    server_reneg_info: bool = False


class HandshakeSpy:
    """A msg callback that notes the ClientHello and CertificateRequest, then hands
    every message on to ``inner`` (the -msg or -trace printer, if any)."""

    def __init__(self, inner: Callable[..., None] | None = None) -> None:
        self.inner = inner
        self.facts = HelloFacts()

    def __call__(self, write_p: int, version: int, content_type: int, data: bytes,
                 ssl: SSL) -> None:
        if content_type == 22 and data:
            try:
                if data[0] == 1 and not write_p and ssl.is_server():
                    _note_client_hello(self.facts, bytes(data[4:]))
                elif data[0] == 13 and not write_p and not ssl.is_server():
                    _note_cert_request(self.facts, bytes(data[4:]), version == Version.TLS1_2)
                elif data[0] == 2 and not write_p and not ssl.is_server():
                    _note_server_hello(self.facts, bytes(data[4:]))
            except (IndexError, ValueError):
                pass  # a malformed message is the engine's business, not ours
        if self.inner is not None:
            self.inner(write_p, version, content_type, data, ssl)


class _Reader:
    """A tiny PACKET: length-prefixed reads that raise ValueError when short."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("short")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint(self, n: int) -> int:
        return int.from_bytes(self.take(n), "big")

    def vec(self, n: int) -> bytes:
        return self.take(self.uint(n))

    def left(self) -> int:
        return len(self.data) - self.pos


def _extensions(r: _Reader) -> list[tuple[int, bytes]]:
    if not r.left():
        return []
    block = _Reader(r.vec(2))
    out = []
    while block.left():
        etype = block.uint(2)
        out.append((etype, block.vec(2)))
    return out


def _u16_list(data: bytes) -> list[int]:
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data) - 1, 2)]


def _note_client_hello(facts: HelloFacts, body: bytes) -> None:
    r = _Reader(body)
    r.take(2 + 32)
    r.vec(1)
    facts.client_suites = _u16_list(r.vec(2))
    r.vec(1)
    facts.client_reneg_info = 0x00FF in facts.client_suites
    for etype, data in _extensions(r):
        if etype == 10:
            facts.client_groups = _u16_list(_Reader(data).vec(2))
        elif etype == 13:
            facts.client_sigalgs = _u16_list(_Reader(data).vec(2))
        elif etype == 0xFF01:
            facts.client_reneg_info = True


def _note_server_hello(facts: HelloFacts, body: bytes) -> None:
    r = _Reader(body)
    r.take(2 + 32)
    r.vec(1)
    r.take(3)
    facts.server_reneg_info = any(etype == 0xFF01 for etype, _ in _extensions(r))


def _ca_names(facts: HelloFacts, block: bytes) -> None:
    names = _Reader(block)
    while names.left():
        facts.ca_names.append(names.vec(2))


def _note_cert_request(facts: HelloFacts, body: bytes, tls12: bool) -> None:
    r = _Reader(body)
    facts.cert_requested = True
    if tls12:
        facts.cert_types = r.vec(1)
        facts.requested_sigalgs = _u16_list(r.vec(2))
        _ca_names(facts, r.vec(2))
        return
    r.vec(1)
    for etype, data in _extensions(r):
        if etype == 13:
            facts.requested_sigalgs = _u16_list(_Reader(data).vec(2))
        elif etype == 47:
            _ca_names(facts, _Reader(data).vec(2))


class VerifyPrinter:
    """verify_callback (s_cb.c): ``depth=0 CN = localhost`` / ``verify return:1`` on bio_err.

    ``depth`` is -verify's argument, ``return_error`` is -verify_return_error;
    ``quiet`` (-brief) prints only failures.
    """

    def __init__(self, bio: BIO, depth: int = -1, *, return_error: bool = False,
                 quiet: bool = False) -> None:
        self.bio = bio
        self.depth = depth
        self.return_error = return_error
        self.quiet = quiet
        self.error = 0

    def __call__(self, ok: bool, store: StoreContext) -> int:
        cert = store.get_current_cert()
        err = store.get_error()
        depth = store.get_error_depth()
        result = 1 if ok else 0
        lines = []
        if not self.quiet or not result:
            name = cert.get_subject_name().oneline() if cert is not None else None
            lines.append(f"depth={depth} " + (name if name is not None else "<no cert>"))
        if not result:
            lines.append(f"verify error:num={err}:{verify_cert_error_string(err)}")
            if self.depth < 0 or self.depth >= depth:
                if not self.return_error:
                    result = 1
                self.error = err
            else:
                result = 0
                self.error = 22  # X509_V_ERR_CERT_CHAIN_TOO_LONG
        if cert is not None:
            if err == 2:
                lines.append("issuer= " + cert.get_issuer_name().oneline())
            elif err == 9:
                lines.append("notBefore=" + asn1_time(cert.get_not_before()))
            elif err == 10:
                lines.append("notAfter=" + asn1_time(cert.get_not_after()))
        if result and not self.quiet:
            lines.append(f"verify return:{result}")
        if lines:
            say(self.bio, "\n".join(lines) + "\n")
        return result


class KeylogWriter:
    """set_keylog_file / keylog_callback: NSS key log lines, appended to a file (a FileBIO)."""

    def __init__(self, bio: FileBIO) -> None:
        self.bio = bio

    @classmethod
    def open(cls, path: str, err: BIO) -> KeylogWriter | None:
        """Open ``path`` for appending; writes OpenSSL's header line into an empty file."""
        bio = FileBIO.open(path, "a")
        if bio is None:
            say(err, f"Error writing keylog file {path}\n")
            print_errors_to(err)
            return None
        if bio.tell() == 0:
            bio.write(b"# SSL/TLS secrets log file, generated by OpenSSL\n")
            bio.flush()
        return cls(bio)

    def __call__(self, ssl: SSL, line: str) -> None:
        # One write per line so that concurrent writers do not interleave.
        self.bio.write(line.encode() + b"\n")
        self.bio.flush()

    def close(self) -> None:
        """BIO_free."""
        self.bio.free()


# ============================================================================ -trace

_TRACE_EXT_NAMES = {
    0: "server_name", 1: "max_fragment_length", 2: "client_certificate_url",
    3: "trusted_ca_keys", 4: "truncated_hmac", 5: "status_request", 6: "user_mapping",
    7: "client_authz", 8: "server_authz", 9: "cert_type", 10: "supported_groups",
    11: "ec_point_formats", 12: "srp", 13: "signature_algorithms", 14: "use_srtp",
    16: "application_layer_protocol_negotiation", 18: "signed_certificate_timestamps",
    21: "padding", 22: "encrypt_then_mac", 23: "extended_master_secret",
    27: "compress_certificate", 35: "session_ticket", 41: "psk", 42: "early_data",
    43: "supported_versions", 44: "cookie_ext", 45: "psk_key_exchange_modes",
    47: "certificate_authorities", 49: "post_handshake_auth",
    50: "signature_algorithms_cert", 51: "key_share", 0xFF01: "renegotiate",
    13172: "next_proto_neg",
}

_TRACE_GROUPS = {
    23: "secp256r1 (P-256)", 24: "secp384r1 (P-384)", 25: "secp521r1 (P-521)",
    26: "brainpoolP256r1", 27: "brainpoolP384r1", 28: "brainpoolP512r1",
    29: "ecdh_x25519", 30: "ecdh_x448", 256: "ffdhe2048", 257: "ffdhe3072",
    258: "ffdhe4096", 259: "ffdhe6144", 260: "ffdhe8192", 0x11EC: "X25519MLKEM768",
}

_TRACE_SIGALGS = {
    0x0201: "rsa_pkcs1_sha1", 0x0203: "ecdsa_sha1", 0x0301: "rsa_pkcs1_sha224",
    0x0302: "dsa_sha224", 0x0303: "ecdsa_sha224", 0x0401: "rsa_pkcs1_sha256",
    0x0402: "dsa_sha256", 0x0403: "ecdsa_secp256r1_sha256", 0x0501: "rsa_pkcs1_sha384",
    0x0502: "dsa_sha384", 0x0503: "ecdsa_secp384r1_sha384", 0x0601: "rsa_pkcs1_sha512",
    0x0602: "dsa_sha512", 0x0603: "ecdsa_secp521r1_sha512", 0x0804: "rsa_pss_rsae_sha256",
    0x0805: "rsa_pss_rsae_sha384", 0x0806: "rsa_pss_rsae_sha512", 0x0807: "ed25519",
    0x0808: "ed448", 0x0809: "rsa_pss_pss_sha256", 0x080A: "rsa_pss_pss_sha384",
    0x080B: "rsa_pss_pss_sha512",
}

_TRACE_CERT_TYPES = {1: "rsa_sign", 2: "dss_sign", 3: "rsa_fixed_dh", 4: "dss_fixed_dh",
                     5: "rsa_ephemeral_dh", 6: "dss_ephemeral_dh", 20: "fortezza_dms",
                     64: "ecdsa_sign", 65: "rsa_fixed_ecdh", 66: "ecdsa_fixed_ecdh"}
_TRACE_POINT_FORMATS = {0: "uncompressed", 1: "ansiX962_compressed_prime",
                        2: "ansiX962_compressed_char2"}
_TRACE_PSK_MODES = {0: "psk_ke", 1: "psk_dhe_ke"}
_TRACE_KEY_UPDATE = {0: "update_not_requested", 1: "update_requested"}
_TRACE_SCSV = {0x00FF: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", 0x5600: "TLS_FALLBACK_SCSV"}


def _cipher_trace_name(cs: int) -> str:
    suite = suite_by_id(cs)
    if suite is not None:
        return suite.name
    return _TRACE_SCSV.get(cs, "UNKNOWN")


def bio_dump_indent(data: bytes, indent: int) -> str:
    """BIO_dump_indent: ``0000 - 00 0e 00 00-...   ascii``, fewer bytes per line when indented."""
    if not data:
        return ""
    indent = max(indent, 0)
    width = 16 - ((indent - (6 if indent > 6 else indent) + 3) // 4)
    pad = " " * indent
    rows = []
    for off in range(0, len(data), width):
        chunk = data[off : off + width]
        cells = []
        for j in range(width):
            if j < len(chunk):
                cells.append(f"{chunk[j]:02x}" + ("-" if j == 7 else " "))
            else:
                cells.append("   ")
        text = "".join(chr(b) if 0x20 <= b <= 0x7E else "." for b in chunk)
        rows.append(f"{pad}{off:04x} - {''.join(cells)}  {text}")
    return "\n".join(rows) + "\n"


class _Trace:
    """One SSL_trace call's output, with OpenSSL's indentation helpers."""

    def __init__(self, server_sent: bool, tls13: bool) -> None:
        self.lines: list[str] = []
        self.server = server_sent
        self.tls13 = tls13

    def put(self, indent: int, text: str) -> None:
        self.lines.append(" " * indent + text)

    def hex(self, indent: int, name: str, data: bytes) -> None:
        self.put(indent, f"{name} (len={len(data)}): {data.hex().upper()}")

    def table(self, indent: int, values: Sequence[int], names: dict[int, str]) -> None:
        for v in values:
            self.put(indent, f"{names.get(v, 'UNKNOWN')} ({v})")

    def extension(self, indent: int, mtype: int, etype: int, data: bytes) -> None:
        self.put(indent, f"extension_type={_TRACE_EXT_NAMES.get(etype, 'UNKNOWN')}({etype}), "
                         f"length={len(data)}")
        r = _Reader(data)
        if etype == 10:
            self.table(indent + 2, _u16_list(r.vec(2)), _TRACE_GROUPS)
        elif etype == 11:
            self.table(indent + 2, list(r.vec(1)), _TRACE_POINT_FORMATS)
        elif etype in (13, 50):
            for s in _u16_list(r.vec(2)):
                self.put(indent + 2, f"{_TRACE_SIGALGS.get(s, 'UNKNOWN')} (0x{s:04x})")
        elif etype == 16:
            protos = _Reader(r.vec(2))
            while protos.left():
                self.put(indent + 2, protos.vec(1).decode("latin-1"))
        elif etype == 43:
            if self.server:
                v = r.uint(2)
                self.put(indent + 4, f"{_VERSION_TEXT.get(v, 'UNKNOWN')} ({v})")
            else:
                self.table(indent + 2, _u16_list(r.vec(1)), _VERSION_TEXT)
        elif etype == 45:
            self.table(indent + 2, list(r.vec(1)), _TRACE_PSK_MODES)
        elif etype == 51:
            if self.server and len(data) == 2:
                g = r.uint(2)
                self.put(indent + 4, f"NamedGroup: {_TRACE_GROUPS.get(g, 'UNKNOWN')} ({g})")
                return
            shares = r if self.server else _Reader(r.vec(2))
            while shares.left():
                g = shares.uint(2)
                self.put(indent + 4, f"NamedGroup: {_TRACE_GROUPS.get(g, 'UNKNOWN')} ({g})")
                self.hex(indent + 4, "key_exchange: ", shares.vec(2))
        elif etype == 35:
            if data:
                self.hex(indent + 4, "ticket", data)
        elif etype == 0xFF01:
            inner = r.vec(1)
            if inner:
                self.hex(indent + 4, "client_verify_data", inner)
            else:
                self.put(indent + 4, "<EMPTY>")
        elif etype == 42:
            if mtype == 4 and len(data) == 4:
                self.put(indent + 2, f"max_early_data={r.uint(4)}")
        elif data:
            self.lines.append(bio_dump_indent(data, indent + 2).rstrip("\n"))

    def extensions(self, indent: int, mtype: int, r: _Reader) -> None:
        if not r.left():
            self.put(indent, "No extensions")
            return
        block = _Reader(r.vec(2))
        if not block.data:
            self.put(indent, "No extensions")
            return
        self.put(indent, f"extensions, length = {len(block.data)}")
        while block.left():
            etype = block.uint(2)
            self.extension(indent + 2, mtype, etype, block.vec(2))

    def random(self, indent: int, r: _Reader) -> None:
        rnd = r.take(32)
        self.put(indent, "Random:")
        self.put(indent + 2, f"gmt_unix_time=0x{int.from_bytes(rnd[:4], 'big'):08X}")
        self.hex(indent + 2, "random_bytes", rnd[4:])

    def signature(self, indent: int, r: _Reader) -> None:
        s = r.uint(2)
        self.put(indent, f"Signature Algorithm: {_TRACE_SIGALGS.get(s, 'UNKNOWN')} (0x{s:04x})")
        self.hex(indent, "Signature", r.vec(2))

    def version(self, indent: int, name: str, r: _Reader) -> int:
        v = r.uint(2)
        self.put(indent, f"{name}=0x{v:x} ({_VERSION_TEXT.get(v, 'UNKNOWN')})")
        return v

    def handshake(self, data: bytes) -> None:
        r = _Reader(data)
        mtype = r.uint(1)
        length = r.uint(3)
        self.put(4, f"{_HANDSHAKE_NAMES.get(mtype, 'UNKNOWN')}, Length={length}")
        body = _Reader(r.take(length))
        ind = 6
        if mtype == 1:
            self.version(ind, "client_version", body)
            self.random(ind, body)
            self.hex(ind, "session_id", body.vec(1))
            suites = body.vec(2)
            self.put(ind, f"cipher_suites (len={len(suites)})")
            for cs in _u16_list(suites):
                self.put(ind + 2, f"{{0x{cs >> 8:02X}, 0x{cs & 0xFF:02X}}} "
                                  f"{_cipher_trace_name(cs)}")
            comp = body.vec(1)
            self.put(ind, f"compression_methods (len={len(comp)})")
            for c in comp:
                self.put(ind + 2, f"{'No Compression' if c == 0 else 'UNKNOWN'} (0x{c:02X})")
            self.extensions(ind, mtype, body)
        elif mtype == 2:
            v = self.version(ind, "server_version", body)
            self.random(ind, body)
            if v != Version.TLS1_3:
                self.hex(ind, "session_id", body.vec(1))
            cs = body.uint(2)
            self.put(ind, f"cipher_suite {{0x{cs >> 8:02X}, 0x{cs & 0xFF:02X}}} "
                          f"{_cipher_trace_name(cs)}")
            if v != Version.TLS1_3:
                c = body.uint(1)
                self.put(ind, f"compression_method: {'No Compression' if c == 0 else 'UNKNOWN'}"
                              f" (0x{c:02X})")
            self.extensions(ind, mtype, body)
        elif mtype == 4:
            if not body.left():
                self.put(ind + 2, "No Ticket")
                return
            self.put(ind + 2, f"ticket_lifetime_hint={body.uint(4)}")
            if self.tls13:
                self.put(ind + 2, f"ticket_age_add={body.uint(4)}")
                self.hex(ind + 2, "ticket_nonce", body.vec(1))
            self.hex(ind + 2, "ticket", body.vec(2))
            if self.tls13:
                self.extensions(ind + 2, mtype, body)
        elif mtype == 8:
            self.extensions(ind, mtype, body)
        elif mtype == 11:
            if self.tls13:
                self.hex(ind, "context", body.vec(1))
            certs = _Reader(body.vec(3))
            self.put(ind, f"certificate_list, length={len(certs.data)}")
            while certs.left():
                der = certs.vec(3)
                self.put(ind + 2, f"ASN.1Cert, length={len(der)}")
                cert = X509.from_der(der)
                if cert is None:
                    self.lines[-1] += "<UNPARSEABLE CERTIFICATE>"
                else:
                    self.lines.append("------details-----")
                    self.lines.append(x509_text(cert).rstrip("\n"))
                    self.lines.append(cert.to_pem().decode().rstrip("\n"))
                    self.lines.append("------------------")
                if self.tls13:
                    self.extensions(ind + 2, mtype, certs)
        elif mtype == 13:
            if self.tls13:
                self.hex(ind, "request_context", body.vec(1))
                self.extensions(ind, mtype, body)
                return
            types = body.vec(1)
            self.put(ind, f"certificate_types (len={len(types)})")
            self.table(ind + 2, list(types), _TRACE_CERT_TYPES)
            algs = body.vec(2)
            self.put(ind, f"signature_algorithms (len={len(algs)})")
            for s in _u16_list(algs):
                self.put(ind + 2, f"{_TRACE_SIGALGS.get(s, 'UNKNOWN')} (0x{s:04x})")
            cas = _Reader(body.vec(2))
            self.put(ind, f"certificate_authorities (len={len(cas.data)})")
            while cas.left():
                dn = cas.vec(2)
                self.put(ind + 2, f"DistinguishedName (len={len(dn)}): {name_from_der(dn)}")
        elif mtype == 12:
            # biokit's TLS 1.2 suites are all ECDHE with a named curve.
            self.put(ind, "KeyExchangeAlgorithm=ECDHE")
            curve_type = body.uint(1)
            if curve_type != 3:
                self.put(ind + 2, f"UNKNOWN CURVE PARAMETER TYPE {curve_type}")
                return
            g = body.uint(2)
            self.put(ind + 2, f"named_curve: {_TRACE_GROUPS.get(g, 'UNKNOWN')} ({g})")
            self.hex(ind + 2, "point", body.vec(1))
            self.signature(ind, body)
        elif mtype == 16:
            self.put(ind, "KeyExchangeAlgorithm=ECDHE")
            self.hex(ind + 2, "ecdh_Yc", body.vec(1))
        elif mtype == 14:
            if body.data:
                self.hex(ind, "unexpected value", body.data)
        elif mtype == 15:
            self.signature(ind, body)
        elif mtype == 20:
            self.hex(ind, "verify_data", body.data)
        elif mtype == 24:
            if len(body.data) != 1:
                self.hex(ind, "unexpected value", body.data)
                return
            self.table(ind, list(body.data), _TRACE_KEY_UPDATE)
        else:
            self.put(ind, "Unsupported, hex dump follows:")
            self.lines.append(bio_dump_indent(body.data, ind + 2).rstrip("\n"))


class TracePrinter:
    """SSL_trace: the ``-trace`` output, decoded field by field.

    Decoded: record headers, ClientHello, ServerHello (and HelloRetryRequest),
    EncryptedExtensions, Certificate (with a shortened certificate text),
    CertificateRequest, ServerKeyExchange and ClientKeyExchange (ECDHE),
    ServerHelloDone, CertificateVerify, Finished, NewSessionTicket, KeyUpdate,
    alerts and ChangeCipherSpec.  Other messages get OpenSSL's hex dump fallback.
    """

    def __init__(self, bio: BIO) -> None:
        self.bio = bio

    def __call__(self, write_p: int, version: int, content_type: int, data: bytes,
                 ssl: SSL) -> None:
        data = bytes(data)
        out: str
        if content_type == SSL3_RT_HEADER:
            if len(data) < 5:
                out = ("Sent" if write_p else "Received") + \
                    f" too short message (len={len(data)}): {data.hex().upper()}\n"
            else:
                hv = (data[1] << 8) | data[2]
                out = (("Sent" if write_p else "Received") + " Record\nHeader:\n"
                       f"  Version = {_VERSION_TEXT.get(hv, 'UNKNOWN')} (0x{hv:x})\n"
                       f"  Content Type = {_CONTENT_NAMES.get(data[0], 'UNKNOWN')} ({data[0]})\n"
                       f"  Length = {(data[3] << 8) | data[4]}")
        elif content_type == SSL3_RT_INNER_CONTENT_TYPE:
            ct = data[0] if data else 0
            out = f"  Inner Content Type = {_CONTENT_NAMES.get(ct, 'UNKNOWN')} ({ct})"
        elif content_type == 22:
            server_sent = bool(write_p) if ssl.is_server() else not write_p
            tls13 = _callback_version(ssl, version) == Version.TLS1_3
            t = _Trace(server_sent, tls13)
            try:
                t.handshake(data)
                out = "\n".join(t.lines)
            except ValueError:
                out = "\n".join(t.lines) + ("\n" if t.lines else "") + \
                    "Message length parse error!"
        elif content_type == 20:
            out = ("    change_cipher_spec (1)" if data == b"\x01"
                   else f"    unknown value (len={len(data)}): {data.hex().upper()}")
        elif content_type == 21:
            if len(data) != 2:
                out = "    Illegal Alert Length"
            else:
                out = (f"    Level={alert_type_string_long(data[0] << 8)}({data[0]}), "
                       f"description={alert_desc_string_long(data[1])}({data[1]})")
        else:
            out = ""
        say(self.bio, out + "\n" + ("\n" if content_type not in (
            SSL3_RT_HEADER, SSL3_RT_INNER_CONTENT_TYPE) else ""))


# ============================================================================ certificates

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_SIG_OIDS = {
    "1.2.840.10045.4.3.1": "ecdsa-with-SHA224", "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
    "1.2.840.10045.4.3.3": "ecdsa-with-SHA384", "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
    "1.2.840.10045.4.1": "ecdsa-with-SHA1", "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
    "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
    "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
    "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
    "1.2.840.113549.1.1.14": "sha224WithRSAEncryption", "1.2.840.113549.1.1.10": "RSASSA-PSS",
    "1.3.101.112": "ED25519", "1.3.101.113": "ED448",
}

_PKEY_OIDS = {
    "1.2.840.10045.2.1": "id-ecPublicKey", "1.2.840.113549.1.1.1": "rsaEncryption",
    "1.2.840.113549.1.1.10": "RSASSA-PSS", "1.3.101.112": "ED25519", "1.3.101.113": "ED448",
    "1.2.840.10040.4.1": "dsaEncryption",
}


def asn1_time(dt: datetime) -> str:
    """ASN1_TIME_print: ``Nov 24 14:16:10 2026 GMT``."""
    dt = dt.astimezone(timezone.utc) if dt.tzinfo else dt
    return (f"{_MONTHS[dt.month - 1]} {dt.day:2d} {dt.hour:02d}:{dt.minute:02d}:"
            f"{dt.second:02d} {dt.year} GMT")


def pkey_bits(key: object) -> int:
    """EVP_PKEY_get_bits."""
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey, dsa.DSAPublicKey)):
        return key.key_size
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        return key.curve.key_size
    if isinstance(key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        return 253
    if isinstance(key, (ed448.Ed448PublicKey, ed448.Ed448PrivateKey)):
        return 456
    return 0


def _oid_of(cert: cx509.Certificate, attr: str) -> str:
    try:
        oid: ObjectIdentifier = getattr(cert, attr)
    except (AttributeError, ValueError):
        return ""
    return oid.dotted_string


def pkey_name(cert: X509) -> str:
    """OBJ_nid2sn(EVP_PKEY_get_base_id(X509_get_pubkey(cert)))."""
    dotted = _oid_of(cert.to_cryptography(), "public_key_algorithm_oid")
    return _PKEY_OIDS.get(dotted, dotted or "UNKNOWN")


def sigalg_name(cert: X509) -> str:
    """OBJ_nid2sn(X509_get_signature_nid(cert))."""
    dotted = _oid_of(cert.to_cryptography(), "signature_algorithm_oid")
    return _SIG_OIDS.get(dotted, dotted or "UNKNOWN")


def dump_cert_text(bio: BIO, cert: X509) -> None:
    """dump_cert_text: ``subject=...`` and ``issuer=...``."""
    say(bio, f"subject={cert.get_subject_name().oneline()}\n"
             f"issuer={cert.get_issuer_name().oneline()}\n")


def x509_text(cert: X509) -> str:
    """A shortened X509_print: the header fields, without key and signature hex dumps."""
    c = cert.to_cryptography()
    serial = cert.get_serial_number()
    if serial.bit_length() < 64:
        serial_text = f"        Serial Number: {serial} (0x{serial:x})"
    else:
        raw = serial.to_bytes((serial.bit_length() + 8) // 8, "big").lstrip(b"\x00") or b"\x00"
        serial_text = "        Serial Number:\n            " + ":".join(f"{b:02x}" for b in raw)
    lines = [
        "Certificate:",
        "    Data:",
        f"        Version: {cert.get_version() + 1} (0x{cert.get_version():x})",
        serial_text,
        f"        Signature Algorithm: {sigalg_name(cert)}",
        f"        Issuer: {cert.get_issuer_name().oneline()}",
        "        Validity",
        f"            Not Before: {asn1_time(cert.get_not_before())}",
        f"            Not After : {asn1_time(cert.get_not_after())}",
        f"        Subject: {cert.get_subject_name().oneline()}",
        "        Subject Public Key Info:",
        f"            Public Key Algorithm: {pkey_name(cert)}",
        f"                Public-Key: ({pkey_bits(cert.public_key())} bit)",
    ]
    exts = list(c.extensions)
    if exts:
        lines.append("        X509v3 extensions:")
        for ext in exts:
            name = getattr(ext.oid, "_name", ext.oid.dotted_string)
            lines.append(f"            {name}:{' critical' if ext.critical else ''}")
    lines.append(f"    Signature Algorithm: {sigalg_name(cert)}")
    return "\n".join(lines) + "\n"


def name_from_der(der: bytes) -> str:
    """X509_NAME_print_ex(..., XN_FLAG_ONELINE) of a DER Name (as a CertificateRequest
    carries it); ``<UNPARSEABLE DN>`` when it is not one."""
    try:
        rdns = []
        outer = _der_tlv(der, 0x30)
        r = _Reader(outer)
        while r.left():
            rdn = _Reader(_der_read(r, 0x31))
            attrs = []
            while rdn.left():
                atv = _Reader(_der_read(rdn, 0x30))
                oid = _der_oid(_der_read(atv, 0x06))
                tag = atv.uint(1)
                value = atv.take(_der_len(atv))
                codec = "utf-16-be" if tag == 30 else ("utf-8" if tag == 12 else "latin-1")
                attrs.append(cx509.NameAttribute(ObjectIdentifier(oid), value.decode(codec)))
            rdns.append(cx509.RelativeDistinguishedName(attrs))
        return X509Name(cx509.Name(rdns)).oneline()
    except (ValueError, UnicodeDecodeError):
        return "<UNPARSEABLE DN>"


def _der_len(r: _Reader) -> int:
    first = r.uint(1)
    if first < 0x80:
        return first
    return r.uint(first & 0x7F)


def _der_read(r: _Reader, tag: int) -> bytes:
    if r.uint(1) != tag:
        raise ValueError("unexpected tag")
    return r.take(_der_len(r))


def _der_tlv(data: bytes, tag: int) -> bytes:
    r = _Reader(data)
    body = _der_read(r, tag)
    if r.left():
        raise ValueError("trailing data")
    return body


def _der_oid(body: bytes) -> str:
    if not body:
        raise ValueError("empty OID")
    parts = [body[0] // 40, body[0] % 40] if body[0] < 80 else [2, body[0] - 80]
    value = 0
    for b in body[1:]:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, parts))


# ============================================================================ summaries


def _sigalg_list_name(scheme: int) -> str:
    """One entry of do_print_sigalgs: ``ECDSA+SHA256``, ``RSA-PSS+SHA256``, ``ed25519``..."""
    if scheme in (0x0809, 0x080A, 0x080B, 0x0807, 0x0808):
        return _TRACE_SIGALGS[scheme]
    info = scheme_info(scheme)
    if info is not None:
        return info.sig_name + (f"+{info.hash_name}" if info.hash_name else "")
    fallback = {0x0303: "ECDSA+SHA224", 0x0301: "RSA+SHA224", 0x0302: "DSA+SHA224",
                0x0402: "DSA+SHA256", 0x0502: "DSA+SHA384", 0x0602: "DSA+SHA512"}
    return fallback.get(scheme, f"0x{scheme & 0xFF:02X}+0x{scheme >> 8:02X}")


# s_cb.c cert_type_list: what ssl_print_client_cert_types prints.
_CERT_TYPE_NAMES = {1: "RSA sign", 2: "DSA sign", 3: "RSA fixed DH", 4: "DSS fixed DH",
                    64: "ECDSA sign", 65: "RSA fixed ECDH", 66: "ECDSA fixed ECDH",
                    22: "GOST01 Sign", 67: "GOST12 Sign"}


def ssl_print_sigalgs(bio: BIO, ssl: SSL, facts: HelloFacts) -> None:
    """ssl_print_sigalgs: the peer's signature algorithm lists and what it signed with."""
    ours = list(ssl.ctx.sigalgs)
    if ssl.is_server():
        peer, label = facts.client_sigalgs, "Signature Algorithms"
    else:
        peer, label = facts.requested_sigalgs, "Requested Signature Algorithms"
    text = ""
    if facts.cert_types and not ssl.is_server():
        text += "Client Certificate Types: " + ", ".join(
            _CERT_TYPE_NAMES.get(t, f"UNKNOWN ({t}),") for t in facts.cert_types) + "\n"
    if peer:
        text += f"{label}: " + ":".join(_sigalg_list_name(s) for s in peer) + "\n"
        shared = [s for s in peer if s in ours]
        if shared:
            text += f"Shared {label}: " + ":".join(_sigalg_list_name(s) for s in shared) + "\n"
    info = scheme_info(ssl.get_peer_signature_scheme())
    if info is not None:
        if info.hash_name:
            text += f"Peer signing digest: {info.hash_name}\n"
        text += f"Peer signature type: {info.sig_name}\n"
    say(bio, text)


_FFDHE = {256: "ffdhe2048", 257: "ffdhe3072", 258: "ffdhe4096", 259: "ffdhe6144",
          260: "ffdhe8192"}


def group_name(group: int) -> str:
    """SSL_group_to_name."""
    if group in _FFDHE:
        return _FFDHE[group]
    return kx.group_tls_name(group)


def ssl_print_groups(bio: BIO, ssl: SSL, facts: HelloFacts) -> None:
    """ssl_print_groups: the client's groups and the ones both sides support."""
    if not facts.client_groups:
        return
    ours = list(ssl.ctx.groups)
    shared = [g for g in facts.client_groups if g in ours]
    say(bio, "Supported groups: " + ":".join(group_name(g) for g in facts.client_groups)
        + "\nShared groups: " + (":".join(group_name(g) for g in shared) or "NONE") + "\n")


def ssl_print_tmp_key(bio: BIO, ssl: SSL) -> None:
    """ssl_print_tmp_key: ``Server Temp Key: X25519, 253 bits``."""
    group = ssl.get_negotiated_group()
    if not group:
        return
    if kx.group_bits(group):
        say(bio, f"Server Temp Key: {kx.temp_key_description(group)}\n")
    else:
        say(bio, f"Negotiated TLS1.3 group: {group_name(group)}\n")


def print_verify_detail(bio: BIO, ssl: SSL) -> None:
    """print_verify_detail: ``Verification: OK`` or ``Verification error: ...``."""
    result = ssl.get_verify_result()
    if result == 0:
        text = "Verification: OK\n"
        peername = ssl.get0_peername()
        if peername:
            text += f"Verified peername: {peername}\n"
    else:
        text = f"Verification error: {verify_cert_error_string(result)}\n"
    say(bio, text)


def print_ca_names(bio: BIO, ssl: SSL, facts: HelloFacts) -> None:
    """print_ca_names: the CA names a server sent in its CertificateRequest."""
    who = "server" if ssl.is_server() else "client"
    if not facts.ca_names:
        if not ssl.is_server():
            say(bio, f"---\nNo {who} certificate CA names sent\n")
        return
    say(bio, f"---\nAcceptable {who} certificate CA names\n"
        + "".join(name_from_der(n) + "\n" for n in facts.ca_names))


def print_ssl_summary(bio: BIO, ssl: SSL, facts: HelloFacts) -> None:
    """print_ssl_summary (-brief): protocol, suite, peer certificate, verification, key."""
    say(bio, f"Protocol version: {ssl.get_version()}\n"
             f"Ciphersuite: {ssl.get_cipher() or '(NONE)'}\n")
    peer = ssl.get_peer_certificate()
    if peer is not None:
        text = f"Peer certificate: {peer.get_subject_name().oneline()}\n"
        info = scheme_info(ssl.get_peer_signature_scheme())
        if info is not None:
            if info.hash_name:
                text += f"Hash used: {info.hash_name}\n"
            text += f"Signature type: {info.sig_name}\n"
        say(bio, text)
        print_verify_detail(bio, ssl)
    else:
        say(bio, "No peer certificate\n")
    if ssl.is_server():
        if facts.client_groups:
            say(bio, "Supported groups: "
                + ":".join(group_name(g) for g in facts.client_groups) + "\n")
    else:
        ssl_print_tmp_key(bio, ssl)


def print_session(bio: BIO, ssl: SSL, session: SessionData | None) -> None:
    """SSL_SESSION_print: what biokit knows of the session (the ticket, on clients)."""
    cipher = ssl.get_current_cipher()
    version = session.version if session is not None else ssl.version()
    tls13 = version == Version.TLS1_3
    lines = [
        "SSL-Session:",
        f"    Protocol  : {VERSION_NAMES.get(version, ssl.get_version())}",
        f"    Cipher    : {cipher.get_name() if cipher is not None else '0000'}",
    ]
    if session is not None:
        suite = suite_by_id(session.suite_id)
        lines[2] = f"    Cipher    : {suite.openssl_name if suite else '0000'}"
        lines += [
            f"    Session-ID: {hashlib.sha256(session.ticket).hexdigest().upper()}",
            "    Session-ID-ctx: ",
            f"    {'Resumption PSK' if tls13 else 'Master-Key'}: {session.psk.hex().upper()}",
            "    PSK identity: None",
            "    PSK identity hint: None",
            "    SRP username: None",
            f"    TLS session ticket lifetime hint: {session.lifetime} (seconds)",
            "    TLS session ticket:",
            bio_dump_indent(session.ticket, 4),
            f"    Start Time: {int(session.received_at)}",
            f"    Timeout   : {session.lifetime} (sec)",
        ]
    else:
        lines += ["    Session-ID: ", "    Session-ID-ctx: 01000000", "    PSK identity: None",
                  "    PSK identity hint: None", "    SRP username: None",
                  f"    Start Time: {int(time.time())}", "    Timeout   : 7200 (sec)"]
    result = ssl.get_verify_result()
    ems = session is not None and session.ems and not tls13
    lines += [
        f"    Verify return code: {result} ({verify_cert_error_string(result)})",
        f"    Extended master secret: {'yes' if ems else 'no'}",
    ]
    if tls13:
        lines.append(f"    Max Early Data: {session.max_early_data if session else 0}")
    say(bio, "\n".join(lines) + "\n")


# ============================================================================ sessions

_SESSION_LABEL = "BIOKIT SSL SESSION PARAMETERS"


def write_session(path: str, session: SessionData) -> bool:
    """-sess_out: the ticket as a PEM-armoured JSON document (biokit's own format:
    OpenSSL's ASN.1 SSL_SESSION is not what biokit keeps)."""
    doc = {
        "version": session.version, "suite_id": session.suite_id,
        "ticket": session.ticket.hex(), "psk": session.psk.hex(),
        "lifetime": session.lifetime, "age_add": session.age_add,
        "received_at": session.received_at, "max_early_data": session.max_early_data,
        "server_name": session.server_name,
        "alpn": session.alpn.hex() if session.alpn is not None else None,
        "peer_chain": [c.hex() for c in session.peer_chain], "nonce": session.nonce.hex(),
        "ems": session.ems,
    }
    body = base64.encodebytes(json.dumps(doc, sort_keys=True).encode()).decode()
    try:
        with open(path, "w") as f:
            f.write(f"-----BEGIN {_SESSION_LABEL}-----\n{body}-----END {_SESSION_LABEL}-----\n")
    except OSError:
        return False
    return True


def read_session(path: str) -> SessionData | None:
    """-sess_in: a file written by -sess_out, or None."""
    try:
        with open(path) as f:
            text = f.read()
        begin = f"-----BEGIN {_SESSION_LABEL}-----"
        end = f"-----END {_SESSION_LABEL}-----"
        start = text.index(begin) + len(begin)
        doc = json.loads(base64.b64decode(text[start : text.index(end, start)]))
        return SessionData(
            version=int(doc["version"]), suite_id=int(doc["suite_id"]),
            ticket=bytes.fromhex(doc["ticket"]), psk=bytes.fromhex(doc["psk"]),
            lifetime=int(doc["lifetime"]), age_add=int(doc["age_add"]),
            received_at=float(doc["received_at"]), max_early_data=int(doc["max_early_data"]),
            server_name=doc["server_name"],
            alpn=bytes.fromhex(doc["alpn"]) if doc["alpn"] is not None else None,
            peer_chain=[bytes.fromhex(c) for c in doc["peer_chain"]],
            nonce=bytes.fromhex(doc["nonce"]),
            ems=bool(doc.get("ems", False)),
        )
    except (OSError, ValueError, KeyError, TypeError, binascii.Error):
        return None


# ============================================================================ waiting


def wait_io(fd: int, *, read: bool, write: bool, timeout: float | None = None) -> bool:
    """select() on one descriptor for what SSL_get_error asked for; True when ready."""
    rl = [fd] if read else []
    wl = [fd] if write else []
    try:
        r, w, _ = select.select(rl, wl, [], timeout)
    except InterruptedError:  # pragma: no cover - PEP 475 retries for us
        return False
    return bool(r or w)


def stdin_fd() -> int | None:
    """The descriptor of stdin, or None when there is none (closed, or not a real file)."""
    stream: IO[str] | None = sys.stdin
    if stream is None:
        return None
    try:
        fd = stream.fileno()
        os.fstat(fd)
    except (OSError, ValueError):
        return None
    return fd

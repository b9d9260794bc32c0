"""Base64BIO (BIO_f_base64), DigestBIO (BIO_f_md) and CipherBIO (BIO_f_cipher).

Outputs are compared with Python's base64/hashlib, with ``cryptography``, with
the ``openssl`` command line (run as a bounded subprocess) and, where libcrypto
loads through ctypes, with OpenSSL's own filters.  Retry behaviour is checked
with exact return values against two test BIOs defined here -- a sink that
takes ``k`` bytes and then asks to retry, and seeded sources/sinks -- and
hypothesis shows that no byte is lost or duplicated under random chunking and
random retry schedules.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import hashlib
import io
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biokit.bio.core import (
    BIO,
    BIO_FLAGS_SHOULD_RETRY,
    BIO_NOCLOSE,
    BIOType,
    Ctrl,
)
from biokit.bio.f_base64 import BIO_FLAGS_BASE64_NO_NL, Base64BIO
from biokit.bio.f_cipher import CipherBIO, cipher_names
from biokit.bio.f_md import EVP_MAX_MD_SIZE, DigestBIO, digest_names
from biokit.bio.s_file import FileBIO
from biokit.bio.s_mem import MemBIO
from biokit.bio.s_null import NullBIO
from biokit.errors import BIOReason, Lib, clear_error, errors_as_list, pack_error

RETRY_READ = 0x01 | BIO_FLAGS_SHOULD_RETRY
RETRY_WRITE = 0x02 | BIO_FLAGS_SHOULD_RETRY
SIZES = [0, 1, 47, 48, 49, 64, 1000, 100000]
LIMIT = 200_000  # bound on every drive loop

KEY16 = bytes(range(16))
KEY32 = bytes(range(32))
IV16 = bytes(range(16, 32))

PROV = 57  # ERR_LIB_PROV, "Provider routines"
PROV_BAD_DECRYPT = pack_error(PROV, 100)
PROV_WRONG_FINAL_BLOCK_LENGTH = pack_error(PROV, 107)
EVP_FINAL_ERROR = pack_error(Lib.EVP, 188)
EVP_MESSAGE_DIGEST_IS_NULL = pack_error(Lib.EVP, 159)
EVP_UNKNOWN_DIGEST = pack_error(Lib.EVP, 161)
EVP_UNKNOWN_CIPHER = pack_error(Lib.EVP, 160)
EVP_INVALID_KEY_LENGTH = pack_error(Lib.EVP, 130)
BIO_UNSUPPORTED = pack_error(Lib.BIO, BIOReason.UNSUPPORTED_METHOD)

OPENSSL = shutil.which("openssl")
needs_cli = pytest.mark.skipif(OPENSSL is None, reason="openssl command not found")


@pytest.fixture(autouse=True)
def _clean_queue() -> None:
    clear_error()


def codes() -> list[int]:
    return [e.code for e in errors_as_list()]


# --------------------------------------------------------------------------- helpers


class RetrySink(BIO):
    """A sink that takes at most ``k`` bytes, then asks to retry once, and so on.

    With ``seed`` the schedule is random instead: each write call retries with
    probability ``p`` or takes 1..``max_k`` bytes, and ``flush`` may retry too.
    """

    bio_type: ClassVar[int] = BIOType.SOURCE_SINK
    bio_name: ClassVar[str] = "retry sink"
    __slots__ = ("budget", "data", "flush_retries", "k", "max_k", "p", "retries", "rng")

    def __init__(self, k: int = 0, seed: int | None = None, p: float = 0.3, max_k: int = 97):
        super().__init__()
        self.data = bytearray()
        self.k = k
        self.budget = k
        self.rng = random.Random(seed) if seed is not None else None
        self.p = p
        self.max_k = max_k
        self.retries = 0
        self.flush_retries = 0

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        rng = self.rng
        if rng is not None:
            if rng.random() < self.p:
                self.retries += 1
                self.set_retry_write()
                return -1
            n = min(len(data), rng.randint(1, self.max_k))
        else:
            if self.budget == 0:
                self.budget = self.k
                self.retries += 1
                self.set_retry_write()
                return -1
            n = min(len(data), self.budget)
            self.budget -= n
        self.data += data[:n]
        return n

    def _flush(self) -> int:
        if self.rng is not None and self.rng.random() < self.p:
            self.flush_retries += 1
            self.set_retry_write()
            return -1
        return 1


class RetrySource(BIO):
    """A source that hands out its data in random pieces with random retries, then EOF."""

    bio_type: ClassVar[int] = BIOType.SOURCE_SINK
    bio_name: ClassVar[str] = "retry source"
    __slots__ = ("data", "max_k", "p", "pos", "retries", "rng")

    def __init__(self, data: bytes, seed: int, p: float = 0.3, max_k: int = 700) -> None:
        super().__init__()
        self.data = data
        self.pos = 0
        self.rng = random.Random(seed)
        self.p = p
        self.max_k = max_k
        self.retries = 0

    def _read(self, size: int) -> bytes | int:
        if self.pos >= len(self.data):
            return 0
        if self.rng.random() < self.p:
            self.retries += 1
            self.set_retry_read()
            return -1
        n = min(size, self.rng.randint(1, self.max_k), len(self.data) - self.pos)
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def _eof(self) -> bool:
        return self.pos >= len(self.data)


def sizes_from(rng: random.Random, top: int) -> Iterator[int]:
    while True:
        yield rng.randint(1, top)


def write_all(bio: BIO, data: bytes, chunks: Iterator[int]) -> int:
    """Write everything, retrying as told; returns how many retries were seen."""
    view = memoryview(data)
    pos = 0
    retries = 0
    for _ in range(LIMIT):
        if pos >= len(data):
            return retries
        r = bio.write(view[pos : pos + next(chunks)])
        if r > 0:
            pos += r
        else:
            assert r == -1
            assert bio.get_retry_flags() == RETRY_WRITE
            retries += 1
    raise AssertionError("write loop did not finish")


def flush_all(bio: BIO) -> int:
    """Flush until it returns 1; returns how many retries were seen."""
    for retries in range(LIMIT):
        r = bio.flush()
        if r == 1:
            return retries
        assert r == -1
        assert bio.get_retry_flags() == RETRY_WRITE
    raise AssertionError("flush loop did not finish")


def read_all(bio: BIO, sizes: Iterator[int]) -> bytes:
    """Read until a read fails without a retry; that read must say 0 (EOF)."""
    out = []
    for _ in range(LIMIT):
        r = bio.read_c(next(sizes))
        if isinstance(r, bytes):
            assert r
            out.append(r)
            continue
        if bio.should_retry():
            assert r == -1 and bio.get_retry_flags() == RETRY_READ
            continue
        assert r == 0
        return b"".join(out)
    raise AssertionError("read loop did not finish")


def b64_lines(data: bytes) -> bytes:
    """What EVP_EncodeUpdate/Final produce: 64-character lines, each ending in a newline."""
    e = base64.b64encode(data)
    return b"".join(e[i : i + 64] + b"\n" for i in range(0, len(e), 64))


def cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(padder.update(data) + padder.finalize()) + enc.finalize()


def openssl(*args: str, data: bytes) -> bytes:
    """Run the openssl command line with ``data`` on stdin; bounded, killed if it hangs."""
    assert OPENSSL is not None
    proc = subprocess.Popen(
        [OPENSSL, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        out, err = proc.communicate(data, timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    assert proc.returncode == 0, err.decode(errors="replace")
    return out


def encode(data: bytes, no_newlines: bool = False) -> bytes:
    sink = MemBIO()
    b64 = Base64BIO(no_newlines).push(sink)
    assert b64.write(data) == len(data)
    assert b64.flush() == 1
    return sink.getvalue()


def decode(text: bytes, no_newlines: bool = False, size: int = 4096) -> bytes:
    b64 = Base64BIO(no_newlines).push(MemBIO(text))
    return read_all(b64, iter(lambda: size, None))


def payload(n: int) -> bytes:
    return random.Random(n).randbytes(n)


# --------------------------------------------------------------------------- Base64BIO


def test_base64_identity() -> None:
    b = Base64BIO()
    assert b.bio_type == BIOType.BASE64 and int(b.bio_type) == 0x020B
    assert b.method_name() == "base64 encoding"
    assert not b.no_newlines and Base64BIO(no_newlines=True).no_newlines
    chain = DigestBIO().push(Base64BIO()).push(MemBIO())
    assert isinstance(chain.find_type(BIOType.BASE64), Base64BIO)
    # Without a next BIO a filter moves nothing.
    assert b.write(b"abc") == 0 and b.read_c(10) == 0 and b.flush() == 0


@pytest.mark.parametrize("n", SIZES)
def test_base64_encode_matches_python(n: int) -> None:
    data = payload(n)
    assert encode(data) == b64_lines(data)
    assert encode(data, no_newlines=True) == base64.b64encode(data)


@needs_cli
@pytest.mark.parametrize("n", SIZES)
def test_base64_matches_openssl_cli(n: int) -> None:
    data = payload(n)
    ours, ours_a = encode(data), encode(data, no_newlines=True)
    cli, cli_a = openssl("base64", data=data), openssl("base64", "-A", data=data)
    assert ours == cli
    assert ours_a == cli_a
    # And each side decodes the other's output.
    assert openssl("base64", "-d", data=ours) == data
    assert openssl("base64", "-d", "-A", data=ours_a) == data
    assert decode(cli) == data
    assert decode(cli_a, no_newlines=True) == data


def test_base64_flush_writes_the_last_line_and_padding() -> None:
    sink = MemBIO()
    b64 = Base64BIO().push(sink)
    assert b64.write(b"a") == 1
    assert sink.getvalue() == b"" and b64.wpending() == 1  # held in the encoder
    assert b64.write(bytes(47)) == 47  # completes a 48-byte line: written at once
    assert sink.getvalue() == b"YQ" + b"A" * 62 + b"\n"
    assert b64.wpending() == 0
    assert b64.write(b"bc") == 2
    assert b64.flush() == 1
    assert sink.getvalue() == b"YQ" + b"A" * 62 + b"\n" + b"YmM=\n"
    assert b64.flush() == 1  # nothing more to finish
    assert sink.getvalue().count(b"\n") == 2


def test_base64_no_newlines_holds_partial_groups_until_flush() -> None:
    sink = MemBIO()
    b64 = Base64BIO().push(sink)
    b64.set_flags(BIO_FLAGS_BASE64_NO_NL)
    assert b64.test_flags(BIO_FLAGS_BASE64_NO_NL) == BIO_FLAGS_BASE64_NO_NL
    assert b64.write(b"abcd") == 4
    assert sink.getvalue() == b"YWJj"  # whole groups of three go out at once
    assert b64.write(b"e") == 1
    assert sink.getvalue() == b"YWJj"
    assert b64.write(b"fg") == 2
    assert sink.getvalue() == b"YWJjZGVm"
    assert b64.flush() == 1
    assert sink.getvalue() == b"YWJjZGVmZw=="  # no newline at all


def test_base64_manual_example_encode() -> None:
    # BIO_f_base64(3): Base64 encode the string "Hello World\n" and write the
    # result to standard output (a BytesIO stands in for stdout).
    stdout = io.BytesIO()
    message = b"Hello World \n"

    b64 = Base64BIO()
    bio = FileBIO(stdout, BIO_NOCLOSE)
    b64.push(bio)
    b64.write(message)
    b64.flush()

    b64.free_all()
    assert stdout.getvalue() == b"SGVsbG8gV29ybGQgCg==\n"


def test_base64_manual_example_decode() -> None:
    # BIO_f_base64(3): read base64 encoded data from standard input and write
    # the decoded data to standard output.
    data = payload(5000)
    stdin, stdout = io.BytesIO(b64_lines(data)), io.BytesIO()

    b64 = Base64BIO()
    bio = FileBIO(stdin, BIO_NOCLOSE)
    bio_out = FileBIO(stdout, BIO_NOCLOSE)
    b64.push(bio)
    while (inbuf := b64.read(512)) != b"":
        bio_out.write(inbuf)

    bio_out.flush()
    b64.free_all()
    bio_out.free()
    assert stdout.getvalue() == data


def test_base64_decode_skips_leading_junk_and_stops_at_pem_footer() -> None:
    pem = b"-----BEGIN STUFF-----\nQUJD\nRA==\n-----END STUFF-----\nQUJD\n"
    b64 = Base64BIO().push(MemBIO(pem))
    assert b64.read_c(100) == b"ABCD"
    assert b64.read_c(100) == 0 and not b64.should_retry()
    assert b64.eof()
    # A '-' starting a group is a soft end of input, not an error.
    assert decode(b"QUJD\n-junk that is not base64!\n") == b"ABC"
    # Whitespace and CR/LF are ignored anywhere once decoding started.
    assert decode(b"QU JD\r\n\tRA\n==\n") == b"ABCD"
    # A first "line" longer than 1024 bytes is skipped whole, even if valid.
    assert decode(b"QUJD" * 300 + b"\nRUZH\n") == b"EFG"


def test_base64_decode_needs_a_newline_unless_no_newlines() -> None:
    # Without BIO_FLAGS_BASE64_NO_NL the first line must end in a newline.
    b64 = Base64BIO().push(MemBIO(b"QUJD"))
    assert b64.read_c(100) == 0 and not b64.should_retry()
    # With it, one long line of any length decodes (here 133336 characters).
    data = payload(100000)
    assert decode(base64.b64encode(data), no_newlines=True, size=777) == data


def test_base64_decode_garbage_fails_like_openssl() -> None:
    # The 1024-byte block holding the bad character yields nothing; the read
    # then fails with -1 (no retry), and so does every later read.
    b64 = Base64BIO().push(MemBIO(b"QUJD\n!!!!\n"))
    assert b64.read_c(100) == -1 and b64.get_retry_flags() == 0
    assert b64.read_c(100) == -1
    assert b64.eof()

    # What earlier blocks decoded is returned first.
    data = payload(1200)
    text = b64_lines(data) + b"!\n"
    b64 = Base64BIO().push(MemBIO(text))
    first = b64.read_c(4096)
    assert first == data[:720]  # 15 whole 64-character blocks of the first 1024 bytes
    assert b64.read_c(4096) == -1
    assert b64.read_c(4096) == -1

    # Data after padding, an incomplete final group: errors too.
    assert Base64BIO().push(MemBIO(b"QQ==\nQUJD\n")).read_c(100) == -1
    assert Base64BIO().push(MemBIO(b"QUJDRA\n")).read_c(100) == -1
    assert Base64BIO().push(MemBIO(b"QUJD\nQ===\n")).read_c(100) == -1
    # ... but a bad *first* line is junk to skip, not an error: plain EOF.
    assert Base64BIO().push(MemBIO(b"Q===\n")).read_c(100) == 0

    # With no_newlines OpenSSL keeps "start" set: the first failing read says 0.
    b64 = Base64BIO(no_newlines=True).push(MemBIO(b"QUJD!!"))
    assert b64.read_c(100) == 0
    assert b64.read_c(100) == -1
    assert b64.eof()


def test_base64_read_retry_keeps_partial_input() -> None:
    src = MemBIO()  # empty reads: -1 + retry
    b64 = Base64BIO().push(src)
    assert b64.read_c(10) == -1 and b64.get_retry_flags() == RETRY_READ
    src.write(b"QUJD")
    assert b64.read_c(10) == -1 and b64.should_read()  # no newline yet: held
    assert b64.pending() == 0
    src.write(b"\nRUZH")
    assert b64.read_c(2) == b"AB"  # a first line: decoding starts, both groups
    assert b64.pending() == 4  # "CEFG" decoded and buffered
    assert b64.read_c(10) == b"CEFG"
    assert b64.read_c(10) == -1 and b64.get_retry_flags() == RETRY_READ
    src.write(b"SQ==\n")
    assert b64.read_c(10) == b"I"
    assert b64.read_c(10) == 0 and b64.get_retry_flags() == 0  # padding ended it
    assert b64.eof()


def test_base64_write_retry_keeps_encoded_output() -> None:
    sink = RetrySink(k=10)
    b64 = Base64BIO().push(sink)
    data = bytes(range(100))
    want = b64_lines(data)
    # 96 bytes make two lines (130 characters); next takes 10 and then
    # retries, but the whole input counts as taken.
    assert b64.write(data) == 100
    assert b64.get_retry_flags() == RETRY_WRITE
    assert bytes(sink.data) == want[:10]
    assert b64.wpending() == 120
    # The next write first drains; next retries again, nothing new is taken.
    assert b64.write(b"xyz") == -1 and b64.get_retry_flags() == RETRY_WRITE
    assert bytes(sink.data) == want[:20] and b64.wpending() == 110
    # flush() drains 10 per call, then finishes the last group; 1 at the end.
    results = [b64.flush() for _ in range(12)]
    assert results == [-1] * 11 + [1]
    assert bytes(sink.data) == want
    assert b64.wpending() == 0


def test_base64_pending_gets_puts_reset() -> None:
    b64 = Base64BIO().push(MemBIO(b"QUJDRA==\n"))
    assert b64.read_c(1) == b"A"
    assert b64.pending() == 3
    assert b64.gets_c(100) == -2
    assert codes() == [BIO_UNSUPPORTED]
    clear_error()
    assert b64.reset() == 1  # also rewinds the read-only memory BIO
    assert b64.pending() == 9
    assert b64.read_c(100) == b"ABCD"
    sink = MemBIO()
    w = Base64BIO().push(sink)
    assert w.puts(b"abc") == 3  # b64_puts is a plain write
    assert w.flush() == 1 and sink.getvalue() == b"YWJj\n"


def test_base64_flush_on_a_retrying_sink_resumes() -> None:
    sink = RetrySink(seed=7, p=0.6, max_k=3)
    b64 = Base64BIO().push(sink)
    data = payload(1000)
    write_all(b64, data, iter(lambda: 1000, None))
    assert flush_all(b64) > 0
    assert bytes(sink.data) == b64_lines(data)


# --------------------------------------------------------------------------- DigestBIO

DIGESTS = [
    ("sha256", "SHA256", hashlib.sha256),
    ("sha1", "SHA1", hashlib.sha1),
    ("md5", "MD5", hashlib.md5),
    ("sha224", "SHA224", hashlib.sha224),
    ("sha384", "SHA384", hashlib.sha384),
    ("sha512", "SHA512", hashlib.sha512),
    ("sha512-256", "SHA512-256", lambda d=b"": hashlib.new("sha512_256", d)),
    ("sha3-256", "SHA3-256", hashlib.sha3_256),
    ("sha3-512", "SHA3-512", hashlib.sha3_512),
    ("blake2b512", "BLAKE2b512", hashlib.blake2b),
    ("blake2s256", "BLAKE2s256", hashlib.blake2s),
]


def digest_write(name: str, data: bytes) -> bytes:
    md = DigestBIO(name).push(MemBIO())
    assert md.write(data) == len(data)
    return md.digest()


def test_digest_identity_and_names() -> None:
    md = DigestBIO()
    assert md.bio_type == BIOType.MD and int(md.bio_type) == 0x0208
    assert md.method_name() == "message digest"
    assert md.get_md() == "SHA256" and md.digest_size == 32
    for alias in ("SHA2-256", "sha-256", "Sha256"):
        assert DigestBIO(alias).get_md() == "SHA256"
    assert {"SHA256", "SHA1", "MD5", "SHA3-256", "BLAKE2b512"} <= set(digest_names())
    with pytest.raises(ValueError):
        DigestBIO("no-such-digest")
    assert codes() == [EVP_UNKNOWN_DIGEST]


@pytest.mark.parametrize(("name", "short", "ref"), DIGESTS, ids=[d[0] for d in DIGESTS])
def test_digest_algorithms_match_hashlib(name: str, short: str, ref: Any) -> None:
    data = payload(1000)
    md = DigestBIO(name).push(MemBIO())
    assert md.get_md() == short
    assert md.write(data) == 1000
    assert md.digest() == ref(data).digest()


@needs_cli
@pytest.mark.parametrize(("name", "short", "ref"), DIGESTS, ids=[d[0] for d in DIGESTS])
def test_digest_algorithms_match_openssl_cli(name: str, short: str, ref: Any) -> None:
    data = payload(1000)
    assert digest_write(name, data) == openssl("dgst", f"-{name}", "-binary", data=data)


@needs_cli
@pytest.mark.parametrize("n", SIZES)
def test_digest_sizes_match_openssl_cli(n: int) -> None:
    data = payload(n)
    want = openssl("dgst", "-sha256", "-binary", data=data)
    assert want == hashlib.sha256(data).digest()
    assert digest_write("sha256", data) == want
    # The read direction digests the same bytes.
    md = DigestBIO("sha256").push(MemBIO(data))
    assert read_all(md, iter(lambda: 4096, None)) == data
    assert md.digest() == want


def test_digest_counts_only_what_next_accepted() -> None:
    sink = RetrySink(k=10)
    md = DigestBIO("sha256").push(sink)
    data = payload(100)
    assert md.write(data) == 10  # a short write: only 10 bytes digested
    assert md.get_md_ctx() is not None
    assert md.get_md_ctx().copy().digest() == hashlib.sha256(data[:10]).digest()  # type: ignore[union-attr]
    assert md.write(data[10:]) == -1 and md.get_retry_flags() == RETRY_WRITE
    assert md.get_md_ctx().copy().digest() == hashlib.sha256(data[:10]).digest()  # type: ignore[union-attr]
    assert write_all(md, data[10:], iter(lambda: 100, None)) > 0
    assert bytes(sink.data) == data
    assert md.digest() == hashlib.sha256(data).digest()


def test_digest_read_passes_retries_through() -> None:
    src = MemBIO()
    md = DigestBIO("sha1").push(src)
    assert md.read_c(10) == -1 and md.get_retry_flags() == RETRY_READ
    src.write(b"hello ")
    assert md.pending() == 6
    assert md.read_c(3) == b"hel"
    assert md.read_c(100) == b"lo "
    src.write(b"world")
    assert md.read_c(100) == b"world"
    assert md.read_c(100) == -1 and md.should_read()
    src.set_eof_return(0)
    assert md.read_c(100) == 0 and md.get_retry_flags() == 0 and md.eof()
    assert md.digest() == hashlib.sha1(b"hello world").digest()


def test_digest_gets_finalises_like_bio_gets() -> None:
    md = DigestBIO("sha256").push(MemBIO())
    md.write(b"abc")
    assert md.gets_c(31) == 0  # buffer smaller than the digest: nothing
    assert md.gets(32) == hashlib.sha256(b"abc").digest()
    assert codes() == []
    # Finished: a second BIO_gets fails ("final error", OpenSSL 3.3+).
    assert md.gets_c(64) == -1
    assert md.digest() == b""
    assert codes() == [EVP_FINAL_ERROR, EVP_FINAL_ERROR]
    clear_error()
    # Data still passes through (undigested) until BIO_reset / BIO_set_md.
    assert md.write(b"more") == 4
    assert md.reset() == 1
    md.write(b"def")
    assert md.digest() == hashlib.sha256(b"def").digest()
    assert md.set_md("md5") == 1
    md.write(b"x")
    assert md.hexdigest() == hashlib.md5(b"x").hexdigest()
    assert md.set_md("nope") == 0 and codes() == [EVP_UNKNOWN_DIGEST]
    clear_error()
    assert md.puts(b"abc") == -2 and codes() == [BIO_UNSUPPORTED]


def test_digest_without_a_digest_moves_nothing() -> None:
    sink = MemBIO()
    md = DigestBIO(None).push(sink)
    assert md.get_md() is None and md.ctrl(Ctrl.C_GET_MD) == 0
    assert md.write(b"abc") == 0 and sink.getvalue() == b""
    assert md.read_c(10) == -1
    assert md.gets_c(64) == -1
    assert codes() == [EVP_MESSAGE_DIGEST_IS_NULL] * 3


def test_digest_manual_examples(tmp_path: Path) -> None:
    # BIO_f_md(3): an SHA1 and an MD5 digest BIO in front of a null BIO.
    message = b"Hello World"
    bio: BIO = NullBIO()
    mdtmp = DigestBIO(None)
    mdtmp.set_md("sha1")
    # For BIO_push() we want to append the sink BIO and keep a note of the
    # start of the chain.
    bio = mdtmp.push(bio)
    mdtmp = DigestBIO(None)
    mdtmp.set_md("md5")
    bio = mdtmp.push(bio)
    # Note: mdtmp can now be discarded
    bio.write(message)

    def print_digests(bio: BIO) -> list[str]:
        # "This next example retrieves the message digests from a BIO chain
        # and outputs them."
        lines = []
        mdtmp: BIO | None = bio  # Assume bio has previously been set up
        while True:
            assert mdtmp is not None
            mdtmp = mdtmp.find_type(BIOType.MD)
            if mdtmp is None:
                break
            assert isinstance(mdtmp, DigestBIO)
            md = mdtmp.get_md()
            mdbuf = mdtmp.gets(EVP_MAX_MD_SIZE)
            lines.append(f"{md} digest" + "".join(f":{b:02X}" for b in mdbuf))
            mdtmp = mdtmp.next_bio()
            if mdtmp is None:
                break
        return lines

    want = [
        "MD5 digest" + "".join(f":{b:02X}" for b in hashlib.md5(message).digest()),
        "SHA1 digest" + "".join(f":{b:02X}" for b in hashlib.sha1(message).digest()),
    ]
    assert print_digests(bio) == want
    bio.free_all()

    # The next example digests data by reading through a chain instead.
    file = tmp_path / "data.bin"
    content = payload(3000)
    file.write_bytes(content)
    fbio = FileBIO.open(file, "rb")
    assert fbio is not None
    mdtmp = DigestBIO(None)
    mdtmp.set_md("sha1")
    bio = mdtmp.push(fbio)
    mdtmp = DigestBIO(None)
    mdtmp.set_md("md5")
    bio = mdtmp.push(bio)
    while True:
        rdlen = bio.read_c(1024)
        if not isinstance(rdlen, bytes):
            break
    assert print_digests(bio) == [
        "MD5 digest" + "".join(f":{b:02X}" for b in hashlib.md5(content).digest()),
        "SHA1 digest" + "".join(f":{b:02X}" for b in hashlib.sha1(content).digest()),
    ]
    bio.free_all()


# --------------------------------------------------------------------------- CipherBIO


def encrypt(name: str, key: bytes, iv: bytes | None, data: bytes) -> bytes:
    sink = MemBIO()
    c = CipherBIO(name, key, iv, True).push(sink)
    assert c.write(data) == len(data)
    assert c.flush() == 1
    assert c.get_cipher_status() == 1
    return sink.getvalue()


def decrypt(name: str, key: bytes, iv: bytes | None, ct: bytes, size: int = 4096) -> bytes:
    c = CipherBIO(name, key, iv, False).push(MemBIO(ct))
    out = read_all(c, iter(lambda: size, None))
    assert c.get_cipher_status() == 1
    return out


def test_cipher_identity_and_setup_errors() -> None:
    c = CipherBIO()
    assert c.bio_type == BIOType.CIPHER and int(c.bio_type) == 0x020A
    assert c.method_name() == "cipher"
    assert c.get_cipher_ctx() is None and c.get_cipher_status() == 1
    assert c.set_cipher("aes-128-cbc", KEY16, IV16) == 1
    ctx = c.get_cipher_ctx()
    assert ctx is not None
    assert (ctx.name, ctx.block_size, ctx.key_length, ctx.iv_length) == ("AES-128-CBC", 16, 16, 16)
    assert CipherBIO("AES-256-CTR", KEY32, IV16).get_cipher_ctx().block_size == 1  # type: ignore[union-attr]
    assert {"aes-128-cbc", "aes-256-ctr", "aes-128-ecb", "chacha20"} <= set(cipher_names())
    assert c.set_cipher("rot13", KEY16, IV16) == 0
    assert c.set_cipher("aes-128-cbc", KEY32, IV16) == 0
    assert codes() == [EVP_UNKNOWN_CIPHER, EVP_INVALID_KEY_LENGTH]
    with pytest.raises(ValueError):
        CipherBIO("aes-256-cbc", KEY16, IV16)
    assert c.gets_c(10) == -2 and c.puts(b"x") == -2


@pytest.mark.parametrize("n", SIZES)
def test_cipher_cbc_matches_cryptography(n: int) -> None:
    data = payload(n)
    ct = encrypt("aes-128-cbc", KEY16, IV16, data)
    assert ct == cbc_encrypt(KEY16, IV16, data)
    assert len(ct) == (n // 16 + 1) * 16
    assert decrypt("aes-128-cbc", KEY16, IV16, ct) == data
    if n <= 1000:
        assert decrypt("aes-128-cbc", KEY16, IV16, ct, size=1) == data


@needs_cli
@pytest.mark.parametrize("n", SIZES)
def test_cipher_cbc_matches_openssl_enc(n: int) -> None:
    data = payload(n)
    args = ["enc", "-aes-128-cbc", "-K", KEY16.hex(), "-iv", IV16.hex()]
    cli = openssl(*args, data=data)
    ours = encrypt("aes-128-cbc", KEY16, IV16, data)
    assert ours == cli
    assert openssl(*args, "-d", data=ours) == data
    assert decrypt("aes-128-cbc", KEY16, IV16, cli, size=1000) == data


@needs_cli
@pytest.mark.parametrize(
    ("name", "key", "iv"),
    [
        ("aes-192-cbc", bytes(range(24)), IV16),
        ("aes-256-cbc", KEY32, IV16),
        ("aes-128-ecb", KEY16, None),
        ("aes-256-ctr", KEY32, IV16),
        ("aes-128-cfb", KEY16, IV16),
        ("aes-128-cfb8", KEY16, IV16),
        ("aes-192-ofb", bytes(range(24)), IV16),
        ("chacha20", KEY32, IV16),
    ],
)
def test_cipher_other_modes_match_openssl_enc(name: str, key: bytes, iv: bytes | None) -> None:
    data = payload(1000)
    args = ["enc", f"-{name}", "-K", key.hex()] + (["-iv", iv.hex()] if iv else [])
    cli = openssl(*args, data=data)
    assert encrypt(name, key, iv, data) == cli
    assert decrypt(name, key, iv, cli, size=333) == data


@needs_cli
def test_cipher_then_base64_matches_openssl_enc_a() -> None:
    # openssl enc -a: the cipher BIO writes into a base64 BIO.
    data = payload(1000)
    sink = MemBIO()
    chain = CipherBIO("aes-128-cbc", KEY16, IV16).push(Base64BIO()).push(sink)
    assert chain.write(data) == 1000
    assert chain.flush() == 1  # finishes the cipher, then the base64 lines
    args = ["enc", "-aes-128-cbc", "-a", "-K", KEY16.hex(), "-iv", IV16.hex()]
    assert sink.getvalue() == openssl(*args, data=data)
    # And back: read through base64 and cipher.
    back = (
        CipherBIO("aes-128-cbc", KEY16, IV16, False).push(Base64BIO()).push(MemBIO(sink.getvalue()))
    )
    assert read_all(back, iter(lambda: 100, None)) == data


def test_cipher_bad_padding_and_truncation() -> None:
    data = b"hello world, 0123456789"
    ct = cbc_encrypt(KEY16, IV16, data)
    bad = ct[:-1] + bytes([ct[-1] ^ 1])
    c = CipherBIO("aes-128-cbc", KEY16, IV16, False).push(MemBIO(bad))
    assert c.read_c(300) == data[:16]  # the held-back final block never comes
    assert c.get_cipher_status() == 0
    assert c.read_c(300) == 0 and c.get_retry_flags() == 0
    assert c.eof()
    assert codes() == [PROV_BAD_DECRYPT]
    assert errors_as_list()[0].library == PROV
    clear_error()

    c = CipherBIO("aes-128-cbc", KEY16, IV16, False).push(MemBIO(ct[:-3]))
    assert c.read_c(300) == data[:16]
    assert c.read_c(300) == 0 and c.get_cipher_status() == 0
    assert codes() == [PROV_WRONG_FINAL_BLOCK_LENGTH]
    clear_error()

    c = CipherBIO("aes-128-cbc", KEY16, IV16, False).push(MemBIO(b""))
    assert c.read_c(300) == 0 and c.get_cipher_status() == 0
    assert codes() == [PROV_WRONG_FINAL_BLOCK_LENGTH]


def test_cipher_manual_notes() -> None:
    # BIO_f_cipher(3) NOTES: "When encrypting BIO_flush() must be called to
    # flush the final block through the BIO. If it is not then the final block
    # will fail a subsequent decrypt."
    data = payload(100)
    sink = MemBIO()
    enc = CipherBIO("aes-128-cbc", KEY16, IV16, True)
    enc.push(sink)
    enc.write(data)
    unflushed = sink.getvalue()
    assert len(unflushed) == 96
    dec = CipherBIO("aes-128-cbc", KEY16, IV16, False)
    dec.push(MemBIO(unflushed))
    got = dec.read(4096)
    assert got == data[:80]
    assert dec.read_c(4096) == 0
    assert dec.get_cipher_status() == 0
    clear_error()

    # "When decrypting an error on the final block is signaled by a zero
    # return value from the read operation. A successful decrypt followed by
    # EOF will also return zero for the final read. BIO_get_cipher_status()
    # should be called to determine if the decrypt was successful."
    enc.flush()
    dec = CipherBIO("aes-128-cbc", KEY16, IV16, False)
    dec.push(MemBIO(sink.getvalue()))
    out = bytearray()
    while (r := dec.read_c(64)) != 0:
        assert isinstance(r, bytes)
        out += r
    assert bytes(out) == data
    assert dec.get_cipher_status() == 1


def test_cipher_write_retry_keeps_ciphertext() -> None:
    sink = RetrySink(k=10)
    c = CipherBIO("aes-128-cbc", KEY16, IV16).push(sink)
    data = payload(40)
    want = cbc_encrypt(KEY16, IV16, data)
    # Two blocks (32 bytes) are ready; next takes 10 then retries.  The input
    # counts as taken; 22 bytes of ciphertext wait in the BIO.
    assert c.write(data) == 40 and c.get_retry_flags() == RETRY_WRITE
    assert bytes(sink.data) == want[:10] and c.wpending() == 22
    assert c.write(b"more") == -1 and c.get_retry_flags() == RETRY_WRITE
    assert bytes(sink.data) == want[:20] and c.wpending() == 12
    # flush: 10 more, retry; the last 2, then 8 of the 16-byte final block,
    # retry; the other 8 and next's flush.
    results = [c.flush() for _ in range(3)]
    assert results == [-1, -1, 1]
    assert bytes(sink.data) == want
    assert c.get_cipher_status() == 1
    # The final block is written once; a later flush only flushes next.
    assert c.flush() == 1 and bytes(sink.data) == want


def test_cipher_read_retry_and_reset() -> None:
    data = payload(100)
    ct = cbc_encrypt(KEY16, IV16, data)
    src = MemBIO()
    c = CipherBIO("aes-128-cbc", KEY16, IV16, False).push(src)
    assert c.read_c(50) == -1 and c.get_retry_flags() == RETRY_READ
    src.write(ct[:20])
    assert c.read_c(50) == data[:16]  # block 1 out, 4 bytes wait in the cipher
    assert c.read_c(50) == -1 and c.should_read()
    src.write(ct[20:])  # all of it: the last block is held back as possibly padded
    assert c.read_c(500) == data[:96][16:]
    assert c.read_c(500) == -1 and c.get_retry_flags() == RETRY_READ
    src.set_eof_return(0)  # now EOF: the final block is checked
    assert c.read_c(500) == data[96:]
    assert c.read_c(500) == 0 and c.get_cipher_status() == 1 and c.eof()
    # As in OpenSSL, BIO_reset restarts the cipher but a BIO that saw EOF
    # stays there.
    assert c.reset() == 1
    assert c.get_cipher_status() == 1
    src.write(ct)
    assert c.read_c(500) == 0


def test_digest_cipher_mem_chain_both_ways() -> None:
    data = payload(10000)
    sink = MemBIO()
    md = DigestBIO("sha256")
    chain = md.push(CipherBIO("aes-256-cbc", KEY32, IV16)).push(sink)
    assert write_all(chain, data, iter(lambda: 999, None)) == 0
    assert chain.flush() == 1
    assert md.digest() == hashlib.sha256(data).digest()
    ct = sink.getvalue()
    assert ct == cbc_encrypt(KEY32, IV16, data)

    md2 = DigestBIO("sha256")
    back = md2.push(CipherBIO("aes-256-cbc", KEY32, IV16, False)).push(MemBIO(ct))
    assert read_all(back, iter(lambda: 321, None)) == data
    assert md2.digest() == hashlib.sha256(data).digest()
    assert back.find_type(CipherBIO).get_cipher_status() == 1  # type: ignore[union-attr]


def test_base64_mem_chain_both_ways() -> None:
    data = payload(5000)
    sink = MemBIO()
    b64 = Base64BIO().push(sink)
    assert write_all(b64, data, iter(lambda: 333, None)) == 0
    assert b64.flush() == 1
    assert sink.getvalue() == b64_lines(data)
    back = Base64BIO().push(MemBIO(sink.getvalue()))
    assert read_all(back, iter(lambda: 100, None)) == data


# --------------------------------------------------------------------------- properties

PROPS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@PROPS
@given(
    data=st.binary(max_size=3000),
    seed=st.integers(0, 2**32 - 1),
    top=st.sampled_from([1, 7, 64, 1500]),
    no_nl=st.booleans(),
)
def test_prop_base64_round_trip_under_retries(
    data: bytes, seed: int, top: int, no_nl: bool
) -> None:
    rng = random.Random(seed)
    sink = RetrySink(seed=seed, p=0.4, max_k=rng.choice([1, 5, 200]))
    b64 = Base64BIO(no_nl).push(sink)
    write_all(b64, data, sizes_from(rng, top))
    flush_all(b64)
    text = bytes(sink.data)
    assert text == (base64.b64encode(data) if no_nl else b64_lines(data))
    src = RetrySource(text, seed=seed + 1, max_k=rng.choice([1, 9, 700]))
    back = Base64BIO(no_nl).push(src)
    assert read_all(back, sizes_from(rng, top)) == data


@PROPS
@given(
    data=st.binary(max_size=9000),
    seed=st.integers(0, 2**32 - 1),
    top=st.sampled_from([1, 15, 300, 5000]),
    name=st.sampled_from(["aes-128-cbc", "aes-256-ecb", "aes-128-ctr", "chacha20"]),
)
def test_prop_cipher_round_trip_under_retries(data: bytes, seed: int, top: int, name: str) -> None:
    rng = random.Random(seed)
    key = rng.randbytes(32 if name in ("aes-256-ecb", "chacha20") else 16)
    iv = None if name.endswith("ecb") else rng.randbytes(16)
    sink = RetrySink(seed=seed, p=0.4, max_k=rng.choice([1, 13, 600]))
    c = CipherBIO(name, key, iv).push(sink)
    write_all(c, data, sizes_from(rng, top))
    flush_all(c)
    ct = bytes(sink.data)
    assert ct == encrypt(name, key, iv, data)
    src = RetrySource(ct, seed=seed + 1, max_k=rng.choice([1, 17, 5000]))
    d = CipherBIO(name, key, iv, False).push(src)
    assert read_all(d, sizes_from(rng, top)) == data
    assert d.get_cipher_status() == 1


@PROPS
@given(
    data=st.binary(max_size=5000),
    seed=st.integers(0, 2**32 - 1),
    top=st.sampled_from([1, 50, 2000]),
)
def test_prop_digest_cipher_base64_chain(data: bytes, seed: int, top: int) -> None:
    rng = random.Random(seed)
    sink = RetrySink(seed=seed, p=0.3, max_k=rng.choice([2, 40, 900]))
    md = DigestBIO("sha256")
    chain = md.push(CipherBIO("aes-128-cbc", KEY16, IV16)).push(Base64BIO()).push(sink)
    write_all(chain, data, sizes_from(rng, top))
    flush_all(chain)
    assert md.digest() == hashlib.sha256(data).digest()
    assert bytes(sink.data) == b64_lines(cbc_encrypt(KEY16, IV16, data))

    src = RetrySource(bytes(sink.data), seed=seed + 1, max_k=rng.choice([1, 30, 900]))
    md2 = DigestBIO("sha256")
    back = md2.push(CipherBIO("aes-128-cbc", KEY16, IV16, False)).push(Base64BIO()).push(src)
    assert read_all(back, sizes_from(rng, top)) == data
    assert md2.digest() == hashlib.sha256(data).digest()


# --------------------------------------------------------------------------- libcrypto


def _libcrypto() -> Any:
    for name in ("libcrypto.so.3", ctypes.util.find_library("crypto")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.OpenSSL_version_num.restype = ctypes.c_ulong
        except (OSError, AttributeError):
            continue
        if lib.OpenSSL_version_num() >> 28 == 3:
            vp = ctypes.c_void_p
            for fn in ("BIO_f_base64", "BIO_s_mem", "BIO_f_cipher"):
                getattr(lib, fn).restype = vp
            lib.BIO_new.restype = vp
            lib.BIO_new.argtypes = [vp]
            lib.BIO_new_mem_buf.restype = vp
            lib.BIO_new_mem_buf.argtypes = [ctypes.c_char_p, ctypes.c_int]
            lib.BIO_push.restype = vp
            lib.BIO_push.argtypes = [vp, vp]
            lib.BIO_read.argtypes = [vp, ctypes.c_char_p, ctypes.c_int]
            lib.BIO_write.argtypes = [vp, ctypes.c_char_p, ctypes.c_int]
            lib.BIO_ctrl.argtypes = [vp, ctypes.c_int, ctypes.c_long, vp]
            lib.BIO_ctrl.restype = ctypes.c_long
            lib.BIO_set_flags.argtypes = [vp, ctypes.c_int]
            lib.BIO_test_flags.argtypes = [vp, ctypes.c_int]
            lib.BIO_free_all.argtypes = [vp]
            lib.BIO_set_cipher.argtypes = [vp, vp, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
            lib.EVP_get_cipherbyname.restype = vp
            lib.EVP_get_cipherbyname.argtypes = [ctypes.c_char_p]
            lib.ERR_clear_error.argtypes = []
            return lib
    return None


_LIB = _libcrypto()
needs_libcrypto = pytest.mark.skipif(_LIB is None, reason="OpenSSL 3 libcrypto not loadable")


@needs_libcrypto
def test_base64_encoding_matches_libcrypto_chunk_for_chunk() -> None:
    lib = _LIB
    rng = random.Random(5)
    for case in range(150):
        data = rng.randbytes(rng.choice([0, 2, 47, 48, 1023, 1024, 1025, rng.randint(0, 5000)]))
        no_nl = case % 3 == 0
        cuts = sorted(rng.sample(range(len(data) + 1), min(len(data), rng.randint(0, 12))))
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True) if b > a]
        c_b64 = lib.BIO_new(lib.BIO_f_base64())
        if no_nl:
            lib.BIO_set_flags(c_b64, BIO_FLAGS_BASE64_NO_NL)
        c_mem = lib.BIO_new(lib.BIO_s_mem())
        lib.BIO_push(c_b64, c_mem)
        py_mem = MemBIO()
        py_b64 = Base64BIO(no_nl).push(py_mem)
        for p in pieces:
            assert lib.BIO_write(c_b64, p, len(p)) == py_b64.write(p) == len(p)
            # Same bytes handed on after every write, not just at the end.
            assert lib.BIO_ctrl(c_mem, Ctrl.PENDING, 0, None) == py_mem.pending()
        assert lib.BIO_ctrl(c_b64, Ctrl.FLUSH, 0, None) == py_b64.flush() == 1
        n = py_mem.pending()
        buf = ctypes.create_string_buffer(n + 1)
        assert lib.BIO_read(c_mem, buf, n + 1) == (n if n else -1)
        assert buf.raw[:n] == py_mem.getvalue()
        lib.BIO_free_all(c_b64)

        # Reading the text back from a memory buffer, in random sizes.
        text = py_mem.getvalue()
        c_b64 = lib.BIO_new(lib.BIO_f_base64())
        if no_nl:
            lib.BIO_set_flags(c_b64, BIO_FLAGS_BASE64_NO_NL)
        lib.BIO_push(c_b64, lib.BIO_new_mem_buf(text, len(text)))
        py_b64 = Base64BIO(no_nl).push(MemBIO(text))
        out = ctypes.create_string_buffer(5000)
        for _ in range(12):
            size = rng.choice([1, 3, 64, 700, 5000])
            r = lib.BIO_read(c_b64, out, size)
            mine = py_b64.read_c(size)
            assert (out.raw[:r] if r > 0 else r) == mine
            assert lib.BIO_test_flags(c_b64, 0x0F) == py_b64.get_retry_flags()
        lib.BIO_free_all(c_b64)


@needs_libcrypto
@pytest.mark.parametrize("name", ["aes-128-cbc", "aes-256-ecb", "aes-192-ctr", "chacha20"])
def test_cipher_read_matches_libcrypto_under_retries(name: str) -> None:
    lib = _LIB
    rng = random.Random(name)
    key = rng.randbytes({"aes-128-cbc": 16, "aes-256-ecb": 32, "aes-192-ctr": 24}.get(name, 32))
    iv = None if "ecb" in name else IV16
    c_cipher = lib.EVP_get_cipherbyname(name.encode())
    for _case in range(40):
        data = rng.randbytes(rng.choice([0, 15, 16, 17, 4096, rng.randint(0, 12000)]))
        ct = encrypt(name, key, iv, data)
        if ct and rng.random() < 0.3:
            ct = ct[:-1] + bytes([ct[-1] ^ 0x55])
        feed = [ct[a : a + 1500] for a in range(0, len(ct), 1500)]
        c_mem = lib.BIO_new(lib.BIO_s_mem())
        c_bio = lib.BIO_new(lib.BIO_f_cipher())
        lib.BIO_set_cipher(c_bio, c_cipher, key, iv, 0)
        lib.BIO_push(c_bio, c_mem)
        py_mem = MemBIO()
        py_bio = CipherBIO(name, key, iv, False).push(py_mem)
        out = ctypes.create_string_buffer(20000)
        for _step in range(60):
            if feed and rng.random() < 0.4:
                piece = feed.pop(0)
                lib.BIO_write(c_mem, piece, len(piece))
                py_mem.write(piece)
            elif not feed and rng.random() < 0.2:
                lib.BIO_ctrl(c_mem, Ctrl.C_SET_BUF_MEM_EOF_RETURN, 0, None)
                py_mem.set_eof_return(0)
            size = rng.choice([1, 16, 255, 257, 4096, 20000])
            r = lib.BIO_read(c_bio, out, size)
            mine = py_bio.read_c(size)
            assert (out.raw[:r] if r > 0 else r) == mine
            assert lib.BIO_test_flags(c_bio, 0x0F) == py_bio.get_retry_flags()
            assert (
                lib.BIO_ctrl(c_bio, Ctrl.C_GET_CIPHER_STATUS, 0, None) == py_bio.get_cipher_status()
            )
            assert lib.BIO_ctrl(c_bio, Ctrl.PENDING, 0, None) == py_bio.pending()
        lib.BIO_free_all(c_bio)
        lib.ERR_clear_error()
        clear_error()


# --------------------------------------------------------------------------- odds and ends


def test_base64_flush_while_reading_keeps_decoded_bytes() -> None:
    # OpenSSL's b64_ctrl(FLUSH) would switch to encoding and drop them.
    b64 = Base64BIO().push(MemBIO(b"QUJDRA==\n"))
    assert b64.read_c(1) == b"A"
    assert b64.flush() == 1
    assert b64.read_c(10) == b"BCD"


def test_digest_reset_without_next_still_restarts_the_digest() -> None:
    md = DigestBIO("sha256")
    assert md.write(b"abc") == 0  # nothing to write to
    assert md.reset() == 0  # BIO_ctrl(NULL, ...) is 0 in OpenSSL
    md.push(MemBIO())
    md.write(b"xyz")
    assert md.digest() == hashlib.sha256(b"xyz").digest()


def test_cipher_encrypts_on_read_too() -> None:
    data = payload(5000)
    c = CipherBIO("aes-128-cbc", KEY16, IV16, True).push(MemBIO(data))
    assert read_all(c, iter(lambda: 700, None)) == cbc_encrypt(KEY16, IV16, data)
    assert c.get_cipher_status() == 1
    # And decrypting on write: what a sink receives is the plaintext.
    sink = MemBIO()
    d = CipherBIO("aes-128-cbc", KEY16, IV16, False).push(sink)
    ct = cbc_encrypt(KEY16, IV16, data)
    assert write_all(d, ct, iter(lambda: 333, None)) == 0
    assert d.flush() == 1 and d.get_cipher_status() == 1
    assert sink.getvalue() == data


def test_cipher_set_cipher_runs_the_callback() -> None:
    seen: list[tuple[int, int, int]] = []

    def cb(
        bio: BIO,
        oper: int,
        argp: bytes | None,
        length: int,
        argi: int,
        argl: int,
        ret: int,
        processed: int | None,
    ) -> int:
        seen.append((oper, argi, argl))
        return 0 if argl == 0 else ret  # veto decryption set-ups

    c = CipherBIO()
    c.set_callback(cb)
    assert c.set_cipher("aes-128-cbc", KEY16, IV16, True) == 1
    assert c.set_cipher("aes-128-cbc", KEY16, IV16, False) == 0
    assert c.get_cipher_ctx() is not None and c.get_cipher_ctx().encrypting  # type: ignore[union-attr]
    assert seen == [(0x06, Ctrl.SET, 1), (0x86, Ctrl.SET, 1), (0x06, Ctrl.SET, 0)]

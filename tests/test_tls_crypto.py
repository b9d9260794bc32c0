"""The engine's cryptographic building blocks, each tested alone.

Known answers come from RFC 8448 section 3 ("Simple 1-RTT Handshake": every
secret, key, IV, Finished value and protected record of one real handshake),
the TLS 1.2 PRF vectors circulated on the IETF TLS list, and the ``openssl``
command line (``openssl kdf TLS1-PRF``, ``openssl ciphers``) as an
independent implementation.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey, MLKEM768PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biokit.errors import SSLReason
from biokit.ssl.tls import key_schedule as ks
from biokit.ssl.tls import kx, prf12, record, signatures, suites
from biokit.ssl.tls.enums import AlertDescription, NamedGroup, SignatureScheme
from biokit.ssl.tls.errors import DecodeError, TLSError

A = AlertDescription
R = SSLReason
SHA256 = hashes.SHA256
SHA384 = hashes.SHA384
OPENSSL = shutil.which("openssl")


def h(s: str) -> bytes:
    return bytes.fromhex("".join(s.split()))


def assert_tls_error(exc: pytest.ExceptionInfo[TLSError], alert: A | None, reason: int) -> None:
    assert exc.value.alert == alert
    assert exc.value.reason == reason


# --- sans-I/O ---------------------------------------------------------------------------------

MODULES = ["suites", "key_schedule", "record", "kx", "signatures", "prf12"]


@pytest.mark.parametrize("name", MODULES)
def test_module_is_sans_io(name: str) -> None:
    path = Path(suites.__file__).with_name(f"{name}.py")
    tree = ast.parse(path.read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    forbidden = {m for m in imported if m.split(".")[0] in ("socket", "trio", "select", "ssl")}
    forbidden |= {m for m in imported if m.startswith("biokit.bio")}
    assert forbidden == set()


# --- RFC 8448 section 3: Simple 1-RTT Handshake ------------------------------------------------

CLIENT_HELLO = h(
    "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302"
    "010000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103"
    "010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529a"
    "af2c002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d"
    "00020101001c00024001"
)
SERVER_HELLO = h(
    "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e0033"
    "0024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304"
)
SERVER_HELLO_RECORD = h("160303005a") + SERVER_HELLO
# {server} send handshake record: payload (657 octets):
# EncryptedExtensions, Certificate, CertificateVerify, Finished
SERVER_FLIGHT = h(
    """
    080000240022000a00140012001d00170018001901000101010201030104001c
    00024001000000000b0001b9000001b50001b0308201ac30820115a003020102
    020102300d06092a864886f70d01010b0500300e310c300a0603550403130372
    7361301e170d3136303733303031323335395a170d3236303733303031323335
    395a300e310c300a0603550403130372736130819f300d06092a864886f70d01
    0101050003818d0030818902818100b4bb498f8279303d980836399b36c6988c
    0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19e
    aa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e2
    2a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a
    8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304
    023000300b0603551d0f0404030205a0300d06092a864886f70d01010b050003
    81810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594
    365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd
    335e5e67f2dbf102702e608ccae6bec1fc63a42a99be5c3eb7107c3c54e9b9eb
    2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b4
    2b4de100000f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f82
    4cd484145ab3ff52f1fda8477b0b7abc90db78e2d33a5c141a078653fa6bef78
    0c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671
    459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda
    65cdf5aea20d53dfacd42f74f3140000209b9b141d906337fbd2cbdce71df4de
    da4ab42c309572cb7fffee5454b78f0718
    """
)
# {server} send handshake record: complete record (679 octets)
SERVER_FLIGHT_RECORD = h(
    """
    17030302a2d1ff334a56f5bff6594a07cc87b580233f500f45e489e7f33af35e
    df7869fcf40aa40aa2b8ea73f848a7ca07612ef9f945cb960b4068905123ea78
    b111b429ba9191cd05d2a389280f526134aadc7fc78c4b729df828b5ecf7b13b
    d9aefb0e57f271585b8ea9bb355c7c79020716cfb9b1183ef3ab20e37d57a6b9
    d7477609aee6e122a4cf51427325250c7d0e509289444c9b3a648f1d71035d2e
    d65b0e3cdd0cbae8bf2d0b227812cbb360987255cc744110c453baa4fcd61092
    8d809810e4b7ed1a8fd991f06aa6248204797e36a6a73b70a2559c09ead68694
    5ba246ab66e5edd8044b4c6de3fcf2a89441ac66272fd8fb330ef8190579b368
    4596c960bd596eea520a56a8d650f563aad27409960dca63d3e688611ea5e22f
    4415cf9538d51a200c27034272968a264ed6540c84838d89f72c24461aad6d26
    f59ecaba9acbbb317b66d902f4f292a36ac1b639c637ce343117b659622245317
    b49eeda0c6258f100d7d961ffb138647e92ea330faeea6dfa31c7a84dc3bd7e1b
    7a6c7178af36879018e3f252107f243d243dc7339d5684c8b0378bf30244da8c
    87c843f5e56eb4c5e8280a2b48052cf93b16499a66db7cca71e4599426f7d461
    e66f99882bd89fc50800becca62d6c74116dbd2972fda1fa80f85df881edbe5a
    37668936b335583b599186dc5c6918a396fa48a181d6b6fa4f9d62d513afbb99
    2f2b992f67f8afe67f76913fa388cb5630c8ca01e0c65d11c66a1e2ac4c85977
    b7c7a6999bbf10dc35ae69f5515614636c0b9b68c19ed2e31c0b3b66763038eb
    ba42f3b38edc0399f3a9f23faa63978c317fc9fa66a73f60f0504de93b5b845e
    275592c12335ee340bbc4fddd502784016e4b3be7ef04dda49f4b440a30cb5d2
    af939828fd4ae3794e44f94df5a631ede42c1719bfdabf0253fe5175be898e75
    0edc53370d2b
    """
)
CLIENT_FINISHED = h("14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61")
CLIENT_FINISHED_RECORD = h(
    "170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46deb384"
    "bd1caeacab6867d726c40546"
)
NEW_SESSION_TICKET_RECORD = h(
    """
    17030300de3a6b8f90414a97d6959c3487680de5134a2b240e6cffac116e95d4
    1d6af8f6b580dcf3d11d63c758db289a015940252f55713e061dc13e078891a3
    8efbcf5753ad8ef170ad3c7353d16d9da773b9ca7f2b9fa1b6c0d4a3d03f75e0
    9c30ba1e62972ac46f75f7b981be63439b2999ce13064615139891d5e4c5b406
    f16e3fc181a77ca475840025db2f0a77f81b5ab05b94c01346755f69232c8651
    9d86cbeeac87aac347d143f9605d64f650db4d023e70e952ca49fe5137121c74
    bc2697687e248746d6df353005f3bce18696129c8153556b3b6c6779b37bf159
    85684f
    """
)
APP_DATA = bytes(range(50))
CLIENT_APP_RECORD = h(
    "1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a20441e"
    "2b62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4"
)
SERVER_APP_RECORD = h(
    "17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6dffc602dcb501a"
    "59a8fcc49c4bf2e5f0a21c0047c2abf332540dd032e167c2955d"
)
CLIENT_ALERT_RECORD = h("1703030013c9872760655666b74d7ff1153efd6db6d0b0e3")
SERVER_ALERT_RECORD = h("1703030013b58fd67166ebf599d24720cfbe7efa7a8864a9")

ECDHE_SHARED = h("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d")
EARLY_SECRET = h("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a")
DERIVED_FOR_HANDSHAKE = h("6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba")
HANDSHAKE_SECRET = h("1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac")
HELLO_HASH = h("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8")
C_HS_TRAFFIC = h("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21")
S_HS_TRAFFIC = h("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
MASTER_SECRET = h("18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919")
S_HS_KEY, S_HS_IV = h("3fce516009c21727d0f2e4e86ee403bc"), h("5d313eb2671276ee13000b30")
C_HS_KEY, C_HS_IV = h("dbfaa693d1762c5b666af5d950258d01"), h("5bd3c71b836e0b76bb73265f")
S_FINISHED_KEY = h("008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8")
S_VERIFY_DATA = h("9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718")
SERVER_FINISHED_HASH = h("9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13")
C_AP_TRAFFIC = h("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5")
S_AP_TRAFFIC = h("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643")
EXPORTER_MASTER = h("fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50")
S_AP_KEY, S_AP_IV = h("9f02283b6c9c07efc26bb9f2ac92e356"), h("cf782b88dd83549aadf1e984")
C_AP_KEY, C_AP_IV = h("17422dda596ed5d9acd890e3c63f5051"), h("5b78923dee08579033e523d9")
C_FINISHED_KEY = h("b80ad01015fb2f0bd65ff7d4da5d6bf83f84821d1f87fdc7d3c75b5a7b42d9c4")
C_VERIFY_DATA = h("a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61")
CLIENT_FINISHED_HASH = h("209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d")
RESUMPTION_MASTER = h("7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c")
RESUMPTION_PSK = h("4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3")
# Section 4 (resumed 0-RTT): the early secret from that PSK and the client early traffic secret.
RESUMED_EARLY_SECRET = h("9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c")
RESUMED_CH_HASH = h("08ad0fa05d7c7233b1775ba2ff9f4c5b8b59276b7f227f13a976245f5d960913")
C_E_TRAFFIC = h("3fbbe6a60deb66c30a32795aba0eff7eaa10105586e7be5c09678d63b6caab62")
# Section 5 (HelloRetryRequest): the handshake secret from the second ECDHE.
HRR_SHARED = h("c142ce13ca11b5c2233652e63ad3d97844f1621fbfb9de69d547dc8fedeabeb4")
HRR_HANDSHAKE_SECRET = h("ce022e5e6e81e50736d773f2d3adfce8220d049bf510f0dbfac927ef4243b148")

AES128 = suites.TLS_AES_128_GCM_SHA256


def split_messages(data: bytes) -> list[bytes]:
    out = []
    while data:
        n = 4 + int.from_bytes(data[1:4], "big")
        out.append(data[:n])
        data = data[n:]
    return out


EE, CERTIFICATE, CERT_VERIFY, SERVER_FINISHED = split_messages(SERVER_FLIGHT)


def test_rfc8448_early_and_handshake_secrets() -> None:
    sched = ks.KeySchedule13(SHA256)
    assert sched.early_secret == EARLY_SECRET
    assert ks.derive_secret(SHA256, EARLY_SECRET, b"derived", ks.empty_hash(SHA256)) == (
        DERIVED_FOR_HANDSHAKE
    )
    assert sched.input_shared_secret(ECDHE_SHARED) == HANDSHAKE_SECRET
    assert sched.handshake_secret == HANDSHAKE_SECRET


def test_rfc8448_transcript_buffers_client_hello_until_hash_known() -> None:
    t = ks.Transcript()
    t.update(CLIENT_HELLO)
    with pytest.raises(RuntimeError):
        t.digest()
    t.set_hash(SHA256)
    t.update(memoryview(SERVER_HELLO))
    assert t.digest() == HELLO_HASH
    assert t.digest() == HELLO_HASH  # non-destructive
    assert t.digest_with(EE) == hashlib.sha256(CLIENT_HELLO + SERVER_HELLO + EE).digest()
    assert t.digest() == HELLO_HASH
    t.set_hash(SHA256)  # same hash again: harmless
    with pytest.raises(RuntimeError):
        t.set_hash(SHA384)


def test_rfc8448_full_schedule() -> None:
    sched = ks.KeySchedule13(SHA256)
    sched.input_shared_secret(ECDHE_SHARED)
    assert sched.client_handshake_traffic_secret(HELLO_HASH) == C_HS_TRAFFIC
    assert sched.server_handshake_traffic_secret(HELLO_HASH) == S_HS_TRAFFIC
    assert ks.traffic_keys(AES128, S_HS_TRAFFIC) == (S_HS_KEY, S_HS_IV)
    assert ks.traffic_keys(AES128, C_HS_TRAFFIC) == (C_HS_KEY, C_HS_IV)

    assert sched.derive_master() == MASTER_SECRET
    t = ks.Transcript()
    for msg in (CLIENT_HELLO, SERVER_HELLO, EE, CERTIFICATE, CERT_VERIFY):
        t.update(msg)
        if msg is CLIENT_HELLO:
            t.set_hash(SHA256)
    assert ks.finished_key(SHA256, S_HS_TRAFFIC) == S_FINISHED_KEY
    assert ks.finished_verify_data(SHA256, S_HS_TRAFFIC, t.digest()) == S_VERIFY_DATA
    assert h("14000020") + S_VERIFY_DATA == SERVER_FINISHED
    t.update(SERVER_FINISHED)
    th = t.digest()
    assert th == SERVER_FINISHED_HASH
    assert sched.client_application_traffic_secret_0(th) == C_AP_TRAFFIC
    assert sched.server_application_traffic_secret_0(th) == S_AP_TRAFFIC
    assert sched.exporter_master_secret(th) == EXPORTER_MASTER
    assert ks.traffic_keys(AES128, S_AP_TRAFFIC) == (S_AP_KEY, S_AP_IV)
    assert ks.traffic_keys(AES128, C_AP_TRAFFIC) == (C_AP_KEY, C_AP_IV)

    assert ks.finished_key(SHA256, C_HS_TRAFFIC) == C_FINISHED_KEY
    assert ks.finished_verify_data(SHA256, C_HS_TRAFFIC, th) == C_VERIFY_DATA
    t.update(CLIENT_FINISHED)
    assert t.digest() == CLIENT_FINISHED_HASH
    assert sched.resumption_master_secret(t.digest()) == RESUMPTION_MASTER
    assert ks.resumption_psk(SHA256, RESUMPTION_MASTER, b"\x00\x00") == RESUMPTION_PSK


def test_rfc8448_resumed_early_secret_and_hrr_handshake_secret() -> None:
    resumed = ks.KeySchedule13(SHA256, psk=RESUMPTION_PSK)
    assert resumed.early_secret == RESUMED_EARLY_SECRET
    assert resumed.client_early_traffic_secret(RESUMED_CH_HASH) == C_E_TRAFFIC
    assert len(resumed.binder_key(True)) == 32
    assert resumed.binder_key(True) != resumed.binder_key(False)
    assert resumed.binder_key(True) == ks.derive_secret(
        SHA256, RESUMED_EARLY_SECRET, b"res binder", ks.empty_hash(SHA256)
    )
    fresh = ks.KeySchedule13(SHA256)
    assert fresh.input_shared_secret(HRR_SHARED) == HRR_HANDSHAKE_SECRET


def test_rfc8448_server_flight_record() -> None:
    header, body = SERVER_FLIGHT_RECORD[:5], SERVER_FLIGHT_RECORD[5:]
    assert record.parse_header(header) == (23, 0x0303, 674)
    rx = record.TLS13Protector(AES128, S_HS_KEY, S_HS_IV)
    assert rx.open(header, memoryview(body)) == (22, SERVER_FLIGHT)
    assert rx.seq == 1
    tx = record.TLS13Protector(AES128, S_HS_KEY, S_HS_IV)
    assert tx.seal(22, SERVER_FLIGHT) == SERVER_FLIGHT_RECORD
    assert tx.seq == 1


def test_rfc8448_server_hello_is_a_plaintext_record() -> None:
    null = record.NullProtector()
    assert null.seal(22, SERVER_HELLO) == SERVER_HELLO_RECORD
    assert null.open(SERVER_HELLO_RECORD[:5], SERVER_HELLO_RECORD[5:]) == (22, SERVER_HELLO)


def test_rfc8448_certificate_verify_signature() -> None:
    cert_der = CERTIFICATE[11 : 11 + 0x1B0]
    cert = x509.load_der_x509_certificate(cert_der)
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert CERT_VERIFY[4:6] == h("0804")  # rsa_pss_rsae_sha256
    signature = CERT_VERIFY[8:]
    th = hashlib.sha256(CLIENT_HELLO + SERVER_HELLO + EE + CERTIFICATE).digest()
    content = signatures.tls13_signed_content(True, th)
    signatures.verify(key, 0x0804, signature, content)
    assert signatures.check_peer_scheme(0x0804, key, tls13=True).name == "rsa_pss_rsae_sha256"
    with pytest.raises(TLSError) as e:
        signatures.verify(key, 0x0804, signature, signatures.tls13_signed_content(False, th))
    assert_tls_error(e, A.decrypt_error, R.BAD_SIGNATURE)


def test_rfc8448_client_finished_and_application_records() -> None:
    c_hs = record.TLS13Protector(AES128, C_HS_KEY, C_HS_IV)
    assert c_hs.seal(22, CLIENT_FINISHED) == CLIENT_FINISHED_RECORD

    s_ap = record.TLS13Protector(AES128, S_AP_KEY, S_AP_IV)
    ctype, ticket = s_ap.open(NEW_SESSION_TICKET_RECORD[:5], NEW_SESSION_TICKET_RECORD[5:])
    assert (ctype, ticket[:4], len(ticket)) == (22, h("040000c9"), 205)
    assert s_ap.open(SERVER_APP_RECORD[:5], SERVER_APP_RECORD[5:]) == (23, APP_DATA)
    assert s_ap.open(SERVER_ALERT_RECORD[:5], SERVER_ALERT_RECORD[5:]) == (21, h("0100"))
    assert s_ap.seq == 3

    c_ap = record.TLS13Protector(AES128, C_AP_KEY, C_AP_IV)
    assert c_ap.seal(23, APP_DATA) == CLIENT_APP_RECORD
    assert c_ap.seal(21, h("0100")) == CLIENT_ALERT_RECORD
    assert c_ap.seq == 2


def test_transcript_hrr_rewrite_is_the_synthetic_message_hash() -> None:
    ch1, hrr, ch2 = b"\x01\x00\x00\x03abc", b"\x02\x00\x00\x01x", b"\x01\x00\x00\x02yz"
    t = ks.Transcript(keep_raw=True)
    t.update(ch1)
    t.set_hash(SHA384)
    t.rewrite_for_hrr()
    t.update(hrr)
    t.update(ch2)
    synthetic = b"\xfe\x00\x00\x30" + hashlib.sha384(ch1).digest()
    assert t.digest() == hashlib.sha384(synthetic + hrr + ch2).digest()
    assert t.raw() == synthetic + hrr + ch2
    t.drop_raw()
    with pytest.raises(RuntimeError):
        t.raw()
    with pytest.raises(RuntimeError):
        ks.Transcript().rewrite_for_hrr()


def test_key_schedule_refuses_stages_not_reached() -> None:
    sched = ks.KeySchedule13(SHA384)
    with pytest.raises(RuntimeError):
        sched.client_handshake_traffic_secret(bytes(48))
    with pytest.raises(RuntimeError):
        sched.derive_master()
    sched.input_shared_secret(None)  # psk_ke: zeros as the (EC)DHE input
    assert len(sched.server_handshake_traffic_secret(bytes(48))) == 48
    with pytest.raises(RuntimeError):
        sched.exporter_master_secret(bytes(48))
    assert len(sched.derive_master()) == 48


@pytest.mark.parametrize("hash_cls", [SHA256, SHA384])
def test_hkdf_matches_cryptography(hash_cls: type[hashes.HashAlgorithm]) -> None:
    for n in (0, 1, 31, 32, 33, 48, 100, 255):
        salt, ikm, info = os.urandom(n % 50), os.urandom(n), os.urandom(n % 70)
        prk = ks.hkdf_extract(hash_cls, salt, ikm)
        assert prk == HKDF.extract(hash_cls(), salt, ikm)
        length = n + 1
        expected = HKDFExpand(hash_cls(), length, info).derive(prk)
        assert ks.hkdf_expand(hash_cls, prk, info, length) == expected
    label_info = b"\x00\x20" + b"\x0dtls13 derived" + b"\x00"
    prk = os.urandom(32)
    assert ks.hkdf_expand_label(hash_cls, prk, b"derived", b"", 32) == (
        HKDFExpand(hash_cls(), 32, label_info).derive(prk)
    )


def test_key_update_and_exporter() -> None:
    nxt = ks.next_traffic_secret(SHA256, C_AP_TRAFFIC)
    assert nxt == ks.hkdf_expand_label(SHA256, C_AP_TRAFFIC, b"traffic upd", b"", 32)
    assert nxt != C_AP_TRAFFIC
    a = ks.export_keying_material(SHA256, EXPORTER_MASTER, b"EXPERIMENTAL", None, 32)
    assert a == ks.export_keying_material(SHA256, EXPORTER_MASTER, b"EXPERIMENTAL", b"", 32)
    assert a == ks.export_keying_material(SHA256, EXPORTER_MASTER, b"EXPERIMENTAL", None, 32)
    assert a != ks.export_keying_material(SHA256, EXPORTER_MASTER, b"EXPERIMENTAL", b"x", 32)
    assert a != ks.export_keying_material(SHA256, EXPORTER_MASTER, b"EXPERIMENTAL2", None, 32)
    longer = ks.export_keying_material(SHA256, EXPORTER_MASTER, b"EXPERIMENTAL", None, 64)
    assert len(longer) == 64 and longer[:32] != a  # the length is part of the HkdfLabel
    # By the definition, spelled out: Derive-Secret(ems, label, "") then "exporter".
    secret = ks.hkdf_expand_label(
        SHA256, EXPORTER_MASTER, b"EXPERIMENTAL", hashlib.sha256(b"").digest(), 32
    )
    assert a == ks.hkdf_expand_label(
        SHA256, secret, b"exporter", hashlib.sha256(b"").digest(), 32
    )
    with pytest.raises(TLSError) as e:
        ks.export_keying_material(SHA256, EXPORTER_MASTER, b"x" * 250, None, 32)
    assert_tls_error(e, None, R.TLS_ILLEGAL_EXPORTER_LABEL)


# --- TLS 1.2 PRF ---------------------------------------------------------------------------------

PRF_SHA256 = h(
    "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af"
    "0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff7"
    "0187347b66"
)
PRF_SHA384 = h(
    "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0"
    "e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184"
    "259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e09"
    "90703d73e56f"
)


def test_prf_known_answers() -> None:
    out = prf12.prf(SHA256, h("9bbe436ba940f017b17652849a71db35"), b"test label",
                    h("a0ba9f936cda311827a6f796ffd5198c"), 100)
    assert out == PRF_SHA256
    out = prf12.prf(SHA384, h("b80b733d6ceefcdc71566ea48e5567df"), b"test label",
                    h("cd665cf6a8447dd6ff8b27555edb7465"), 148)
    assert out == PRF_SHA384
    short = prf12.prf(SHA256, h("9bbe436ba940f017b17652849a71db35"), b"test label",
                      h("a0ba9f936cda311827a6f796ffd5198c"), 12)
    assert short == PRF_SHA256[:12]


def openssl_prf(digest: str, secret: bytes, seeds: list[bytes], length: int) -> bytes:
    assert OPENSSL is not None
    cmd = [OPENSSL, "kdf", "-binary", "-keylen", str(length), "-kdfopt", f"digest:{digest}",
           "-kdfopt", f"hexsecret:{secret.hex()}"]
    for seed in seeds:
        cmd += ["-kdfopt", f"hexseed:{seed.hex()}"]
    cmd.append("TLS1-PRF")
    return subprocess.run(cmd, capture_output=True, check=True, timeout=10).stdout


@pytest.mark.skipif(OPENSSL is None, reason="no openssl command")
def test_prf_derivations_against_openssl_kdf() -> None:
    pms, cr, sr, session_hash = os.urandom(32), os.urandom(32), os.urandom(32), os.urandom(48)
    ms = prf12.master_secret(SHA256, pms, cr, sr)
    assert ms == openssl_prf("SHA2-256", pms, [b"master secret", cr, sr], 48)
    ems = prf12.extended_master_secret(SHA384, pms, session_hash)
    assert ems == openssl_prf("SHA2-384", pms, [b"extended master secret", session_hash], 48)
    block = prf12.key_block(SHA384, ems, cr, sr, 88)
    assert block == openssl_prf("SHA2-384", ems, [b"key expansion", sr, cr], 88)
    suite = suites.ECDHE_RSA_AES256_GCM
    ck, sk, civ, siv = prf12.split_key_block(suite, ems, cr, sr)
    assert (ck, sk, civ, siv) == (block[:32], block[32:64], block[64:68], block[68:72])
    fin = prf12.verify_data(SHA256, ms, b"client finished", session_hash[:32])
    assert fin == openssl_prf("SHA2-256", ms, [b"client finished", session_hash[:32]], 12)


def test_exporter_tls12_context_none_and_empty_differ() -> None:
    master, cr, sr = os.urandom(48), os.urandom(32), os.urandom(32)
    none = prf12.export_keying_material12(SHA256, master, cr, sr, b"EXPERIMENTAL", None, 20)
    empty = prf12.export_keying_material12(SHA256, master, cr, sr, b"EXPERIMENTAL", b"", 20)
    assert none != empty
    assert none == prf12.prf(SHA256, master, b"EXPERIMENTAL", cr + sr, 20)
    assert empty == prf12.prf(SHA256, master, b"EXPERIMENTAL", cr + sr + b"\x00\x00", 20)
    ctx = prf12.export_keying_material12(SHA256, master, cr, sr, b"EXPERIMENTAL", b"ab", 20)
    assert ctx == prf12.prf(SHA256, master, b"EXPERIMENTAL", cr + sr + b"\x00\x02ab", 20)


@pytest.mark.parametrize(
    "label", [b"client finished", b"server finished", b"master secret", b"key expansion",
              b"extended master secret", b"key expansionX", b"client finished2"],
)
def test_exporter_tls12_reserved_labels(label: bytes) -> None:
    with pytest.raises(TLSError) as e:
        prf12.export_keying_material12(SHA256, bytes(48), bytes(32), bytes(32), label, None, 16)
    assert_tls_error(e, None, R.TLS_ILLEGAL_EXPORTER_LABEL)


# --- suites ---------------------------------------------------------------------------------------


def test_suite_table() -> None:
    s = suites.suite_by_id(0x1302)
    assert s is suites.TLS_AES_256_GCM_SHA384
    assert (s.name, s.openssl_name, s.version, s.hash, s.hash_len, s.key_len, s.iv_len,
            s.tag_len, s.auth, s.kx, s.bits) == (
        "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", 0x0304, SHA384, 48, 32, 12, 16,
        None, None, 256)
    c = suites.suite_by_id(0xCCA9)
    assert c is not None
    assert (c.openssl_name, c.iv_len, c.key_len, c.auth, c.kx, c.explicit_nonce_len) == (
        "ECDHE-ECDSA-CHACHA20-POLY1305", 12, 32, "ECDSA", "ECDHE", 0)
    g = suites.suite_by_id(0xC02F)
    assert g is not None and (g.iv_len, g.explicit_nonce_len, g.protocol) == (4, 8, "TLSv1.2")
    assert suites.suite_by_id(0x009C) is None
    assert suites.suite_by_name("ECDHE-RSA-AES128-GCM-SHA256") is g
    assert suites.suite_by_name("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") is g
    assert [x.name for x in suites.parse_ciphersuites(suites.DEFAULT_TLS13_CIPHERSUITES) or []] == [
        x.name for x in suites.DEFAULT_TLS13_SUITES]
    assert suites.TLS_AES_128_CCM_8_SHA256.tag_len == 8
    assert not suites.TLS_AES_128_CCM_SHA256.default


def test_suite_description_is_openssl_ciphers_v() -> None:
    assert suites.TLS_CHACHA20_POLY1305_SHA256.description() == (
        "TLS_CHACHA20_POLY1305_SHA256   TLSv1.3 Kx=any      Au=any   "
        "Enc=CHACHA20/POLY1305(256) Mac=AEAD\n")
    assert suites.ECDHE_RSA_AES128_GCM.description() == (
        "ECDHE-RSA-AES128-GCM-SHA256    TLSv1.2 Kx=ECDH     Au=RSA   "
        "Enc=AESGCM(128)            Mac=AEAD\n")


def names(result: list[suites.Suite] | None) -> list[str] | None:
    return None if result is None else [s.openssl_name for s in result]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("TLS_AES_128_GCM_SHA256", ["TLS_AES_128_GCM_SHA256"]),
        ("TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256",
         ["TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"]),
        ("", []),  # explicitly allowed: no TLS 1.3 suites
        ("foo", None),
        (":", None),
        ("foo:TLS_AES_128_GCM_SHA256", ["TLS_AES_128_GCM_SHA256"]),
        ("tls_aes_128_gcm_sha256", None),  # names are case-sensitive
        (" TLS_AES_128_GCM_SHA256 : TLS_CHACHA20_POLY1305_SHA256 ",
         ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"]),
        ("TLS_AES_128_GCM_SHA256::TLS_CHACHA20_POLY1305_SHA256",
         ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"]),
        ("TLS_AES_128_GCM_SHA256:TLS_AES_128_GCM_SHA256",
         ["TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"]),
        ("TLS_AES_128_GCM_SHA256,TLS_CHACHA20_POLY1305_SHA256", None),  # ':' only
        # A TLS 1.2 standard name is accepted but never used in TLS 1.3.
        ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", []),
        ("ECDHE-RSA-AES128-GCM-SHA256", None),
    ],
)
def test_parse_ciphersuites(spec: str, expected: list[str] | None) -> None:
    assert names(suites.parse_ciphersuites(spec)) == expected


E256, R256 = "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"
ECH, RCH = "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"
E128, R128 = "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"
DEFAULT_ORDER = [E256, R256, ECH, RCH, E128, R128]

# Expected orders as `openssl ciphers` (3.0) prints them, restricted to these six.
CIPHER_LIST_CASES: list[tuple[str, list[str] | None]] = [
    ("DEFAULT", DEFAULT_ORDER),
    ("ALL", DEFAULT_ORDER),
    ("HIGH", DEFAULT_ORDER),
    ("aRSA", [R256, RCH, R128]),
    ("aECDSA", [E256, ECH, E128]),
    ("AESGCM", [E256, R256, E128, R128]),
    ("CHACHA20:AESGCM", [ECH, RCH, E256, R256, E128, R128]),
    ("AESGCM:+ECDSA", [R256, R128, E256, E128]),
    ("AES128+ECDSA:CHACHA20", [E128, ECH, RCH]),
    ("CHACHA20:-ALL:AESGCM", [E256, R256, E128, R128]),
    ("ALL:-CHACHA20:CHACHA20", [E256, R256, E128, R128, ECH, RCH]),
    ("ALL:!CHACHA20:CHACHA20", [E256, R256, E128, R128]),
    ("ALL:-CHACHA20:+CHACHA20", [E256, R256, E128, R128]),
    ("AES128:ALL:@STRENGTH", DEFAULT_ORDER),
    ("ALL:+aRSA:@STRENGTH", [E256, ECH, R256, RCH, E128, R128]),
    ("ALL:+ECDSA+AES128", [E256, R256, ECH, RCH, R128, E128]),
    ("HIGH,!aRSA", [E256, ECH, E128]),
    ("ALL;CHACHA20", DEFAULT_ORDER),
    (f"{R128} {E128}", [R128, E128]),
    (f"{R128}:foo", [R128]),
    ("EECDH+ECDSA+AESGCM", [E256, E128]),
    ("DEFAULT:!aRSA:@STRENGTH", [E256, ECH, E128]),
    ("CHACHA20:DEFAULT", [ECH, RCH]),  # DEFAULT is special only at the start
    ("DEFAULTX", DEFAULT_ORDER),
    ("ALL:@SECLEVEL=2", DEFAULT_ORDER),
    ("FOO+$$:AESGCM", [E256, R256, E128, R128]),
    ("CHACHA20+AES128", None),
    ("aNULL", None),
    ("RSA", None),  # kRSA+aRSA: none of ours
    ("", None),
    ("foo", None),
    ("aecdsa", None),  # aliases are case-sensitive
    ("ALL:@FOO", None),
    ("ALL:@SECLEVEL=9", None),
    ("ALL:$", None),
    ("AES+:ALL", None),
    ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", None),  # 3.0 takes no IANA names here
]


@pytest.mark.parametrize(("spec", "expected"), CIPHER_LIST_CASES)
def test_parse_cipher_list(spec: str, expected: list[str] | None) -> None:
    assert names(suites.parse_cipher_list(spec)) == expected


@pytest.mark.skipif(OPENSSL is None, reason="no openssl command")
def test_parse_cipher_list_agrees_with_openssl_ciphers() -> None:
    assert OPENSSL is not None
    ours = set(DEFAULT_ORDER)
    for spec in ("DEFAULT", "ECDHE+CHACHA20:ECDHE+AES128:+aECDSA", "AESGCM:-AES128:AES128",
                 "aECDSA:aRSA:@STRENGTH", "HIGH:!AESGCM:AESGCM", "ALL:!ECDSA"):
        proc = subprocess.run([OPENSSL, "ciphers", "-tls1_2", "-ciphersuites", "", spec],
                              capture_output=True, text=True, timeout=10, check=True)
        theirs = [c for c in proc.stdout.strip().split(":") if c in ours]
        assert names(suites.parse_cipher_list(spec)) == theirs, spec


# --- key exchange -------------------------------------------------------------------------------


@pytest.mark.parametrize("group", kx.SUPPORTED_GROUPS)
def test_every_group_agrees(group: int) -> None:
    client = kx.generate_key_share(group)
    assert client.group == group
    server_public, server_secret = kx.server_key_share(group, client.public)
    assert client.shared(server_public) == server_secret
    sizes: dict[int, tuple[int, int, int]] = {
        NamedGroup.x25519: (32, 32, 32), NamedGroup.x448: (56, 56, 56),
        NamedGroup.secp256r1: (65, 65, 32), NamedGroup.secp384r1: (97, 97, 48),
        NamedGroup.secp521r1: (133, 133, 66), NamedGroup.X25519MLKEM768: (1216, 1120, 64),
    }
    assert (len(client.public), len(server_public), len(server_secret)) == sizes[group]
    if group in (NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1):
        assert client.public[0] == 4 and server_public[0] == 4


def test_hybrid_server_side_order_is_mlkem_then_x25519() -> None:
    kem = MLKEM768PrivateKey.generate()
    xk = x25519.X25519PrivateKey.generate()
    client_public = kem.public_key().public_bytes_raw() + xk.public_key().public_bytes_raw()
    server_public, secret = kx.server_key_share(NamedGroup.X25519MLKEM768, client_public)
    kem_secret = kem.decapsulate(server_public[:1088])
    x_secret = xk.exchange(x25519.X25519PublicKey.from_public_bytes(server_public[1088:]))
    assert secret == kem_secret + x_secret


def test_hybrid_client_side_order_is_mlkem_then_x25519() -> None:
    share = kx.generate_key_share(NamedGroup.X25519MLKEM768)
    kem_secret, ciphertext = MLKEM768PublicKey.from_public_bytes(share.public[:1184]).encapsulate()
    xs = x25519.X25519PrivateKey.generate()
    x_secret = xs.exchange(x25519.X25519PublicKey.from_public_bytes(share.public[1184:]))
    assert share.shared(ciphertext + xs.public_key().public_bytes_raw()) == kem_secret + x_secret


BAD_SHARES = [
    (NamedGroup.x25519, b"\x09" * 31),
    (NamedGroup.x25519, bytes(32)),  # low order: all-zero shared secret
    (NamedGroup.x25519, (1).to_bytes(32, "little")),
    (NamedGroup.x448, bytes(56)),
    (NamedGroup.x448, bytes(55)),
    (NamedGroup.secp256r1, b"\x04" + bytes(64)),  # not on the curve
    (NamedGroup.secp256r1, b""),
    (NamedGroup.secp384r1, b"\x04" + b"\x01" * 95),
    (NamedGroup.secp521r1, b"\x04" + bytes(132)),
    (NamedGroup.X25519MLKEM768, bytes(1215)),
    (NamedGroup.X25519MLKEM768, b"\xff" * 1184 + bytes(32)),  # ML-KEM key fails its check
]


@pytest.mark.parametrize(("group", "peer"), BAD_SHARES)
def test_bad_client_shares_are_illegal_parameter(group: int, peer: bytes) -> None:
    with pytest.raises(TLSError) as e:
        kx.server_key_share(group, peer)
    assert_tls_error(e, A.illegal_parameter, R.BAD_ECPOINT)


def test_compressed_point_is_refused() -> None:
    client = kx.generate_key_share(NamedGroup.secp256r1)
    peer = ec.generate_private_key(ec.SECP256R1()).public_key()
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    compressed = peer.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    with pytest.raises(TLSError) as e:
        client.shared(compressed)
    assert_tls_error(e, A.illegal_parameter, R.BAD_ECPOINT)


@pytest.mark.parametrize(("group", "peer"), [
    (NamedGroup.x25519, bytes(32)),
    (NamedGroup.X25519MLKEM768, bytes(1119)),
    (NamedGroup.X25519MLKEM768, bytes(1120)),  # ML-KEM decapsulates garbage; X25519 is zero
    (NamedGroup.secp384r1, b"\x04" + bytes(96)),
])
def test_bad_server_shares_are_illegal_parameter(group: int, peer: bytes) -> None:
    with pytest.raises(TLSError) as e:
        kx.generate_key_share(group).shared(peer)
    assert_tls_error(e, A.illegal_parameter, R.BAD_ECPOINT)


def test_group_lists_and_names() -> None:
    assert kx.DEFAULT_GROUPS == (29, 23, 30, 25, 24)
    assert kx.parse_groups_list("X25519:P-256") == [29, 23]
    assert kx.parse_groups_list("x25519:prime256v1:secp384r1:P-521:x448") == [29, 23, 24, 25, 30]
    assert kx.parse_groups_list("X25519MLKEM768:x25519") == [0x11EC, 29]
    assert kx.parse_groups_list("SECP256R1") == [23]
    assert kx.parse_groups_list(" x25519 : x448 ") == [29, 30]
    assert kx.parse_groups_list("?foo:x448") == [30]
    for bad in ("foo", "x25519:foo", "x25519:", ":x25519", "x25519::P-256", "", "?foo",
                "x25519:X25519", "P-256:prime256v1", "ffdhe2048"):
        assert kx.parse_groups_list(bad) is None, bad
    assert [kx.group_name(g) for g in kx.SUPPORTED_GROUPS] == [
        "X25519", "X448", "prime256v1", "secp384r1", "secp521r1", "X25519MLKEM768"]
    assert kx.group_tls_name(NamedGroup.secp256r1) == "secp256r1"
    assert kx.temp_key_description(NamedGroup.x25519) == "X25519, 253 bits"
    assert kx.temp_key_description(NamedGroup.secp256r1) == "ECDH, prime256v1, 256 bits"
    assert kx.group_name(0x1234) == "0x1234"
    assert NamedGroup.X25519MLKEM768 not in kx.TLS12_GROUPS
    with pytest.raises(ValueError):
        kx.generate_key_share(NamedGroup.ffdhe2048)


def test_tls12_ecdh_params() -> None:
    share = kx.generate_key_share(NamedGroup.secp256r1)
    params = kx.encode_ecdh_params(NamedGroup.secp256r1, share.public)
    assert params[:4] == b"\x03\x00\x17\x41"
    assert kx.decode_ecdh_params(params + b"sig", kx.DEFAULT_GROUPS) == (23, share.public, 69)
    x = kx.generate_key_share(NamedGroup.x25519)
    server_public, secret = kx.server_key_share(NamedGroup.x25519, x.public)
    group, point, _ = kx.decode_ecdh_params(
        kx.encode_ecdh_params(NamedGroup.x25519, server_public), [29])
    assert group == 29 and x.shared(point) == secret
    for data, alert, reason in [
        (b"\x03\x00", A.decode_error, R.LENGTH_TOO_SHORT),
        (b"\x01\x00\x17\x01\x04", A.illegal_parameter, R.WRONG_CURVE),  # explicit curve
        (b"\x03\x00\x18\x01\x04", A.illegal_parameter, R.WRONG_CURVE),  # not offered
        (b"\x03\x11\xec\x01\x04", A.illegal_parameter, R.WRONG_CURVE),  # 1.3-only hybrid
        (b"\x03\x00\x17\x41\x04", A.decode_error, R.LENGTH_MISMATCH),
        (b"\x03\x00\x17", A.decode_error, R.LENGTH_MISMATCH),
        (b"\x03\x00\x17\x00", A.decode_error, R.LENGTH_MISMATCH),
    ]:
        with pytest.raises(TLSError) as e:
            kx.decode_ecdh_params(data, [23, 29, 0x11EC])
        assert_tls_error(e, alert, reason)


# --- signatures -------------------------------------------------------------------------------

_KEYS: dict[str, signatures.PrivateKey] = {}


def key(kind: str) -> signatures.PrivateKey:
    makers: dict[str, Callable[[], signatures.PrivateKey]] = {
        "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
        "p521": lambda: ec.generate_private_key(ec.SECP521R1()),
        "rsa2048": lambda: rsa.generate_private_key(65537, 2048),
        "rsa1024": lambda: rsa.generate_private_key(65537, 1024),
        "ed25519": ed25519.Ed25519PrivateKey.generate,
        "ed448": ed448.Ed448PrivateKey.generate,
    }
    if kind not in _KEYS:
        _KEYS[kind] = makers[kind]()
    return _KEYS[kind]


SIGNING_CASES = [
    ("p256", 0x0403), ("p256", 0x0503), ("p256", 0x0603), ("p384", 0x0503), ("p521", 0x0603),
    ("p256", 0x0203), ("rsa2048", 0x0804), ("rsa2048", 0x0805), ("rsa2048", 0x0806),
    ("rsa2048", 0x0809), ("rsa2048", 0x080A), ("rsa2048", 0x080B), ("rsa2048", 0x0401),
    ("rsa2048", 0x0501), ("rsa2048", 0x0601), ("rsa2048", 0x0201), ("ed25519", 0x0807),
    ("ed448", 0x0808),
]


@pytest.mark.parametrize(("kind", "scheme"), SIGNING_CASES)
def test_sign_verify_round_trip_and_tamper(kind: str, scheme: int) -> None:
    priv = key(kind)
    pub = priv.public_key()
    data = b"content to be signed" * 3
    sig = signatures.sign(priv, scheme, data)
    signatures.verify(pub, scheme, sig, data)
    for bad_sig, bad_data in ((sig, data + b"!"), (bytes([sig[0] ^ 1]) + sig[1:], data),
                              (sig[:-1], data), (b"", data)):
        with pytest.raises(TLSError) as e:
            signatures.verify(pub, scheme, bad_sig, bad_data)
        assert_tls_error(e, A.decrypt_error, R.BAD_SIGNATURE)


def test_verify_with_a_scheme_of_another_key_type() -> None:
    sig = signatures.sign(key("p256"), 0x0403, b"x")
    with pytest.raises(TLSError) as e:
        signatures.verify(key("ed25519").public_key(), 0x0403, sig, b"x")
    assert_tls_error(e, A.illegal_parameter, R.WRONG_SIGNATURE_TYPE)
    with pytest.raises(TLSError) as e:
        signatures.verify(key("p256").public_key(), 0x0302, sig, b"x")  # unknown (DSA)
    assert_tls_error(e, A.illegal_parameter, R.WRONG_SIGNATURE_TYPE)
    with pytest.raises(ValueError):
        signatures.sign(key("rsa2048"), 0x0403, b"x")


def test_schemes_for_key_in_openssl_order() -> None:
    assert signatures.DEFAULT_SIGALGS == (0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809,
                                          0x080A, 0x080B, 0x0804, 0x0805, 0x0806, 0x0401,
                                          0x0501, 0x0601)
    p256, p384 = key("p256"), key("p384")
    assert signatures.schemes_for_key(p256, tls13=True) == [0x0403]
    assert signatures.schemes_for_key(p384.public_key(), tls13=True) == [0x0503]
    assert signatures.schemes_for_key(p256, tls13=False) == [0x0403, 0x0503, 0x0603]
    rsa_key = key("rsa2048")
    assert signatures.schemes_for_key(rsa_key, tls13=True) == [0x0804, 0x0805, 0x0806]
    assert signatures.schemes_for_key(rsa_key, tls13=False) == [
        0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601]
    assert signatures.schemes_for_key(rsa_key, tls13=True, rsa_pss=True) == [
        0x0809, 0x080A, 0x080B]
    # 1024-bit RSA is too small for PSS with SHA-512 (needs 2 * 64 + 2 bytes).
    assert signatures.schemes_for_key(key("rsa1024"), tls13=True) == [0x0804, 0x0805]
    assert signatures.schemes_for_key(key("ed25519"), tls13=True) == [0x0807]
    assert signatures.schemes_for_key(key("ed448"), tls13=False) == [0x0808]


def test_choose_scheme() -> None:
    rsa_key = key("rsa2048")
    peer = [0x0401, 0x0806, 0x0804]
    assert signatures.choose_scheme(rsa_key, peer, tls13=True) == 0x0806
    assert signatures.choose_scheme(rsa_key, peer, tls13=False) == 0x0401
    assert signatures.choose_scheme(rsa_key, peer, tls13=False, prefer_ours=True) == 0x0804
    assert signatures.choose_scheme(key("p256"), [0x0503, 0x0403], tls13=True) == 0x0403
    assert signatures.choose_scheme(key("p256"), [0x0503, 0x0403], tls13=False) == 0x0503
    assert signatures.choose_scheme(key("p256"), [0x0804, 0x0807], tls13=True) is None
    assert signatures.choose_scheme(rsa_key, [0x0804], tls13=True, ours=[0x0805]) is None


def test_scheme_matches_key_and_check_peer_scheme() -> None:
    p256 = key("p256").public_key()
    rsa_pub = key("rsa2048").public_key()
    assert signatures.scheme_matches_key(0x0403, p256, tls13=True)
    assert not signatures.scheme_matches_key(0x0503, p256, tls13=True)
    assert signatures.scheme_matches_key(0x0503, p256, tls13=False)
    assert not signatures.scheme_matches_key(0x0401, rsa_pub, tls13=True)
    assert signatures.scheme_matches_key(0x0401, rsa_pub, tls13=False)
    assert not signatures.scheme_matches_key(0x0809, rsa_pub, tls13=True)
    assert signatures.scheme_matches_key(0x0809, rsa_pub, tls13=True, rsa_pss=True)
    assert not signatures.scheme_matches_key(0x0804, rsa_pub, tls13=True, rsa_pss=True)
    assert not signatures.scheme_matches_key(0xFFFF, rsa_pub, tls13=False)

    assert signatures.check_peer_scheme(0x0503, p256, tls13=False).hash is SHA384
    cases = [
        (0x0503, p256, True, R.WRONG_CURVE, A.illegal_parameter),
        (0x0401, rsa_pub, True, R.WRONG_SIGNATURE_TYPE, A.illegal_parameter),
        (0x0807, rsa_pub, False, R.WRONG_SIGNATURE_TYPE, A.illegal_parameter),
        (0x0203, p256, True, R.WRONG_SIGNATURE_TYPE, A.illegal_parameter),
        (0x0203, p256, False, R.WRONG_SIGNATURE_TYPE, A.handshake_failure),
        (0x0303, p256, False, R.WRONG_SIGNATURE_TYPE, A.illegal_parameter),
    ]
    for scheme, pub, tls13, reason, alert in cases:
        with pytest.raises(TLSError) as e:
            signatures.check_peer_scheme(scheme, pub, tls13=tls13)
        assert_tls_error(e, alert, reason)
    with pytest.raises(TLSError) as e:  # valid for the key, but we never offered it
        signatures.check_peer_scheme(0x0804, rsa_pub, tls13=True, sent=[0x0805])
    assert_tls_error(e, A.illegal_parameter, R.WRONG_SIGNATURE_TYPE)


def test_parse_sigalgs_list() -> None:
    p = signatures.parse_sigalgs_list
    assert p("ECDSA+SHA256:RSA-PSS+SHA256:rsa_pss_rsae_sha384:ed25519") == [
        0x0403, 0x0804, 0x0805, 0x0807]
    assert p("RSA+SHA256:PSS+SHA512:SHA384+ECDSA:ecdsa+sha256") == [0x0401, 0x0806, 0x0503, 0x0403]
    assert p("Ed448:RSA_PSS_PSS_SHA256:rsa_pkcs1_sha1:ECDSA+SHA1") == [
        0x0808, 0x0809, 0x0201, 0x0203]
    assert p("ed25519:ed25519") == [0x0807]
    assert p("?dsa_sha256:ed25519") == [0x0807]
    for bad in ("", "foo", "ed25519:", "ECDSA+", "ECDSA+SHA999", "RSA+ECDSA", "dsa_sha256",
                "?foo", "ECDSA+Sha256"):
        assert p(bad) is None, bad


def test_tls13_signed_content() -> None:
    th = bytes(range(32))
    assert signatures.tls13_signed_content(True, th) == (
        b"\x20" * 64 + b"TLS 1.3, server CertificateVerify" + b"\x00" + th)
    assert signatures.tls13_signed_content(False, th) == (
        b"\x20" * 64 + b"TLS 1.3, client CertificateVerify" + b"\x00" + th)
    info = signatures.scheme_info(SignatureScheme.rsa_pss_rsae_sha384)
    assert info is not None and (info.sig_name, info.hash_name) == ("RSA-PSS", "SHA384")
    ed = signatures.scheme_info(SignatureScheme.ed25519)
    assert ed is not None and (ed.sig_name, ed.hash_name) == ("Ed25519", None)


# --- record protection --------------------------------------------------------------------------


def protector_pair(suite: suites.Suite) -> tuple[record.RecordProtector, record.RecordProtector]:
    key = os.urandom(suite.key_len)
    iv = os.urandom(suite.iv_len)
    if suite.version == 0x0304:
        return record.TLS13Protector(suite, key, iv), record.TLS13Protector(suite, key, iv)
    return record.TLS12AEADProtector(suite, key, iv), record.TLS12AEADProtector(suite, key, iv)


def split(rec: bytes) -> tuple[bytes, bytes]:
    return rec[:5], rec[5:]


@pytest.mark.parametrize("suite", suites.ALL_SUITES, ids=lambda s: s.openssl_name)
def test_record_round_trip(suite: suites.Suite) -> None:
    tx, rx = protector_pair(suite)
    for i, size in enumerate((0, 1, 2**14, 100)):
        data = os.urandom(size)
        rec = tx.seal(23, data if i % 2 else bytearray(data))
        ctype, version, length = record.parse_header(rec[:5])
        assert (ctype, version, length) == (23, 0x0303, len(rec) - 5)
        assert len(rec) == 5 + size + tx.overhead
        assert rx.open(*split(rec)) == (23, data)
        assert (tx.seq, rx.seq) == (i + 1, i + 1)
    rec = tx.seal(22, b"hello")
    assert rx.open(rec[:5], memoryview(rec)[5:]) == (22, b"hello")


@pytest.mark.parametrize("suite", suites.ALL_SUITES, ids=lambda s: s.openssl_name)
def test_record_wrong_key_reorder_and_tamper(suite: suites.Suite) -> None:
    tx, rx = protector_pair(suite)
    _, other = protector_pair(suite)
    rec = tx.seal(23, b"secret data")
    for bad in (other, ):
        with pytest.raises(TLSError) as e:
            bad.open(*split(rec))
        assert_tls_error(e, A.bad_record_mac, R.DECRYPTION_FAILED_OR_BAD_RECORD_MAC)
    rec2 = tx.seal(23, b"second")
    with pytest.raises(TLSError) as e:
        rx.open(*split(rec2))  # out of order: the nonce is bound to seq 0
    assert_tls_error(e, A.bad_record_mac, R.DECRYPTION_FAILED_OR_BAD_RECORD_MAC)
    assert rx.seq == 0
    tampered_header = b"\x16" + rec[1:5]  # the header is authenticated
    with pytest.raises(TLSError) as e:
        rx.open(tampered_header, rec[5:])
    assert_tls_error(e, A.bad_record_mac, R.DECRYPTION_FAILED_OR_BAD_RECORD_MAC)
    assert rx.open(*split(rec)) == (23, b"secret data")
    assert rx.open(*split(rec2)) == (23, b"second")


@pytest.mark.parametrize("suite", suites.ALL_SUITES, ids=lambda s: s.openssl_name)
def test_open_leaves_no_export_of_the_callers_buffer(suite: suites.Suite) -> None:
    # The engine opens records straight out of its bytearray through a memoryview,
    # releases the view and then resizes the buffer -- also after a failure.
    tx, rx = protector_pair(suite)
    buf = bytearray(tx.seal(23, b"payload") + tx.seal(23, b"second"))
    buf[-1] ^= 1
    for start in (0, len(buf) - (5 + 6 + tx.overhead)):
        length = int.from_bytes(buf[start + 3 : start + 5], "big")
        body = memoryview(buf)[start + 5 : start + 5 + length]
        try:
            rx.open(bytes(buf[start : start + 5]), body)
        except TLSError as e:
            caught: TLSError | None = e
        else:
            caught = None
        body.release()
        assert (caught is None) == (start == 0)
    buf.clear()  # BufferError if a view were still alive


def test_tls13_padding_hides_length_and_is_stripped() -> None:
    tx, rx = protector_pair(AES128)
    rec = tx.seal(21, b"\x01\x00", padding=100)
    assert len(rec) == 5 + 2 + 1 + 100 + 16
    assert rx.open(*split(rec)) == (21, b"\x01\x00")
    rec = tx.seal(23, b"", padding=2**14)  # inner plaintext exactly 2^14 + 1
    assert rx.open(*split(rec)) == (23, b"")
    with pytest.raises(ValueError):
        tx.seal(23, b"x", padding=2**14)
    with pytest.raises(ValueError):
        tx.seal(23, bytes(2**14 + 1))
    t12, _ = protector_pair(suites.ECDHE_RSA_AES128_GCM)
    with pytest.raises(ValueError):
        t12.seal(23, b"x", padding=1)


def raw_tls13_record(suite: suites.Suite, key: bytes, iv: bytes, seq: int, inner: bytes) -> bytes:
    header = b"\x17\x03\x03" + (len(inner) + suite.tag_len).to_bytes(2, "big")
    nonce = (int.from_bytes(iv, "big") ^ seq).to_bytes(12, "big")
    return header + suite.aead(key).encrypt(nonce, inner, header)


@pytest.mark.parametrize(("inner", "alert", "reason"), [
    (bytes(2**14 + 2), A.record_overflow, R.DATA_LENGTH_TOO_LONG),
    (bytes(40), A.unexpected_message, R.BAD_RECORD_TYPE),  # all zeros: no content type
    (b"", A.unexpected_message, R.BAD_RECORD_TYPE),  # empty inner plaintext
    (b"data\x18", A.unexpected_message, R.BAD_RECORD_TYPE),  # heartbeat is not allowed
    (b"data\x14\x00\x00", A.unexpected_message, R.BAD_RECORD_TYPE),  # nor change_cipher_spec
])
def test_tls13_bad_inner_plaintext(inner: bytes, alert: A, reason: int) -> None:
    key, iv = os.urandom(16), os.urandom(12)
    rec = raw_tls13_record(AES128, key, iv, 0, inner)
    with pytest.raises(TLSError) as e:
        record.TLS13Protector(AES128, key, iv).open(*split(rec))
    assert_tls_error(e, alert, reason)


def test_tls13_inner_type_found_behind_padding() -> None:
    key, iv = os.urandom(16), os.urandom(12)
    rec = raw_tls13_record(AES128, key, iv, 0, b"\x00\x01data\x00\x17" + bytes(7))
    assert record.TLS13Protector(AES128, key, iv).open(*split(rec)) == (23, b"\x00\x01data\x00")


@pytest.mark.parametrize("suite", [AES128, suites.ECDHE_RSA_AES256_GCM,
                                   suites.ECDHE_ECDSA_CHACHA20], ids=lambda s: s.openssl_name)
def test_record_overflow_and_short_bodies(suite: suites.Suite) -> None:
    _, rx = protector_pair(suite)
    limit = rx.max_ciphertext
    assert limit == (record.MAX_CIPHERTEXT_13 if suite.version == 0x0304
                     else record.MAX_CIPHERTEXT_12)
    rx.check_length(limit)
    with pytest.raises(TLSError) as e:
        rx.check_length(limit + 1)
    assert_tls_error(e, A.record_overflow, R.ENCRYPTED_LENGTH_TOO_LONG)
    with pytest.raises(TLSError) as e:
        rx.open(b"\x17\x03\x03" + (limit + 1).to_bytes(2, "big"), bytes(limit + 1))
    assert_tls_error(e, A.record_overflow, R.ENCRYPTED_LENGTH_TOO_LONG)
    for n in (0, 1, 15, 16, 23):
        with pytest.raises(TLSError) as e:
            rx.open(b"\x17\x03\x03" + n.to_bytes(2, "big"), bytes(n))
        assert_tls_error(e, A.bad_record_mac, R.DECRYPTION_FAILED_OR_BAD_RECORD_MAC)
    assert rx.seq == 0


def test_tls12_plaintext_over_limit_is_data_length_too_long() -> None:
    suite = suites.ECDHE_RSA_AES128_GCM
    key, salt = os.urandom(16), os.urandom(4)
    n = 2**14 + 1
    aad = bytes(8) + b"\x17\x03\x03" + n.to_bytes(2, "big")
    body = bytes(8) + AESGCM(key).encrypt(salt + bytes(8), bytes(n), aad)
    with pytest.raises(TLSError) as e:
        record.TLS12AEADProtector(suite, key, salt).open(
            b"\x17\x03\x03" + len(body).to_bytes(2, "big"), body)
    assert_tls_error(e, A.record_overflow, R.DATA_LENGTH_TOO_LONG)


def test_tls12_record_layout_matches_rfc5288_and_rfc7905() -> None:
    key, salt = os.urandom(16), os.urandom(4)
    gcm = record.TLS12AEADProtector(suites.ECDHE_ECDSA_AES128_GCM, key, salt)
    gcm.seq = 0x0102030405060708
    rec = gcm.seal(22, b"finished!")
    aad = bytes.fromhex("0102030405060708") + b"\x16\x03\x03\x00\x09"
    expected_body = bytes.fromhex("0102030405060708") + AESGCM(key).encrypt(
        salt + bytes.fromhex("0102030405060708"), b"finished!", aad)
    assert rec == b"\x16\x03\x03" + len(expected_body).to_bytes(2, "big") + expected_body
    assert gcm.seq == 0x0102030405060709

    ckey, civ = os.urandom(32), os.urandom(12)
    cha = record.TLS12AEADProtector(suites.ECDHE_RSA_CHACHA20, ckey, civ)
    cha.seq = 5
    rec = cha.seal(23, b"abc")
    nonce = (int.from_bytes(civ, "big") ^ 5).to_bytes(12, "big")
    aad = (5).to_bytes(8, "big") + b"\x17\x03\x03\x00\x03"
    assert rec == b"\x17\x03\x03\x00\x13" + ChaCha20Poly1305(ckey).encrypt(nonce, b"abc", aad)


def test_sequence_number_limits() -> None:
    tx, rx = protector_pair(AES128)
    tx.seq = rx.seq = 2**64 - 1
    rec = tx.seal(23, b"last")
    assert rx.open(*split(rec)) == (23, b"last")
    with pytest.raises(TLSError) as e:
        tx.seal(23, b"one too many")
    assert e.value.alert == A.internal_error
    with pytest.raises(TLSError) as e:
        rx.open(*split(rec))
    assert_tls_error(e, A.bad_record_mac, R.DECRYPTION_FAILED_OR_BAD_RECORD_MAC)
    t12, _ = protector_pair(suites.ECDHE_RSA_AES128_GCM)
    t12.seq = 2**64
    with pytest.raises(TLSError):
        t12.seal(23, b"x")


def test_null_protector_and_header() -> None:
    null = record.NullProtector(0x0301)
    rec = null.seal(22, memoryview(b"\x01\x00\x00\x00"))
    assert rec == b"\x16\x03\x01\x00\x04\x01\x00\x00\x00"
    assert null.seq == 1
    assert null.open(rec[:5], rec[5:]) == (22, b"\x01\x00\x00\x00")
    with pytest.raises(TLSError) as e:
        null.open(b"\x16\x03\x01\x40\x01", bytes(2**14 + 1))
    assert_tls_error(e, A.record_overflow, R.DATA_LENGTH_TOO_LONG)
    with pytest.raises(TLSError) as e:
        null.check_length(record.MAX_CIPHERTEXT_12 + 1)
    assert_tls_error(e, A.record_overflow, R.ENCRYPTED_LENGTH_TOO_LONG)
    strict = record.NullProtector(max_ciphertext=record.MAX_CIPHERTEXT_13)
    with pytest.raises(TLSError) as e:
        strict.open(b"\x16\x03\x03\x41\x01", bytes(record.MAX_CIPHERTEXT_13 + 1))
    assert_tls_error(e, A.record_overflow, R.ENCRYPTED_LENGTH_TOO_LONG)
    with pytest.raises(ValueError):
        null.seal(23, bytes(2**14 + 1))
    assert record.parse_header(b"\x15\x03\x03\x00\x02") == (21, 0x0303, 2)
    with pytest.raises(DecodeError):
        record.parse_header(b"\x15\x03\x03\x00")


def test_protector_rejects_wrong_key_sizes() -> None:
    with pytest.raises(ValueError):
        record.TLS13Protector(AES128, bytes(32), bytes(12))
    with pytest.raises(ValueError):
        record.TLS12AEADProtector(suites.ECDHE_RSA_AES128_GCM, bytes(16), bytes(12))


FUZZ_SUITES = [AES128, suites.TLS_AES_128_CCM_8_SHA256, suites.TLS_CHACHA20_POLY1305_SHA256,
               suites.ECDHE_RSA_AES128_GCM, suites.ECDHE_ECDSA_CHACHA20]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, len(FUZZ_SUITES)),
    header=st.binary(min_size=5, max_size=5),
    body=st.binary(max_size=300),
)
def test_garbage_records_only_raise_tls_error(which: int, header: bytes, body: bytes) -> None:
    prot: record.RecordProtector
    if which == len(FUZZ_SUITES):
        prot = record.NullProtector()
    else:
        prot = protector_pair(FUZZ_SUITES[which])[1]
    try:
        ctype, data = prot.open(header, body)
    except TLSError as e:
        assert e.alert in (A.bad_record_mac, A.record_overflow, A.unexpected_message)
    else:
        assert which == len(FUZZ_SUITES) and (ctype, data) == (header[0], body)


@settings(max_examples=100, deadline=None)
@given(
    which=st.integers(0, len(FUZZ_SUITES) - 1),
    data=st.binary(max_size=200),
    cut=st.integers(0, 300),
    flip=st.integers(0, 400),
)
def test_truncated_or_flipped_records_only_raise_tls_error(
    which: int, data: bytes, cut: int, flip: int
) -> None:
    tx, rx = protector_pair(FUZZ_SUITES[which])
    rec = bytearray(tx.seal(23, data))
    body = rec[5:]
    if cut < len(body):
        body = body[:cut]
    elif body:
        body[flip % len(body)] ^= 0x80
    with pytest.raises(TLSError) as e:
        rx.open(bytes(rec[:5]), bytes(body))
    assert_tls_error(e, A.bad_record_mac, R.DECRYPTION_FAILED_OR_BAD_RECORD_MAC)


def test_hmac_module_is_what_the_prf_uses() -> None:
    # P_SHA256's first block by hand: HMAC(secret, HMAC(secret, seed) + seed).
    secret, seed = b"k", b"labelseed"
    a1 = hmac.digest(secret, seed, "sha256")
    assert prf12.prf(SHA256, secret, b"label", b"seed", 32) == hmac.digest(
        secret, a1 + seed, "sha256")

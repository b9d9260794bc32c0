"""biokit's pytest plugin: TLS pairs, BIO pairs, the pump and scripted faults as fixtures.

Installed with biokit (entry point ``pytest11``, name ``biokit``), so every
test suite sees these fixtures without importing anything.  Without the entry
point, load it with ``pytest_plugins = ["biokit.testing.plugin"]`` in a root
``conftest.py``.

Fixtures
--------
``tls_pair``
    A factory: ``tls_pair(kind="ec256", **knobs) -> TLSPair`` calls
    ``biokit.testing.tls_pair`` (knobs: ``transport="pair"|"mem"``,
    ``pair_size`` or ``c2s_size``/``s2c_size``, versions, ``ciphersuites``
    (TLS 1.3), ``cipher_list`` (TLS 1.2), ``groups``, ``alpn``, ``sni``,
    ``client_cert``, ``tickets``, ``connect=False`` for a ready-to-connect
    pair...; a knob its OpenSSL setter rejects raises ``ValueError``).  Both
    SSL objects (and their BIOs) are freed after the test::

        def test_alpn(tls_pair):
            p = tls_pair(alpn=[b"h2"], server_alpn=[b"h2"])
            assert p.client.get0_alpn_selected() == b"h2"

``bio_pair``
    A factory: ``bio_pair(size1=0, size2=0) -> (PairBIO, PairBIO)``
    (BIO_new_bio_pair); both halves are closed after the test.

``pump``
    ``biokit.testing.pump(client, server, ...)``, the handshake pump (it
    raises ``Deadlock`` when a round changes nothing, ``StepLimit`` when
    ``max_steps`` runs out while progress is still being made).  Every
    transcript it produces is kept, and if the test fails the last one is added
    to the report (section "biokit pump transcript").

``schedule``
    A factory of ``ScheduleBIO``: ``schedule("r@100:retry; w@0:short=3")``
    makes one, ``schedule(spec, over=bio)`` pushes ``bio`` behind it, and
    ``schedule.wrap(ssl, spec)`` puts one in front of an SSL's transport
    (rbio and wbio must be the same BIO, as with ``tls_pair(transport="pair")``)::

        def test_retry_mid_flight(tls_pair, schedule, pump):
            p = tls_pair(connect=False)
            sched = schedule.wrap(p.client, "r@5:retry; w@0:short=1")
            pump(p.client, p.server)
            assert [str(e) for e, _ in sched.fired] == ["w@0:short=1", "r@5:retry"]

    Every ScheduleBIO made is closed after the test.

Fixtures live once per test, not once per hypothesis example: inside
``@given`` build ``ScheduleBIO(spec)`` and ``biokit.testing.tls_pair(...)``
directly (``biokit.testing.strategies.schedules()`` draws the specs).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from typing import Any

import pytest

from biokit.bio import BIO, PairBIO
from biokit.bio import bio_pair as _bio_pair
from biokit.bio.f_schedule import EventLike, Schedule, ScheduleBIO
from biokit.ssl import SSL
from biokit.testing import Step, TLSPair
from biokit.testing import pump as _pump
from biokit.testing import tls_pair as _tls_pair

__all__ = ["ScheduleFactory", "bio_pair", "pump", "schedule", "tls_pair"]

_TRANSCRIPTS = pytest.StashKey[list[list[Step]]]()

ScheduleSpec = Schedule | str | Iterable[EventLike]


class ScheduleFactory:
    """What the ``schedule`` fixture returns: builds ScheduleBIOs and closes them later."""

    def __init__(self) -> None:
        self.made: list[ScheduleBIO] = []

    def __call__(self, spec: ScheduleSpec = (), over: BIO | None = None) -> ScheduleBIO:
        """A ScheduleBIO following ``spec``, with ``over`` pushed behind it if given."""
        bio = ScheduleBIO(spec)
        if over is not None:
            bio.push(over)
        self.made.append(bio)
        return bio

    def wrap(self, ssl: SSL, spec: ScheduleSpec = ()) -> ScheduleBIO:
        """Insert a ScheduleBIO in front of ``ssl``'s transport (rbio must be wbio)."""
        rbio, wbio = ssl.get_rbio(), ssl.get_wbio()
        if rbio is None or rbio is not wbio:
            raise ValueError(
                "schedule.wrap needs one BIO as both rbio and wbio "
                "(e.g. tls_pair(transport='pair')); wrap memory BIOs yourself"
            )
        bio = self(spec, over=rbio)
        ssl.set_bio(bio, bio)
        return bio

    def close(self) -> None:
        """Close every ScheduleBIO made (not the BIOs behind them)."""
        for bio in self.made:
            bio.close()
        self.made.clear()


@pytest.fixture
def tls_pair() -> Generator[Callable[..., TLSPair], None, None]:
    """Factory fixture: ``tls_pair(kind, **knobs)`` -> a client/server TLSPair (freed after)."""
    made: list[TLSPair] = []

    def factory(kind: str = "ec256", **knobs: Any) -> TLSPair:
        pair = _tls_pair(kind, **knobs)
        made.append(pair)
        return pair

    yield factory
    for pair in made:
        pair.client.free()
        pair.server.free()


@pytest.fixture
def bio_pair() -> Generator[Callable[..., tuple[PairBIO, PairBIO]], None, None]:
    """Factory fixture: ``bio_pair(size1=0, size2=0)`` -> two joined PairBIOs (closed after)."""
    made: list[PairBIO] = []

    def factory(size1: int = 0, size2: int = 0) -> tuple[PairBIO, PairBIO]:
        a, b = _bio_pair(size1, size2)
        made.extend((a, b))
        return a, b

    yield factory
    for bio in made:
        bio.close()


@pytest.fixture
def pump(request: pytest.FixtureRequest) -> Callable[..., list[Step]]:
    """``biokit.testing.pump``; transcripts are kept and shown if the test fails."""
    transcripts: list[list[Step]] = []
    request.node.stash[_TRANSCRIPTS] = transcripts

    def run(client: SSL, server: SSL, **kwargs: Any) -> list[Step]:
        steps: list[Step] = []
        transcripts.append(steps)
        user = kwargs.pop("on_step", None)

        def on_step(step: Step) -> None:
            steps.append(step)
            if user is not None:
                user(step)

        return _pump(client, server, on_step=on_step, **kwargs)

    return run


@pytest.fixture
def schedule() -> Generator[ScheduleFactory, None, None]:
    """Factory fixture of ScheduleBIOs: ``schedule(spec, over=bio)``, ``.wrap(ssl, spec)``."""
    factory = ScheduleFactory()
    yield factory
    factory.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Add the last pump transcript to the report of a failed test that used ``pump``."""
    report = yield
    transcripts = item.stash.get(_TRANSCRIPTS, None)
    if report.failed and transcripts and transcripts[-1]:
        text = "\n".join(str(s) for s in transcripts[-1])
        report.sections.append(("biokit pump transcript", text))
    return report

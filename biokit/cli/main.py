"""The ``biokit`` command: demo, s_server, s_client, bench."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

USAGE = """\
usage: biokit <command> [options]

commands:
  demo       SSL_accept / SSL_connect call by call: BIO pair, --blocking or --nbio sockets
  s_server   a TLS server like `openssl s_server`, on biokit's BIOs and SSL object
  s_client   a TLS client like `openssl s_client`
  bench      biokit and Python's ssl module side by side

Run `biokit <command> -help` for the options of one command.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``biokit`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(args)
    except BrokenPipeError:
        # The reader went away (`biokit demo | head`): end quietly, as a C tool
        # killed by SIGPIPE would, and point stdout at /dev/null so the
        # interpreter's last flush at exit does not raise a second time.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 128 + 13


def _dispatch(args: list[str]) -> int:
    # A command starts with an empty error queue, as a fresh process would
    # (main() is also called in-process, by tests).
    from biokit.errors import clear_error

    clear_error()
    if not args or args[0] in ("-h", "-help", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0
    cmd, rest = args[0], args[1:]
    if cmd in ("demo", "bench"):
        # These two parse GNU-style options; -help still works, as the usage
        # line above promises for every command.
        rest = ["--help" if a == "-help" else a for a in rest]
    if cmd == "demo":
        from biokit.cli.demo import main as demo_main

        return demo_main(rest)
    if cmd == "s_server":
        from biokit.cli.s_server import main as server_main

        return server_main(rest)
    if cmd == "s_client":
        from biokit.cli.s_client import main as client_main

        return client_main(rest)
    if cmd == "bench":
        from biokit.cli.bench import main as bench_main

        return bench_main(rest)
    sys.stderr.write(f"biokit: unknown command {cmd!r}\n\n{USAGE}")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())

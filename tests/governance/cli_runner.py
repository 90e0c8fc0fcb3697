"""``recgov`` run in-process, as the command-line tests run it: one helper, one return shape."""

from __future__ import annotations

from typing import NamedTuple

from click.testing import CliRunner

from governance.cli import main


class Invocation(NamedTuple):
    """What one run of ``recgov`` left: its exit code, standard output and standard error."""

    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        """Standard output, then standard error: what a failed assertion shows."""
        return self.out + self.err


def recgov(*args: str) -> Invocation:
    """Run ``recgov ARGS`` in this process. A traceback, escaping as an exception or printed, fails the
    test: the command line's own exit is the only way out."""
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return Invocation(result.exit_code, result.stdout, result.stderr)

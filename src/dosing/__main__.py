"""``python -m dosing``: the same as the ``dosing`` command."""

import sys

from dosing.cli import main

if __name__ == "__main__":  # pragma: no cover  (runs in a child process: tests/test_cli.py)
    sys.exit(main())

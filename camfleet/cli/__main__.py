"""``python -m camfleet.cli``: the same as the ``camfleet`` command."""

from camfleet.cli import main

main()

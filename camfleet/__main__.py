"""``python -m camfleet``: the same command line as the ``camfleet`` script."""

from camfleet.cli import main

if __name__ == "__main__":
    main()

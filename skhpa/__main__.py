"""``python -m skhpa``: the command line (see :mod:`skhpa._cli`)."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m zcl``: the same as the ``zcl`` console script."""

import sys

from zcl.main import main

if __name__ == "__main__":
    sys.exit(main())

"""`python -m xinwen.cli` runs the `xinwen` command."""

import sys

from xinwen.cli import main

sys.exit(main())

"""`python -m weights`: the download Job's entry point."""

import sys

from .job import main

sys.exit(main())

"""``python -m socalign`` (also ``accelerate launch -m socalign ...``)."""

import sys

from socalign.cli import main

sys.exit(main())

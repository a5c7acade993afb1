"""``python -m trace_ag.cli``: the ``trace-ag`` command without the installed console script."""

import sys

from trace_ag.cli import main

sys.exit(main())

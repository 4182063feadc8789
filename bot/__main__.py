"""`python -m bot`: the headless CLI (bot.cli)."""

import sys

from bot.cli import main

sys.exit(main())

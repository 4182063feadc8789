"""A separate process with its own gate on the shared database: `python -m tests.bot.storage.gate_worker
--now SECONDS --user ID admit strike:2 ...` prints one JSON result per action.

Settings come from the environment, as the app's do (DATABASE_URL, SAFEDESK_SECRET_KEY, limits).
The clock is fixed by --now, so what the processes agree on does not depend on how fast they run.
"""

from __future__ import annotations

import argparse
import json

from bot.config import load_settings
from bot.gate import Gate
from bot.storage.db import open_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--now", type=float, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("actions", nargs="+")
    args = parser.parse_args()
    settings = load_settings(env_file=None)
    db = open_database(settings)
    try:
        gate = Gate.from_settings(settings, db=db)
        gate.clock = lambda: args.now
        for action in args.actions:
            if action == "admit":
                verdict = gate.admit(args.user)
                print(json.dumps({"ok": verdict.ok, "reasons": list(verdict.reasons), "message": verdict.user_message}))
            else:
                weight = float(action.split(":", 1)[1])
                print(json.dumps({"strikes": gate.strike(args.user, weight, "moderation-in")}))
    finally:
        db.close()


if __name__ == "__main__":
    main()

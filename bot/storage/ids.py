"""Report ids people can read aloud and type: `R-` and five characters, e.g. R-7K3Q9.

The alphabet leaves out 0/O, 1/I/L and U, so an id read over the phone is not mistaken. 30^5 is
about 24 million ids: collisions are possible once there are thousands of reports, so the caller
inserts with "on conflict do nothing" and draws again (`bot.storage.records.add_report`).
"""

from __future__ import annotations

import re
import secrets

REPORT_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REPORT_ID_LENGTH = 5
REPORT_ID_PATTERN = re.compile(rf"R-[{REPORT_ID_ALPHABET}]{{{REPORT_ID_LENGTH}}}")


def new_report_id() -> str:
    return "R-" + "".join(secrets.choice(REPORT_ID_ALPHABET) for _ in range(REPORT_ID_LENGTH))

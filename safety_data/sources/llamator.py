"""The llamator source family."""

from __future__ import annotations

import io

from safety_data.records import Dataset, Item
from safety_data.wheels import Wheels, src


def injection_llamator(w: Wheels, ds: Dataset, include_nc: bool) -> None:
    files = {
        "llamator/attack_data/ucar-dan_prompts.parquet": ("dan", "ucar"),
        "llamator/attack_data/system_prompt_leakage.parquet": ("goal",),
        "llamator/attack_data/suffixes.parquet": ("goal",),
    }
    import pyarrow.parquet as pq

    for path, columns in files.items():
        rows = pq.read_table(io.BytesIO(w.read_bytes("llamator", path))).to_pylist()
        for row in rows:
            for col in columns:
                if not include_nc:
                    ds.leave_out("llamator-jailbreaks", src("llamator", path), "NC licence (use --include-nc)")
                    continue
                ds.add(Item(row[col], src("llamator", path), "llamator-jailbreaks", label=1))

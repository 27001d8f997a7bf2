"""Interruptions, checkpoints and goodput: small pure formulas.

Rates from Llama 3 (arXiv 2407.21783 §3.3.4) and Kokolis et al. 2024 (arXiv 2410.21680);
checkpoint interval from Young (1974) and Daly (2006); docs/hardware-literature.md §8.
"""

from __future__ import annotations

import numpy as np

from planner.numbers import Number

__all__ = [
    "CHECKPOINT_SECONDS",
    "INTERRUPTIONS_PER_ACCELERATOR_HOUR",
    "RESTART_SECONDS",
    "daly_interval_s",
    "job_mtbf_hours",
    "lost_share",
]

INTERRUPTIONS_PER_ACCELERATOR_HOUR = 419 / (54 * 24 * 16384)
"""1.97e-5 unexpected interruptions per GPU-hour: Llama 3 §3.3.4 Table 5, 419 in a 54-day
snapshot on 16,384 H100 (job MTBF 3.09 h). Kokolis et al. 2024 give 1.2e-5 to 3.4e-5."""
CHECKPOINT_SECONDS = 30.0
"""Time a checkpoint stalls training. Assumption: asynchronous/in-memory checkpoints of seconds
(docs/hardware-literature.md §8: Llama 3's >90% effective time needs δ of seconds; Apertus: "a few")."""
RESTART_SECONDS = 600.0
"""Time to detect a failure, replace the node and reload. Assumption: 10 min
(docs/hardware-literature.md §8 example; Olmo Hybrid reports a median recovery under 4 min)."""


def job_mtbf_hours(
    accelerators: Number, rate: Number = INTERRUPTIONS_PER_ACCELERATOR_HOUR
) -> Number:
    """Mean time between interruptions of a job: ``1 / (rate · n)`` hours (per-accelerator rate)."""
    return 1.0 / (rate * accelerators)


def daly_interval_s(checkpoint_s: Number, mtbf_s: Number) -> Number:
    """Daly (2006) Eq. 37: ``√(2δM)·[1 + ⅓√(δ/2M) + (δ/2M)/9] − δ`` for ``δ < 2M``, else ``M``.

    As in LLNL/scr ``scripts/python/scr_ckpt_interval.py``.
    """
    ratio = checkpoint_s / (2.0 * mtbf_s)
    tau = (
        np.sqrt(2.0 * checkpoint_s * mtbf_s) * (1.0 + np.sqrt(ratio) / 3.0 + ratio / 9.0)
        - checkpoint_s
    )
    return np.where(checkpoint_s < 2.0 * mtbf_s, tau, mtbf_s)


def lost_share(checkpoint_s: Number, mtbf_s: Number, restart_s: Number) -> Number:
    """Share of wall time lost to checkpoints, re-done work and restarts at the Daly interval.

    First order (docs/hardware-literature.md §8): ``δ/τ + (τ/2 + R)/M``; capped below 1.
    """
    tau = daly_interval_s(checkpoint_s, mtbf_s)
    return np.minimum(checkpoint_s / tau + (tau / 2.0 + restart_s) / mtbf_s, 0.99)

"""The names of the scaling-law presets and the default, without loading the laws.

The command line lists them in its help before any law module is imported (``planner --help``
stays fast); :data:`planner.laws.forms.PRESETS` holds the laws themselves, and a test keeps the
two in step.
"""

from __future__ import annotations

__all__ = ["CHINCHILLA_FORM", "DEFAULT_LAW", "MOE_LAW", "PRESET_NAMES", "preset_help"]

PRESET_NAMES = (
    "besiroglu-2024",
    "hoffmann-2022",
    "hoffmann-2022-unrounded",
    "muennighoff-2023",
    "kaplan-2020",
    "krajewski-2024",
)
"""Every law preset, in the order help texts list them."""

MOE_LAW = "krajewski-2024"
"""The mixture-of-experts law (Krajewski et al. 2024, Eq. 9; planner.laws.moe): a dense or MoE row
chosen from the model's shape, so it is resolved per scenario rather than held in ``PRESETS``."""

CHINCHILLA_FORM = ("besiroglu-2024", "hoffmann-2022", "hoffmann-2022-unrounded", "muennighoff-2023")
"""The presets of the Chinchilla form ``E + A/N^alpha + B/D^beta`` (data-constrained form too)."""

DEFAULT_LAW = "besiroglu-2024"
"""The law of a scenario that names none (Besiroglu et al. 2024 refit of Chinchilla)."""


def preset_help() -> str:
    """``besiroglu-2024, hoffmann-2022, ...``: the presets as a help text lists them."""
    return ", ".join(PRESET_NAMES)

"""Lists that must agree are built from one table each; these tests fail when one drifts.

Synthetic kinds (planner.scenario.sources.SyntheticKind), law presets
(planner.laws.names.PRESET_NAMES beside planner.laws.forms.PRESETS).
"""

from __future__ import annotations

import re
from typing import get_args

from click.testing import CliRunner

from planner.cli import main
from planner.explore.grid import NUMERIC
from planner.laws.choice import LAW_NAMES, law
from planner.laws.forms import PRESETS, ChinchillaLaw
from planner.laws.names import CHINCHILLA_FORM, DEFAULT_LAW, MOE_LAW, PRESET_NAMES
from planner.scenario.mixture_presets import DEFAULT_GAINS, Mixture
from planner.scenario.schema import Scenario
from planner.scenario.sources import KINDS, Synthetic


def test_every_synthetic_kind_has_a_gain_a_default_a_sweep_path_and_a_schema_value() -> None:
    assert KINDS and len(set(KINDS)) == len(KINDS)
    assert tuple(DEFAULT_GAINS) == KINDS
    assert set(KINDS) <= set(Mixture.model_fields)
    gain_fields = {
        name
        for name, field in Mixture.model_fields.items()
        if "Gain" in str(field.annotation) or name in KINDS
    }
    assert gain_fields == set(KINDS)
    for kind in KINDS:
        assert NUMERIC.match(f"mixture.{kind}.max_gain"), kind
    assert not NUMERIC.match("mixture.no_such_kind.max_gain")
    assert set(get_args(Synthetic.model_fields["kind"].annotation)) == set(KINDS)
    schema = Scenario.model_json_schema()
    assert set(KINDS) <= set(schema["$defs"]["Mixture"]["properties"])


def test_law_preset_names_are_the_presets_and_the_default_is_one_of_them() -> None:
    assert PRESET_NAMES == (*PRESETS, MOE_LAW) == LAW_NAMES
    for name in PRESET_NAMES:
        assert law(name).name == name
    assert DEFAULT_LAW in PRESET_NAMES
    assert set(CHINCHILLA_FORM) == {
        n for n, law in PRESETS.items() if isinstance(law, ChinchillaLaw)
    }


def test_help_texts_and_schema_list_every_preset() -> None:
    runner = CliRunner()
    loss_help = runner.invoke(main, ["loss", "--help"]).output
    run_help = runner.invoke(main, ["run", "--help"]).output
    law_text = Scenario.model_fields["law"].description or ""
    for name in PRESET_NAMES:
        assert name in re.sub(r"\s+", "", loss_help) or name in loss_help, name
        assert name in re.sub(r"\s+", " ", run_help).replace("- ", "-"), name
        assert name in law_text, name


def test_precisions_one_table_for_schema_cli_and_catalog() -> None:
    from planner.precisions import FORMATS, PRECISION_NAMES, PrecisionName
    from planner.scenario.accelerators import catalog
    from planner.scenario.schema import Training

    assert PRECISION_NAMES == tuple(FORMATS) == get_args(PrecisionName)
    assert set(get_args(Training.model_fields["precision"].annotation)) == set(PRECISION_NAMES)
    schema = Scenario.model_json_schema()
    assert set(schema["$defs"]["Training"]["properties"]["precision"]["enum"]) == set(
        PRECISION_NAMES
    )
    for command in ("estimate", "loss"):
        text = re.sub(r"\s+", " ", CliRunner().invoke(main, [command, "--help"]).output)
        for name in PRECISION_NAMES:
            assert name in text, (command, name)
    columns = {f"peak_{fmt.peak}_tflops" for fmt in FORMATS.values()}
    for accelerator in catalog().values():
        assert all(hasattr(accelerator, column) for column in columns)
    for fmt in FORMATS.values():
        assert fmt.speedup_low <= fmt.speedup <= fmt.speedup_high and fmt.speedup_source

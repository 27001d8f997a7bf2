"""Reading scenario files: every user mistake gives one clear message (file, field, value, fix)."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner.errors import InputError
from planner.plan.plans import MAX_FILE_BYTES, load_scenario, plans
from tests.conftest import MINIMAL


def with_changes(**paths: Any) -> dict[str, Any]:
    """MINIMAL with dotted-path changes applied (None deletes the key)."""
    doc = copy.deepcopy(MINIMAL)
    for dotted, value in paths.items():
        *parents, last = dotted.split("__")
        node = doc
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return doc


SYNTHETIC = {
    "name": "syn",
    "share": 0.5,
    "synthetic": {
        "generator": {
            "api": {"input_usd_per_million_tokens": 1, "output_usd_per_million_tokens": 2}
        }
    },
}

BAD_DOCUMENTS: list[tuple[str, Any, list[str]]] = [
    (
        "misspelt field",
        with_changes(training__acelerator="h100-sxm"),
        [
            "training.acelerator: unknown field 'acelerator'",
            "did you mean 'accelerator'",
            "allowed here:",
        ],
    ),
    (
        "missing required field",
        with_changes(training__accelerator=None),
        ["training.accelerator: required field is missing"],
    ),
    ("zero tokens", with_changes(training__tokens=0), ["training.tokens", "is zero"]),
    ("negative tokens", with_changes(training__tokens="-5B"), ["training.tokens", "is negative"]),
    ("bad suffix", with_changes(model__params="70X"), ["model.params", "unknown suffix 'X'"]),
    (
        "unknown accelerator",
        with_changes(training__accelerator="h100"),
        ["training.accelerator", "unknown accelerator", "closest catalog ids: h100-sxm"],
    ),
    (
        "yield above one",
        {
            **MINIMAL,
            "training": {**MINIMAL["training"], "tokens": "1T"},
            "data": [
                {"name": "web", "share": 0.5},
                {**SYNTHETIC, "synthetic": {**SYNTHETIC["synthetic"], "acceptance_yield": 1.5}},
            ],
        },
        ["data.syn.synthetic.acceptance_yield", "less than or equal to 1", "1.5"],
    ),
    (
        "yield zero",
        {
            **MINIMAL,
            "data": [
                {"name": "web", "share": 0.5},
                {**SYNTHETIC, "synthetic": {**SYNTHETIC["synthetic"], "acceptance_yield": 0}},
            ],
        },
        ["data.syn.synthetic.acceptance_yield", "greater than 0"],
    ),
    (
        "shares do not add up",
        {**MINIMAL, "data": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.3}]},
        ["shares add up to 0.8 but must add up to 1"],
    ),
    (
        "repetition not allowed",
        {
            **MINIMAL,
            "data": [
                {"name": "web", "share": 1.0, "unique_tokens": "100B", "allow_repetition": False}
            ],
        },
        ["data.web", "only 1e+11 unique", "allow_repetition is false"],
    ),
    (
        "both api and self-hosted",
        {
            **MINIMAL,
            "data": [
                {
                    "name": "syn",
                    "share": 1.0,
                    "synthetic": {
                        "generator": {
                            "api": {
                                "input_usd_per_million_tokens": 1,
                                "output_usd_per_million_tokens": 1,
                            },
                            "self_hosted": {"params": "7B", "accelerator": "a100-80gb"},
                        }
                    },
                }
            ],
        },
        ["data.syn.synthetic.generator", "exactly one of api, self_hosted or measured"],
    ),
    (
        "bad precision",
        with_changes(training__precision="fp4"),
        ["training.precision", "'nvfp4' or 'mxfp4'"],
    ),
    ("not a mapping", ["a", "list"], ["top level is a list, not a mapping"]),
    (
        "duplicate source names",
        {**MINIMAL, "data": [{"name": "a", "share": 0.5}, {"name": "a", "share": 0.5}]},
        ["names must be unique; repeated: a"],
    ),
    (
        "variant unknown path",
        {**MINIMAL, "variants": [{"name": "v", "set": {"training.tokenz": "2T"}}]},
        ["variants.v.set.training.tokenz", "unknown field 'tokenz'", "did you mean 'tokens'"],
    ),
    (
        "variant unknown source",
        {
            **MINIMAL,
            "data": [{"name": "web", "share": 1.0}],
            "variants": [{"name": "v", "set": {"data.wbe.share": 1}}],
        },
        ["variants.v.set.data.wbe", "no item named 'wbe'", "names here: web"],
    ),
    (
        "variant bad value",
        {**MINIMAL, "variants": [{"name": "h", "set": {"training.accelerator": "h2000"}}]},
        ["variants.h.training.accelerator", "unknown accelerator", "h200"],
    ),
    ("baseline not a plan", {**MINIMAL, "baseline": "nope"}, ["baseline 'nope' is not a plan"]),
    (
        "fp8 on A100",
        with_changes(training__accelerator="a100-80gb", training__precision="fp8"),
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "document", "expected"),
    [c for c in BAD_DOCUMENTS if c[2]],
    ids=[c[0] for c in BAD_DOCUMENTS if c[2]],
)
def test_bad_documents_name_file_field_and_fix(
    write_scenario: Callable[..., Path], case: str, document: Any, expected: list[str]
) -> None:
    path = write_scenario(document)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(str(path))
    for fragment in expected:
        assert fragment in message, f"{case}: {fragment!r} not in {message!r}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "file is empty"),
        ("   \n\n", "file is empty"),
        ("name: x\nmodel: [1, 2\n", "malformed YAML at line 3"),
        ("name: a\nname: b\n", "duplicate key 'name'"),
        ("just a string", "top level is a str, not a mapping"),
    ],
    ids=["empty", "blank", "malformed", "duplicate-key", "scalar"],
)
def test_unreadable_files(write_scenario: Callable[..., Path], text: str, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        load_scenario(write_scenario(text))


def test_malformed_json_names_the_line(write_scenario: Callable[..., Path]) -> None:
    with pytest.raises(InputError, match="malformed JSON at line 2"):
        load_scenario(write_scenario('{"name": "x",\n "model": }', name="s.json"))


def test_oversized_file_is_refused(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario("# " + "x" * MAX_FILE_BYTES + "\nname: x\n")
    with pytest.raises(InputError, match="a scenario file is at most 1,000,000 bytes"):
        load_scenario(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="is a directory"):
        load_scenario(tmp_path)


def test_json_scenarios_load(write_scenario: Callable[..., Path]) -> None:
    import json

    scenario = load_scenario(write_scenario(json.dumps(MINIMAL), name="s.json"))
    assert scenario.model.params == 7e9


def test_variants_override_by_path_and_source_name(write_scenario: Callable[..., Path]) -> None:
    doc = {
        **MINIMAL,
        "data": [{"name": "web", "share": 0.6}, {"name": "code", "share": 0.4}],
        "variants": [
            {
                "name": "more-code",
                "set": {
                    "data.web.share": 0.2,
                    "data.code.share": 0.8,
                    "training.accelerator": "h200",
                },
            }
        ],
    }
    resolved = plans(load_scenario(write_scenario(doc)))
    assert [p.name for p in resolved] == ["base", "more-code"]
    variant = resolved[1].scenario
    assert [d.share for d in variant.data] == [0.2, 0.8]
    assert variant.training.accelerator.id == "h200"
    assert resolved[0].scenario.training.accelerator.id == "h100-sxm"


# --- limits and hostile documents (the CLI versions are in tests/test_hostile.py) ------------------
@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (
            {"variants": [{"name": f"v{i}", "set": {}} for i in range(501)]},
            "501 variants; at most 500",
        ),
        (
            {"data": [{"name": f"s{i}", "tokens": "1B"} for i in range(201)]},
            "201 data sources; at most 200",
        ),
        (
            {
                "variants": [{"name": f"v{i}", "set": {}} for i in range(100)],
                "data": [{"name": f"s{i}", "tokens": "1B"} for i in range(200)],
            },
            "101 plans of up to 200 data sources",
        ),
        (
            {"variants": [{"name": "v", "set": {"data": [{"name": f"s{i}"} for i in range(201)]}}]},
            "variants.0.set.data: 201 data sources; at most 200",
        ),
        (
            {"data": [{"name": "s", "tokens": "1B", "grading": [{}] * 501}]},
            "data.0.grading: 501 items; at most 500",
        ),
        ({"name": "n" * 201}, "name: name is 201 characters long"),
        ({"variants": [{"name": "v" * 300, "set": {}}]}, "variants.0.name: name is 300 characters"),
    ],
    ids=[
        "variants",
        "sources",
        "plans-x-sources",
        "variant-sources",
        "any-list",
        "name",
        "variant-name",
    ],
)
def test_size_limits_are_checked_before_validation(
    write_scenario: Callable[..., Path], extra: dict[str, Any], says: str
) -> None:
    path = write_scenario({**MINIMAL, **extra})
    with pytest.raises(InputError, match=says):
        load_scenario(path)


def test_json_duplicate_keys_and_yes_no_numbers(write_scenario: Callable[..., Path]) -> None:
    import json

    text = json.dumps(MINIMAL)[:-1] + ', "name": "again"}'
    with pytest.raises(InputError, match="duplicate key 'name'"):
        load_scenario(write_scenario(text, name="dup.json"))
    flagged = copy.deepcopy(MINIMAL)
    flagged["training"]["accelerator_count"] = True
    with pytest.raises(InputError, match="training.accelerator_count: is a yes/no value"):
        load_scenario(write_scenario(flagged))


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1.0e300"])
def test_every_number_is_finite_and_sane(write_scenario: Callable[..., Path], value: str) -> None:
    text = yaml.safe_dump(MINIMAL) + "description: x\n"
    text = text.replace("accelerator_count: 64", f"accelerator_count: 64\n  pue: {value}")
    with pytest.raises(InputError, match="training.pue"):
        load_scenario(write_scenario(text))


def test_long_values_are_never_echoed_whole(write_scenario: Callable[..., Path]) -> None:
    document = copy.deepcopy(MINIMAL)
    document["model"]["params"] = "7" * 100_000 + "X"
    with pytest.raises(InputError) as caught:
        load_scenario(write_scenario(document))
    assert "model.params" in str(caught.value) and len(str(caught.value)) < 1_000


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_an_input_error(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario(MINIMAL)
    path.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        load_scenario(path)


def test_variants_never_change_the_base_or_each_other(write_scenario: Callable[..., Path]) -> None:
    document = {
        **MINIMAL,
        "training": {k: v for k, v in MINIMAL["training"].items() if k != "tokens"},
        "data": [{"name": "web", "tokens": "1T"}, {"name": "code", "tokens": "1B"}],
        "variants": [
            {"name": "a", "set": {"data.web.tokens": "2T", "training.accelerator_count": 8}},
            {"name": "b", "set": {"data.code.tokens": "3B"}},
        ],
    }
    base, a, b = plans(load_scenario(write_scenario(document)))
    tokens = {p.name: [s.tokens for s in p.scenario.data] for p in (base, a, b)}
    assert tokens == {"base": [1e12, 1e9], "a": [2e12, 1e9], "b": [1e12, 3e9]}
    assert [p.scenario.training.accelerator_count for p in (base, a, b)] == [64, 8, 64]


def test_shares_may_be_written_as_percentages_and_dollars_are_explained(
    write_scenario: Callable[..., Path],
) -> None:
    document = {
        **MINIMAL,
        "training": {**MINIMAL["training"], "utilization": "35%"},
        "data": [{"name": "web", "share": "70%"}, {"name": "code", "share": " 30 % "}],
    }
    scenario = load_scenario(write_scenario(document))
    assert scenario.training.utilization.mid == pytest.approx(0.35)
    assert [s.share for s in scenario.data] == pytest.approx([0.7, 0.3])
    priced = {**MINIMAL, "training": {**MINIMAL["training"], "price_usd_per_hour": "$2.50"}}
    with pytest.raises(
        InputError, match=r"training.price_usd_per_hour: write '2.50' without the '\$'"
    ):
        load_scenario(write_scenario(priced))
    # a percentage is a share, never a price or a count
    wrong = {**MINIMAL, "training": {**MINIMAL["training"], "price_usd_per_hour": "30%"}}
    with pytest.raises(InputError, match="price_usd_per_hour"):
        load_scenario(write_scenario(wrong))

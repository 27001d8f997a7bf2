"""An optimiser a budget owner can sign (issue 19): pinned decisions, a budget with a deadline,
synthetic pools within their evidence, licensed data bought by the token, and a recommendation
that names its laws, its flags and its difference to the user's own plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.errors import InputError
from planner.explore.evidence import EVIDENCE_EPOCHS
from planner.explore.optimizer import optimize
from planner.plan import evaluate
from planner.plan.plans import load_scenario
from planner.scenario.schema import Optimize
from tests.conftest import ROOT

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
WITH_GOAL = [p for p in SCENARIOS if load_scenario(p).optimize is not None]
PHI4 = ROOT / "scenarios" / "phi4_style_14b.yaml"
DATA_3B = ROOT / "scenarios" / "data_constrained_3b.yaml"


def _rephrase() -> object:
    from planner.plan.plans import plans

    scenario = load_scenario(DATA_3B)
    return next(p.scenario for p in plans(scenario, file=str(DATA_3B)) if p.name == "rephrase")


def _synthetic(path: Path) -> set[str]:
    return {d.name for d in load_scenario(path).data if d.synthetic is not None}


@pytest.mark.parametrize("path", [*WITH_GOAL, PHI4], ids=lambda p: p.stem)
def test_shipped_recommendations_read_no_synthetic_pool_more_than_four_times(path: Path) -> None:
    # issue 19 done-when: every shipped scenario with an optimize block, and Phi-4 at $15M
    scenario = load_scenario(path)
    settings_ = scenario.optimize or Optimize(budget_usd=15e6)
    plan = optimize(scenario, settings_)
    for name in _synthetic(path):
        if plan.source_tokens[name] > 0:
            assert plan.epochs[name] <= 4 * (1 + 1e-6), name
    assert all(e <= settings_.max_epochs * (1 + 1e-6) for e in plan.epochs.values())


def test_phi4_at_15m_within_evidence_and_gain_scoped() -> None:
    scenario = load_scenario(PHI4)
    plan = optimize(scenario, Optimize(budget_usd=15e6))
    assert max(plan.epochs[n] for n in ("web-rewrites", "synthetic")) <= 4 * (1 + 1e-6)
    # the gain of the recommended plan does not multiply code or the licensed pool
    ev = evaluate.evaluate(scenario)
    assert ev.mix is not None
    names = [d.name for d in scenario.data]
    assert not dict(zip(names, ev.mix.in_gain, strict=True))["code"]
    assert any("fitted range" in flag for flag in plan.flags)  # 16B is besiroglu's largest run
    assert any("inference tokens 0" in flag for flag in plan.flags)


@settings(max_examples=4, deadline=None)
@given(params=st.floats(min_value=5e8, max_value=2e10))
def test_pinned_params_are_respected(params: float) -> None:
    plan = optimize(_rephrase(), Optimize(budget_usd=300e3, params=params))  # type: ignore[arg-type]
    assert plan.params == pytest.approx(params, rel=1e-9)
    assert plan.total_cost_usd <= 300e3 * (1 + 1e-9)
    assert "pinned params" in plan.binding


@settings(max_examples=4, deadline=None)
@given(max_epochs=st.floats(min_value=1.5, max_value=40.0))
def test_no_pool_beyond_max_epochs(max_epochs: float) -> None:
    plan = optimize(_rephrase(), Optimize(budget_usd=300e3, max_epochs=max_epochs))  # type: ignore[arg-type]
    assert all(e <= max_epochs * (1 + 1e-6) for e in plan.epochs.values())
    over = [f for f in plan.flags if "read" in f and "times" in f]
    assert bool(over) == any(e > EVIDENCE_EPOCHS * (1 + 1e-6) for e in plan.epochs.values())


def test_pinned_tokens_and_share_hold() -> None:
    scenario = _rephrase()
    plan = optimize(scenario, Optimize(budget_usd=300e3, tokens=300e9, shares={"rephrased": 0.3}))  # type: ignore[arg-type]
    assert plan.tokens == pytest.approx(300e9, rel=1e-3)
    assert plan.source_tokens["rephrased"] / plan.tokens == pytest.approx(0.3, rel=1e-3)
    assert plan.pinned == {"tokens": 300e9, "shares": {"rephrased": 0.3}}


def test_budget_and_deadline_together() -> None:
    scenario = _rephrase()
    free = optimize(scenario, Optimize(budget_usd=300e3))  # type: ignore[arg-type]
    deadline = free.wall_clock_days / 2
    both = optimize(scenario, Optimize(budget_usd=300e3, deadline_days=deadline))  # type: ignore[arg-type]
    assert both.wall_clock_days <= deadline * (1 + 1e-9)
    assert both.total_cost_usd <= 300e3 * (1 + 1e-9)
    assert "deadline" in both.binding.split(", ")
    assert both.loss >= free.loss - 1e-9
    assert "and" in both.goal


def test_licensed_data_is_bought_by_the_token() -> None:
    # the repeat-real base plan: a 100B licensed corpus at $0.5/M. The optimiser buys what it
    # reads, and a 30x larger offer does not change how much it buys or what it spends.
    scenario = load_scenario(DATA_3B)
    plan = optimize(scenario)
    bought = plan.bought_tokens["domain"]
    assert bought <= 100e9 * (1 + 1e-9)
    assert plan.licence_usd["domain"] == pytest.approx(bought * (0.5 + 0.02) / 1e6, rel=1e-9)
    data = [d.model_copy(update={"unique_tokens": 3e12}) for d in scenario.data]
    bigger = optimize(scenario.model_copy(update={"data": data}))
    assert bigger.bought_tokens["domain"] < 3e12 * 0.5
    if "whole offer" not in plan.binding:  # the offer did not bind: the answer ignores its size
        assert bigger.bought_tokens["domain"] == pytest.approx(bought, rel=0.05)


def test_the_json_carries_what_a_budget_owner_needs() -> None:
    result = CliRunner().invoke(main, ["optimize", str(DATA_3B), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    for key in ("params", "active_params", "tokens", "epochs", "bought_tokens", "laws", "flags"):
        assert key in out
    assert out["active_params"] == out["params"]  # dense
    assert out["inference_tokens"] == 0
    assert out["versus_plan"]["params"]["plan"] == pytest.approx(3e9)
    pair = out["versus_plan"]["loss"]
    assert pair["difference"] == pytest.approx(pair["recommended"] - pair["plan"])
    assert any("besiroglu-2024" in law for law in out["laws"])


def test_cli_pins_params_and_shows_inference_zero_and_the_paired_plan() -> None:
    result = CliRunner().invoke(
        main, ["optimize", str(DATA_3B), "--params", "3B", "--deadline-days", "40"]
    )
    assert result.exit_code == 0, result.output
    assert "Parameters: 3.0B (3.0B active)" in result.output
    assert "Inference tokens: 0 (none given: real recipes over-train for serving)" in result.output
    assert "Pinned: params 3.0B" in result.output
    assert "Your plan vs recommended:" in result.output
    assert "within $300,000 and 40 days" in result.output
    assert "buy domain:" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--share", "web"], "is not NAME=SHARE"),
        (["--share", "nope=0.3"], "optimize.shares names no data source"),
        (["--share", "domain=1.5"], "pinned shares"),
    ],
)
def test_cli_bad_pins_are_clear_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["optimize", str(DATA_3B), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_target_with_pinned_params_stays_within_the_epoch_bound() -> None:
    # 3B on the 100B corpus read at most 4 times reaches 2.183 at best: 2.19 is reachable within
    # the bound, 2.1 is not (it once "reached" it with 16T tokens, past every bound)
    scenario = load_scenario(DATA_3B)
    plan = optimize(scenario, Optimize(target_loss=2.19, params=3e9))
    assert plan.loss <= 2.19 + 1e-9
    assert all(e <= 4 * (1 + 1e-6) for e in plan.epochs.values())
    with pytest.raises(InputError, match="no plan reaches the target loss"):
        optimize(scenario, Optimize(target_loss=2.1, params=3e9))


def test_domains_the_gain_does_not_reach_keep_their_plan_share_unless_freed() -> None:
    scenario = load_scenario(PHI4)
    ev = evaluate.evaluate(scenario)
    plan_share = {
        d.name: float(s.tokens[0] / ev["tokens"][0])
        for d, s in zip(scenario.data, ev.sources, strict=True)
    }
    kept = optimize(scenario, Optimize(budget_usd=15e6))
    for name in ("code", "acquired"):
        share = kept.source_tokens[name] / kept.tokens
        assert share == pytest.approx(plan_share[name], rel=1e-3), name
        assert f"pinned share of {name}" in kept.binding
    freed = optimize(scenario, Optimize(budget_usd=15e6, keep_domains=False))
    assert freed.source_tokens["code"] / freed.tokens < 0.5 * plan_share["code"]

"""Fitting scaling laws: Besiroglu et al.'s replication, a known law recovered, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import planner
from planner.cli import main
from planner.errors import InputError
from planner.laws.fit import fit_law, huber, law_file_text, objective
from tests.conftest import MINIMAL, ROOT

CHINCHILLA = ROOT / "planner" / "data" / "chinchilla_svg_extracted_data.csv"
COLUMNS = {"params": "Model Size", "flops": "Training FLOP", "loss": "loss"}


def test_reproduces_besiroglu_within_their_standard_errors() -> None:
    # literature.md §1.2: dropping the 5 highest-loss runs, E = 1.8172 (0.026), A = 482.01 (124.52),
    # B = 2085.43 (1293.28), alpha = 0.3478 (0.015), beta = 0.3658 (0.021). Tolerance: one standard error.
    result = fit_law(pd.read_csv(CHINCHILLA), columns=COLUMNS, drop_highest=5, bootstrap=0)
    law = result.law
    assert result.runs == 240
    assert law.E == pytest.approx(1.8172, abs=0.026)
    assert law.A == pytest.approx(482.01, abs=124.52)
    assert law.B == pytest.approx(2085.43, abs=1293.28)
    assert law.alpha == pytest.approx(0.3478, abs=0.015)
    assert law.beta == pytest.approx(0.3658, abs=0.021)
    assert result.r_squared > 0.99


def test_all_245_runs_give_a_visibly_different_beta() -> None:
    # shared/reference/README.md: fitting all 245 points gives beta of about 0.45.
    result = fit_law(pd.read_csv(CHINCHILLA), columns=COLUMNS, bootstrap=0)
    assert result.law.beta > 0.4


def test_bootstrap_is_seeded_and_close_to_published_errors() -> None:
    frame = pd.read_csv(CHINCHILLA)
    first = fit_law(frame, columns=COLUMNS, drop_highest=5, bootstrap=40, seed=3)
    again = fit_law(frame, columns=COLUMNS, drop_highest=5, bootstrap=40, seed=3)
    assert first.standard_errors == again.standard_errors
    # published bootstrap errors (literature.md §1.2), within a factor of 2 for 40 resamples
    for key, published in {"E": 0.026, "alpha": 0.015, "beta": 0.021}.items():
        assert published / 2 < first.standard_errors[key] < published * 2
        low, high = first.intervals[key]
        assert low < getattr(first.law, key) < high


def synthetic_runs(weight: float, seed: int = 0, n: int = 150) -> pd.DataFrame:
    """Runs from a known law (E 1.7, A 400, B 1500, alpha 0.33, beta 0.30) with 0.3% noise."""
    rng = np.random.default_rng(seed)
    params = np.exp(rng.uniform(np.log(1e7), np.log(1e10), n))
    tokens = params * np.exp(rng.uniform(np.log(5), np.log(200), n))
    share = rng.uniform(0, 0.6, n)
    effective = tokens * (1 - share) + weight * tokens * share
    loss = (1.7 + 400 / params**0.33 + 1500 / effective**0.30) * np.exp(rng.normal(0, 0.003, n))
    return pd.DataFrame(
        {"params": params, "tokens": tokens, "loss": loss, "synthetic_share": share}
    )


def test_recovers_a_known_law_and_the_synthetic_weight() -> None:
    result = fit_law(synthetic_runs(0.6), bootstrap=30)
    law = result.law
    assert law.E == pytest.approx(1.7, abs=0.05)
    assert law.alpha == pytest.approx(0.33, abs=0.03)
    assert law.beta == pytest.approx(0.30, abs=0.03)
    assert result.synthetic_weight == pytest.approx(0.6, abs=0.1)
    low, high = result.intervals["synthetic_weight"]
    assert low < 0.6 < high


def test_gradient_matches_finite_differences() -> None:
    frame = synthetic_runs(0.8, n=30)
    from planner.laws.fit import _design

    data = _design(frame)
    theta = np.array([0.35, 0.3, 0.5, 6.0, 7.0, -0.2])
    _, grad = objective(theta, data)
    for i in range(len(theta)):
        step = np.zeros_like(theta)
        step[i] = 1e-6
        numeric = (objective(theta + step, data)[0] - objective(theta - step, data)[0]) / 2e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-4, abs=1e-8)


def test_huber_is_quadratic_then_linear() -> None:
    value, slope = huber(np.array([0.0005, 0.01, -0.01]))
    assert value[0] == pytest.approx(0.5 * 0.0005**2)
    assert value[1] == pytest.approx(1e-3 * (0.01 - 0.0005))
    assert slope.tolist() == [0.0005, 1e-3, -1e-3]


def test_warns_when_tokens_per_param_barely_varies() -> None:
    frame = synthetic_runs(1.0).drop(columns="synthetic_share")
    frame["tokens"] = frame["params"] * 20
    result = fit_law(frame, bootstrap=0)
    assert any("tokens per parameter barely varies" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        (pd.DataFrame({"params": [1e9] * 6, "loss": [2.0] * 6}), "missing columns: tokens"),
        (
            pd.DataFrame(
                {
                    "params": [1e9, "big", 1e9, 1e9, 1e9, 1e9],
                    "tokens": [1e10] * 6,
                    "loss": [2.0] * 6,
                }
            ),
            "row 3: params must be a positive finite number",
        ),
        (
            pd.DataFrame({"params": [1e9] * 6, "tokens": [1e10] * 5 + [None], "loss": [2.0] * 6}),
            "row 7: tokens must be a positive finite number",
        ),
        (
            pd.DataFrame({"params": [1e9] * 6, "tokens": [1e10] * 6, "loss": [2.0] * 5 + [-1]}),
            "row 7: loss",
        ),
        (pd.DataFrame({"params": [1e9] * 3, "tokens": [1e10] * 3, "loss": [2.0] * 3}), "too few"),
    ],
    ids=["missing", "text", "empty", "negative", "few"],
)
def test_bad_runs_name_the_row(frame: pd.DataFrame, says: str) -> None:
    with pytest.raises(InputError, match=says):
        fit_law(frame, bootstrap=0)


def test_law_file_feeds_scenarios_and_the_monte_carlo(tmp_path: Path) -> None:
    result = fit_law(pd.read_csv(CHINCHILLA), columns=COLUMNS, drop_highest=5, bootstrap=20)
    (tmp_path / "law.yaml").write_text(law_file_text(result))
    scenario_path = tmp_path / "s.yaml"
    scenario_path.write_text(yaml.safe_dump({**MINIMAL, "law": {"file": "law.yaml"}}))
    plan = planner.run(planner.load_scenario(scenario_path))["base"]
    assert plan.law == result.law.name
    assert plan.loss == pytest.approx(float(result.law.loss(7e9, 1e12)))
    assert plan.loss_p10 < plan.loss < plan.loss_p90  # the fitted standard errors are sampled
    missing = tmp_path / "t.yaml"
    missing.write_text(yaml.safe_dump({**MINIMAL, "law": {"file": "nope.yaml"}}))
    with pytest.raises(InputError, match="law file not found"):
        planner.load_scenario(missing)


def test_cli_fit_writes_a_law_that_loss_accepts(tmp_path: Path) -> None:
    out = tmp_path / "law.yaml"
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "fit",
            str(CHINCHILLA),
            "--column",
            "params=Model Size",
            "--column",
            "flops=Training FLOP",
            "--drop-highest",
            "5",
            "--bootstrap",
            "10",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert "Fitted on 240 runs" in result.stdout and "alpha" in result.stdout
    loss = runner.invoke(
        main, ["loss", "--params", "70B", "--tokens", "1.4T", "--law", str(out), "--format", "json"]
    )
    assert (
        loss.exit_code == 0 and 1.9 < float(loss.stdout.split('"loss": ')[1].split(",")[0]) < 2.05
    )
    bad = runner.invoke(main, ["fit", str(CHINCHILLA)])
    assert bad.exit_code == 2 and "missing columns" in bad.stderr and "--column" in bad.stderr


def _runs(n: int = 12, **columns: object) -> pd.DataFrame:
    """``n`` well-spread runs of a known law (no noise), with columns overridden."""
    frame = synthetic_runs(1.0, n=n).drop(columns="synthetic_share")
    return frame.assign(**columns)


@pytest.mark.parametrize(
    ("frame", "kwargs", "says"),
    [
        (_runs(loss=2.0), {}, "cannot identify the law: every run has the same loss"),
        (_runs(params=1e9), {}, "cannot identify the law: every run has the same model size"),
        (_runs(unique_tokens=0.0), {}, "row 2: unique_tokens must be a positive finite number"),
        (_runs(synthetic_tokens=1e30), {}, "row 2: synthetic_tokens is above tokens"),
        (_runs(params=1e300), {}, r"params is outside 1 to 1e\+16"),
        (_runs(loss=float("inf")), {}, "loss must be a positive finite number"),
        (
            _runs(8),
            {"drop_highest": 3},
            "5 distinct runs left after dropping the 3 highest-loss are too few",
        ),
        (_runs(8), {"drop_highest": 8}, "cannot drop that many runs"),
        (pd.concat([_runs(3)] * 4), {}, "3 distinct runs are too few"),
        (_runs(8, synthetic_share=0.1), {"drop_highest": 2}, "too few to fit 6 constants"),
        (_runs(), {"bootstrap": 1}, r"--bootstrap.*0 \(no standard errors\) or 2"),
        (_runs(), {"bootstrap": -3}, "--bootstrap"),
    ],
    ids=[
        "same-loss",
        "same-size",
        "unique-zero",
        "synthetic-above",
        "huge",
        "inf",
        "drop-too-many",
        "drop-all",
        "duplicates",
        "synthetic-six",
        "bootstrap-one",
        "bootstrap-negative",
    ],
)
def test_unusable_data_is_refused_before_any_fitting(
    frame: pd.DataFrame, kwargs: dict[str, int], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planner.laws.fit

    def never(*args: object) -> None:
        raise AssertionError("the fit started before the data was checked")

    monkeypatch.setattr(planner.laws.fit, "_fit_theta", never)
    with pytest.raises(InputError, match=says):
        fit_law(frame, **{"bootstrap": 0, **kwargs})


def test_bootstrap_zero_gives_no_errors_and_two_gives_finite_ones() -> None:
    none = fit_law(_runs(), bootstrap=0)
    assert none.standard_errors == {} and none.law.E_se is None
    two = fit_law(_runs(), bootstrap=2)
    assert all(np.isfinite(v) for v in two.standard_errors.values())


def test_grid_scored_in_blocks_equals_all_at_once() -> None:
    from planner.laws.fit import GRID, _design, _grid_values

    data = _design(synthetic_runs(0.7, n=500))
    whole = _grid_values(data, GRID, block_bytes=10**12)
    blocked = _grid_values(data, GRID, block_bytes=8 * 6 * len(GRID) * 7)  # 7 rows per block
    np.testing.assert_allclose(blocked, whole, rtol=1e-12)


def test_read_runs_refuses_non_utf8_and_devices(tmp_path: Path) -> None:
    from planner.laws.fit import read_runs

    bad = tmp_path / "runs.csv"
    bad.write_bytes(b"params,tokens,loss\n1e9,1e10,2.\xff\n")
    with pytest.raises(
        InputError, match=r"runs.csv: is not UTF-8 text: byte 0xff at offset 30 \(line 2\)"
    ):
        read_runs(str(bad))
    with pytest.raises(InputError, match="/dev/zero: is a character device, not a regular file"):
        read_runs("/dev/zero")


# --- the batched bootstrap solver (planner.laws.bootstrap) ---------------------------------------------
@pytest.mark.parametrize("weight", [None, 0.7], ids=["plain", "synthetic"])
def test_batched_gradient_and_hessian_match_the_objective(weight: float | None) -> None:
    from planner.laws.bootstrap import _gradient_hessian
    from planner.laws.fit import HUBER_DELTA, _design

    frame = synthetic_runs(weight or 1.0, n=40)
    if weight is None:
        frame = frame.drop(columns="synthetic_share")
    data = _design(frame)
    theta = np.array([0.35, 0.3, 0.5, 6.0, 7.0, -0.2][: 6 if weight else 5])
    counts = np.ones((1, 40))
    value, gradient, hessian = _gradient_hessian(theta[None, :], data, counts, HUBER_DELTA)
    expected_value, expected_gradient = objective(theta, data)
    assert value[0] == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(gradient[0], expected_gradient, rtol=1e-10, atol=1e-14)
    for i in range(len(theta)):  # Hessian column i: central difference of the gradient
        step = np.zeros_like(theta)
        step[i] = 1e-6
        numeric = (objective(theta + step, data)[1] - objective(theta - step, data)[1]) / 2e-6
        np.testing.assert_allclose(hessian[0][:, i], numeric, rtol=1e-4, atol=1e-6)


def test_batched_newton_reaches_the_l_bfgs_minima() -> None:
    from planner.laws.bootstrap import bootstrap, newton_batch, resample_counts, values
    from planner.laws.fit import HUBER_DELTA, _design, _fit_theta, _minimise

    frame = prepare_chinchilla()
    data = _design(frame)
    theta = _fit_theta(data)
    counts = resample_counts(np.random.default_rng(1), len(frame), 20)
    _, converged = newton_batch(theta, data, counts, delta=HUBER_DELTA)
    assert converged.mean() >= 0.8  # the rest are finished by L-BFGS-B
    thetas = bootstrap(theta, data, counts, delta=HUBER_DELTA, finish=_minimise)
    for k in range(20):
        index = np.repeat(np.arange(len(frame)), counts[k].astype(int))
        sample = {key: (v[index] if isinstance(v, np.ndarray) else v) for key, v in data.items()}
        reference = _minimise(sample, theta[None, :])
        newton_value, reference_value = values(np.vstack([thetas[k], reference]), data,
                                               counts[[k, k]], HUBER_DELTA)  # fmt: skip
        assert newton_value <= reference_value * (1 + 1e-12)  # as low as L-BFGS-B, or lower
        np.testing.assert_allclose(thetas[k], reference, atol=2e-3)


def test_unconverged_resamples_are_finished_by_l_bfgs(monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.laws.bootstrap

    frame = synthetic_runs(1.0, n=60).drop(columns="synthetic_share")
    full = fit_law(frame, bootstrap=10, seed=2)
    real = planner.laws.bootstrap.newton_batch
    monkeypatch.setattr(planner.laws.bootstrap, "newton_batch",
                        lambda *a, **k: real(*a, **{**k, "max_steps": 1}))  # fmt: skip
    finished = fit_law(frame, bootstrap=10, seed=2)
    for key, value in full.standard_errors.items():
        assert finished.standard_errors[key] == pytest.approx(value, rel=0.05)


def prepare_chinchilla() -> pd.DataFrame:
    """The 240 runs of Besiroglu et al.'s replication (5 highest-loss dropped)."""
    from planner.laws.run_tables import prepare

    runs = prepare(pd.read_csv(CHINCHILLA), COLUMNS)
    return runs.sort_values("loss", kind="stable").iloc[:-5]

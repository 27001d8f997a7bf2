"""Sweeps: the vector model equals the single-plan estimate point by point; grid errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.cli import main
from planner.errors import InputError
from planner.explore.sweep import sweep
from planner.plan.evaluate import OUTPUTS
from planner.plan.plans import set_path, validate
from tests.conftest import ROOT

PHI4 = ROOT / "scenarios" / "phi4_style_14b.yaml"
MIX = {
    "name": "mix",
    "model": {"params": "7B"},
    "training": {
        "tokens": "1T",
        "accelerator": "h100-sxm",
        "accelerator_count": 64,
        "goodput": 0.9,
    },
    "data": [
        {
            "name": "web",
            "unique_tokens": "300B",
            "share": 0.6,
            "license_usd_per_million_tokens": 0.5,
        },
        {"name": "code", "unique_tokens": "100B", "share": 0.2},
        {
            "name": "syn",
            "share": 0.2,
            "synthetic": {
                "acceptance_yield": 0.6,
                "kind": "rephrased",
                "generator": {"self_hosted": {"params": "7B", "accelerator": "a100-80gb"}},
                "grading": [
                    {
                        "judge": {
                            "api": {
                                "input_usd_per_million_tokens": 0.15,
                                "output_usd_per_million_tokens": 0.6,
                            }
                        }
                    }
                ],
            },
        },
    ],
}
COMPARED = (
    "tokens",
    "training_flops",
    "accelerator_hours",
    "wall_clock_days",
    "training_cost_usd",
    "overhead_usd",
    "synthetic_generation_usd",
    "grading_usd",
    "real_data_usd",
    "total_cost_usd",
    "energy_kwh",
    "co2_tonnes",
    "synthetic_share",
    "effective_tokens",
    "tokens_per_param",
    "loss",
)


def single(document: dict) -> planner.PlanResult:
    return planner.estimate(validate(document))


@settings(max_examples=40, deadline=None)
@given(
    params=st.floats(1e8, 1e12),
    tokens=st.floats(1e10, 1e14),
    web=st.floats(0.05, 0.6),
    syn=st.floats(0.05, 0.35),
    price=st.floats(0.5, 20),
    yield_=st.floats(0.05, 1.0),
    utilization=st.floats(0.05, 0.9),
    count=st.integers(1, 50_000),
)
def test_one_point_sweep_equals_run(
    params: float,
    tokens: float,
    web: float,
    syn: float,
    price: float,
    yield_: float,
    utilization: float,
    count: int,
) -> None:
    grid = {
        "model.params": [params],
        "training.tokens": [tokens],
        "data.web.share": [web],
        "data.syn.share": [syn],
        "training.price_usd_per_hour": [price],
        "data.syn.synthetic.acceptance_yield": [yield_],
        "training.utilization": [utilization],
        "training.accelerator_count": [count],
    }
    row = sweep(validate(MIX), grid).iloc[0]
    document = validate(MIX).model_dump()
    for path, values in grid.items():
        set_path(document, path, values[0])
    # the share-based source not swept (code) fills what the swept shares leave
    document["data"][1]["share"] = 1 - web - syn
    expected = single(document)
    for name in COMPARED:
        assert row[name] == pytest.approx(getattr(expected, name), rel=1e-9), name
    assert bool(row["flag_synthetic_share_over_50"]) == (syn > 0.5)


def test_product_and_columns() -> None:
    frame = sweep(
        planner.load_scenario(PHI4), {"model.params": "1B,3B,8B", "data.synthetic.share": "0:0.4:5"}
    )
    assert len(frame) == 15
    assert list(frame.columns[:2]) == ["model.params", "data.synthetic.share"]
    assert set(OUTPUTS) <= set(frame.columns)
    assert sorted(set(frame["model.params"])) == [1e9, 3e9, 8e9]
    assert frame["loss"].notna().all()


def test_zipped_columns_from_a_dataframe() -> None:
    points = pd.DataFrame({"model.params": [1e9, 7e9], "training.tokens": [20e9, 140e9]})
    frame = sweep(planner.load_scenario(PHI4), points)
    assert len(frame) == 2 and frame["tokens"].tolist() == [20e9, 140e9]


def test_categorical_axes_match_the_variant() -> None:
    scenario = planner.load_scenario(PHI4)
    frame = sweep(scenario, {"training.accelerator": ["h100-sxm", "h200", "b200"]})
    h200 = planner.run(scenario)["h200"]
    row = frame[frame["training.accelerator"] == "h200"].iloc[0]
    assert row["total_cost_usd"] == pytest.approx(h200.total_cost_usd, rel=1e-12)
    assert row["loss"] == pytest.approx(h200.loss, rel=1e-12)


def test_uncertainty_columns_match_the_estimate() -> None:
    scenario = planner.load_scenario(PHI4)
    frame = sweep(scenario, {"model.params": [14.7e9]}, uncertainty=True)
    base = planner.run(scenario)["base"]
    assert frame.loc[0, "loss_p10"] == pytest.approx(base.loss_p10)
    assert frame.loc[0, "total_cost_usd_p90"] == pytest.approx(base.total_cost_usd_p90)


def test_uncertainty_rows_use_the_same_rebalanced_mix() -> None:
    # The Monte Carlo per row runs the single-plan estimate; with the same mix its P10-P90
    # brackets the vector model's point loss, swept shares of 0 included.
    frame = sweep(validate(MIX), {"data.syn.share": [0.0, 0.1, 0.3]}, uncertainty=True)
    assert (frame["loss_p10"] < frame["loss"]).all() and (frame["loss"] < frame["loss_p90"]).all()
    point = single(
        {
            **MIX,
            "data": [
                {**MIX["data"][0], "share": 0.9 * 0.6 / 0.8},
                {**MIX["data"][1], "share": 0.9 * 0.2 / 0.8},
                {**MIX["data"][2], "share": 0.1},
            ],
        }
    )
    assert frame.loc[1, "loss_p10"] == pytest.approx(point.loss_p10, rel=1e-9)


def test_shares_of_zero_drop_the_source_and_its_cost() -> None:
    frame = sweep(validate(MIX), {"data.syn.share": [0.0, 0.2]})
    assert (
        frame.loc[0, "synthetic_generation_usd"] == 0
        and frame.loc[1, "synthetic_generation_usd"] > 0
    )


@pytest.mark.parametrize(
    ("grid", "says"),
    [
        ({"model.parms": "1B"}, "grid model.parms: unknown field path"),
        ({"data.nope.share": "0.1"}, "no data source by that name"),
        ({"model.params": ""}, "empty value"),
        ({"model.params": "1B,,3B"}, "empty value"),
        ({"model.params": []}, "empty list"),
        ({"data.synthetic.share": "0.2:0.2:5"}, "step of zero"),
        ({"data.synthetic.share": "0:1:0"}, "count of at least 1"),
        ({"data.synthetic.share": "0:1"}, "start:stop:count"),
        ({"model.params": "-5B"}, "grid model.params"),
        ({"data.synthetic.synthetic.acceptance_yield": "0.5,1.5"}, "less than or equal to 1"),
        ({"training.accelerator": "h100,h200"}, "unknown accelerator"),
        (
            {"data.synthetic.share": "0.6", "data.web.share": "0.6"},
            "add up to more than the tokens",
        ),
        ({}, "the grid is empty"),
    ],
    ids=[
        "unknown-path",
        "unknown-source",
        "empty",
        "empty-item",
        "empty-list",
        "zero-step",
        "zero-count",
        "bad-range",
        "negative",
        "yield",
        "accelerator",
        "shares",
        "no-grid",
    ],
)
def test_bad_grids_name_the_entry(grid: dict, says: str) -> None:
    with pytest.raises(InputError, match=says.replace("(", r"\(")):
        sweep(planner.load_scenario(PHI4), grid)


def test_cli_sweep_writes_csv_and_html_and_refuses_overwrite(tmp_path: Path) -> None:
    out, html = tmp_path / "s.csv", tmp_path / "s.html"
    args = [
        "sweep",
        str(PHI4),
        "--grid",
        "model.params=1B,3B,8B",
        "--grid",
        "data.synthetic.share=0:0.4:3",
        "--out",
        str(out),
        "--html",
        str(html),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(out)
    assert len(frame) == 9 and "loss" in frame.columns
    assert "sweep of 9 points" in html.read_text() and html.read_text().count("<svg") == 2
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "already exists" in again.stderr
    bad = CliRunner().invoke(
        main, ["sweep", str(PHI4), "--grid", "model.params", "--out", str(tmp_path / "x.csv")]
    )
    assert bad.exit_code == 2 and "a grid entry is PATH=VALUES" in bad.stderr
    other = CliRunner().invoke(
        main, ["sweep", str(PHI4), "--grid", "model.params=1B", "--out", str(tmp_path / "x.txt")]
    )
    assert other.exit_code == 2 and "use a .csv or .parquet" in other.stderr


def test_dask_engine_equals_numpy_row_for_row() -> None:
    pytest.importorskip("dask.distributed")
    scenario = planner.load_scenario(PHI4)
    grid = {
        "model.params": np.linspace(1e9, 3e10, 40),
        "training.accelerator": ["h100-sxm", "b200"],
    }
    local = sweep(scenario, grid)
    distributed = sweep(scenario, grid, engine="dask")
    pd.testing.assert_frame_equal(local, distributed)
    assert not math.isnan(distributed["loss"].sum())


def test_dask_workers_write_partitions_and_the_client_stays_small(tmp_path: Path) -> None:
    # 600k points x ~50 columns is ~240 MB as one DataFrame; the client only joins part files
    # block by block, so its Python allocations stay far below that (workers limited to 1 GB each).
    pytest.importorskip("dask.distributed")
    import tracemalloc

    from planner.explore.dask_engine import local_cluster

    scenario = planner.load_scenario(PHI4)
    grid = {"model.params": "1B:30B:600", "training.tokens": "1T:10T:1000"}
    target = tmp_path / "big.parquet"
    with local_cluster(n_workers=2, memory_limit="1GiB") as cluster:
        tracemalloc.start()
        rows = planner.sweep_to_file(
            scenario, grid, target, engine="dask", scheduler=cluster.scheduler_address
        )
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert rows == 600_000
    assert peak < 100e6, f"client peaked at {peak / 1e6:.0f} MB"
    written = pd.read_parquet(target, columns=["model.params", "training.tokens", "loss"])
    assert len(written) == 600_000 and written["loss"].notna().all()
    check = sweep(
        scenario,
        {
            "model.params": [written["model.params"].iloc[12345]],
            "training.tokens": [written["training.tokens"].iloc[12345]],
        },
    )
    assert check["loss"].iloc[0] == pytest.approx(written["loss"].iloc[12345], rel=1e-12)
    assert [p.name for p in tmp_path.iterdir()] == ["big.parquet"]  # part files removed


def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    result = CliRunner().invoke(
        main,
        [
            "sweep",
            str(PHI4),
            "--grid",
            "model.params=1B",
            "--out",
            str(tmp_path / "x.csv"),
            "--engine",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:9",
        ],
    )
    assert result.exit_code == 2 and "cannot reach the Dask scheduler" in result.stderr
    assert not (tmp_path / "x.csv").exists()


def test_sweeping_a_generator_size_flags_only_the_large_rows() -> None:
    scenario = planner.load_scenario(str(ROOT / "scenarios" / "palmyra_synthetic_vs_real.yaml"))
    path = "data.synthetic.synthetic.generator.self_hosted.params"
    frame = planner.sweep(scenario, {path: "7B,70B"})
    assert list(frame["flag_generator_beyond_8b"]) == [False, True]

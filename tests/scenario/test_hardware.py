"""The accelerator catalog: required ids, sources on every row, dense peaks, lookups."""

import pytest

from planner.errors import InputError
from planner.scenario.accelerators import catalog, hardware

REQUIRED_IDS = [
    "v100",
    "a100-40gb",
    "a100-80gb",
    "h100-sxm",
    "h100-pcie",
    "h800",
    "h200",
    "gh200",
    "b200",
    "gb200",
    "mi300x",
    "tpu-v3",
    "tpu-v4",
    "tpu-v5e",
    "tpu-v5p",
    "tpu-v6e",
]


def test_catalog_has_every_required_id_in_order() -> None:
    assert list(catalog()) == REQUIRED_IDS


@pytest.mark.parametrize("accelerator_id", REQUIRED_IDS)
def test_every_row_has_sources_and_dated_price(accelerator_id: str) -> None:
    spec = catalog()[accelerator_id]
    assert len(spec.spec_source) > 20
    assert len(spec.price_source) > 20
    assert (spec.price_usd_per_hour is None) == (spec.price_date is None)


# Dense peaks, sparse datasheet figures halved (shared/reference/hardware_prices.csv).
@pytest.mark.parametrize(
    ("accelerator_id", "bf16", "fp8"),
    [
        ("h100-sxm", 989.4, 1978.9),
        ("a100-80gb", 312, None),
        ("b200", 2250, 4500),
        ("mi300x", 1307.4, 2614.9),
        ("tpu-v5p", 459, None),
        ("h100-pcie", 756, 1513),
    ],
)
def test_dense_peaks(accelerator_id: str, bf16: float, fp8: float | None) -> None:
    spec = hardware(accelerator_id)
    assert spec.peak_bf16_tflops == bf16
    assert spec.peak_fp8_tflops == fp8


def test_lookup_ignores_case_and_spaces() -> None:
    assert hardware("  H100-SXM ").id == "h100-sxm"


def test_unknown_id_suggests_closest() -> None:
    with pytest.raises(InputError) as info:
        hardware("h100")
    assert "closest catalog ids: h100-sxm, h100-pcie" in str(info.value)


def test_fp8_on_a_part_without_fp8_is_an_error() -> None:
    with pytest.raises(InputError, match="has no FP8 peak"):
        hardware("a100-80gb").peak_flops("fp8")


# Link bandwidths, hardware-literature.md §11 (per accelerator; scale-up both directions summed,
# scale-out one direction).
@pytest.mark.parametrize(
    ("accelerator_id", "hbm_tbs", "scale_up", "domain", "scale_out"),
    [
        ("a100-80gb", 2.039, 600, 8, 25),
        ("h100-sxm", 3.35, 900, 8, 50),
        ("h800", 3.35, 400, 8, 50),
        ("h200", 4.8, 900, 8, 50),
        ("gh200", 4.0, 900, 4, 25),
        ("b200", 7.7, 1800, 8, 50),
        ("mi300x", 5.3, 896, 8, 50),
        ("tpu-v5p", 2.765, 1200, 6144, 6.25),
    ],
)
def test_link_bandwidths(
    accelerator_id: str, hbm_tbs: float, scale_up: float, domain: int, scale_out: float
) -> None:
    spec = hardware(accelerator_id)
    assert (spec.memory_bw_tbs, spec.scale_up_gbs, spec.scale_up_domain, spec.scale_out_gbs) == (
        hbm_tbs,
        scale_up,
        domain,
        scale_out,
    )
    assert len(spec.link_source) > 20


def test_gh200_memory_is_the_hbm_only() -> None:
    assert hardware("gh200").memory_gb == 96

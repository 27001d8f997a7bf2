"""The public library API: curated __all__, light import, DataFrames out."""

import subprocess
import sys

import planner
from tests.conftest import SCENARIOS


def test_all_is_exactly_the_public_names() -> None:
    import importlib
    import inspect
    import pkgutil

    # every public name resolves (lazily) and nothing else public is exported
    for name in planner.__all__:
        assert getattr(planner, name) is not None
    public = {
        name
        for name, value in vars(planner).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    } - {"annotations", "TYPE_CHECKING", "Any"}
    assert public <= set(planner.__all__)
    # every module declares __all__ (private cross-imports then stand out)
    modules = [i for i in pkgutil.walk_packages(planner.__path__, "planner.") if not i.ispkg]
    assert len(modules) > 50
    for info in modules:
        module = importlib.import_module(info.name)
        assert hasattr(module, "__all__"), f"{info.name} has no __all__"


def test_help_does_not_build_the_schema() -> None:
    code = (
        "import sys; from planner.cli import main; "
        "print([m for m in ('planner.scenario.schema', 'numpy', 'pydantic') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_notebook_display_is_a_fragment_and_reprs_are_short() -> None:
    results = planner.run(planner.load_scenario(SCENARIOS[0]))
    html = results._repr_html_()
    assert html and "<!DOCTYPE" not in html and "<html" not in html and "<title" not in html
    assert results.plans[0]._repr_html_()
    assert len(repr(results.plans[0])) < 300 and len(repr(results)) < 2000


def test_import_does_not_load_heavy_or_cli_modules() -> None:
    code = (
        "import sys, planner; heavy = [m for m in ('click', 'jinja2', 'matplotlib', 'scipy', 'pandas')"
        " if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_results_to_frame() -> None:
    results = planner.run(planner.load_scenario(SCENARIOS[0]))
    frame = results.to_frame()
    assert list(frame.index) == [p.plan for p in results.plans]
    assert frame.loc[results.plans[0].plan, "total_cost_usd"] == results.plans[0].total_cost_usd
    sources = results.sources_frame()
    assert set(sources.columns) >= {"plan", "name", "kind", "tokens", "epochs"}


def test_every_schema_field_is_described() -> None:
    from pydantic import BaseModel

    from planner.scenario import fields, programme, schema, sources

    modules = {m.__name__ for m in (fields, schema, sources, programme)}
    models = {
        v
        for m in (fields, schema, sources, programme)
        for v in vars(m).values()
        if isinstance(v, type) and issubclass(v, BaseModel) and v.__module__ in modules
    }
    assert len(models) >= 13
    for value in models:
        for name, field in value.model_fields.items():
            assert field.description, f"{value.__name__}.{name} has no description"


def test_compare_joins_descriptions_as_sentences() -> None:
    first = planner.run(planner.load_scenario(SCENARIOS[0]))
    second = planner.run(planner.load_scenario(SCENARIOS[1]))
    joined = planner.compare(first, second).description
    assert ".;" not in joined and ".." not in joined
    assert joined.startswith(f"{first.scenario}: ") and f" {second.scenario}: " in joined

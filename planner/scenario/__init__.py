"""The scenario file: its pydantic schema (the single source of truth for inputs), field types,
data sources and generators, layout, mixture presets, variants, token shares and the accelerator
catalog.
"""

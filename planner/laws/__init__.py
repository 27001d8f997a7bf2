"""Scaling laws: their forms and cited presets, choosing one, the uncertainty of their constants,
compute-optimal allocation, and fitting a law (with bootstrap) to a table of your own runs.
"""

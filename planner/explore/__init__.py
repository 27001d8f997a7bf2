"""Many plans: the optimiser and its decision space, sweeps over grids (in process or on Dask),
and the analysis around finished plans.
"""

"""The hardware terms of a plan: parameters and FLOPs, memory per accelerator, step time, batch
size, failures, utilisation and its calibration, and the backtest on published runs.
"""

"""The quality of a data mix: mixture formulas, effective data and the expected loss of a mix,
generation throughput of synthetic data, and fitting mixture behaviour to ablation runs.
"""

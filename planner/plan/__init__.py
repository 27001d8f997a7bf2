"""One plan from a scenario: the Plan, the evaluator of every term over rows, cost, the Monte
Carlo, estimates and results, and risk flags.
"""

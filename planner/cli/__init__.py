"""The ``planner`` command: thin shells over library calls.

The entry point is :func:`planner.cli.main.main`, re-exported here for ``planner.cli:main``.
"""

from planner.cli.main import main

__all__ = ["main"]

"""casekb: 太仓“政社互动”与各地社区治理案例库 — the application shell (command line, build, serve).

It sits on top of the stages (kbcore -> ingest -> index -> reports -> datasette_plugins) and no
stage imports it; tests/test_architecture.py keeps it so.
"""

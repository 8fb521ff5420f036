"""casekb: 太仓“政社互动”与各地社区治理案例库 — shared text helpers and the command line."""

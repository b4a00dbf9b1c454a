"""Benchmarks: `python -m bench.overhead` (the plugin's cost in a real proxy) and
`python -m bench.decisions` (decision latency against LiteLLM's complexity heuristic).

Run from the repository root with the project's venv; results go to `bench/results/`.
"""

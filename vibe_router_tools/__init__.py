"""vibe-router's tools: the `vibe-router` CLI, training and evaluation of the learned scorer,
labelling and reports over captures, and the echo upstream (a fake LLM provider for tests and demos).

They import the runtime (`vibe_router`); the runtime never imports them, so the proxy mounts
and loads `vibe_router/` alone (tests/test_package_split.py checks both).
"""

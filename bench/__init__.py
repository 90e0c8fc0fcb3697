"""Benchmarks (run as modules, never as timed tests) and the fleet they verify."""

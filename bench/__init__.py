"""Benchmarks: real databases, real app, real HTTP. Run one with
`python -m bench.<name> --help`; results are written to bench/results/."""

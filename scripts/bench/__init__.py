"""Benchmarks: speed, memory, load, cross-domain accuracy against peer tools."""

"""Benchmarks of http-mcp against its peers; run them with benchmarks/run (see README.md)."""

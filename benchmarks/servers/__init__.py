"""The benchmarked servers: one module per library, each building the same catalog."""

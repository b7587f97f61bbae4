"""`python -m bench`: a synthetic corpus in the Herne layout, replayed through the real
pipeline stage by stage, each stage's throughput printed next to its library floor."""

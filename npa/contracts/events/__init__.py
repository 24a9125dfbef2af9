"""Integration events: one module per topic, each with its types and data models."""

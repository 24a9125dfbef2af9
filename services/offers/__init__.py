"""Offers: integration offers, good examples and partners (`npa.offers.v1`, `npa.examples.v1`)."""

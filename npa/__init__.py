"""Shared building blocks of the NIEDERSACHSEN PACKT AN platform.

`npa.contracts` holds what services agree on (event envelope, event models, topics,
reference data); `npa.infrastructure` holds what every service runs on (settings,
database, bus, outbox, inbox, metrics, health).
"""

"""Batch handlers of the reports service (the consumer owns the transaction; none commits)."""

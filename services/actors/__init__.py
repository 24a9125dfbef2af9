"""Actors: organisations, initiatives and multipliers of the alliance (`npa.actors.v1`)."""

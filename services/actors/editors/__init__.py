"""Editors of the alliance office: accounts, sign-in, their pages for the actor registry (ADR 21)."""

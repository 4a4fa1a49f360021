"""Deterministic demo data: a OneRoster Japan Profile roster and three months of xAPI statements about it."""

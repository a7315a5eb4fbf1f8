"""Random bits from junction arrays: debiasing, and bits turned into numbers."""

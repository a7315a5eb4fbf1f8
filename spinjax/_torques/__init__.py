"""Spin torques, one per file, entered into the Gilbert equation as equivalent fields."""

"""Pulse waveforms: differentiable functions of time used as drives."""

"""Errors of the diffusion package shared by its modules."""


class SamplerError(ValueError):
    """A sampler argument outside its valid range."""

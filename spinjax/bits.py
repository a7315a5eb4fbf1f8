"""``spinjax.bits``: random bits from junction arrays, debiased (XOR of streams, von
Neumann) and turned into numbers (uniforms, Gaussians by three constructions, and
their quality). The implementation lives in ``spinjax/_bits/``."""

from ._bits.debias import bias, von_neumann, xor_streams
from ._bits.numbers import (
    gaussian_box_muller, gaussian_clt, gaussian_inverse_cdf, gaussian_quality, uniforms)

__all__ = ["bias", "gaussian_box_muller", "gaussian_clt", "gaussian_inverse_cdf",
           "gaussian_quality", "uniforms", "von_neumann", "xor_streams"]

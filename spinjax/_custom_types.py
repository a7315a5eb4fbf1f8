"""The shared type vocabulary of spinjax (jaxtyping annotations).

A leading ``*N`` names the junction axes: a parameter is either a scalar shared by all
junctions or an array whose leading axes broadcast against the state's junction axes.
"""

from collections.abc import Callable
from typing import Union

from jaxtyping import Array, ArrayLike, Float

Scalar = Float[Array, ""]
PerJunction = Float[Array, "*N"]
"""A per-junction scalar parameter: shape () or the junction shape."""
Vector = Float[Array, "*N 3"]
"""A per-junction Cartesian vector: shape (3,) or (*N, 3)."""
Magnetization = Float[Array, "*N 3"]
"""Unit magnetization vectors, one per junction."""
TimeFunction = Callable[[Scalar], ArrayLike]
"""A drive: a function of time in seconds returning an array (jit- and grad-safe)."""
DriveLike = Union[None, ArrayLike, TimeFunction]

"""The interface every effective-field term implements."""

import abc
from typing import ClassVar

import equinox as eqx

from .._custom_types import Magnetization, PerJunction, Vector
from .._drive import Inputs
from .._layer import FreeLayer




class AbstractField(eqx.Module):
    r"""A conservative term of the effective field.

    A subclass gives its energy density $e(\mathbf m)$ in J/m$^3$ and the field
    $\mathbf H = -\frac{1}{\mu_0 M_s}\,\partial e / \partial \mathbf m$ in A/m in closed
    form; ``tests/test_fields.py`` checks the two against each other by autodiff.

    The built-in terms are affine in $\mathbf m$ ($\mathbf H = \mathbf H_0 + A\mathbf m$),
    which [`spinjax.SLLG.max_rate`][] uses to bound the precession rate.
    """

    inputs_used: ClassVar[tuple[str, ...]] = ()
    """The names of the [`spinjax.Inputs`][] the term reads (checked by simulate)."""

    @abc.abstractmethod
    def field(self, m: Magnetization, layer: FreeLayer, inputs: Inputs) -> Vector:
        """The field in A/m, shape (*N, 3)."""

    @abc.abstractmethod
    def energy_density(self, m: Magnetization, layer: FreeLayer,
                       inputs: Inputs) -> PerJunction:
        """The energy density in J/m^3, shape (*N,)."""

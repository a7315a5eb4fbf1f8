"""The interface every spin-torque term implements."""

import abc
from typing import ClassVar

import equinox as eqx

from ..constants import E_CHARGE, HBAR, MU0
from .._custom_types import Magnetization, PerJunction, Vector
from .._drive import Inputs
from .._layer import FreeLayer


def torque_field_per_current(layer: FreeLayer) -> PerJunction:
    r"""$\hbar / (2 e \mu_0 M_s t_F)$: the spin-torque field in A/m per A/m$^2$ of
    spin-polarized current at unit efficiency (Slonczewski, JMMM 159, L1, 1996)."""
    # One quotient at a time: the product Ms t_F (1e-3 A) squares to 1e-6 in the
    # derivative, where HBAR / (2 e mu0 Ms t_F) at once would square 5e-28 and
    # underflow in float32 (an infinite gradient in Ms or t_F).
    return HBAR / (2 * E_CHARGE * MU0) / layer.Ms / layer.thickness_m


class AbstractTorque(eqx.Module):
    r"""A spin torque written as an equivalent field in the Gilbert equation.

    A torque $\boldsymbol\tau$ that enters the Gilbert form as
    $\dot{\mathbf m} = -\gamma_0 \mathbf m\times(\mathbf H + \mathbf H_\tau) +
    \alpha\, \mathbf m\times\dot{\mathbf m}$ is described by $\mathbf H_\tau$:
    a damping-like torque $-\gamma_0 a\, \mathbf m\times(\mathbf m\times\mathbf p)$ is
    $\mathbf H_\tau = a\, \mathbf m\times\mathbf p$, a field-like torque
    $-\gamma_0 b\, \mathbf m\times\mathbf p$ is $\mathbf H_\tau = b\,\mathbf p$. The
    explicit Landau-Lifshitz form (with its $1/(1+\alpha^2)$ and the $\alpha$ cross
    terms) then follows for all terms at once in [`spinjax.llg_rhs`][].
    Torques are not conservative and have no energy.
    """

    inputs_used: ClassVar[tuple[str, ...]] = ()
    """The names of the [`spinjax.Inputs`][] the torque reads (checked by simulate)."""

    @abc.abstractmethod
    def field(self, m: Magnetization, layer: FreeLayer, inputs: Inputs) -> Vector:
        """The equivalent field in A/m, shape (*N, 3)."""

    @abc.abstractmethod
    def max_field(self, layer: FreeLayer, inputs: Inputs) -> PerJunction:
        """An upper bound of |H_tau| in A/m over all unit m (for the step-size check)."""

"""The stochastic LLG model: a free layer, its field terms and its torques."""

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx

from .constants import GAMMA0
from ._custom_types import Magnetization, PerJunction, Scalar, Vector
from ._drive import Drive, Inputs
from ._fields.base import AbstractField
from ._layer import FreeLayer
from ._llg import llg_rhs
from ._thermal import thermal_field_strength
from ._torques.base import AbstractTorque


class SLLG(eqx.Module):
    r"""A macrospin model: $\mathbf H_\mathrm{eff}$ as a sum of field terms, plus torques.

    $$d\mathbf m = -\frac{\gamma_0}{1+\alpha^2}\left[\mathbf m\times\mathbf H' +
      \alpha\,\mathbf m\times(\mathbf m\times\mathbf H')\right] dt, \qquad
      \mathbf H' = \sum_k \mathbf H_k(\mathbf m, t) + \sum_j \mathbf H_{\tau,j}(\mathbf m, t)
      + \sigma\, \frac{d\mathbf W}{dt},$$

    in the Stratonovich sense, with $\sigma$ from [`spinjax.thermal_field_strength`][].
    All leaves broadcast over the junction axes, so one `SLLG` describes an array of
    junctions with per-device parameters. The fields are composed as data (a tuple),
    the way ``optax.chain`` composes transformations.

    **Fields:**

    - `layer`: the [`spinjax.FreeLayer`][].
    - `fields`: a tuple of [`spinjax.AbstractField`][] terms.
    - `torques`: a tuple of [`spinjax.AbstractTorque`][] terms; default none.
    """

    layer: FreeLayer
    fields: tuple[AbstractField, ...]
    torques: tuple[AbstractTorque, ...] = ()

    def __check_init__(self):
        for term in self.fields:
            if not isinstance(term, AbstractField):
                raise TypeError(f"SLLG.fields must hold AbstractField terms; got "
                                f"{type(term).__name__}.")
        for term in self.torques:
            if not isinstance(term, AbstractTorque):
                raise TypeError(f"SLLG.torques must hold AbstractTorque terms; got "
                                f"{type(term).__name__}.")

    def effective_field(self, m: Magnetization, inputs: Inputs) -> Vector:
        """The conservative field $\\sum_k \\mathbf H_k$ in A/m (no torques, no noise)."""
        h = jnp.zeros_like(m)
        for term in self.fields:
            h = h + term.field(m, self.layer, inputs)
        return h

    def gilbert_field(self, m: Magnetization, inputs: Inputs) -> Vector:
        """$\\mathbf H'$ without noise: the effective field plus torque fields, in A/m."""
        h = self.effective_field(m, inputs)
        for term in self.torques:
            h = h + term.field(m, self.layer, inputs)
        return h

    def drift(self, t: Scalar, m: Magnetization, drive: Drive) -> Vector:
        """Deterministic $\\dot{\\mathbf m}$ in 1/s at time `t` (s)."""
        inputs = Inputs(*(jnp.asarray(x, m.dtype) for x in drive(t)))
        return llg_rhs(m, self.gilbert_field(m, inputs), self.layer.alpha)

    def noise(self, m: Magnetization, scale=1.0) -> lx.FunctionLinearOperator:
        """The linear map $d\\mathbf W \\mapsto$ its contribution to $d\\mathbf m$,
        $-\\gamma_0/(1+\\alpha^2)[\\mathbf m\\times\\sigma d\\mathbf W + \\alpha\\,
        \\mathbf m\\times(\\mathbf m\\times\\sigma d\\mathbf W)]$, times `scale`."""
        sigma = scale * thermal_field_strength(self.layer)[..., None]
        alpha = self.layer.alpha
        return lx.FunctionLinearOperator(
            lambda dw: llg_rhs(m, sigma * dw, alpha),
            jax.ShapeDtypeStruct(m.shape, m.dtype),
        )

    def energy_density(self, m: Magnetization, inputs: Inputs) -> PerJunction:
        """Sum of the field terms' energy densities, J/m^3, shape (*N,)."""
        e = jnp.zeros(m.shape[:-1], m.dtype)
        for term in self.fields:
            e = e + term.energy_density(m, self.layer, inputs)
        return e

    def max_rate(self, inputs: Inputs) -> PerJunction:
        r"""The largest precession rate in rad/s without noise, used to bound the step.

        For the affine effective field $\mathbf H = \mathbf H_0 + A\mathbf m$,
        $|\mathbf H| \le |\mathbf H_0| + \|A\|_F$ with $\|A\|_F^2 =
        \sum_k |\mathbf H(\hat e_k) - \mathbf H_0|^2$; torques add their own bound, and
        $|\dot{\mathbf m}| \le \gamma_0 |\mathbf H'|/\sqrt{1+\alpha^2}$.
        """
        shape = jnp.broadcast_shapes(*(jnp.shape(x)[:-1] for x in inputs[:1]),
                                     *(jnp.shape(x) for x in inputs[1:]),
                                     jnp.shape(self.layer.Ms))
        dtype = jnp.result_type(self.layer.Ms)
        inputs = Inputs(*(jnp.asarray(x, dtype) for x in inputs))
        zero = jnp.zeros((*shape, 3), dtype)
        h0 = self.effective_field(zero, inputs)
        frob2 = 0.0
        for e in jnp.eye(3, dtype=dtype):
            frob2 = frob2 + jnp.sum((self.effective_field(zero + e, inputs) - h0) ** 2, -1)
        h = jnp.linalg.norm(h0, axis=-1) + jnp.sqrt(frob2)
        for term in self.torques:
            h = h + term.max_field(self.layer, inputs)
        alpha = self.layer.alpha
        return GAMMA0 * h / jnp.sqrt(1 + alpha**2)

    def thermal_rate(self) -> PerJunction:
        r"""$\gamma_0 \sigma/\sqrt{1+\alpha^2}$ in rad/s$^{1/2}$: the rms thermal angle
        per component after time $t$ is this times $\sqrt t$."""
        alpha = self.layer.alpha
        return GAMMA0 * thermal_field_strength(self.layer) / jnp.sqrt(1 + alpha**2)

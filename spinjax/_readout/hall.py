r"""Hall-bar readout: longitudinal and transverse magnetoresistance, and a lock-in.

Geometry: current along $\hat x$, a film in the $xy$ plane, the spin polarization of
the spin-Hall current along $\hat y$; $\mathbf m = (\cos\varphi\sin\theta,
\sin\varphi\sin\theta, \cos\theta)$, so an in-plane magnet has $m_x = \cos\varphi$,
$m_y = \sin\varphi$.
"""

import math

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .._custom_types import Magnetization, PerJunction
from .._params import POSITIVE, REAL, InvalidParameterError, check_concrete, param


class HallReadout(eqx.Module):
    r"""Longitudinal ($R_{xx}$) and transverse ($R_{xy}$) resistance of a Hall bar.

    $$R_{xx} = R_0 + \Delta R_{AMR}\, m_x^2 + \Delta R_{SMR}\, m_y^2
               + \Delta R_{UMR}\, \frac{J}{J_\mathrm{ref}}\, m_y, \qquad
      R_{xy} = \Delta R_{AHE}\, m_z + \Delta R_{PHE}\, m_x m_y .$$

    - AMR: anisotropic magnetoresistance of the ferromagnet, $\Delta R_{AMR} > 0$ for
      CoFeB (McGuire and Potter, IEEE Trans. Magn. 11, 1018, 1975).
    - SMR: spin Hall magnetoresistance, even in $\mathbf m$; its sign in the
      $m_y^2$ form depends on the convention (Nakayama et al., PRL 110, 206601, 2013;
      Kim et al., PRL 116, 097201, 2016): typically $\Delta R_{SMR} < 0$ (resistance
      lower with $\mathbf m\parallel\boldsymbol\sigma$).
    - UMR: unidirectional (spin Hall) magnetoresistance, odd in the current density
      $J$ and in $m_y$, linear in $J$; it changes sign with the sign of the spin Hall
      angle of the heavy metal (Ta vs Pt: Avci et al., Nat. Phys. 11, 570, 2015).
      $\Delta R_{UMR}$ is its value at $J = J_\mathrm{ref}$.
    - AHE and PHE: anomalous and planar Hall resistances (the PHE amplitude equals the
      AMR one for a single ferromagnet in a square cross).

    All parameters are per junction (scalar or shape (*N,)), in Ohm except `j_ref`.

    **Fields:**

    - `r0_ohm`: $R_0$ in Ohm, $> 0$.
    - `d_amr_ohm`, `d_smr_ohm`, `d_umr_ohm`, `d_ahe_ohm`, `d_phe_ohm`: the amplitudes in
      Ohm (any real value; default 0).
    - `j_ref_A_per_m2`: $J_\mathrm{ref}$ in A/m$^2$, $> 0$; default $10^{11}$.
    """

    r0_ohm: PerJunction = param("Ohm", POSITIVE)
    d_amr_ohm: PerJunction = param("Ohm", REAL, default=0.0)
    d_smr_ohm: PerJunction = param("Ohm", REAL, default=0.0)
    d_umr_ohm: PerJunction = param("Ohm", REAL, default=0.0)
    d_ahe_ohm: PerJunction = param("Ohm", REAL, default=0.0)
    d_phe_ohm: PerJunction = param("Ohm", REAL, default=0.0)
    j_ref_A_per_m2: PerJunction = param("A/m^2", POSITIVE, default=1e11)

    def __check_init__(self):
        check_concrete(self)

    def r_xx(self, m: Magnetization, j_A_per_m2: ArrayLike = 0.0) -> PerJunction:
        """$R_{xx}$ in Ohm, shape (*N,), at current density `j_A_per_m2` (A/m$^2$) in
        the heavy metal (enters the UMR term only)."""
        return jnp.asarray(self.r0_ohm, m.dtype) + self.magnetoresistance(m, j_A_per_m2)

    def magnetoresistance(self, m: Magnetization, j_A_per_m2: ArrayLike = 0.0) -> PerJunction:
        """$R_{xx} - R_0$ in Ohm, shape (*N,): the magnetization-dependent part alone,
        which keeps milli-Ohm changes resolvable in float32 (an ulp of a 1 kOhm $R_0$ is
        about 0.1 mOhm)."""
        c = lambda x: jnp.asarray(x, m.dtype)  # noqa: E731 (computed in m's precision)
        mx, my = m[..., 0], m[..., 1]
        return (c(self.d_amr_ohm) * mx * mx + c(self.d_smr_ohm) * my * my
                + c(self.d_umr_ohm) * (c(j_A_per_m2) / c(self.j_ref_A_per_m2)) * my)

    def r_xy(self, m: Magnetization) -> PerJunction:
        """$R_{xy}$ in Ohm, shape (*N,)."""
        c = lambda x: jnp.asarray(x, m.dtype)  # noqa: E731
        return c(self.d_ahe_ohm) * m[..., 2] + c(self.d_phe_ohm) * m[..., 0] * m[..., 1]


def lock_in(t_s: Float[ArrayLike, " T"], signal: Float[ArrayLike, "T *N"],
            frequency_hz: float, harmonic: int = 1) -> tuple[Array, Array]:
    r"""Numerical lock-in: in-phase and quadrature amplitudes of the `harmonic`-th
    harmonic of `signal` over a whole number of periods.

    For a reference $\sin(\omega t)$, $\omega = 2\pi f$, and $n$ = `harmonic`,

    $$X_n = \frac{2}{T}\int_{t_0}^{t_0+T} V(t)\sin(n\omega t)\,dt, \qquad
      Y_n = \frac{2}{T}\int_{t_0}^{t_0+T} V(t)\cos(n\omega t)\,dt,$$

    so $V = X_n \sin(n\omega t) + Y_n\cos(n\omega t) + \dots$ is recovered exactly for a
    band-limited signal. The integral is the trapezoid rule on the samples, which for a
    periodic integrand over whole periods is the spectrally accurate rectangle rule.
    `T` must be a whole number of periods (checked for concrete input); the lock-in
    average of an ideal instrument with an integration time of whole periods.

    **Arguments:**

    - `t_s`: uniformly spaced sample times in s, shape (T,), spanning
      $[t_0, t_0 + kT_\omega]$ with both ends included.
    - `signal`: the samples, time first, shape (T, *N) (as ``Solution.ys``).
    - `frequency_hz`: the reference frequency $f$ in Hz (of $I(t)$, not the harmonic).
    - `harmonic`: $n \geq 1$.

    **Returns:** `(X, Y)`, each shape (*N,), in the unit of `signal`.
    """
    t = jnp.asarray(t_s)
    v = jnp.asarray(signal)
    if t.ndim != 1 or v.shape[:1] != t.shape or t.shape[0] < 3:
        raise InvalidParameterError(
            f"lock_in needs t_s of shape (T,), T >= 3, and signal of shape (T, *N); got "
            f"{t.shape} and {v.shape}.")
    if not (isinstance(harmonic, int) and harmonic >= 1):
        raise InvalidParameterError(f"harmonic = {harmonic!r} must be an integer >= 1.")
    tn = np.asarray(t, np.float64)
    if not (frequency_hz > 0 and math.isfinite(frequency_hz)):
        raise InvalidParameterError(
            f"frequency_hz = {frequency_hz!r} is outside the valid range (0, inf) (unit Hz).")
    periods = (tn[-1] - tn[0]) * frequency_hz
    if abs(periods - round(periods)) > 1e-6 * max(1.0, periods) or round(periods) < 1:
        raise InvalidParameterError(
            f"lock_in integrates over {periods:.6g} periods of {frequency_hz:g} Hz; the "
            "time span t_s[-1] - t_s[0] must be a whole number (>= 1) of periods.")
    # the trapezoid rule as float64 weights (not jnp.trapezoid on the samples): the
    # phase and weights keep float64 accuracy when the signal is float32
    w = np.full(tn.shape, 1.0)
    w[0] = w[-1] = 0.5
    w = jnp.asarray(w / (tn.size - 1), v.dtype)
    phase = jnp.asarray((2 * np.pi * harmonic * frequency_hz * tn) % (2 * np.pi), v.dtype)
    ref_s = (w * jnp.sin(phase)).reshape((-1,) + (1,) * (v.ndim - 1))
    ref_c = (w * jnp.cos(phase)).reshape((-1,) + (1,) * (v.ndim - 1))
    return 2 * jnp.sum(ref_s * v, axis=0), 2 * jnp.sum(ref_c * v, axis=0)


def harmonic_voltages(t_s: Float[ArrayLike, " T"], current_A: Float[ArrayLike, "T *N"],
                      resistance_ohm: Float[ArrayLike, "T *N"], frequency_hz: float
                      ) -> tuple[Array, Array]:
    r"""First- and second-harmonic Hall voltages of $V(t) = I(t) R(t)$ under
    $I(t) = I_0\sin\omega t$.

    With $R(t) = R_0 + (dR/dI)\, I(t) + \dots$,
    $V = I_0 R_0 \sin\omega t + \tfrac12 I_0^2 (dR/dI)(1 - \cos 2\omega t) + \dots$, so

    $$V_{1\omega} = X_1 = I_0 R_0, \qquad V_{2\omega} = -Y_2 = \tfrac12 I_0^2\,\frac{dR}{dI},$$

    the convention of Hayashi et al., PRB 89, 144425 (2014) and Avci et al., PRB 90,
    224427 (2014) (the $-\cos 2\omega t$ component). Arguments as
    [`lock_in`][spinjax.lock_in]; `current_A` and `resistance_ohm` are sampled at the same
    times `t_s`.

    **Returns:** `(V_1w, V_2w)` in V, each shape (*N,).
    """
    v = jnp.asarray(current_A) * jnp.asarray(resistance_ohm)
    x1, _ = lock_in(t_s, v, frequency_hz, 1)
    _, y2 = lock_in(t_s, v, frequency_hz, 2)
    return x1, -y2

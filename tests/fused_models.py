"""Models shared by the engine tests (``test_engine*.py``)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import spinjax as sj
from spinjax.constants import KB, MU0

MS = 1.0e6
THICKNESS = 1.0e-9
VOLUME = 1.0e-25   # m^3: small, so that a barrier Delta of a few needs a modest anisotropy
T = 300.0


def _f32(tree):
    """Every float leaf as float32 (simulate casts the model to the state's dtype
    itself; the tests cast first so that every solver sees the same parameters)."""
    def cast(x):
        if eqx.is_array(x) and jnp.issubdtype(x.dtype, jnp.floating):
            return x.astype(jnp.float32)
        return x
    return jax.tree.map(cast, tree)


def _pma_model(alpha=0.1, temperature=T, delta=5.0, bias=(0.0, 0.0, 0.0), torques=()):
    """A PMA macrospin of volume VOLUME: VCMA interface anisotropy plus thin-film demag,
    K_eff = K_i0 / t - mu0 Ms^2 / 2 = Delta kB T / V (T = 300 K in Delta's definition
    even when the layer's temperature differs), and a bias field."""
    k_eff = delta * KB * T / VOLUME
    k_i0 = THICKNESS * (k_eff + 0.5 * MU0 * MS**2)
    layer = sj.FreeLayer(Ms=MS, alpha=alpha, thickness_m=THICKNESS,
                         area_m2=VOLUME / THICKNESS, temperature_K=temperature)
    fields = (sj.VCMAAnisotropy(K_i0=k_i0), sj.Demagnetization(factors=(0.0, 0.0, 1.0)),
              sj.Zeeman(bias_A_per_m=bias))
    return _f32(sj.SLLG(layer, fields, torques))


def _tilted(n, seed=0, z=0.8):
    """n unit vectors at polar cos = z with random azimuths, float32."""
    phi = np.random.default_rng(seed).uniform(0, 2 * np.pi, n)
    r = np.sqrt(1 - z * z)
    return jnp.asarray(np.stack([r * np.cos(phi), r * np.sin(phi), np.full(n, z)], -1),
                       jnp.float32)

r"""Counter-based random numbers on uint32 lanes: Threefry-2x32 and Box-Muller.

Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2,
3", SC'11) maps a 64-bit key and a 64-bit counter to 64 random bits using only 32-bit
additions, rotations and exclusive-ors, so it runs inside a GPU kernel with no state in
memory. It is the generator behind ``jax.random``'s default key, and this
implementation gives bitwise the words of ``jax.extend.random.threefry_2x32`` (tested).
Every operation is elementwise, so the same function runs in XLA, in a Pallas kernel,
and in Pallas's interpret mode.

This is the one source of thermal noise in spinjax: every solver draws the increment of
junction $i$ at step $j$ from Threefry of the counter $(j, \cdot)$ under a key derived
from the user's key and the global index $i$ (`junction_keys`), so the same key
gives the same noise on every solver, backend, block size, padding and device count.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ._checks import SimulationInputError

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA


def _rotl(x, r: int):
    return lax.shift_left(x, jnp.uint32(r)) | lax.shift_right_logical(x, jnp.uint32(32 - r))


def threefry2x32(k0, k1, x0, x1):
    """Threefry-2x32-20 of the counter words (`x0`, `x1`) under the key (`k0`, `k1`).

    All four are uint32 arrays that broadcast together; returns two uint32 arrays.
    """
    k2 = k0 ^ k1 ^ jnp.uint32(_PARITY)
    ks = (k0, k1, k2)
    x0 = x0 + k0
    x1 = x1 + k1
    for block in range(5):
        for r in _ROTATIONS[block % 2]:
            x0 = x0 + x1
            x1 = _rotl(x1, r)
            x1 = x1 ^ x0
        x0 = x0 + ks[(block + 1) % 3]
        x1 = x1 + ks[(block + 2) % 3] + jnp.uint32(block + 1)
    return x0, x1


def unit_open(bits, dtype=jnp.float32):
    r"""Uniforms on the open interval (0, 1) from uint32 words: the top 23 bits $b$ give
    $(b + 1/2)\,2^{-23}$, exact in float32 (24 significant bits), so the values run
    from $2^{-24}$ to $1 - 2^{-24}$: neither end is reached and $\log u$ is finite."""
    b = lax.shift_right_logical(bits, jnp.uint32(9)).astype(jnp.int32).astype(dtype)
    return (b + 0.5) * (2.0 ** -23)


def box_muller(w0, w1, dtype=jnp.float32):
    r"""Two independent standard normals from two uint32 words:
    $\sqrt{-2\ln u_0}\,(\cos 2\pi u_1, \sin 2\pi u_1)$, in `dtype`. The smallest
    $u_0$ is $2^{-24}$, so the radius is at most 5.77: a normal's tail beyond it
    (probability 8e-9 per draw) is cut."""
    u0, u1 = unit_open(w0, dtype), unit_open(w1, dtype)
    r = jnp.sqrt(-2.0 * jnp.log(u0))
    phase = (2.0 * jnp.pi) * u1
    return r * jnp.cos(phase), r * jnp.sin(phase)


def step_normals(k0, k1, step, dtype=jnp.float32):
    """Three standard normals per lane for step number `step` (uint32 scalar or array)
    under the per-lane key (`k0`, `k1`): Threefry of the counters (step, 0) and
    (step, 1), four words, Box-Muller in `dtype`; the fourth normal is discarded."""
    zero = jnp.zeros_like(k0)
    a0, a1 = threefry2x32(k0, k1, zero + step, zero)
    b0, b1 = threefry2x32(k0, k1, zero + step, zero + jnp.uint32(1))
    z0, z1 = box_muller(a0, a1, dtype)
    z2, _ = box_muller(b0, b1, dtype)
    return z0, z1, z2


def junction_keys(key_words, index):
    """Per-junction key words: Threefry of the counter (index, 0xFFFFFFFF) under the
    user's key, from the global junction `index` (uint32) alone, so a junction gets the
    same stream whatever the padding or the number of devices. The noise itself is
    drawn under these derived keys, never under the user's key."""
    k0, k1 = key_words[0], key_words[1]
    return threefry2x32(k0, k1, index, jnp.full_like(index, 0xFFFFFFFF))


def key_words(key) -> jax.Array:
    """The two uint32 words of a Threefry key: a typed key (``jax.random.key(seed)``)
    or a raw uint32 pair (``jax.random.PRNGKey(seed)``). Anything else raises
    [`spinjax.SimulationInputError`][] naming its shape and dtype."""
    key = key if hasattr(key, "dtype") else jnp.asarray(key)
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        words = jax.random.key_data(key)
    else:
        words = jnp.asarray(key)
    if words.shape != (2,) or words.dtype != jnp.uint32:
        raise SimulationInputError(
            f"key must be a Threefry key (jax.random.key(seed) or a uint32 pair); got key "
            f"data of shape {words.shape} and dtype {words.dtype}.")
    return words


def junction_key_words(key, junction_shape: tuple[int, ...]):
    """Per-junction key words (`k0`, `k1`), each uint32 of `junction_shape`, for the
    junctions numbered in row-major order: `junction_keys` of the global index."""
    size = int(np.prod(junction_shape, dtype=np.int64))
    if size >= 2**32:
            raise SimulationInputError(f"{size} junctions exceed the 2**32 junction indices "
                                   "of the counter-based noise.")
    index = jnp.arange(size, dtype=jnp.uint32).reshape(junction_shape)
    return junction_keys(key_words(key), index)

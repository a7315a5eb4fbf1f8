r"""The noise-prediction network $\hat\varepsilon_\theta(x_t, t)$: a U-Net in Flax linen.

The architecture of Ho et al. 2020 (appendix B), itself the PixelCNN++ U-Net, at a
configurable size:

- time: the sinusoidal embedding of $t$ (Vaswani et al. 2017; width `channels`),
  then Dense(4C), SiLU, Dense(4C);
- a 3x3 input convolution to $C$ = `channels`;
- down path: for each level $\ell$ (width $C m_\ell$, $m$ = `channel_mults`),
  `num_res_blocks` residual blocks, then (except at the last level) a stride-2 3x3
  convolution halving the resolution;
- middle: residual block, self-attention (if `attention`), residual block;
- up path: per level, `num_res_blocks` + 1 residual blocks on the concatenation with
  the matching down-path activation (skip connection), then nearest-neighbour 2x
  upsampling and a 3x3 convolution (except at the top level);
- self-attention after every residual block of the lowest-resolution level, and in the
  middle, when `attention` is set (Ho et al. put it at 16x16; here the lowest level is
  the coarse one for the small images of this project);
- output: GroupNorm, SiLU, 3x3 convolution to the input's channel count.

Residual block: $h = \mathrm{Conv}(\mathrm{SiLU}(\mathrm{GN}(x)))$;
$h \mathrel{+}= \mathrm{Dense}(\mathrm{SiLU}(e_t))$ (broadcast over pixels);
$h = \mathrm{Conv}(\mathrm{Dropout}(\mathrm{SiLU}(\mathrm{GN}(h))))$; output
$h + x$ (with a 1x1 convolution on $x$ when the widths differ).

Image size: inputs are NHWC, any $H, W$. The network halves the resolution
``len(channel_mults) - 1`` times, so it needs sides divisible by $f = 2^{L-1}$; other
sizes are padded up to the next multiple of $f$ by edge replication (``jnp.pad(...,
mode="edge")``, split evenly between the two sides), run at the padded size, and cropped
back. 28x28 with ``channel_mults = (1, 2)`` or ``(1, 2, 2)`` needs no padding; with four
levels ($f = 8$) it runs at 32x32. Padding makes the border pixels see replicated
context; the loss and the samples only ever see the cropped output.

References: J. Ho, A. Jain, P. Abbeel, NeurIPS 2020 (arXiv:2006.11239), appendix B;
A. Nichol, P. Dhariwal, ICML 2021 (arXiv:2102.09672).
"""

import math

import equinox as eqx
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int, PRNGKeyArray, PyTree

from .errors import UNetConfigError

__all__ = [
    "UNet", "UNetConfigError", "UNetEps", "count_params", "eps_fn", "init_params",
    "timestep_embedding",
]


def timestep_embedding(t: Int[Array, " B"], dim: int,
                       max_period: float = 10_000.0) -> Float[Array, "B dim"]:
    r"""Sinusoidal embedding $[\sin(t\omega_k), \cos(t\omega_k)]_{k < d/2}$ with
    $\omega_k = \mathrm{max\_period}^{-k/(d/2)}$ (float32; `dim` even)."""
    if dim < 2 or dim % 2:
        raise UNetConfigError(f"dim must be an even integer >= 2; got {dim!r}.")
    half = dim // 2
    freqs = jnp.exp(-math.log(max_period) * jnp.arange(half, dtype=jnp.float32) / half)
    args = t.astype(jnp.float32)[:, None] * freqs[None, :]
    return jnp.concatenate([jnp.sin(args), jnp.cos(args)], axis=-1)


class ResBlock(nn.Module):
    """GN-SiLU-conv, + time projection, GN-SiLU-dropout-conv, + (projected) input."""

    features: int
    num_groups: int
    dropout: float

    @nn.compact
    def __call__(self, x, temb, train: bool):
        h = nn.Conv(self.features, (3, 3))(nn.silu(nn.GroupNorm(self.num_groups)(x)))
        h = h + nn.Dense(self.features)(nn.silu(temb))[:, None, None, :]
        h = nn.silu(nn.GroupNorm(self.num_groups)(h))
        h = nn.Dropout(self.dropout, deterministic=not train)(h)
        h = nn.Conv(self.features, (3, 3))(h)
        if x.shape[-1] != self.features:
            x = nn.Conv(self.features, (1, 1))(x)
        return x + h


class AttentionBlock(nn.Module):
    """Multi-head self-attention over all pixels, pre-GroupNorm, residual."""

    num_heads: int
    num_groups: int

    @nn.compact
    def __call__(self, x):
        B, H, W, C = x.shape
        h = nn.GroupNorm(self.num_groups)(x).reshape(B, H * W, C)
        h = nn.MultiHeadDotProductAttention(num_heads=self.num_heads)(h, h)
        return x + h.reshape(B, H, W, C)


class UNet(nn.Module):
    r"""U-Net $\hat\varepsilon_\theta(x_t, t)$ for epsilon prediction (see the module
    docstring for the layout).

    **Fields:**

    - `channels`: $C$, the base width (a multiple of `num_groups`).
    - `channel_mults`: width multiplier per resolution level, $L$ = its length levels.
    - `num_res_blocks`: residual blocks per level on the way down (one more on the way up).
    - `attention`: self-attention at the lowest resolution and in the middle.
    - `num_groups`: GroupNorm groups.
    - `dropout`: dropout rate inside residual blocks (active when ``train=True``; then
      ``apply`` needs a ``"dropout"`` rng).
    - `num_heads`: attention heads (must divide every level's width).
    - `out_channels`: output channels; None means those of the input.

    Call: ``model.apply(variables, x, t, train)`` with `x` float (B, H, W, C) and `t`
    the int timesteps (B,) (or a scalar, broadcast); returns (B, H, W, out_channels)
    float32.
    """

    channels: int = 32
    channel_mults: tuple[int, ...] = (1, 2)
    num_res_blocks: int = 1
    attention: bool = True
    num_groups: int = 8
    dropout: float = 0.0
    num_heads: int = 1
    out_channels: int | None = None

    def _check(self):
        def positive_int(name, value):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise UNetConfigError(f"{name} must be an integer >= 1; got {value!r}.")

        positive_int("channels", self.channels)
        positive_int("num_groups", self.num_groups)
        positive_int("num_heads", self.num_heads)
        if self.num_res_blocks != 0:
            positive_int("num_res_blocks", self.num_res_blocks)
        if len(self.channel_mults) < 1:
            raise UNetConfigError(
                f"channel_mults must be a non-empty tuple; got {self.channel_mults!r}.")
        for m in self.channel_mults:
            positive_int("every entry of channel_mults", m)
        if self.channels % self.num_groups:
            raise UNetConfigError(
                f"channels must be a multiple of num_groups = {self.num_groups}; "
                f"got channels = {self.channels}.")
        if self.channels % 2:
            raise UNetConfigError(
                f"channels must be even (the sinusoidal time embedding); got {self.channels}.")
        if self.attention and (self.channels * self.channel_mults[-1]) % self.num_heads:
            raise UNetConfigError(
                f"num_heads = {self.num_heads} must divide the lowest level's width "
                f"{self.channels * self.channel_mults[-1]}.")
        if not 0.0 <= self.dropout < 1.0:
            raise UNetConfigError(f"dropout must be in [0, 1); got {self.dropout!r}.")
        if self.out_channels is not None:
            positive_int("out_channels", self.out_channels)

    @nn.compact
    def __call__(self, x: Float[Array, "B H W C"], t: Int[Array, " B"],
                 train: bool) -> Float[Array, "B H W C_out"]:
        self._check()
        if x.ndim != 4:
            raise UNetConfigError(f"x must be NHWC (4-d); got shape {x.shape}.")
        t = jnp.asarray(t)
        if not jnp.issubdtype(t.dtype, jnp.integer):
            raise UNetConfigError(f"t must be integer timesteps; got dtype {t.dtype}.")
        B, H, W, C_in = x.shape
        t = jnp.broadcast_to(t, (B,))
        x = x.astype(jnp.float32)

        levels = len(self.channel_mults)
        factor = 2 ** (levels - 1)
        ph, pw = -H % factor, -W % factor
        pads = ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0))
        if ph or pw:
            x = jnp.pad(x, pads, mode="edge")

        C = self.channels
        temb = timestep_embedding(t, C)
        temb = nn.Dense(4 * C)(nn.silu(nn.Dense(4 * C)(temb)))

        def res(h, features):
            return ResBlock(features, self.num_groups, self.dropout)(h, temb, train)

        def attn(h):
            return AttentionBlock(self.num_heads, self.num_groups)(h)

        h = nn.Conv(C, (3, 3))(x)
        skips = [h]
        for level, mult in enumerate(self.channel_mults):
            for _ in range(self.num_res_blocks):
                h = res(h, C * mult)
                if self.attention and level == levels - 1:
                    h = attn(h)
                skips.append(h)
            if level != levels - 1:
                h = nn.Conv(h.shape[-1], (3, 3), strides=(2, 2))(h)
                skips.append(h)

        h = res(h, h.shape[-1])
        if self.attention:
            h = attn(h)
        h = res(h, h.shape[-1])

        for level, mult in reversed(list(enumerate(self.channel_mults))):
            for _ in range(self.num_res_blocks + 1):
                h = res(jnp.concatenate([h, skips.pop()], axis=-1), C * mult)
                if self.attention and level == levels - 1:
                    h = attn(h)
            if level != 0:
                b, hh, ww, c = h.shape
                h = jax.image.resize(h, (b, 2 * hh, 2 * ww, c), "nearest")
                h = nn.Conv(c, (3, 3))(h)
        assert not skips

        h = nn.silu(nn.GroupNorm(self.num_groups)(h))
        out = self.out_channels if self.out_channels is not None else C_in
        h = nn.Conv(out, (3, 3))(h)
        return h[:, pads[1][0]:pads[1][0] + H, pads[2][0]:pads[2][0] + W, :]


def init_params(model: UNet, key: PRNGKeyArray, image_shape: tuple[int, int, int]) -> PyTree:
    """The variables ``{"params": ...}`` of `model` for images of shape (H, W, C)
    (compiled: an eager ``model.init`` dispatches every layer separately and is several
    times slower on a CPU)."""
    x = jnp.zeros((1, *image_shape), jnp.float32)
    init = jax.jit(lambda key: model.init({"params": key}, x, jnp.zeros((1,), jnp.int32),
                                          train=False))
    return init(key)


def count_params(tree: PyTree) -> int:
    """The number of scalars in a pytree of arrays (or of ``jax.ShapeDtypeStruct``, as
    ``jax.eval_shape(init_params, ...)`` gives without computing anything)."""
    return sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(tree))


class UNetEps(eqx.Module):
    """``eps_fn(x, t) = model.apply(variables, x, t, train=False)`` as a pytree: the
    model (hashable) is static and the variables are traced, so the samplers compile
    once per model and shape, not once per parameter set."""

    model: UNet = eqx.field(static=True)
    variables: PyTree

    def __call__(self, x, t):
        return self.model.apply(self.variables, x, t, train=False)


def eps_fn(model: UNet, variables: PyTree) -> UNetEps:
    """The sampler's ``eps_fn`` of a trained `model` with `variables` (``{"params":
    ...}``). A list `channel_mults` (from JSON, say) is made a tuple: the model is a
    static, hashed part of the pytree."""
    return UNetEps(model.clone(channel_mults=tuple(model.channel_mults)), variables)

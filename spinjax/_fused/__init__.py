"""The fused fixed-step solver: many stochastic Heun steps of any model per loop or
kernel launch.

- ``heun``: one Heun step of the model's own right-hand side, with the noise of the
  counter-based generator, and runs of steps as an XLA ``lax.fori_loop``.
- ``pallas``: the same runs as a Pallas kernel (Triton on a GPU, interpret mode on a
  CPU), with a custom JVP through the XLA steps.
- ``solver``: [`spinjax.FusedHeun`][], the solver object that `spinjax.simulate` takes:
  its checks, segments, padding and sharding.
"""

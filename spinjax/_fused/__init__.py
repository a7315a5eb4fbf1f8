"""The fused multi-step path: many Heun steps of an affine-field sLLG per kernel launch.

- ``counter_rng``: Threefry-2x32 on uint32 lanes and Box-Muller normals.
- ``affine``: a model's $\\mathbf H'(\\mathbf m) = \\mathbf h_0 + A\\mathbf m$ and the
  per-junction coefficient rows the step reads.
- ``step``: one Heun step and the running observables, on component arrays.
- ``kernel``: the Pallas kernel (Triton on GPU, interpret mode on CPU).
- ``reference``: the same steps as a plain XLA ``lax.fori_loop``.
- ``run``: :func:`spinjax.fused_simulate`, its checks, padding and sharding.
"""

"""Test configuration: float64 available (tests choose float32 explicitly where they
test the default precision) and helpers shared by the physics tests."""

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

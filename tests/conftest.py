"""Test configuration: float64 available (tests choose float32 explicitly where they
test the default precision) and helpers shared by the physics tests."""

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _standard_promotion_for_training(request):
    """Strict dtype promotion guards spinjax's own arithmetic; optax's Adam bias
    correction (a float step count to an int power) does not pass it, so the diffusion
    tests (training the U-Net and the classifier) run under jax's standard promotion."""
    if "test_diffusion" in request.module.__name__:
        with jax.numpy_dtype_promotion("standard"):
            yield
    else:
        yield



@pytest.fixture(params=["diffrax", "fused-xla", "fused-pallas"])
def solver(request):
    """Each solver of ``spinjax.simulate``: the diffrax path, the fused XLA loop and the
    Pallas kernel (interpret mode on the CPU). The analytic physics tests take it, so
    every solver is held to the same analytic results."""
    import spinjax as sj
    return {"diffrax": sj.NormalizedHeun(),
            "fused-xla": sj.FusedHeun(backend="xla"),
            "fused-pallas": sj.FusedHeun(backend="pallas", interpret=True, block=128),
            }[request.param]

"""Bad input raises a clear error naming the parameter, its value and the valid range."""

import jax
import jax.numpy as jnp
import pytest

import spinjax as sj

GOOD = dict(Ms=1e6, alpha=0.01, thickness_m=1e-9, area_m2=2e-15, temperature_K=300.0)


@pytest.mark.parametrize("name, value, pattern", [
    ("Ms", 0.0, r"FreeLayer\.Ms = 0 is outside the valid range \(0, inf\) \(unit A/m\)"),
    ("Ms", -8e5, r"FreeLayer\.Ms = -800000 is outside the valid range \(0, inf\)"),
    ("alpha", -0.01, r"FreeLayer\.alpha = -0\.01 is outside the valid range \[0, inf\)"),
    ("alpha", 0.0, r"alpha = 0 with temperature_K > 0.*\(0, inf\)"),
    ("temperature_K", -1.0, r"FreeLayer\.temperature_K = -1 .*\[0, inf\) \(unit K\)"),
    ("thickness_m", 0.0, r"FreeLayer\.thickness_m = 0 .*\(0, inf\) \(unit m\)"),
    ("area_m2", -1e-15, r"FreeLayer\.area_m2 = -1e-15 .*\(0, inf\)"),
    ("Ms", float("nan"), r"FreeLayer\.Ms = nan"),
])
def test_nonphysical_layer(name, value, pattern):
    with pytest.raises(sj.InvalidParameterError, match=pattern):
        sj.FreeLayer(**{**GOOD, name: value})


def test_per_junction_bad_value_is_counted():
    with pytest.raises(sj.InvalidParameterError, match=r"\(1 of 3 elements invalid\)"):
        sj.FreeLayer(**{**GOOD, "Ms": jnp.array([1e6, -1.0, 1e6])})


def test_demag_factor_range_and_vector_shape():
    with pytest.raises(sj.InvalidParameterError, match=r"Demagnetization\.factors = 1\.5"):
        sj.Demagnetization(factors=(0.0, 0.0, 1.5))
    with pytest.raises(sj.InvalidParameterError, match=r"trailing axis of length 3"):
        sj.UniaxialAnisotropy(K_u=1e5, axis=(0.0, 1.0))


def _model(**layer):
    fields = (sj.UniaxialAnisotropy(K_u=5e5), sj.VCMAAnisotropy(K_i0=0.0, xi=60e-15))
    return sj.SLLG(sj.FreeLayer(**{**GOOD, **layer}), fields)


def test_shapes_that_do_not_broadcast():
    model = _model(Ms=jnp.full((5,), 1e6))
    with pytest.raises(sj.InvalidParameterError,
                       match=r"layer\.Ms has junction shape \(5,\).*\(4,\)"):
        sj.simulate(model, jnp.ones((4, 3)), t1=1e-11, dt=1e-12, key=jax.random.key(0))


def test_drive_shape_that_does_not_broadcast():
    drive = sj.Drive(voltage_V=jnp.zeros(5))
    with pytest.raises(sj.SimulationInputError,
                       match=r"drive voltage_V returns shape \(5,\).*\(4,\)"):
        sj.simulate(_model(), jnp.tile(jnp.array([0.0, 0.0, 1.0]), (4, 1)), t1=1e-11,
                    dt=1e-12, key=jax.random.key(0), drive=drive)


def test_nan_in_drive_names_drive_and_time():
    drive = sj.Drive(voltage_V=lambda t: jnp.where(t > 5e-12, jnp.nan, 0.0))
    with pytest.raises(sj.SimulationInputError,
                       match=r"drive voltage_V is not finite at t = 6e-12 s"):
        sj.simulate(_model(), jnp.array([0.0, 0.0, 1.0]), t1=1e-11, dt=1e-12,
                    key=jax.random.key(0), drive=drive)


def test_model_without_stiffness_runs():
    """Zero precession rate (no field at all) must not divide by zero in the step check."""
    layer = sj.FreeLayer(**GOOD)
    sol = sj.simulate(sj.SLLG(layer, (sj.Zeeman(),)), jnp.array([0.0, 0.0, 1.0]),
                      t1=1e-11, dt=1e-12, key=jax.random.key(0))
    assert bool(jnp.all(jnp.isfinite(sol.m)))


def test_dt_above_stability_bound():
    with pytest.raises(sj.SimulationInputError,
                       match=r"dt = 1e-10 s is above the stability bound.*use dt <= "):
        sj.simulate(_model(), jnp.array([0.0, 0.0, 1.0]), t1=1e-9, dt=1e-10,
                    key=jax.random.key(0))


# Under jit the error surfaces through equinox's runtime-error callback, whose exception
# class depends on the XLA runtime (EquinoxRuntimeError, or a ValueError/JaxRuntimeError
# wrapping it): the tests match the message.


def test_traced_bad_parameter_raises_inside_jit():
    """A non-physical value that is only known under jit still stops the run."""
    @jax.jit
    def run(ms):
        model = sj.SLLG(sj.FreeLayer(**{**GOOD, "Ms": ms}), (sj.UniaxialAnisotropy(K_u=5e5),))
        return sj.simulate(model, jnp.array([0.0, 0.0, 1.0]), t1=1e-11, dt=1e-12,
                           key=jax.random.key(0)).m

    assert bool(jnp.all(jnp.isfinite(run(1e6))))
    with pytest.raises(Exception, match=r"layer\.Ms is outside the valid"):
        run(-1e6).block_until_ready()


def test_traced_nan_drive_raises_inside_jit():
    @jax.jit
    def run(amplitude):
        drive = sj.Drive(voltage_V=lambda t: amplitude * t / 1e-11)
        return sj.simulate(_model(), jnp.array([0.0, 0.0, 1.0]), t1=1e-11, dt=1e-12,
                           key=jax.random.key(0), drive=drive).m

    with pytest.raises(Exception, match=r"drive voltage_V is not finite"):
        run(jnp.nan).block_until_ready()


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(t1=1.05e-11, dt=1e-12), r"integer number of steps"),
    (dict(t1=1e-11, dt=-1e-12), r"dt = -1e-12 must be a finite positive"),
    (dict(t1=1e-11, dt=1e-12, save=sj.Save(every=3)), r"must divide the number of steps 10"),
    (dict(t1=1e-11, dt=1e-12, save=sj.Save(fn=lambda t, m: m)), r"Save\(fn=...\) needs every"),
])
def test_bad_time_grid(kwargs, pattern):
    with pytest.raises(sj.SimulationInputError, match=pattern):
        sj.simulate(_model(), jnp.array([0.0, 0.0, 1.0]), key=jax.random.key(0), **kwargs)


def test_missing_key_and_bad_m0():
    with pytest.raises(sj.SimulationInputError, match=r"key is required"):
        sj.simulate(_model(), jnp.array([0.0, 0.0, 1.0]), t1=1e-11, dt=1e-12)
    with pytest.raises(sj.SimulationInputError, match=r"m0 must be a float array of shape"):
        sj.simulate(_model(), jnp.ones((4, 2)), t1=1e-11, dt=1e-12, key=jax.random.key(0))
    with pytest.raises(sj.SimulationInputError, match=r"m0 must be finite and non-zero"):
        sj.simulate(_model(), jnp.zeros(3), t1=1e-11, dt=1e-12, key=jax.random.key(0))


def test_drive_without_a_term_that_reads_it():
    """A field drive on a model without Zeeman would be silently ignored: it raises."""
    assert not any(isinstance(t, sj.Zeeman) for t in _model().fields)
    drive = sj.Drive(field_A_per_m=jnp.array([1e4, 0.0, 0.0]))
    with pytest.raises(sj.SimulationInputError,
                       match=r"Drive\(field_A_per_m=...\) is given but no term.*Zeeman"):
        sj.simulate(_model(), jnp.array([0.0, 0.0, 1.0]), t1=1e-11, dt=1e-12,
                    key=jax.random.key(0), drive=drive)


def test_simulate_under_jit_with_a_concrete_model():
    model = _model()
    run = jax.jit(lambda m0: sj.simulate(model, m0, t1=1e-11, dt=1e-12,
                                         key=jax.random.key(0)).m)
    eager = sj.simulate(model, jnp.array([0.0, 0.0, 1.0]), t1=1e-11, dt=1e-12,
                        key=jax.random.key(0)).m
    assert float(jnp.max(jnp.abs(run(jnp.array([0.0, 0.0, 1.0])) - eager))) < 1e-6

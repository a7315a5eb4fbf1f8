"""One stored value for each device parameter that a model term also uses.

A device (MTJ, HallBar) reads t_ox, the TMR and t_HM from its model's VCMAAnisotropy,
BiasDrivenSTT and OerstedField: a change of the device's parameter is a change of what
the dynamics use, and the device pytree holds the value in one leaf only.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spinjax as sj
from spinjax.devices import (HallBar, MTJ, pt_cofeb, sot_mtj, stt_mtj,
                             superparamagnetic_mtj, vcma_mtj, w_cofeb)

MTJ_PRESETS = [stt_mtj, vcma_mtj, sot_mtj, superparamagnetic_mtj]
BIAS_STT_PRESETS = [stt_mtj, vcma_mtj, superparamagnetic_mtj]
SENTINEL = 7.654321e-9   # a value no preset holds


def _count(tree, value):
    """How many leaves of `tree` hold `value` (to float32 rounding)."""
    return sum(int(np.any(np.isclose(np.asarray(x, np.float64), value, rtol=1e-6, atol=0)))
               for x in jax.tree.leaves(tree))


def _term(model, cls):
    (term,) = [t for t in (*model.fields, *model.torques) if isinstance(t, cls)]
    return term


@pytest.mark.parametrize("preset", MTJ_PRESETS, ids=lambda p: p.__name__)
def test_mtj_t_ox_is_one_leaf_that_the_vcma_term_uses(preset):
    dev = preset()
    new = eqx.tree_at(lambda d: d.t_ox_m, dev, jnp.asarray(SENTINEL))
    assert _count(new, SENTINEL) == 1
    vcma = _term(new.model, sj.VCMAAnisotropy)
    assert float(vcma.t_ox_m) == pytest.approx(SENTINEL, rel=1e-6)
    # both uses follow: C = eps0 eps_r A / t_ox and K_i(V) = K_i0 - xi V / t_ox
    ratio = float(dev.t_ox_m) / SENTINEL
    assert float(new.capacitance_F() / dev.capacitance_F()) == pytest.approx(ratio, rel=1e-5)
    old_vcma = _term(dev.model, sj.VCMAAnisotropy)
    dk_old = float(old_vcma.K_i0 - old_vcma.K_i(1.0))
    assert float(vcma.K_i0 - vcma.K_i(1.0)) == pytest.approx(dk_old * ratio, rel=1e-5)


@pytest.mark.parametrize("preset", BIAS_STT_PRESETS, ids=lambda p: p.__name__)
def test_mtj_tmr_is_the_bias_driven_torque_one(preset):
    dev = preset()
    assert dev.own_tmr is None and dev.tmr is _term(dev.model, sj.BiasDrivenSTT).tmr
    r_p = 1234.5678
    new = eqx.tree_at(lambda d: d.tmr.r_p_ohm, dev, jnp.asarray(r_p))
    assert _count(new, r_p) == 1
    m = jnp.array([0.0, 0.0, 1.0])   # parallel: R = R_P
    assert float(new.resistance_ohm(m, 0.0)) == pytest.approx(r_p, rel=1e-6)
    # the torque's current V / (R_P A) uses the same R_P
    j = _term(new.model, sj.BiasDrivenSTT).current_density(m, new.model.layer, 0.3)
    assert float(j) == pytest.approx(0.3 / (r_p * float(new.area_m2)), rel=1e-5)


def test_sot_mtj_keeps_its_tmr_once():
    """No torque of the SOT junction holds a TMR: the junction keeps it, in one place."""
    dev = sot_mtj()
    assert dev.own_tmr is not None and dev.own_t_ox_m is None
    new = eqx.tree_at(lambda d: d.tmr.r_p_ohm, dev, jnp.asarray(1234.5678))
    assert _count(new, 1234.5678) == 1


@pytest.mark.parametrize("preset", [w_cofeb, pt_cofeb], ids=lambda p: p.__name__)
def test_hallbar_t_hm_is_one_leaf_that_the_oersted_term_uses(preset):
    bar = preset()
    assert bar.own_t_hm_m is None
    new = eqx.tree_at(lambda b: b.t_hm_m, bar, jnp.asarray(SENTINEL))
    assert _count(new, SENTINEL) == 1
    assert float(_term(new.model, sj.OerstedField).t_hm_m) == pytest.approx(SENTINEL,
                                                                            rel=1e-6)
    # H_Oe / J = t_HM / 2 and the current divider I / J = w (t_HM + t_F rho_HM / rho_F)
    assert float(new.oersted_field_per_j()) == pytest.approx(-SENTINEL / 2, rel=1e-6)
    t_f = float(bar.model.layer.thickness_m)
    want = float(bar.width_m) * (SENTINEL + t_f * float(bar.rho_hm_ohm_m / bar.rho_fm_ohm_m))
    assert float(new.current_A(1.0)) == pytest.approx(want, rel=1e-5)


def test_gradients_reach_the_dynamics_through_the_device_parameter():
    dev = vcma_mtj()
    t0 = jnp.asarray(1.5e-9)

    def k_i(t):   # through the device's attribute
        return _term(eqx.tree_at(lambda d: d.t_ox_m, dev, t).model,
                     sj.VCMAAnisotropy).K_i(1.0)

    vcma = _term(dev.model, sj.VCMAAnisotropy)
    want = float(vcma.xi) / 1.5e-9**2            # d/dt (K_i0 - xi V / t) at V = 1
    assert float(jax.grad(k_i)(t0)) == pytest.approx(want, rel=1e-4)
    # through the preset's argument and the MTJ constructor's (a traced value is written
    # into the term)
    g_preset = jax.grad(lambda t: _term(vcma_mtj(t_ox_m=t).model,
                                        sj.VCMAAnisotropy).K_i(1.0))(t0)
    g_ctor = jax.grad(lambda t: _term(MTJ(dev.model, t_ox_m=t).model,
                                      sj.VCMAAnisotropy).K_i(1.0))(t0)
    assert float(g_preset) == pytest.approx(want, rel=1e-4)
    assert float(g_ctor) == pytest.approx(want, rel=1e-4)
    bar = w_cofeb()
    g = jax.grad(lambda t: eqx.tree_at(lambda b: b.t_hm_m, bar, t).oersted_field_per_j())(
        jnp.asarray(5e-9))
    assert float(g) == pytest.approx(-0.5, rel=1e-6)
    # a jitted function of the device sees the one value
    assert float(jax.jit(lambda d: d.t_ox_m)(dev)) == pytest.approx(1.5e-9, rel=1e-6)


def test_a_second_value_that_disagrees_is_refused():
    dev = vcma_mtj()
    with pytest.raises(sj.InvalidParameterError, match=r"VCMAAnisotropy\.t_ox_m .* differs"):
        MTJ(dev.model, t_ox_m=1e-9)
    with pytest.raises(sj.InvalidParameterError, match=r"BiasDrivenSTT\.tmr .* differs"):
        MTJ(dev.model, tmr=sj.TMR(r_p_ohm=1.0, tmr0=1.0))
    same = MTJ(dev.model, tmr=dev.tmr, t_ox_m=1.5e-9)   # the old call, equal values
    assert _count(same, 1.5e-9) == 1
    bare = sj.SLLG(dev.model.layer, dev.model.fields[1:])   # no VCMA term, no torque
    with pytest.raises(sj.InvalidParameterError, match=r"MTJ\.t_ox_m is missing"):
        MTJ(bare, tmr=dev.tmr)
    with pytest.raises(sj.InvalidParameterError, match=r"MTJ\.tmr is missing"):
        MTJ(bare, t_ox_m=1e-9)
    with pytest.raises(sj.InvalidParameterError, match=r"MTJ\.t_ox_m = -1 .*\(0, inf\)"):
        MTJ(bare, tmr=dev.tmr, t_ox_m=-1.0)
    own = MTJ(bare, tmr=dev.tmr, t_ox_m=2e-9)
    assert float(own.t_ox_m) == pytest.approx(2e-9) and own.tmr is own.own_tmr
    bar = w_cofeb()
    no_oe = sj.SLLG(bar.model.layer, tuple(f for f in bar.model.fields
                                           if not isinstance(f, sj.OerstedField)),
                    bar.model.torques)
    args = dict(width_m=5e-6, length_m=1e-5, rho_hm_ohm_m=1e-6, rho_fm_ohm_m=1e-6)
    with pytest.raises(sj.InvalidParameterError, match=r"HallBar\.t_hm_m is missing"):
        HallBar(no_oe, bar.readout, **args)
    kept = HallBar(no_oe, bar.readout, t_hm_m=4e-9, **args)
    assert kept.own_t_hm_m is not None and float(kept.t_hm_m) == pytest.approx(4e-9)
    assert float(kept.oersted_field_per_j()) == 0.0


def test_bias_driven_stt_reference_is_the_polarizer():
    with pytest.raises(sj.InvalidParameterError, match="not parallel"):
        sj.BiasDrivenSTT(sj.SlonczewskiSTT(),
                         sj.TMR(r_p_ohm=1.0, tmr0=1.0, reference=(0.0, 1.0, 0.0)))
    sj.BiasDrivenSTT(sj.SlonczewskiSTT(polarizer=(0.0, 2.0, 0.0)),
                     sj.TMR(r_p_ohm=1.0, tmr0=1.0, reference=(0.0, 1.0, 0.0)))

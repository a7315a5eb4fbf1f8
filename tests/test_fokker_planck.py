"""The Fokker-Planck WER reference (spinjax._wer.fokker_planck): its drift against the
sLLG, Boltzmann stationarity, the Neel-Brown rate, grid convergence at 1e-9..1e-12,
agreement with spinjax's own Monte Carlo, and input validation."""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spinjax as sj
from spinjax.constants import E_CHARGE, GAMMA0, HBAR, KB, MU0
from spinjax.devices import sot_mtj, stt_mtj, vcma_mtj
from spinjax._wer.fokker_planck import fokker_planck_wer
from spinjax._wer.fp_chain import (
    _banded, _initial, _stepper, build_chain, flipped, relaxation_rate)
from spinjax._wer.fp_model import AxialDrive, axial_model


def _uniaxial(delta, h=0.0, alpha=0.05, temperature_K=300.0):
    """A macrospin with barrier `delta` (k_B T) and an axial field h H_K."""
    ms, t_f, area = 1e6, 1e-9, (40e-9) ** 2
    k_u = delta * KB * temperature_K / (area * t_f)
    layer = sj.FreeLayer(Ms=ms, alpha=alpha, thickness_m=t_f, area_m2=area,
                         temperature_K=temperature_K)
    h_k = 2 * k_u / (MU0 * ms)
    return sj.SLLG(layer, fields=(sj.UniaxialAnisotropy(K_u=k_u),
                                  sj.Zeeman(bias_A_per_m=(0.0, 0.0, h * h_k))))


def _stt_uniaxial(delta, alpha=0.02, pol=0.6):
    """A uniaxial macrospin with a Slonczewski STT (polarizer +z, constant efficiency)
    and its zero-temperature critical current I_c0 = 2 e alpha mu0 Ms t_F H_K A /
    (hbar P) in A (Sun 2000)."""
    ms, t_f, area, temp = 1e6, 1.2e-9, (40e-9) ** 2, 300.0
    k_u = delta * KB * temp / (area * t_f)
    layer = sj.FreeLayer(Ms=ms, alpha=alpha, thickness_m=t_f, area_m2=area,
                         temperature_K=temp)
    h_k = 2 * k_u / (MU0 * ms)
    i_c0 = 2 * E_CHARGE * alpha * MU0 * ms * t_f * h_k / (HBAR * pol) * area
    model = sj.SLLG(layer, fields=(sj.UniaxialAnisotropy(K_u=k_u), sj.Zeeman()),
                    torques=(sj.SlonczewskiSTT(polarization=pol),))
    return model, i_c0


def _meridian(x, phi):
    s = np.sqrt(1 - x**2)
    return np.stack([s * np.cos(phi), s * np.sin(phi), x], -1)


@pytest.mark.parametrize("voltage_V", [0.0, 1.2, -0.9])
def test_drift_is_the_sllg_drift_projected_on_mz(voltage_V):
    # A(x) of the derivation against SLLG.drift (float64 here: the tests enable x64)
    # at every azimuth: the same model, and the z component does not depend on the
    # azimuth (axial symmetry).
    dev = stt_mtj()
    fp = axial_model(dev.model, AxialDrive(voltage_V=voltage_V))
    x = np.concatenate([[-0.9999], np.linspace(-0.95, 0.95, 39), [0.9999]])
    scale = np.max(np.abs(fp.drift(x)))
    assert scale > 1e7 if voltage_V else scale > 1e6    # 1/s: a real test
    for phi in (0.0, 1.1, 4.0):
        m = jnp.asarray(_meridian(x, phi), jnp.float64)
        mz_dot = np.asarray(dev.model.drift(0.0, m, sj.Drive(voltage_V=voltage_V)))[:, 2]
        np.testing.assert_allclose(mz_dot, fp.drift(x), rtol=1e-6, atol=1e-9 * scale)


def test_current_driven_drift_and_mirror_symmetry():
    # The SlonczewskiSTT path: A(x) against SLLG.drift under J = I/A ...
    model, i_c0 = _stt_uniaxial(60.0)
    fp = axial_model(model, AxialDrive(current_A=2 * i_c0))
    x = np.linspace(-0.99, 0.99, 23)
    m = jnp.asarray(_meridian(x, 0.7), jnp.float64)
    j = 2 * i_c0 / float(model.layer.area_m2)
    mz_dot = np.asarray(model.drift(0.0, m, sj.Drive(j_stt_A_per_m2=j)))[:, 2]
    scale = np.max(np.abs(mz_dot))
    np.testing.assert_allclose(mz_dot, fp.drift(x), rtol=1e-6, atol=1e-9 * scale)
    # ... and x -> -x: +I from -z is -I from +z (no field, constant efficiency).
    widths = [5e-9, 10e-9, 15e-9]
    up = fokker_planck_wer(model, widths, current_A=2 * i_c0)
    down = fokker_planck_wer(model, widths, current_A=-2 * i_c0, initial_well=1)
    assert up.initial_well == -1
    np.testing.assert_allclose(down.wer, up.wer, rtol=1e-8)


def test_diffusion_coefficient_is_brown_thermal_field():
    # D = gamma0^2 sigma^2 / (2 (1 + alpha^2)) with spinjax's sigma, = 1/(2 tau_N).
    model = stt_mtj().model
    fp = axial_model(model, AxialDrive())
    sigma = float(sj.thermal_field_strength(model.layer))
    alpha = float(model.layer.alpha)
    assert fp.diffusion_per_s == pytest.approx(GAMMA0**2 * sigma**2 / (2 * (1 + alpha**2)),
                                               rel=1e-5)


@pytest.mark.parametrize("h", [0.0, 0.15, -0.3])
def test_zero_current_density_is_boltzmann_and_stays(h):
    delta = 60.0
    chain = build_chain(axial_model(_uniaxial(delta, h), AxialDrive()), 600)
    # The discrete stationary density is exp(Delta (x^2 + 2 h x)) at the cell centres.
    phi = chain.log_pi - np.log(chain.width)
    exact = delta * (chain.x**2 + 2 * h * chain.x)
    np.testing.assert_allclose(phi - phi[0], exact - exact[0], rtol=0, atol=1e-9)
    # ... and it stays: 200 backward Euler steps of a Neel time each.
    p = np.exp(chain.log_pi - chain.log_pi.max())
    p /= p.sum()
    d = axial_model(_uniaxial(delta, h), AxialDrive()).diffusion_per_s
    q = _stepper(_banded(chain, 1 / (2 * d), False))(p, 200)
    big = p > 1e-200
    assert np.max(np.abs(q[big] / p[big] - 1)) < 1e-8
    assert abs(q.sum() - 1) < 1e-9


@pytest.mark.parametrize("delta, h", [(60.0, 0.0), (60.0, 0.2), (30.0, 0.0)])
def test_escape_rate_is_brown_asymptotic(delta, h):
    # Brown (1963) / Aharoni (1969), high barrier, uniaxial with an axial field:
    # lambda_1 tau_N = Delta^{3/2}/sqrt(pi) (1 - h^2) [(1 + h) e^{-Delta (1+h)^2}
    #                  + (1 - h) e^{-Delta (1-h)^2}],  tau_N = 1/(2D),
    # with an O(1/Delta) correction, -1/Delta at h = 0 (the Laplace expansions of the
    # well population and the barrier integral each give 1/(2 Delta)).
    fp = axial_model(_uniaxial(delta, h), AxialDrive())
    tau_n = 1 / (2 * fp.diffusion_per_s)
    brown = (delta**1.5 / math.sqrt(math.pi) * (1 - h * h)
             * ((1 + h) * math.exp(-delta * (1 + h) ** 2)
                + (1 - h) * math.exp(-delta * (1 - h) ** 2))) / tau_n
    ratio = relaxation_rate(build_chain(fp, 800)) / brown
    assert abs(ratio - 1) < 1.6 / delta
    if h == 0.0:
        assert delta * (ratio - 1) == pytest.approx(-1.0, abs=0.1)


def test_grid_and_step_convergence_at_delta_60():
    # Delta = 60 (a Boltzmann density within 1/60 of the pole) at 2 I_c0: WER from
    # about 1e-9 to 1e-12, stable to 1 % when cells double and rtol drops 20-fold.
    model, i_c0 = _stt_uniaxial(60.0)
    widths = [13e-9, 15e-9, 17e-9]
    base = fokker_planck_wer(model, widths, current_A=2 * i_c0)
    fine = fokker_planck_wer(model, widths, current_A=2 * i_c0, n_cells=1200, rtol=1e-4)
    assert base.barrier_kT == pytest.approx(60.0, rel=1e-4)
    assert 3e-13 < base.wer[-1] < base.wer[0] < 3e-9
    np.testing.assert_allclose(base.wer, fine.wer, rtol=0.01)


def test_grid_and_step_convergence_at_1e9_to_1e12():
    # Widths where the WER of the STT preset at 1.5 V is about 1e-9 .. 1e-12.
    dev, widths = stt_mtj(), [10.9e-9, 12e-9, 14e-9]
    base = fokker_planck_wer(dev, widths, voltage_V=1.5)
    fine = fokker_planck_wer(dev, widths, voltage_V=1.5, n_cells=1200, steps=800)
    assert 3e-13 < base.wer[-1] < base.wer[0] < 3e-9
    np.testing.assert_allclose(base.wer, fine.wer, rtol=0.01)
    assert np.all(base.time_error < 0.01)
    # First passage (absorbing equator) never exceeds the final-state convention.
    first = fokker_planck_wer(dev, widths, voltage_V=1.5, convention="first_passage")
    assert np.all(first.wer <= base.wer) and np.all(first.wer > 0.9 * base.wer)


def test_against_spinjax_monte_carlo():
    # The same write by spinjax.simulate: the preset from the -z well at 1.5 V for
    # 2.5 ns (WER about 0.16), initial states drawn from the truncated Boltzmann
    # density, 3000 junctions in float32 with dt = 1 ps. Agreement within 4 binomial
    # sigma (the Heun bias at this step is below 1 sigma: 0.149 at 1 ps, 0.164 at
    # 0.5 ps against 0.157, measured with 4000 junctions).
    dev, width, volt, n = stt_mtj(), 2.5e-9, 1.5, 3000
    ref = fokker_planck_wer(dev, [width], voltage_V=volt)
    assert ref.initial_well == -1 and 0.05 < ref.wer[0] < 0.3
    chain = flipped(build_chain(axial_model(dev.model, AxialDrive()), 2000))
    p = _initial(chain)
    faces = -np.cos(np.linspace(0, np.pi, 2001))     # x from -1 up (flipped order)
    rng = np.random.default_rng(0)
    cells = rng.choice(len(p), size=n, p=p)
    x = faces[cells] + rng.random(n) * (faces[cells + 1] - faces[cells])
    m0 = jnp.asarray(_meridian(x, rng.random(n) * 2 * np.pi), jnp.float32)
    sol = sj.simulate(dev.model, m0, t1=width, dt=1e-12, key=jax.random.key(1),
                      drive=sj.Drive(voltage_V=volt))
    wer_mc = np.mean(np.asarray(sol.m[:, 2]) < 0)
    sigma = math.sqrt(ref.wer[0] * (1 - ref.wer[0]) / n)
    assert abs(wer_mc - ref.wer[0]) < 4 * sigma


def test_plot_is_a_figure(tmp_path):
    from matplotlib.figure import Figure
    res = fokker_planck_wer(stt_mtj(), np.linspace(1e-9, 6e-9, 6), voltage_V=1.5,
                            n_cells=200, steps=50)
    fig = res.plot(tmp_path / "wer.png")
    assert isinstance(fig, Figure) and (tmp_path / "wer.png").stat().st_size > 0
    assert len(res.assumptions) >= 4 and res.barrier_kT == pytest.approx(45, rel=1e-3)


def _tilted_polarizer():
    dev = stt_mtj()
    return eqx.tree_at(lambda d: d.model.torques[0].stt.polarizer, dev,
                       jnp.asarray([0.1, 0.0, 1.0]))


def _elliptical():
    dev = stt_mtj()
    return eqx.tree_at(lambda d: d.model.fields[1].factors, dev,
                       jnp.asarray([0.1, 0.12, 0.78]))


def _in_plane_bias():
    dev = stt_mtj()
    return eqx.tree_at(lambda d: d.model.fields[2].bias_A_per_m, dev,
                       jnp.asarray([1e3, 0.0, 0.0]))


def _cold():
    dev = stt_mtj(temperature_K=0.0)
    return dev


def _circular_with(term, torque):
    layer = stt_mtj().model.layer
    return sj.SLLG(layer, fields=(sj.UniaxialAnisotropy(K_u=6e5),) + term,
                   torques=torque)


@pytest.mark.parametrize("make, name", [
    (lambda: _circular_with((), (sj.SpinOrbitTorque(xi_dl=-0.3),)), "SpinOrbitTorque"),
    (lambda: _circular_with((sj.OerstedField(t_hm_m=5e-9),), ()), "OerstedField"),
    (lambda: _circular_with((sj.UniaxialAnisotropy(K_u=1e4, axis=(1.0, 0.0, 0.0)),), ()),
     "axis"),
    (lambda: sot_mtj(), "factors"),   # elliptical, and SOT
    (lambda: vcma_mtj(), "bias_A_per_m"),
    (_tilted_polarizer, "polarizer"),
    (_elliptical, "factors"),
    (_in_plane_bias, "bias_A_per_m"),
    (_cold, "temperature_K"),
    (lambda: stt_mtj(diameter_m=np.array([40e-9, 50e-9])), "per-junction"),
    (lambda: "stt", "device"),
])
def test_devices_that_break_the_symmetry_raise(make, name):
    with pytest.raises(sj.InvalidParameterError, match=name):
        fokker_planck_wer(make(), [1e-9], voltage_V=1.0)


@pytest.mark.parametrize("kwargs, name", [
    (dict(widths_s=-1e-9), "widths_s"), (dict(widths_s=0.0), "widths_s"),
    (dict(widths_s=[]), "widths_s"), (dict(widths_s=[[1e-9]]), "widths_s"),
    (dict(widths_s=[1e-9, np.nan]), "widths_s"), (dict(widths_s="x"), "widths_s"),
    (dict(voltage_V=np.inf), "voltage_V"), (dict(voltage_V="1"), "voltage_V"),
    (dict(current_A=np.nan), "current_A"), (dict(current_A=True), "current_A"),
    (dict(field_A_per_m=(1e3, 0.0, 0.0)), "field_A_per_m"),
    (dict(field_A_per_m=np.nan), "field_A_per_m"),
    (dict(field_A_per_m=(1.0, 2.0)), "field_A_per_m"),
    (dict(relax_s=-1e-9), "relax_s"), (dict(relax_s=np.inf), "relax_s"),
    (dict(convention="last"), "convention"),
    (dict(convention="first_passage", relax_s=1e-9), "relax_s"),
    (dict(n_cells=63), "n_cells"), (dict(n_cells=65), "n_cells"),
    (dict(n_cells=1.5), "n_cells"), (dict(n_cells=True), "n_cells"),
    (dict(steps=5), "steps"), (dict(steps=None), "steps"),
    (dict(initial_well=0), "initial_well"), (dict(initial_well=2), "initial_well"),
    (dict(initial_well=True), "initial_well"), (dict(widths_s=np.ones(10_001)), "widths_s"),
    (dict(voltage_V=0.0), "initial_well"),
    (dict(current_A=1e-4), "current_A"),     # the preset is driven by its voltage
    (dict(rtol=0.0), "rtol"), (dict(rtol=0.9), "rtol"),
])
def test_bad_inputs_name_the_parameter(kwargs, name):
    args = dict(widths_s=[1e-9], voltage_V=1.0) | kwargs
    with pytest.raises(sj.InvalidParameterError, match=name):
        fokker_planck_wer(stt_mtj(), **args)

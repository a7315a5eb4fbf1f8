"""The one STT junction of ``cmtj_crosscheck.py`` in both codes: spinjax and cmtj,
their constants set alike and their conventions mapped onto each other.

Device (the same numbers in both codes)
---------------------------------------
CoFeB free layer, Ms = 1.0e6 A/m, t_F = 1.3 nm, 45 nm disk (V = 2.07e-24 m^3),
alpha = 0.02, bulk uniaxial anisotropy K_u = 6.85e5 J/m^3 along z and a diagonal
demagnetizing tensor N = (0.0235, 0.0235, 0.953) (about that of a 45 nm x 1.3 nm disk;
only its equality in the two codes matters here), so
H_K,eff = 2 K_u/(mu0 Ms) - (N_z - N_x) Ms = 1.61e5 A/m and
Delta = mu0 Ms H_K,eff V / (2 k_B T) = 50.4 at 300 K. Slonczewski STT with P = 0.6,
Lambda = 1 (eta = P), no field-like torque, fixed polarizer p = +z. Sun's critical current
J_c0 = 2 e alpha mu0 Ms t_F H_K,eff / (hbar eta) = 2.66e10 A/m^2.

Convention mapping (read from cmtj's C++ source, ``core/junction.hpp`` of
github.com/LemurPwned/cmtj, and checked numerically against installed cmtj 1.15.0 by
the T = 0 checks of this script)
-----------------------------------------------------------------------------------
- Constants: cmtj's gyromagnetic ratio, mu0, hbar, e and k_B are set to spinjax's
  (CODATA 2018) through ``cmtj.constants.PhysicalConstants``; cmtj's defaults differ
  slightly (gamma0 = 220880 m/(A s), mu0 = 12.566e-7, e = 1.60217662e-19).
- Ms: cmtj takes mu0 Ms in T (``Layer(..., Ms=MU0 * Ms)``); all fields are in A/m.
- Anisotropy: cmtj's ``setLayerAnisotropyDriver(K)`` gives H = 2 K (m.u) u / (mu0 Ms),
  the same as ``spinjax.UniaxialAnisotropy(K_u=K)``; its K is a volume density J/m^3.
- Demagnetization: cmtj's ``demagTensor`` (three rows) gives H = -N Ms m, the same as
  ``spinjax.Demagnetization(factors=diag N)``.
- STT, magnitude: cmtj's a_J = hbar J / (e mu0 Ms t_F) (no factor 2) and
  eta_cmtj = P Lambda^2 / ((Lambda^2 + 1) + (Lambda^2 - 1) m.p), half of spinjax's
  eta = 2 P Lambda^2 / (...). The product a_J eta is the same:
  hbar P J / (2 e mu0 Ms t_F) at Lambda = 1. So cmtj's ``spinPolarisation`` = P,
  ``SlonczewskiSpacerLayerParameter`` = Lambda, and the current driver is J in A/m^2.
- STT, form: cmtj adds the torques to the Landau-Lifshitz form,
  dm/dt = [-gamma0 (m x H + alpha m x (m x H)) - gamma0 a m x (m x p)
  + beta gamma0 a m x p] / (1 + alpha^2), while spinjax puts H_tau = a m x p into the
  Gilbert equation, which gives [... - gamma0 a m x (m x p) + alpha gamma0 a m x p]
  / (1 + alpha^2): a field-like term alpha a. cmtj with ``beta = alpha`` (and
  kappa = 1, its default) is therefore the same equation as spinjax with
  ``field_like_ratio = 0``. (With p along the easy axis and no in-plane field this
  term only changes the precession frequency; the T = 0 check measures its effect.)
  cmtj's beta has the opposite sign to spinjax's: a field b p gives -gamma0 b m x p.
- Sign of the current: in both codes J > 0 drives m toward p (the damping-like term
  -a m x (m x p) with a > 0). With p = +z and m at +z the parallel-to-antiparallel
  switch needs J < 0.
- Thermal field: cmtj's Heun adds -gamma0/(1 + alpha^2) [m x dW + alpha m x (m x dW)]
  with dW = sigma N(0, 1) sqrt(dt) and sigma^2 = 2 alpha k_B T / (gamma0 mu0 Ms V)
  (``getLangevinStochasticStandardDeviation``): the same 2 alpha as spinjax, although
  cmtj's documentation writes 4 alpha. The one-step variance check below measures it.
- Pulse: cmtj's ``trapezoidDriver(0, J, start, edge, plateau)`` is
  ``spinjax.Trapezoid(J, start, plateau, edge, edge)``; both codes evaluate the drive at
  t for the predictor and t + dt for the corrector.
- Steps: cmtj runs int(totalTime / dt) steps, so totalTime = (steps + 0.5) dt.
- Randomness: cmtj draws from a per-layer mt19937 seeded by ``setLayerSeed``; each
  (amplitude, chunk) gets its own seed, so a run is reproducible for a given
  ``--workers``.
"""

import math

PHYSICS = dict(Ms=1.0e6, alpha=0.02, thickness_m=1.3e-9, diameter_m=45e-9,
               temperature_K=300.0, K_u=6.85e5, demag=(0.0235, 0.0235, 0.953),
               polarization=0.6, asymmetry=1.0, polarizer=(0.0, 0.0, 1.0),
               dt=1e-12, t1=8e-9, pulse_start=3e-9, pulse_edge=20e-12, pulse_width=2e-9)


# ---------------------------------------------------------------- physics

def derived(p: dict) -> dict:
    """Volume, H_K,eff, Delta, J_c0 (Sun), relaxation time and sigma, from spinjax's
    constants."""
    from spinjax.constants import E_CHARGE, GAMMA0, HBAR, KB, MU0
    area = math.pi * p["diameter_m"] ** 2 / 4
    vol = area * p["thickness_m"]
    hk = 2 * p["K_u"] / (MU0 * p["Ms"]) - (p["demag"][2] - p["demag"][0]) * p["Ms"]
    eta = p["polarization"]  # Lambda = 1
    return dict(area_m2=area, volume_m3=vol, H_K_eff_A_per_m=hk,
                Delta=MU0 * p["Ms"] * hk * vol / (2 * KB * p["temperature_K"]),
                J_c0_A_per_m2=2 * E_CHARGE * p["alpha"] * MU0 * p["Ms"] * p["thickness_m"]
                * hk / (HBAR * eta),
                tau_relax_s=(1 + p["alpha"] ** 2) / (p["alpha"] * GAMMA0 * hk),
                sigma=math.sqrt(2 * p["alpha"] * KB * p["temperature_K"]
                                / (GAMMA0 * MU0 * p["Ms"] * vol)),
                steps=round(p["t1"] / p["dt"]), gamma0=GAMMA0, mu0=MU0)


def tilted(theta: float):
    """m at polar angle theta (rad) from +z, in the x-z plane."""
    return (math.sin(theta), 0.0, math.cos(theta))


# ---------------------------------------------------------------- spinjax

def spinjax_model(p: dict, temperature=None, fields_only=False):
    import spinjax as sj
    layer = sj.FreeLayer(Ms=p["Ms"], alpha=p["alpha"], thickness_m=p["thickness_m"],
                         area_m2=sj.disk_area(p["diameter_m"]),
                         temperature_K=p["temperature_K"] if temperature is None
                         else temperature)
    fields = (sj.UniaxialAnisotropy(K_u=p["K_u"], axis=(0.0, 0.0, 1.0)),
              sj.Demagnetization(factors=p["demag"]))
    torques = () if fields_only else (sj.SlonczewskiSTT(
        polarizer=p["polarizer"], polarization=p["polarization"],
        asymmetry=p["asymmetry"], field_like_ratio=0.0),)
    return sj.SLLG(layer, fields, torques)


def spinjax_pulse(p: dict, amplitude):
    import spinjax as sj
    return sj.Trapezoid(amplitude, p["pulse_start"], p["pulse_width"], p["pulse_edge"],
                        p["pulse_edge"])


def spinjax_final(p, m0, amplitude, t1, *, constant=False, thermal=False, key=None,
                  temperature=None):
    """Final m of spinjax for junctions m0 (*N, 3); amplitude broadcasts over *N."""
    import jax
    import jax.numpy as jnp
    import spinjax as sj
    m0 = jnp.asarray(m0)
    amp = jnp.asarray(amplitude, m0.dtype)
    j = amp if constant else spinjax_pulse(p, amp)
    sol = sj.simulate(spinjax_model(p, temperature), m0, t1=t1, dt=p["dt"],
                      key=jax.random.key(0) if key is None else key,
                      drive=sj.Drive(j_stt_A_per_m2=j), thermal=thermal)
    return sol.m.block_until_ready()


# ---------------------------------------------------------------- cmtj

def cmtj_setup_constants():
    """cmtj's physical constants set to spinjax's (CODATA 2018)."""
    import cmtj
    from spinjax.constants import E_CHARGE, GAMMA0, HBAR, KB, MU0
    c = cmtj.constants.PhysicalConstants
    c.set_gyromagnetic_ratio(GAMMA0)
    c.set_magnetic_permeability(MU0)
    c.set_hbar(HBAR)
    c.set_elementary_charge(E_CHARGE)
    c.set_boltzmann_constant(KB)


def cmtj_junction(p: dict, temperature: float, beta=None, stt=True):
    """One cmtj.Junction with the free layer of `p`; beta defaults to alpha (the
    mapping of spinjax's Gilbert-form STT, see the module docstring)."""
    import cmtj
    from spinjax.constants import MU0
    cmtj_setup_constants()
    vec = cmtj.CVector
    demag = [vec(*(p["demag"][i] if j == i else 0.0 for j in range(3))) for i in range(3)]
    z = vec(0.0, 0.0, 1.0)
    args = ("free", z, z, MU0 * p["Ms"], p["thickness_m"],
            math.pi * p["diameter_m"] ** 2 / 4, demag)
    if stt:
        layer = cmtj.Layer.createSTTLayer(
            *args, damping=p["alpha"], SlonczewskiSpacerLayerParameter=p["asymmetry"],
            beta=p["alpha"] if beta is None else beta, spinPolarisation=p["polarization"])
        layer.setReferenceLayer(vec(*p["polarizer"]))
    else:
        layer = cmtj.Layer(*args, damping=p["alpha"])
    junction = cmtj.Junction([layer])
    junction.setLayerAnisotropyDriver("free", cmtj.constantDriver(p["K_u"]))
    if temperature > 0:
        junction.setLayerTemperatureDriver("free", cmtj.constantDriver(temperature))
    return junction


def cmtj_set_current(junction, p, amplitude, constant=False):
    import cmtj
    driver = (cmtj.constantDriver(amplitude) if constant else cmtj.trapezoidDriver(
        0.0, amplitude, p["pulse_start"], p["pulse_edge"], p["pulse_width"]))
    junction.setLayerCurrentDriver("free", driver)


def cmtj_run(junction, p, m0, t1):
    """One trajectory from m0 to t1 with cmtj's stochastic Heun; returns the final m."""
    import cmtj
    junction.clearLog()
    junction.setLayerMagnetisation("free", cmtj.CVector(*m0))
    total = (round(t1 / p["dt"]) + 0.5) * p["dt"]  # cmtj runs int(total / dt) steps
    junction.runSimulation(total, p["dt"], total, False, False, cmtj.Heun)
    m = junction.getLayerMagnetisation("free")
    return (m.x, m.y, m.z)


def cmtj_chunk(task):
    """Worker: `n` trials at one amplitude with one seed; returns the final m_z's."""
    p, amplitude, n, seed = task
    junction = cmtj_junction(p, p["temperature_K"])
    cmtj_set_current(junction, p, amplitude)
    junction.setLayerSeed("free", seed)
    return [cmtj_run(junction, p, (0.0, 0.0, 1.0), p["t1"])[2] for _ in range(n)]

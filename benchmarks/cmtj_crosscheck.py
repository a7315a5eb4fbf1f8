"""Peer cross-check: STT switching probabilities of one MTJ in spinjax and in cmtj.

The same perpendicular STT junction and the same current pulse are simulated at 300 K
by spinjax and by cmtj (C++, GPL; used here only as a peer, never imported by the
library), and the switching probabilities at three pulse amplitudes are compared with a
two-proportion z-test. Before the noise is switched on, the two codes are aligned at
T = 0 (trajectories, Sun's critical current, the deterministic switching threshold of
the pulse) and the thermal-noise strength of each is measured from one-step variances.

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

Protocol: m starts at +z (the parallel state), thermalizes for 3 ns (about two
relaxation times 1/(alpha gamma0 H_K,eff) = 1.4 ns), a trapezoidal current pulse of
amplitude J < 0 starts at 3 ns with 20 ps edges and a 2 ns plateau, and the junction
relaxes until 8 ns; switched means m_z(8 ns) < 0. J = -6, -7, -8e10 A/m^2
(2.3-3.0 J_c0) give P_sw about 0.25/0.5/0.8. Both codes: Stratonovich Heun with the
same noise increment in predictor and corrector, m renormalized after each step (the
predictor is not), dt = 1 ps, 8000 steps. spinjax runs all amplitudes x trials in one
``simulate`` call (junction axes (3, n), float32, the default); cmtj runs one
trajectory per ``runSimulation`` call in float64 (``--workers`` processes).

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

Statistics: P_sw with Wilson 95 % intervals; per amplitude the pooled two-proportion
z = (p_sj - p_cm) / sqrt(p (1 - p) (1/n_sj + 1/n_cm)); agreement means |z| < 3 at every
amplitude.

Usage::

    python benchmarks/cmtj_crosscheck.py           # full run, about two minutes
    python benchmarks/cmtj_crosscheck.py --quick   # smaller n, about 15 s

A full run writes ``benchmarks/results/cmtj_crosscheck.json`` and the section of
``benchmarks/README.md`` between the ``cmtj_crosscheck`` markers; ``--quick`` only
prints the table (and writes JSON only where ``--out`` is given).
"""

import argparse
import json
import math
import multiprocessing
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PHYSICS = dict(Ms=1.0e6, alpha=0.02, thickness_m=1.3e-9, diameter_m=45e-9,
               temperature_K=300.0, K_u=6.85e5, demag=(0.0235, 0.0235, 0.953),
               polarization=0.6, asymmetry=1.0, polarizer=(0.0, 0.0, 1.0),
               dt=1e-12, t1=8e-9, pulse_start=3e-9, pulse_edge=20e-12, pulse_width=2e-9)
AMPLITUDES = (-6.0e10, -7.0e10, -8.0e10)  # A/m^2
N = dict(full=dict(cmtj=4000, spinjax=20000), quick=dict(cmtj=300, spinjax=2000))


from cmtj_report import report, write_readme  # noqa: E402  (benchmarks/ on sys.path)
from spinjax.experiments import wilson_interval  # noqa: E402

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


# ---------------------------------------------------------------- T = 0 alignment

def check_trajectories(p: dict, d: dict) -> dict:
    """T = 0, m0 tilted by 0.1 rad (about the thermal rms angle 1/sqrt(2 Delta)):
    final m after the full protocol at J = 0, each amplitude (none switches at T = 0)
    and -1.3e11 A/m^2 (which does), spinjax (float64) vs cmtj with beta = alpha (the
    matched mapping) and with beta = 0 (unmatched)."""
    import numpy as np
    amps = (0.0,) + AMPLITUDES + (-1.3e11,)
    m0 = tilted(0.1)
    sj = np.asarray(spinjax_final(p, np.tile(np.array(m0, np.float64), (len(amps), 1)),
                                  np.array(amps), p["t1"]))
    out = dict(m0=m0, t1_s=p["t1"], amplitudes=list(amps), spinjax_mz=sj[:, 2].tolist())
    for label, beta in (("matched_beta_alpha", None), ("unmatched_beta_0", 0.0)):
        junction = cmtj_junction(p, 0.0, beta=beta)
        cm = []
        for a in amps:
            cmtj_set_current(junction, p, a)
            cm.append(cmtj_run(junction, p, m0, p["t1"]))
        cm = np.array(cm)
        out[label] = dict(cmtj_mz=cm[:, 2].tolist(),
                          max_abs_dm=float(np.abs(cm - sj).max()))
    return out


def check_sun(p: dict, d: dict) -> dict:
    """T = 0, constant current -0.9 and -1.1 J_c0 for 60 ns from m0 tilted 0.1 rad: the
    parallel state is stable below J_c0 and switches above it, in both codes."""
    import numpy as np
    fracs, t1 = (0.9, 1.1), 60e-9
    amps = [-f * d["J_c0_A_per_m2"] for f in fracs]
    m0 = tilted(0.1)
    sj = np.asarray(spinjax_final(p, np.tile(np.array(m0, np.float64), (2, 1)),
                                  np.array(amps), t1, constant=True))
    junction = cmtj_junction(p, 0.0)
    cm = []
    for a in amps:
        cmtj_set_current(junction, p, a, constant=True)
        cm.append(cmtj_run(junction, p, m0, t1)[2])
    return dict(J_over_Jc0=[-f for f in fracs], t1_s=t1, m0=m0,
                spinjax_mz=sj[:, 2].tolist(), cmtj_mz=cm,
                ok=bool(sj[0, 2] > 0.9 and cm[0] > 0.9 and sj[1, 2] < -0.9
                        and cm[1] < -0.9))


def check_threshold(p: dict, d: dict, iters: int = 45) -> dict:
    """T = 0, m0 tilted 0.1 rad: the smallest |J| of the pulse that switches (m_z(t1) < 0),
    by bisection in each code, between J_c0 and 8 J_c0."""
    import numpy as np
    m0 = tilted(0.1)
    m0_sj = np.array([m0], np.float64)
    junction = cmtj_junction(p, 0.0)

    def switches_cmtj(a):
        cmtj_set_current(junction, p, a)
        return cmtj_run(junction, p, m0, p["t1"])[2] < 0

    def switches_sj(a):
        return float(spinjax_final(p, m0_sj, np.array([a]), p["t1"])[0, 2]) < 0

    out = {}
    for name, f in (("spinjax", switches_sj), ("cmtj", switches_cmtj)):
        lo, hi = -d["J_c0_A_per_m2"], -8 * d["J_c0_A_per_m2"]
        assert not f(lo) and f(hi)
        for _ in range(iters):
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if f(mid) else (mid, hi)
        out[name] = 0.5 * (lo + hi)
    out["relative_difference"] = abs(out["spinjax"] - out["cmtj"]) / abs(out["cmtj"])
    out["relative_resolution"] = 7 * d["J_c0_A_per_m2"] / 2**iters / abs(out["cmtj"])
    out["J_over_Jc0"] = out["cmtj"] / d["J_c0_A_per_m2"]
    return out


def check_thermal_variance(p: dict, d: dict, n: int) -> dict:
    """One step of dt from m = +z with no field, no torque, T = 300 K: var(m_x) against
    gamma0^2 sigma^2 dt / (1 + alpha^2) with sigma^2 = 2 alpha k_B T/(gamma0 mu0 Ms V).
    A ratio of 1 is the 2-alpha convention, 2 would be 4 alpha."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import spinjax as sj
    pred = d["gamma0"] ** 2 * d["sigma"] ** 2 * p["dt"] / (1 + p["alpha"] ** 2)
    q = dict(p, K_u=0.0, demag=(0.0, 0.0, 0.0))
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0]), (n, 1))
    mx_sj = sj.simulate(spinjax_model(q, fields_only=True), m0, t1=p["dt"], dt=p["dt"],
                        key=jax.random.key(7)).m[:, 0]
    junction = cmtj_junction(q, p["temperature_K"], stt=False)
    junction.setLayerSeed("free", 7)
    mx_cm = np.array([cmtj_run(junction, q, (0.0, 0.0, 1.0), p["dt"])[0] for _ in range(n)])
    return dict(n=n, predicted_var_2alpha=pred, sampling_rel_sigma=math.sqrt(2 / n),
                spinjax_ratio=float(np.var(np.asarray(mx_sj, np.float64)) / pred),
                cmtj_ratio=float(np.var(mx_cm) / pred))


# ---------------------------------------------------------------- statistics

def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score interval (95 %) of k/n: the library's, as plain floats."""
    lo, hi = wilson_interval(k, n)
    return float(lo), float(hi)


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> float:
    """Pooled two-proportion z statistic of k1/n1 - k2/n2."""
    pool = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
    return (k1 / n1 - k2 / n2) / se if se > 0 else 0.0


# ---------------------------------------------------------------- stochastic runs

def run_spinjax(p: dict, n: int, seed: int = 0) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np
    m0 = jnp.zeros((len(AMPLITUDES), n, 3), jnp.float32).at[..., 2].set(1.0)
    amps = np.array(AMPLITUDES)[:, None]
    t0 = time.perf_counter()
    m = spinjax_final(p, m0, amps, p["t1"], thermal=True, key=jax.random.key(seed))
    wall = time.perf_counter() - t0
    k = np.asarray(m[..., 2] < 0).sum(-1)
    return dict(n=n, k=[int(x) for x in k], wall_s=wall, dtype=str(m.dtype),
                junction_steps_per_s=len(AMPLITUDES) * n * round(p["t1"] / p["dt"]) / wall,
                note="one simulate call over (amplitude, trial) junction axes; the wall "
                     "time includes compilation")


def run_cmtj(p: dict, n: int, workers: int, seed: int = 1000) -> dict:
    chunks = max(workers, 1) * 2
    tasks = []
    for i, a in enumerate(AMPLITUDES):
        sizes = [n // chunks + (c < n % chunks) for c in range(chunks)]
        tasks += [(p, a, s, seed + 100 * i + c) for c, s in enumerate(sizes) if s]
    t0 = time.perf_counter()
    if workers > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.map(cmtj_chunk, tasks)
    else:
        results = [cmtj_chunk(t) for t in tasks]
    wall = time.perf_counter() - t0
    k = [0] * len(AMPLITUDES)
    for (_, a, _, _), mz in zip(tasks, results):
        k[AMPLITUDES.index(a)] += sum(z < 0 for z in mz)
    steps = round(p["t1"] / p["dt"])
    return dict(n=n, k=k, wall_s=wall, workers=workers, dtype="float64",
                ms_per_trajectory=1e3 * wall * max(workers, 1) / (len(AMPLITUDES) * n),
                junction_steps_per_s=len(AMPLITUDES) * n * steps / wall,
                note=f"one trajectory per runSimulation call, {workers} process(es)")


def compare(sjr: dict, cmr: dict) -> list:
    rows = []
    for i, a in enumerate(AMPLITUDES):
        k1, n1, k2, n2 = sjr["k"][i], sjr["n"], cmr["k"][i], cmr["n"]
        z = two_proportion_z(k1, n1, k2, n2)
        rows.append(dict(J_A_per_m2=a, spinjax_P=k1 / n1, spinjax_wilson95=wilson(k1, n1),
                         cmtj_P=k2 / n2, cmtj_wilson95=wilson(k2, n2),
                         z=z, agree_3sigma=abs(z) < 3))
    return rows


# ---------------------------------------------------------------- report

def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller n, seconds")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes for cmtj (default 1: the machine is shared)")
    parser.add_argument("--n-cmtj", type=int, default=None)
    parser.add_argument("--n-spinjax", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON path (default results/cmtj_crosscheck.json; quick: none)")
    args = parser.parse_args(argv)

    import jax
    jax.config.update("jax_enable_x64", True)  # float64 for the T = 0 checks only
    from sllg_throughput import machine_info

    mode = "quick" if args.quick else "full"
    n_cm = args.n_cmtj or N[mode]["cmtj"]
    n_sj = args.n_spinjax or N[mode]["spinjax"]
    t_start = time.perf_counter()
    machine = machine_info(mode)
    p, d = PHYSICS, derived(PHYSICS)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    log(f"derived: {json.dumps(d)}")

    checks = {}
    for name, fn in (("trajectories", check_trajectories), ("sun", check_sun),
                     ("threshold", check_threshold),
                     ("thermal_variance",
                      lambda p, d: check_thermal_variance(p, d, 20000 if args.quick
                                                          else 80000))):
        t0 = time.perf_counter()
        checks[name] = dict(fn(p, d), wall_s=time.perf_counter() - t0)
        log(f"{name}: {json.dumps(checks[name])}")

    sjr = run_spinjax(p, n_sj)
    log(f"spinjax: {json.dumps(sjr)}")
    cmr = run_cmtj(p, n_cm, args.workers)
    log(f"cmtj: {json.dumps(cmr)}")
    rows = compare(sjr, cmr)
    machine.update(total_s=time.perf_counter() - t_start, loadavg_end=os.getloadavg())
    res = dict(machine=machine, physics=p, derived=d, amplitudes_A_per_m2=AMPLITUDES,
               checks=checks, spinjax=sjr, cmtj=cmr, comparison=rows,
               agree=all(r["agree_3sigma"] for r in rows),
               test="pooled two-proportion z-test per amplitude, agreement |z| < 3; "
                    "Wilson 95 % intervals")
    out = args.out or (None if args.quick else HERE / "results" / "cmtj_crosscheck.json")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, indent=1) + "\n")
    section = report(res)
    if not args.quick:
        write_readme(HERE / "README.md", section)
    print(section)


if __name__ == "__main__":
    main()

"""The VCMA (MeRAM) junction of paper A: precessional switching under a voltage pulse."""

import jax.numpy as jnp

from .._fields.demag import Demagnetization, disk_factors
from .._fields.vcma import VCMAAnisotropy
from .._fields.zeeman import Zeeman
from .._layer import FreeLayer, disk_area
from .._readout.tmr import TMR
from .._sllg import SLLG
from .._torques.bias_stt import BiasDrivenSTT
from .._torques.stt import SlonczewskiSTT
from ._args import check_finite, check_positive
from .mtj import MTJ


def vcma_mtj(*, diameter_m=60e-9, thickness_m=1.1e-9, Ms=1.1e6, alpha=0.02,
             K_i0=0.887e-3, xi=80e-15, t_ox_m=1.5e-9, bias_field_A_per_m=3.0e4,
             temperature_K=300.0, ra_ohm_m2=1.0e-9, tmr0=1.0, v_half_V=0.5,
             polarization=0.6) -> MTJ:
    r"""A perpendicular CoFeB/MgO VCMA junction (the MeRAM cell), written by a voltage.

    Free layer: a disk of diameter $d$ and thickness $t_F$ with interfacial anisotropy
    $K_i(V) = K_{i0} - \xi V/t_{ox}$, the demagnetization of the oblate spheroid
    $(d/2, d/2, t_F/2)$, and a static in-plane bias field $H_x$ (from a stray-field
    layer in a real cell) about which $\mathbf m$ precesses once a pulse removes the
    barrier. A voltage $V$ also drives the current $V/R(\theta, V)$ through the
    barrier, whose spin-transfer torque acts with polarization $P$
    ([`spinjax.BiasDrivenSTT`][]); positive $V$ lowers the anisotropy.

    Where the numbers come from. The device of paper A (Cheng et al., Nat. Commun. 16,
    5022, 2025) was not available to us beyond its abstract; these are
    representative CoFeB/MgO MeRAM values within the ranges of Maruyama et al.,
    Nat. Nanotechnol. 4, 158 (2009) ($\xi$ 30-100 fJ/(V m)), Amiri and Wang, SPIN 2,
    1240002 (2012) and Kanai et al., APL 101, 122403 (2012) (precessional VCMA switching
    with an in-plane field of a few hundred Oe; $\alpha$ 0.01-0.05), and Grezes et al.,
    APL 108, 012403 (2016) (high-RA junctions for fJ writes): $M_s$ 1.1 MA/m,
    $t_F$ 1.1 nm, $K_{i0}$ 0.887 mJ/m$^2$, $\xi$ 80 fJ/(V m), $t_{ox}$ 1.5 nm,
    $d$ 60 nm, $H_x$ 30 kA/m (377 Oe), $\alpha$ 0.02, RA 1 kOhm um$^2$, TMR 100 %
    halving at 0.5 V, $P$ 0.6. With them $K_\mathrm{eff} = 78$ kJ/m$^3$, $H_K = 113$ kA/m and
    $\Delta_0 \approx 59$ at 300 K (zero field; the bias field lowers the barrier to
    about 32), and $K_\mathrm{eff}$ vanishes at 1.61 V (1.07 V/nm across the barrier).

    Every argument is in SI units (RA in Ohm m$^2$: 1e-9 is 1 kOhm um$^2$) and may be
    an array over the junction axes (device-to-device variation,
    [`spinjax.devices.sample_devices`][]).
    """
    check_positive("vcma_mtj", diameter_m=diameter_m, ra_ohm_m2=ra_ohm_m2)
    check_finite("vcma_mtj", bias_field_A_per_m=bias_field_A_per_m)
    area = disk_area(diameter_m)
    layer = FreeLayer(Ms=Ms, alpha=alpha, thickness_m=thickness_m, area_m2=area,
                      temperature_K=temperature_K)
    bias = jnp.stack(jnp.broadcast_arrays(jnp.asarray(bias_field_A_per_m),
                                          jnp.zeros(()), jnp.zeros(())), -1)
    tmr = TMR(r_p_ohm=ra_ohm_m2 / area, tmr0=tmr0, v_half_V=v_half_V)
    model = SLLG(
        layer,
        fields=(VCMAAnisotropy(K_i0=K_i0, xi=xi, t_ox_m=t_ox_m),
                Demagnetization(disk_factors(diameter_m, thickness_m)),
                Zeeman(bias)),
        torques=(BiasDrivenSTT(SlonczewskiSTT(polarization=polarization), tmr),),
    )
    return MTJ(model=model)   # its TMR and t_ox are the model's terms' (one value each)

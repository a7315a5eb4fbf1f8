"""Two-terminal perpendicular STT-MRAM junction."""

from .._fields.demag import Demagnetization, disk_factors
from .._fields.vcma import VCMAAnisotropy
from .._fields.zeeman import Zeeman
from .._layer import FreeLayer, disk_area
from .._readout.tmr import TMR
from .._sllg import SLLG
from .._torques.bias_stt import BiasDrivenSTT
from .._torques.stt import SlonczewskiSTT
from ._args import check_positive
from .mtj import MTJ


def stt_mtj(*, diameter_m=40e-9, thickness_m=1.3e-9, Ms=1.1e6, alpha=0.027,
            K_i0=1.064e-3, xi=30e-15, t_ox_m=1.0e-9, temperature_K=300.0,
            ra_ohm_m2=18e-12, tmr0=1.2, v_half_V=0.5, polarization=0.6,
            asymmetry=1.0) -> MTJ:
    r"""A perpendicular CoFeB/MgO STT junction, written by the current of a voltage.

    Free layer: a disk with interfacial anisotropy ([`spinjax.VCMAAnisotropy`][],
    with a small $\xi$: every CoFeB/MgO junction has some VCMA) and spheroid
    demagnetization; the reference layer is fixed along $+\hat z$. A voltage $V$
    drives $J = V/(R(\theta, V) A)$ through the barrier; $V > 0$ favours the parallel
    state ([`spinjax.BiasDrivenSTT`][]). The zero-temperature critical current is
    Sun's $J_{c0} = 2 e \alpha \mu_0 M_s t_F H_{K,\mathrm{eff}} / (\hbar P)$.

    Where the numbers come from: the perpendicular CoFeB-MgO junction of Ikeda et al.,
    Nat. Mater. 9, 721 (2010) (CoFeB 1.3 nm, diameter 40 nm, thermal stability about
    40, TMR about 120 %, RA about 18 Ohm um$^2$, damping about 0.027 at this
    thickness), with $M_s$ 1.1 MA/m and $K_{i0}$ 1.064 mJ/m$^2$ chosen within the
    CoFeB/MgO range so that $\Delta \approx 45$ at 300 K; $P$ = 0.6, barrier 1 nm,
    $\xi$ 30 fJ/(V m), TMR halving at 0.5 V are representative. With them
    $H_{K,\mathrm{eff}} \approx 165$ kA/m and $J_{c0} \approx 4.1$ MA/cm$^2$ (Ikeda et
    al. report 3.9), i.e. about 51 uA, 0.73 V across the parallel state's 14 kOhm.
    Arguments in SI units; arrays allowed (device variation).
    """
    check_positive("stt_mtj", diameter_m=diameter_m, ra_ohm_m2=ra_ohm_m2)
    area = disk_area(diameter_m)
    layer = FreeLayer(Ms=Ms, alpha=alpha, thickness_m=thickness_m, area_m2=area,
                      temperature_K=temperature_K)
    tmr = TMR(r_p_ohm=ra_ohm_m2 / area, tmr0=tmr0, v_half_V=v_half_V)
    stt = SlonczewskiSTT(polarization=polarization, asymmetry=asymmetry)
    model = SLLG(
        layer,
        fields=(VCMAAnisotropy(K_i0=K_i0, xi=xi, t_ox_m=t_ox_m),
                Demagnetization(disk_factors(diameter_m, thickness_m)), Zeeman()),
        torques=(BiasDrivenSTT(stt, tmr),),
    )
    return MTJ(model=model)   # its TMR and t_ox are the model's terms' (one value each)

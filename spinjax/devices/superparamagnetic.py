"""A low-barrier (superparamagnetic) junction: telegraph noise, the p-bit."""

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


def superparamagnetic_mtj(*, diameter_m=20e-9, thickness_m=1.5e-9, Ms=1.1e6,
                          alpha=0.05, K_i0=0.996e-3, xi=30e-15, t_ox_m=1.0e-9,
                          temperature_K=300.0, ra_ohm_m2=5e-12, tmr0=1.0,
                          v_half_V=0.5, polarization=0.6) -> MTJ:
    r"""A perpendicular junction whose barrier is a few $k_B T$: it flips by itself.

    Its resistance is random telegraph noise between $R_P$ and $R_{AP}$ with mean
    dwell time given by the Neel-Brown escape over $\Delta_0$ (for a high-ish barrier,
    $\tau \approx \tau_0 e^{\Delta}$ with $\tau_0 \sim 1/(\alpha\gamma_0 H_K)$). A bias
    voltage, through its STT current ([`spinjax.BiasDrivenSTT`][]), tilts the time
    spent in each state, which makes the device a p-bit: a tunable random bit whose
    mean follows a sigmoid of the bias (Camsari et al., PRX 7, 031014, 2017; Borders
    et al., Nature 573, 390, 2019).

    Where the numbers come from: nanosecond telegraph noise has been shown in
    stochastic MTJs (Hayakawa et al., PRL 126, 117202, 2021, in-plane, about 8 ns;
    Safranski et al., Nano Lett. 21, 2040, 2021). This preset is not one of those
    in-plane devices: it is a perpendicular CoFeB/MgO disk of 20 nm (RA 5 Ohm um$^2$,
    TMR 100 %) whose $K_{i0}$ = 0.996 mJ/m$^2$ is chosen to put $\Delta_0 \approx 3$
    at 300 K, with $\alpha$ = 0.05 to reach dwell times of a few ns, so that its
    telegraph noise is affordable to simulate. Arguments in SI units; arrays allowed.
    """
    check_positive("superparamagnetic_mtj", diameter_m=diameter_m, ra_ohm_m2=ra_ohm_m2)
    area = disk_area(diameter_m)
    layer = FreeLayer(Ms=Ms, alpha=alpha, thickness_m=thickness_m, area_m2=area,
                      temperature_K=temperature_K)
    tmr = TMR(r_p_ohm=ra_ohm_m2 / area, tmr0=tmr0, v_half_V=v_half_V)
    model = SLLG(
        layer,
        fields=(VCMAAnisotropy(K_i0=K_i0, xi=xi, t_ox_m=t_ox_m),
                Demagnetization(disk_factors(diameter_m, thickness_m)), Zeeman()),
        torques=(BiasDrivenSTT(SlonczewskiSTT(polarization=polarization), tmr),),
    )
    return MTJ(model=model)   # its TMR and t_ox are the model's terms' (one value each)

"""Three-terminal SOT-MRAM junction on a heavy-metal channel."""

import jax.numpy as jnp

from .._fields.demag import Demagnetization, ellipsoid_factors
from .._fields.vcma import VCMAAnisotropy
from .._fields.zeeman import Zeeman
from .._layer import FreeLayer, ellipse_area
from .._readout.tmr import TMR
from .._sllg import SLLG
from .._torques.sot import SpinOrbitTorque
from ._args import check_positive
from .mtj import MTJ


def sot_mtj(*, length_m=180e-9, width_m=60e-9, thickness_m=1.6e-9, Ms=1.0e6,
            alpha=0.01, K_i0=0.6e-3, xi_dl=-0.33, xi_fl=0.0, t_ox_m=1.2e-9,
            temperature_K=300.0, ra_ohm_m2=100e-12, tmr0=1.0, v_half_V=0.5,
            channel_width_m=200e-9, channel_length_m=400e-9, channel_thickness_m=5e-9,
            channel_resistivity_ohm_m=2.6e-6) -> MTJ:
    r"""An in-plane three-terminal SOT junction: a $\beta$-W channel under an
    elliptical CoFeB free layer whose long (easy) axis is along $\hat y$, parallel
    to the spin polarization $\boldsymbol\sigma = \hat y$ of a current along
    $\hat x$ (anti-damping, "type-y" switching; Liu et al., Science 336, 555, 2012).

    The write current density $J_{HM}$ (drive ``j_sot_A_per_m2``) flows in the
    channel; the read goes through the barrier (reference layer along $+\hat y$).
    Demagnetization of the ellipsoid $(w/2, l/2, t_F/2)$ gives the in-plane $H_k$;
    the interfacial anisotropy $K_{i0}$ partly cancels the out-of-plane
    demagnetization ($M_\mathrm{eff} = M_s N_z - 2K_{i0}/(\mu_0 M_s t_F)$). The
    macrospin critical current is
    $J_{c0} = \frac{2e}{\hbar}\frac{\mu_0 M_s t_F \alpha}{|\xi_{DL}|}(H_k + M_\mathrm{eff}/2)$.

    Where the numbers come from: $\xi_{DL} = -0.33$ and $\rho$ = 260 uOhm cm of
    $\beta$-W from Pai et al., APL 101, 122404 (2012); the 60 x 180 nm ellipse,
    $t_F$ 1.6 nm, $\alpha$ 0.01, $M_s$ 1.0 MA/m and $K_{i0}$ 0.6 mJ/m$^2$ are
    representative of in-plane CoFeB/MgO SOT junctions (Liu et al. 2012 used a
    100 x 350 nm Ta device); channel 200 nm wide, 400 nm long, 5 nm thick. With them
    $\Delta_0 \approx 40$, $H_k \approx 20$ kA/m, $M_\mathrm{eff} \approx 0.37$ MA/m and
    $J_{c0} \approx 3.8$ MA/cm$^2$, i.e. 38 uA through the channel's 1e-15 m$^2$
    cross section (channel resistance 1.04 kOhm). Arguments in SI units; arrays allowed.
    """
    check_positive("sot_mtj",
                   length_m=length_m, width_m=width_m, ra_ohm_m2=ra_ohm_m2,
                   channel_width_m=channel_width_m, channel_length_m=channel_length_m,
                   channel_thickness_m=channel_thickness_m,
                   channel_resistivity_ohm_m=channel_resistivity_ohm_m)
    area = ellipse_area(width_m, length_m)
    layer = FreeLayer(Ms=Ms, alpha=alpha, thickness_m=thickness_m, area_m2=area,
                      temperature_K=temperature_K)
    semi = jnp.stack(jnp.broadcast_arrays(jnp.asarray(width_m) / 2, jnp.asarray(length_m) / 2,
                                          jnp.asarray(thickness_m) / 2), -1)
    tmr = TMR(r_p_ohm=ra_ohm_m2 / area, tmr0=tmr0, v_half_V=v_half_V,
              reference=(0.0, 1.0, 0.0))
    model = SLLG(
        layer,
        fields=(VCMAAnisotropy(K_i0=K_i0, t_ox_m=t_ox_m),
                Demagnetization(jnp.asarray(ellipsoid_factors(semi), jnp.result_type(area))), Zeeman()),
        torques=(SpinOrbitTorque(xi_dl=xi_dl, xi_fl=xi_fl, sigma=(0.0, 1.0, 0.0)),),
    )
    cross = jnp.asarray(channel_width_m) * channel_thickness_m
    # t_ox is the VCMA term's; no torque holds the TMR, so the junction keeps it
    return MTJ(model=model, tmr=tmr, easy_axis=(0.0, 1.0, 0.0),
               channel_ohm=channel_resistivity_ohm_m * channel_length_m / cross,
               channel_cross_section_m2=cross)

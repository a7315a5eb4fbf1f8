"""Physical constants: the single source for every constant in spinjax.

CODATA 2018 recommended values (Tiesinga et al., Rev. Mod. Phys. 93, 025010, 2021),
SI units. No other module writes a bare mu0, gamma, hbar, e or kB.
"""

MU0 = 1.25663706212e-6
"""Vacuum permeability mu0 in N/A^2 (CODATA 2018)."""

GAMMA_E = 1.76085963023e11
"""Electron gyromagnetic ratio |gamma_e| in rad/(s T) (CODATA 2018)."""

GAMMA0 = MU0 * GAMMA_E
"""gamma0 = mu0 |gamma_e| = 2.2128e5 m/(A s): LLG precession rate per A/m of field."""

HBAR = 1.054571817e-34
"""Reduced Planck constant in J s (exact in SI 2019, CODATA 2018)."""

E_CHARGE = 1.602176634e-19
"""Elementary charge e in C (exact in SI 2019)."""

KB = 1.380649e-23
"""Boltzmann constant in J/K (exact in SI 2019)."""

EPS0 = 8.8541878128e-12
"""Vacuum permittivity in F/m (CODATA 2018)."""

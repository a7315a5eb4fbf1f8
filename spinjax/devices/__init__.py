"""Device presets: the junctions and Hall bars of both source papers, as pytrees of SI
parameters whose docstrings say where their numbers come from; device-to-device
variation; write and read energies."""

from .energy import barrier_write_energy_J, channel_write_energy_J, read_energy_J
from .mtj import MTJ
from .sot import sot_mtj
from .stt import stt_mtj
from .superparamagnetic import superparamagnetic_mtj
from .variation import LogNormal, Normal, sample_devices
from .vcma import vcma_mtj

__all__ = [
    "MTJ", "LogNormal", "Normal", "barrier_write_energy_J", "channel_write_energy_J",
    "read_energy_J", "sample_devices", "sot_mtj", "stt_mtj", "superparamagnetic_mtj",
    "vcma_mtj",
]
from .hallbar import HallBar, liu_critical_current, pt_cofeb, w_cofeb
from .inplane_switching import switching_current

__all__ += ["HallBar", "liu_critical_current", "pt_cofeb", "switching_current", "w_cofeb"]

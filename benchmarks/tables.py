"""The text of a benchmark report that several scripts share: the machine record of a
run (``harness.machine_record``) as a sentence, and numbers formatted for a table."""


def describe_device(m: dict) -> str:
    """The device, driver, jax and host of a run, from its machine info (``m["device"]``
    from ``probe``), for a report's first line."""
    dev = m["device"]
    smi = (dev.get("nvidia_smi") or "").splitlines()
    parts = smi[0].split(", ") if smi else []
    text = dev["device_kind"] + (f" x {dev['device_count']}" if dev["device_count"] > 1 else "")
    if dev.get("device_memory_limit_gb"):
        text += f" ({dev['device_memory_limit_gb']} GB for XLA's allocator"
        text += f", driver {parts[1]})" if len(parts) > 1 else ")"
    plugins = ", ".join(f"{k} {v}" for k, v in dev.get("jax_plugins", {}).items())
    return (f"{text}; jax {m['jax']}, jaxlib {m['jaxlib']}" + (f", {plugins}" if plugins else "")
            + f", diffrax {m['diffrax']}, equinox {m['equinox']}; host {m['cpu']}, "
            f"{m['cores']} cores, {m['platform']}")


def spinjax_text(m: dict) -> str:
    """spinjax's version at the start of a run, and at its end if it changed."""
    return m["spinjax_start"] + ("" if m["spinjax_start"] == m.get("spinjax_end",
                                                                   m["spinjax_start"]) else
                                 f" at the start, **{m['spinjax_end']} at the end: spinjax "
                                 "changed during the run**")


def loads_text(m: dict) -> str:
    """The load average at the start and at the end of a run."""
    return (f"load average {m['loadavg_start'][0]:.2f} at the start, "
            f"{m['loadavg_end'][0]:.2f} at the end")


def fmt(x, spec: str = ".3g") -> str:
    """`x` formatted, or an em dash for a missing value."""
    return "—" if x is None else format(x, spec)


def fmt_n(n: int) -> str:
    """A junction count as ``1e4`` (``3e7``) when it is a round power, else as is."""
    e = len(str(n)) - 1
    return f"{n // 10**e}e{e}" if n % 10**e == 0 and e > 1 else str(n)

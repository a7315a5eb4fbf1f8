r"""One stored value for a device parameter that a model term also uses.

A device and a term of its sLLG model can need the same physical parameter: the
barrier thickness $t_{ox}$ (the capacitance $\varepsilon_0\varepsilon_r A/t_{ox}$ of
[`MTJ`][spinjax.devices.MTJ] and the VCMA $K_i(V) = K_{i0} - \xi V/t_{ox}$ of
[`spinjax.VCMAAnisotropy`][]), the [`spinjax.TMR`][] (the read of
[`MTJ`][spinjax.devices.MTJ] and the current $V/(R(\theta, V) A)$ of
[`spinjax.BiasDrivenSTT`][]), the heavy-metal thickness $t_{HM}$ (the current divider of
[`HallBar`][spinjax.devices.HallBar] and [`spinjax.OerstedField`][]). The value is stored
once: in the term when the model holds one, and the device reads it from there (a property),
so changing it with ``eqx.tree_at`` or differentiating with respect to it changes what the
dynamics use as well; on the device only when no term holds it.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._params import POSITIVE, InvalidParameterError


def find_term(owner: str, model, cls):
    """The one term of type `cls` among the model's fields and torques, as
    ``(group, index)``, or None; more than one raises (the device has one such part)."""
    hits = [(group, i) for group in ("fields", "torques")
            for i, term in enumerate(getattr(model, group)) if isinstance(term, cls)]
    if len(hits) > 1:
        raise InvalidParameterError(
            f"{owner}.model holds {len(hits)} {cls.__name__} terms; the device has one, "
            "so its parameters would have more than one value.")
    return hits[0] if hits else None


def term_at(model, where):
    """The term at ``where = (group, index)`` of `find_term`."""
    return getattr(model, where[0])[where[1]]


def _traced(value) -> bool:
    return any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(value))


def _differ(given, held) -> bool:
    """True when concrete `given` and `held` differ beyond rounding to the precision
    `held` is stored in; traced values cannot be compared and count as equal."""
    if given is held or _traced(given) or _traced(held):
        return False
    if jax.tree.structure(given) != jax.tree.structure(held):
        return True

    def same(x, y):
        y = np.asarray(y)
        x = np.asarray(jnp.asarray(x, y.dtype)) if y.dtype.kind == "f" else np.asarray(x)
        rtol = 2 * np.finfo(y.dtype).eps if y.dtype.kind == "f" else 0.0
        return np.allclose(x, y, rtol=rtol, atol=0.0)
    try:
        return not all(same(x, y) for x, y in zip(jax.tree.leaves(given),
                                                  jax.tree.leaves(held)))
    except ValueError:   # shapes that do not broadcast
        return True


def split_parameter(owner: str, name: str, given, model, cls, attr: str):
    """Where the device parameter `name` is stored: returns ``(model, own)``.

    When the model holds a `cls` term, its `attr` is the one value: `own` is None, a
    concrete `given` must equal it (else [`spinjax.InvalidParameterError`][]), and a
    traced `given` (inside ``jit``/``grad``) is written into the term, so derivatives
    with respect to the argument flow into the dynamics. Without such a term the
    device stores `given` (`own`), which must then be given.
    """
    where = find_term(owner, model, cls)
    if where is None:
        if given is None:
            raise InvalidParameterError(
                f"{owner}.{name} is missing: give it, or a model with a {cls.__name__} "
                "term to read it from.")
        return model, given
    held = getattr(term_at(model, where), attr)
    if given is None:
        return model, None
    if _differ(given, held):
        def shown(v):   # numbers, on one line
            return " ".join(repr(jax.tree.map(lambda x: np.asarray(x).tolist(), v)).split())
        raise InvalidParameterError(
            f"{cls.__name__}.{attr} = {shown(held)} differs from {owner}.{name} = "
            f"{shown(given)}: give the same value, or leave {name} out (the device reads "
            "it from the term).")
    if _traced(given):
        model = eqx.tree_at(lambda m: getattr(term_at(m, where), attr), model, given)
    return model, None


def positive_array(name: str, value, unit: str):
    """``jnp.asarray(value)``; a concrete value must be finite and > 0 everywhere (the
    check a ``param(unit, POSITIVE)`` field makes, for a value kept on the device)."""
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise InvalidParameterError(f"{name} = {value!r}; it must be a number (unit {unit}).")
    arr = jnp.asarray(value)
    if not _traced(arr):
        a = np.asarray(arr, np.float64)
        ok = np.asarray(POSITIVE.contains(a))
        if not np.all(ok):
            bad = float(np.ravel(a[~ok] if a.ndim else a)[0])
            raise InvalidParameterError(f"{name} = {bad:.6g} is outside the valid range "
                                        f"{POSITIVE} (unit {unit}).")
    return arr

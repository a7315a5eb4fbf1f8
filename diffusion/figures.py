"""Figures of paper A, as ``matplotlib.figure.Figure`` objects built without pyplot:
nothing here touches the backend or the current figures, so a notebook shows them
inline (``display(fig)``) and a script saves them (``fig.savefig(path)``).

- [`sample_grid`][diffusion.figures.sample_grid]: a square grid of images under a title that
  fits;
- [`fd_chart`][diffusion.figures.fd_chart]: FD with its interval per noise source, on a log
  axis;
- [`energy_table`][diffusion.figures.energy_table]: the energy of the random numbers of one
  image, as a table.
"""

import textwrap

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from .errors import OutputError

__all__ = ["sample_grid", "fd_chart", "energy_table"]


def sample_grid(x, title: str, *, max_images: int = 64, inch_per_image: float = 0.55) -> Figure:
    """The first `max_images` of `x` (N, H, W, 1) in [-1, 1] as a grid (gray, black
    background), under `title` wrapped to the figure's width."""
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[0] < 1:
        raise OutputError(f"x must be images of shape (N, H, W, C) with N >= 1; got shape "
                          f"{x.shape}.")
    n = min(len(x), max_images)
    side = int(np.ceil(np.sqrt(n)))
    width = max(side * inch_per_image, 4.5)
    lines = textwrap.wrap(title, width=int(width * 12))
    head = 0.22 * len(lines) + 0.15
    fig = Figure(figsize=(width, width + head))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=width / (width + head),
                        wspace=0.04, hspace=0.04)
    axes = fig.subplots(side, side, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < n:
            ax.imshow(x[i, ..., 0], cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
    fig.suptitle("\n".join(lines), fontsize=9, y=1 - 0.05 / (width + head))
    return fig


def fd_chart(rows, *, title: str = "FD on the classifier's features (95 % interval)",
             key: str = "fd_extrapolated", reference: str | None = None) -> Figure:
    """Horizontal bars of ``row[key] = [value, low, high]`` per ``row["source"]``, on a
    log axis when they span more than a factor 20 (a biased array's FD is 10-100x the
    software's), with values below a tenth of the smallest positive one clipped. With `reference` (a
    source's name), its interval is shaded across the chart, so a source inside it is
    indistinguishable from that reference at this sample size."""
    rows = list(rows)
    if not rows:
        raise OutputError("rows is empty: nothing to chart.")
    names = [r["source"] for r in rows]
    vals = np.array([r[key] for r in rows], float)
    floor = max(np.nanmin(vals[:, 0][vals[:, 0] > 0], initial=1.0) / 10, 1e-3)
    mid = np.clip(vals[:, 0], floor, None)
    lo = np.clip(vals[:, 1], floor, None)
    hi = np.clip(vals[:, 2], floor, None)
    fig = Figure(figsize=(7.5, 0.42 * len(rows) + 1.4))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    note = ""
    if reference is not None and reference in names:
        i = names.index(reference)
        ax.axvspan(lo[i], hi[i], color="tab:blue", alpha=0.15, lw=0)
        note = f"; shaded: the interval of {textwrap.shorten(reference, 40)}"
    ax.errorbar(mid, y, xerr=[mid - lo, hi - mid], fmt="o", color="k", capsize=3, ms=4)
    ax.set_yticks(y, [textwrap.shorten(n, 48) for n in names], fontsize=8)
    if hi.max() / lo.min() > 20:  # a log axis only where the values span decades
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(f"FD (lower is better){note}", fontsize=8)
    ax.set_title("\n".join(textwrap.wrap(title, 90)), fontsize=9)
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    return fig


def energy_table(rows) -> Figure:
    """A table figure of ``(label, joules, assumptions)`` rows."""
    rows = list(rows)
    fig = Figure(figsize=(10, 0.45 * len(rows) + 0.9))
    ax = fig.add_subplot()
    ax.axis("off")
    cells = [[label, f"{j:.3g}", textwrap.fill(a, 80)] for label, j, a in rows]
    table = ax.table(cellText=cells, colLabels=["random numbers of one image", "J",
                                                "assumptions"],
                     loc="center", cellLoc="left", colWidths=[0.27, 0.08, 0.65])
    table.auto_set_font_size(False)
    table.set_fontsize(7)
    table.scale(1, 2.2)
    ax.set_title("Energy of the noise of one image", fontsize=9)
    return fig

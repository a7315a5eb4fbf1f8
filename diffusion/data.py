"""Image data for the score model: Fashion-MNIST (IDX files) or scikit-learn's 8x8 digits.

Images are float32 NHWC in [-1, 1] (background -1) and labels int32, in a frozen
[`Dataset`][diffusion.data.Dataset]. ``load_dataset("auto")`` uses Fashion-MNIST when its
IDX files are found
(``$SPINJAX_DATA_DIR``, then Debian's ``dataset-fashion-mnist``), else the digits bundled
with scikit-learn, so tests and CI run offline. The training batches are drawn by
[`diffusion.input_pipeline`][].
"""

import dataclasses
import gzip
import logging
import math
import os
import zlib
from pathlib import Path

import numpy as np

from .errors import DataError, MissingDataError

logger = logging.getLogger(__name__)

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IDX_FILES = {  # Dataset field -> standard file name (a ".gz" suffix is also accepted).
    "x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")
DIGIT_CLASSES = tuple(str(i) for i in range(10))
DATA_DIR_ENV = "SPINJAX_DATA_DIR"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")  # dataset-fashion-mnist
HOW_TO_GET = (f"install it with `apt-get install dataset-fashion-mnist` or set "
              f"{DATA_DIR_ENV} to a directory holding {', '.join(IDX_FILES.values())} "
              "(each optionally .gz)")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (gzip-compressed or not, told by its first bytes) into NumPy.

    IDX (http://yann.lecun.com/exdb/mnist/): two zero bytes, a type code, the number of
    dimensions; one big-endian uint32 per dimension; the elements, big-endian, C order.
    Raises [`MissingDataError`][diffusion.errors.MissingDataError] when `path` is not a file
    and [`DataError`][diffusion.errors.DataError] (naming `path`) for corrupt gzip, a bad
    magic number, an unknown type code, or a data size that does not match the dimensions.
    """
    path = Path(path)
    where = f"IDX file {str(path)!r}"
    if not path.is_file():
        raise MissingDataError(f"{where} does not exist (or is not a file)")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise DataError(f"{where}: corrupt gzip data ({err})") from err
    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise DataError(f"{where}: bad magic number {raw[:4].hex()!r} (not gzip either); "
                        "expected two zero bytes, a type code and the number of dimensions")
    code, ndim = raw[2], raw[3]
    if code not in IDX_TYPES:
        raise DataError(f"{where}: unknown type code 0x{code:02X}; valid codes: "
                        + ", ".join(f"0x{c:02X}" for c in IDX_TYPES))
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{where}: truncated header ({len(raw)} of {header} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_TYPES[code])
    expected = math.prod(dims) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"{where}: truncated or oversized data: dims {dims} need "
                        f"{expected} bytes of data, the file has {len(raw) - header}")
    data = np.frombuffer(raw, dtype, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="))


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split: images float32 (N, H, W, 1) in [-1, 1], labels int32 in
    [0, num_classes); `source` is the directory read or ``"sklearn digits"``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    source: str
    num_classes: int
    class_names: tuple[str, ...]


def _check_int(name: str, value, lo: int, hi: float = math.inf, note: str = "") -> None:
    """Raise a DataError naming `name` unless `value` is an integer in [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not (
            lo <= value <= hi):
        raise DataError(f"{name} must be an integer in [{lo}, {hi}]{note}, got {value!r}")


def _to_unit_range(images: np.ndarray, vmax: float) -> np.ndarray:
    """Map [0, vmax] to float32 [-1, 1] and add the channel axis (NHW -> NHWC)."""
    return (images.astype(np.float32) * np.float32(2.0 / vmax) - np.float32(1.0))[..., None]


def _idx_file(directory: Path, stem: str) -> Path | None:
    """`directory`/`stem`, else `stem`.gz, else None."""
    return next((p for p in (directory / stem, directory / f"{stem}.gz") if p.is_file()),
                None)


def load_idx_dir(directory: str | os.PathLike) -> Dataset:
    """Load the four standard IDX files (raw or .gz) of MNIST or Fashion-MNIST.

    Images must be uint8 (N, H, W) and labels (N,) in [0, 10). The name is "fashion-mnist"
    if the path contains "fashion", else "mnist" if it has "mnist", else the folder's name.
    """
    directory = Path(directory)
    files = {field: _idx_file(directory, stem) for field, stem in IDX_FILES.items()}
    if missing := [IDX_FILES[k] for k, f in files.items() if f is None]:
        what = f"lacks {missing} (raw or .gz)" if directory.is_dir() else "does not exist"
        raise MissingDataError(f"IDX directory {str(directory)!r} {what}")
    arrays = {field: read_idx(f) for field, f in files.items()}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        xf, yf = str(files[f"x_{split}"]), str(files[f"y_{split}"])
        if x.ndim != 3 or x.dtype != np.uint8:
            raise DataError(f"{xf!r}: images must be uint8 (N, H, W), got {x.dtype} "
                            f"{x.shape}")
        if y.shape != x.shape[:1]:
            raise DataError(f"{split} count mismatch: {len(x)} images in {xf!r} but labels "
                            f"of shape {y.shape} in {yf!r}")
        if len(y) and (y.min() < 0 or y.max() >= 10):
            raise DataError(f"{yf!r}: labels must lie in [0, 10), got "
                            f"[{y.min()}, {y.max()}]")
    text = str(directory.resolve()).lower()
    name = ("fashion-mnist" if "fashion" in text else "mnist" if "mnist" in text
            else directory.resolve().name)
    return Dataset(
        _to_unit_range(arrays["x_train"], 255.0), arrays["y_train"].astype(np.int32),
        _to_unit_range(arrays["x_test"], 255.0), arrays["y_test"].astype(np.int32),
        name=name, source=str(directory), num_classes=10,
        class_names=FASHION_MNIST_CLASSES if name == "fashion-mnist" else DIGIT_CLASSES)


def _fashion_candidates() -> list[Path]:
    """Where [`find_fashion_mnist`][diffusion.data.find_fashion_mnist] looks, in order."""
    env = os.environ.get(DATA_DIR_ENV)
    extra = sorted(set(Path("/usr/share").glob("*fashion*")) - {DEBIAN_FASHION_DIR})
    return ([Path(env)] if env else []) + [DEBIAN_FASHION_DIR] + extra


def find_fashion_mnist() -> Path | None:
    """The first directory holding the four IDX files (raw or .gz): ``$SPINJAX_DATA_DIR``,
    then Debian's ``/usr/share/datasets/fashion-mnist``, then ``/usr/share/*fashion*``;
    None when none has them."""
    return next((d for d in _fashion_candidates()
                 if all(_idx_file(d, s) for s in IDX_FILES.values())), None)


def load_digits_fallback(size: int = 8) -> Dataset:
    """scikit-learn's bundled 8x8 digits (1797 images, values 0-16) mapped to [-1, 1].

    Stratified, deterministic split: within each class a ``np.random.RandomState(0)``
    permutation sends round(20%) to the test set (359 of 1797); both keep the original
    order. ``size=16`` repeats each pixel into a 2x2 block (nearest-neighbour upsampling,
    ``np.kron`` with ones): more room for the U-Net's downsampling, no added detail.
    """
    if size not in (8, 16):
        raise DataError(f"size must be 8 (native) or 16 (upsampled), got {size!r}")
    from sklearn.datasets import load_digits  # bundled in the wheel: no download
    digits = load_digits()
    labels, rng = digits.target.astype(np.int32), np.random.RandomState(0)
    test = np.zeros(len(labels), bool)
    for c in range(10):
        members = rng.permutation(np.flatnonzero(labels == c))
        test[members[:round(0.2 * len(members))]] = True
    f = size // 8
    x = _to_unit_range(np.kron(digits.images, np.ones((1, f, f))), 16.0)
    return Dataset(x[~test], labels[~test], x[test], labels[test],
                   name="digits" if size == 8 else "digits16",
                   source="sklearn digits", num_classes=10, class_names=DIGIT_CLASSES)


def _pad(x: np.ndarray, side: int) -> np.ndarray:
    """Pad H and W to `side` with -1 (background); an odd excess goes bottom/right."""
    h, w = x.shape[1:3]
    top, left = (side - h) // 2, (side - w) // 2
    widths = ((0, 0), (top, side - h - top), (left, side - w - left), (0, 0))
    return np.pad(x, widths, constant_values=np.float32(-1.0))


def load_dataset(name: str = "auto", path: str | os.PathLike | None = None,
                 pad_to: int | None = None, limit: int | None = None) -> Dataset:
    """Load a dataset by name, or the IDX files in `path`.

    **Arguments:**

    - `name`: "auto" (Fashion-MNIST if
      [`find_fashion_mnist`][diffusion.data.find_fashion_mnist] finds it, else the 8x8
      digits; a log record says which), "fashion-mnist" (an error saying where it looked
      when absent), "digits" (8x8) or "digits16" (upsampled to 16x16).
    - `path`: a directory of IDX files (MNIST or Fashion-MNIST); overrides the search.
    - `pad_to`: pad images symmetrically with -1 to pad_to x pad_to (28 -> 32, say).
    - `limit`: keep only the first `limit` train and the first `limit` test examples.
    """
    names = ("auto", "fashion-mnist", "digits", "digits16")
    if name not in names:
        raise DataError(f"name must be one of {names}, got {name!r}")
    if limit is not None:
        _check_int("limit", limit, 1, note=" or None")
    if path is not None:
        if name.startswith("digits"):
            raise DataError(f"path={str(path)!r} (IDX files) cannot be used with {name=}")
        data = load_idx_dir(path)
    elif name.startswith("digits"):
        data = load_digits_fallback(16 if name == "digits16" else 8)
    elif (found := find_fashion_mnist()) is not None:
        logger.info("load_dataset(%r): Fashion-MNIST from %s", name, found)
        data = load_idx_dir(found)
    elif name == "fashion-mnist":
        looked = ", ".join(str(p) for p in _fashion_candidates())
        raise MissingDataError(f"Fashion-MNIST not found (looked in {looked}); "
                               f"{HOW_TO_GET}")
    else:
        logger.warning("load_dataset('auto'): Fashion-MNIST not found, using the 8x8 "
                       "scikit-learn digits; to use Fashion-MNIST, %s", HOW_TO_GET)
        data = load_digits_fallback(8)
    if pad_to is not None:
        _check_int("pad_to", pad_to, max(data.x_train.shape[1:3]), note=" or None")
    if limit is not None:  # copies, so that the full arrays can be freed
        data = dataclasses.replace(data, **{k: getattr(data, k)[:limit].copy()
                                            for k in IDX_FILES})
    if pad_to is not None:
        data = dataclasses.replace(data, **{k: _pad(getattr(data, k), pad_to)
                                            for k in ("x_train", "x_test")})
    return data

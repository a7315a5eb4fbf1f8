"""diffusion.data: the IDX reader and its errors, the digits fallback, dataset selection,
padding and limits, shuffled batches, and Fashion-MNIST itself when it is installed."""

import gzip
import itertools
import logging

import jax
import numpy as np
import pytest

from diffusion import data
from diffusion.data import (
    DataError, Dataset, MissingDataError, find_fashion_mnist, load_dataset,
    load_digits_fallback, load_idx_dir, read_idx)
from diffusion.input_pipeline import batch_indices, batches

CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
         np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of `array`: magic, big-endian dims, big-endian data."""
    array = np.asarray(array)
    header = bytes([0, 0, CODES[array.dtype.type], array.ndim])
    dims = np.asarray(array.shape, ">u4").tobytes()
    return header + dims + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array, gz=False):
    raw = idx_bytes(array)
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def write_idx_dir(directory, n_train=12, n_test=5, side=4, gz=(True, False, True, False),
                  y_train=None):
    """A tiny MNIST-style directory; `gz` says which of the four files are compressed."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, side, side), dtype=np.uint8),
        "y_train": np.arange(n_train, dtype=np.uint8) % 10 if y_train is None else y_train,
        "x_test": rng.integers(0, 256, (n_test, side, side), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8)}
    arrays["x_train"][0, 0, 0], arrays["x_train"][0, 0, 1] = 0, 255
    for (field, stem), compress in zip(data.IDX_FILES.items(), gz):
        write_idx(directory / (stem + ".gz" * compress), arrays[field], gz=compress)
    return arrays


def check_dataset(ds: Dataset):
    """Invariants every Dataset satisfies."""
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
        assert x.dtype == np.float32 and x.ndim == 4 and x.shape[-1] == 1
        assert y.dtype == np.int32 and y.shape == x.shape[:1]
        assert x.min() >= -1.0 and x.max() <= 1.0
        assert y.min() >= 0 and y.max() < ds.num_classes
    assert ds.x_train.shape[1:] == ds.x_test.shape[1:]
    assert len(ds.class_names) == ds.num_classes


# --- read_idx --------------------------------------------------------------------------

@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype", list(CODES))
def test_read_idx_round_trip(tmp_path, dtype, gz):
    array = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5).astype(dtype)
    if dtype is np.uint8:
        array = np.arange(30, dtype=np.uint8).reshape(2, 3, 5) * 8
    name = "a-idx3-ubyte" + ".gz" * gz
    out = read_idx(write_idx(tmp_path / name, array, gz=gz))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_read_idx_detects_gzip_by_content_not_name(tmp_path):
    labels = np.array([3, 1, 4, 1, 5], np.uint8)
    path = write_idx(tmp_path / "labels-without-suffix", labels, gz=True)
    np.testing.assert_array_equal(read_idx(path), labels)


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nope-idx1-ubyte.gz"
    with pytest.raises(FileNotFoundError, match="nope-idx1-ubyte.gz") as info:
        read_idx(path)
    assert isinstance(info.value, DataError) and str(tmp_path) in str(info.value)


def test_bad_magic(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(b"\x01\x02\x08\x01" + np.asarray([1], ">u4").tobytes() + b"\x00")
    with pytest.raises(DataError, match=r"bad magic number.*") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_unknown_type_code(tmp_path):
    path = tmp_path / "code"
    path.write_bytes(b"\x00\x00\x07\x01" + np.asarray([1], ">u4").tobytes() + b"\x00")
    with pytest.raises(DataError, match="unknown type code 0x07"):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_data(tmp_path, gz):
    raw = idx_bytes(np.zeros((4, 3, 3), np.uint8))[:-5]
    path = tmp_path / ("short" + ".gz" * gz)
    path.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(DataError, match=r"truncated.*need 36 bytes.*has 31") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_header(tmp_path):
    path = tmp_path / "header"
    path.write_bytes(b"\x00\x00\x08\x03\x00\x00\x00\x02")
    with pytest.raises(DataError, match="truncated header"):
        read_idx(path)


@pytest.mark.parametrize("damage", ["flip", "cut"])
def test_corrupt_gzip(tmp_path, damage):
    packed = bytearray(gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8))))
    if damage == "flip":
        packed[len(packed) // 2] ^= 0xFF
    else:
        packed = packed[: len(packed) - 12]
    path = tmp_path / "broken.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(DataError, match="corrupt gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


# --- load_idx_dir ----------------------------------------------------------------------

def test_load_idx_dir_round_trip(tmp_path):
    arrays = write_idx_dir(tmp_path / "mnist-tiny")
    ds = load_idx_dir(tmp_path / "mnist-tiny")
    check_dataset(ds)
    assert ds.x_train.shape == (12, 4, 4, 1) and ds.x_test.shape == (5, 4, 4, 1)
    assert ds.x_train[0, 0, 0, 0] == -1.0 and ds.x_train[0, 0, 1, 0] == 1.0
    np.testing.assert_allclose((ds.x_train[..., 0] + 1) * 127.5, arrays["x_train"],
                               atol=1e-4)
    np.testing.assert_array_equal(ds.y_test, arrays["y_test"])
    assert ds.name == "mnist" and ds.class_names == tuple("0123456789")
    assert ds.source == str(tmp_path / "mnist-tiny") and ds.num_classes == 10


def test_load_idx_dir_name_from_path(tmp_path):
    write_idx_dir(tmp_path / "Fashion", gz=(False,) * 4)
    ds = load_idx_dir(tmp_path / "Fashion")
    assert ds.name == "fashion-mnist" and ds.class_names[0] == "T-shirt/top"
    write_idx_dir(tmp_path / "other", gz=(True,) * 4)
    assert load_idx_dir(tmp_path / "other").name == "other"


def test_load_idx_dir_missing_directory_and_file(tmp_path):
    with pytest.raises(MissingDataError, match="does not exist"):
        load_idx_dir(tmp_path / "absent")
    write_idx_dir(tmp_path / "d")
    (tmp_path / "d" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(MissingDataError, match="lacks.*t10k-labels-idx1-ubyte"):
        load_idx_dir(tmp_path / "d")


def test_load_idx_dir_count_mismatch(tmp_path):
    write_idx_dir(tmp_path / "d", y_train=np.zeros(11, np.uint8))
    with pytest.raises(DataError, match=r"train count mismatch: 12 images.*\(11,\)"):
        load_idx_dir(tmp_path / "d")


def test_load_idx_dir_label_range(tmp_path):
    write_idx_dir(tmp_path / "d", y_train=np.full(12, 10, np.uint8))
    with pytest.raises(DataError, match=r"labels must lie in \[0, 10\)"):
        load_idx_dir(tmp_path / "d")


# --- digits fallback -------------------------------------------------------------------

def test_digits_fallback_shapes_range_and_balance():
    ds = load_digits_fallback()
    check_dataset(ds)
    assert ds.x_train.shape == (1438, 8, 8, 1) and ds.x_test.shape == (359, 8, 8, 1)
    assert ds.x_train.min() == -1.0 and ds.x_train.max() == 1.0
    assert ds.name == "digits" and ds.source == "sklearn digits"
    counts = np.bincount(ds.y_test, minlength=10)
    totals = counts + np.bincount(ds.y_train, minlength=10)
    assert np.all(np.abs(counts - 0.2 * totals) <= 0.5)  # stratified: round(20%) per class


def test_digits_fallback_deterministic_and_upsampled():
    a, b = load_digits_fallback(), load_digits_fallback(16)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert b.x_train.shape == (1438, 16, 16, 1) and b.name == "digits16"
    np.testing.assert_array_equal(b.x_train[:, ::2, ::2], a.x_train)
    np.testing.assert_array_equal(b.x_train[:, 1::2, 1::2], a.x_train)
    np.testing.assert_array_equal(load_digits_fallback().x_test, a.x_test)
    with pytest.raises(ValueError, match="size must be 8"):
        load_digits_fallback(12)


# --- load_dataset ----------------------------------------------------------------------

def test_load_dataset_auto_is_valid():
    ds = load_dataset("auto", limit=64)
    check_dataset(ds)
    assert ds.name in ("fashion-mnist", "digits")
    assert len(ds.x_train) == 64


def test_auto_falls_back_to_digits_with_a_warning(monkeypatch, caplog):
    monkeypatch.setattr(data, "find_fashion_mnist", lambda: None)
    with caplog.at_level(logging.WARNING, logger="diffusion.data"):
        ds = load_dataset("auto")
    assert ds.name == "digits" and "dataset-fashion-mnist" in caplog.text


def test_fashion_mnist_absent_says_where_and_how(monkeypatch):
    monkeypatch.setattr(data, "find_fashion_mnist", lambda: None)
    with pytest.raises(MissingDataError, match=r"looked in.*apt-get install "
                       r"dataset-fashion-mnist.*SPINJAX_DATA_DIR"):
        load_dataset("fashion-mnist")


def test_env_var_comes_first(tmp_path, monkeypatch):
    write_idx_dir(tmp_path / "fashion-small")
    monkeypatch.setenv("SPINJAX_DATA_DIR", str(tmp_path / "fashion-small"))
    assert find_fashion_mnist() == tmp_path / "fashion-small"
    ds = load_dataset("auto")
    assert ds.name == "fashion-mnist" and len(ds.x_train) == 12
    monkeypatch.setenv("SPINJAX_DATA_DIR", str(tmp_path / "empty"))
    assert find_fashion_mnist() != tmp_path / "empty"


def test_path_pad_and_limit(tmp_path):
    write_idx_dir(tmp_path / "d", side=5)
    ds = load_dataset(path=tmp_path / "d", pad_to=8, limit=3)
    check_dataset(ds)
    assert ds.x_train.shape == (3, 8, 8, 1) and ds.x_test.shape == (3, 8, 8, 1)
    assert len(ds.y_train) == 3 and len(ds.y_test) == 3
    plain = load_dataset(path=tmp_path / "d")
    np.testing.assert_array_equal(ds.x_train[:, 1:6, 1:6], plain.x_train[:3])  # odd: 1 + 2
    border = np.ones((8, 8), bool)
    border[1:6, 1:6] = False
    assert np.all(ds.x_train[:, border] == -1.0)
    assert load_dataset("digits", pad_to=12).x_train.shape[1:] == (12, 12, 1)


def test_load_dataset_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="name must be one of"):
        load_dataset("cifar")
    with pytest.raises(ValueError, match="limit must be an integer"):
        load_dataset("digits", limit=0)
    with pytest.raises(ValueError, match=r"pad_to must be an integer in \[8"):
        load_dataset("digits", pad_to=6)
    with pytest.raises(ValueError, match="cannot be used with name='digits'"):
        load_dataset("digits", path=tmp_path)


# --- batches ---------------------------------------------------------------------------

def test_batches_same_key_same_order():
    x, y = np.arange(10.0)[:, None], np.arange(10)
    first = [b for b, _ in batches(x, y, 3, jax.random.key(0))]
    again = [b for b, _ in batches(x, y, 3, jax.random.key(0))]
    other = [b for b, _ in batches(x, y, 3, jax.random.key(1))]
    assert len(first) == 3 and all(len(b) == 3 for b in first)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_batches_epochs_and_remainder():
    x, y = np.arange(10) * 10, np.arange(10)
    one = list(batches(x, y, 4, jax.random.PRNGKey(0), drop_remainder=False))
    assert [len(b) for b, _ in one] == [4, 4, 2]
    seen = np.concatenate([b for _, b in one])
    assert sorted(seen) == list(range(10))
    assert all(np.array_equal(bx, by * 10) for bx, by in one)  # x and y stay paired
    forever = batches(x, y, 5, jax.random.key(0), epochs=None)
    epochs = [np.concatenate([b for _, b in itertools.islice(forever, 2)])
              for _ in range(3)]
    assert all(sorted(e) == list(range(10)) for e in epochs)
    assert not np.array_equal(epochs[0], epochs[1])


def test_batches_are_the_training_steps_batches():
    """The host iterator and the jitted training step share one rule: with the same
    key, the k-th batch of ``batches`` is the batch of training step k (across the
    epoch boundary, the remainder skipped)."""
    x, y = np.arange(11) * 10, np.arange(11)
    key = jax.random.key(7)
    it = batches(x, y, 3, key, epochs=3)
    step = jax.jit(batch_indices, static_argnums=(2, 3))
    for s in range(9):
        _, by = next(it)
        np.testing.assert_array_equal(by, np.asarray(step(key, s, 11, 3)))
    assert next(it, None) is None


def test_batches_argument_errors():
    x, y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(ValueError, match=r"batch_size must be an integer in \[1, 4\]"):
        batches(x, y, 5, jax.random.key(0))
    with pytest.raises(ValueError, match="same length|one length"):
        batches(x, y[:3], 2, jax.random.key(0))
    with pytest.raises(ValueError, match="epochs"):
        batches(x, y, 2, jax.random.key(0), epochs=0)
    assert len(next(batches(x, y, 5, jax.random.key(0), drop_remainder=False))[0]) == 4


# --- Fashion-MNIST itself --------------------------------------------------------------

def test_fashion_mnist_when_installed():
    directory = find_fashion_mnist()
    if directory is None:
        pytest.skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
    ds = load_dataset("fashion-mnist")
    check_dataset(ds)
    assert ds.name == "fashion-mnist" and ds.num_classes == 10
    assert ds.x_train.shape == (60000, 28, 28, 1) and ds.x_test.shape == (10000, 28, 28, 1)
    assert np.array_equal(np.bincount(ds.y_train), np.full(10, 6000))
    assert set(np.unique(ds.y_test)) == set(range(10))
    mean = float(((ds.x_train.astype(np.float64) + 1.0) * 127.5).mean())
    assert abs(mean - 72.94) < 0.5, mean

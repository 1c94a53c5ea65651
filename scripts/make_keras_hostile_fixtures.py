#!/usr/bin/env python3
"""Hostile and odd .weights.h5 files for KerasWeightsFileTests (Tests/ExperimentTests/Fixtures/keras_hostile).

Run once with h5py (e.g. /work/venv-keras/bin/python scripts/make_keras_hostile_fixtures.py); the files are
committed and the tests never run Python. Each file is the layout Keras 3 writes for Input -> LSTM(2) on inputs
of depth 3 (layers/lstm/cell/vars/0..2), with one thing wrong:

- int_kernel.weights.h5: the kernel is int32.
- unwritten_kernel.weights.h5: the kernel is declared [3, 8] but never written (no storage allocated).
- huge_claim.weights.h5: the kernel's dataspace says [3, 2**40] while its storage holds [3, 777] (the dimension
  and its maximum patched in place: the 8-byte little-endian 777 replaced).
- absurd_dims.weights.h5: the same patch with 2**62 (the element count overflows a byte count).
- gzip_ok.weights.h5: a valid file whose datasets are chunked and deflated (read as usual).
"""
import os
import struct
import sys

import h5py
import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "ExperimentTests",
                                                         "Fixtures", "keras_hostile")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
K = rng.standard_normal((3, 8)).astype(np.float32)
R = rng.standard_normal((2, 8)).astype(np.float32)
B = rng.standard_normal((8,)).astype(np.float32)


def layout(path, kernel=K, **kw):
    with h5py.File(path, "w") as f:
        v = f.create_group("layers/lstm/cell/vars")
        v.attrs["name"] = "lstm_cell"
        if kernel is not None:
            v.create_dataset("0", data=kernel, **kw)
        v.create_dataset("1", data=R, **kw)
        v.create_dataset("2", data=B, **kw)
        f.create_group("layers/lstm/vars").attrs["name"] = "lstm"
        f.create_group("vars").attrs["name"] = "sequential"
        return v


layout(os.path.join(out, "int_kernel.weights.h5"), kernel=(K * 10).astype(np.int32))
with h5py.File(os.path.join(out, "unwritten_kernel.weights.h5"), "w") as f:
    v = f.create_group("layers/lstm/cell/vars")
    v.create_dataset("0", shape=(3, 8), dtype="f4")
    v.create_dataset("1", data=R)
    v.create_dataset("2", data=B)
layout(os.path.join(out, "gzip_ok.weights.h5"), compression="gzip", chunks=True)
np.savez(os.path.join(out, "gzip_ok_expected.npz"), kernel=K, recurrent_kernel=R, bias=B)

for name, claim in [("huge_claim", 2**40), ("absurd_dims", 2**62)]:
    path = os.path.join(out, name + ".weights.h5")
    with h5py.File(path, "w") as f:
        v = f.create_group("layers/lstm/cell/vars")
        v.create_dataset("0", data=np.zeros((3, 777), np.float32))
        v.create_dataset("1", data=R)
        v.create_dataset("2", data=B)
    data = bytearray(open(path, "rb").read())
    needle = struct.pack("<Q", 777)
    # The dataspace message holds the size and the maximum size: both patched.
    assert data.count(needle) == 2, (name, data.count(needle))
    data = bytearray(bytes(data).replace(needle, struct.pack("<Q", claim)))
    open(path, "wb").write(bytes(data))
print("wrote", sorted(os.listdir(out)))

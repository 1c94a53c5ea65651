#!/usr/bin/env python3
"""Checks with Keras itself that `unroll convert --to keras --output OUT.weights.h5` writes what Keras'
load_weights reads (not in CI; needs a Keras venv: python3 -m venv /work/venv-keras && pip install keras
tensorflow-cpu h5py).

    scripts/check_keras_weights.py [UNROLL]

For each .weights.h5 case of ../shared/conformance/models (kw_*): unroll converts the experiment to a new
.weights.h5, Keras builds the model the experiment describes, load_weights reads the file, and the model's outputs
on the case's inputs must equal Keras' own expected outputs (the ones the case was made with). Unmasked
comparison needs no lengths: the cases' sequence lengths are turned into Keras' mask.
"""
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras
import numpy as np

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
unroll = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build", "debug", "unroll")
models = os.path.join(root, "..", "shared", "conformance", "models")


def layer(c, **kw):
    units = c["num_units"]
    if c["type"] == "lstm":
        return keras.layers.LSTM(units, return_sequences=True, **kw)
    if c["type"] == "gru":
        return keras.layers.GRU(units, return_sequences=True, reset_after=c.get("reset_after", True), **kw)
    return keras.layers.SimpleRNN(units, return_sequences=True, activation=c.get("activation", "tanh"), **kw)


failures = 0
for name in sorted(f[:-5] for f in os.listdir(models) if f.startswith("kw_") and f.endswith(".json")):
    spec = json.load(open(os.path.join(models, name + ".json")))
    io = np.load(os.path.join(models, spec["inputs"]))
    x = io["inputs"]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "m.weights.h5")
        subprocess.run([unroll, "convert", os.path.join(models, name + ".json"), "--to", "keras", "--output", out], check=True)
        cells = spec["cell"]["cells"] if spec["cell"]["type"] == "multi" else [spec["cell"]]
        inp = keras.Input(shape=(None, x.shape[-1]))
        if spec.get("bidirectional"):
            stack = [keras.layers.Bidirectional(layer(cells[0]), merge_mode=None)]
        else:
            stack = [layer(c) for c in cells]
        model = keras.Sequential([inp] + stack)
        model.load_weights(out)
        lengths = spec.get("sequence_length")
        mask = None if lengths is None else np.arange(x.shape[1])[None, :] < np.array(lengths)[:, None]
        y = model(x, mask=mask)
        expected = np.load(os.path.join(models, name + ".npz"))
        if spec.get("bidirectional"):
            got = {"expected/outputs/0": np.asarray(y[0]), "expected/outputs/1": np.asarray(y[1])}
        else:
            got = {"expected/outputs": np.asarray(y)}
        for k, v in got.items():
            diff = np.abs(v - expected[k]).max()
            ok = diff <= 1e-5
            failures += not ok
            print(f"{name} {k}: max |diff| {diff:.2e} {'ok' if ok else 'FAIL'}")
print("all ok" if failures == 0 else f"{failures} failed")
sys.exit(1 if failures else 0)

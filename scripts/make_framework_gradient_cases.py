#!/usr/bin/env python3
"""Gradient cases made by Keras 3 (TensorFlow backend, tf.GradientTape) and PyTorch (autograd), in the conformance format.

Like ../shared/tools/make_framework_cases.py (whose helpers it imports: same spec fields, same experiment file, same
weights and result names), plus random cotangents for every result and the framework's gradients of

    L = sum over every result R of sum(R * loss/R)

as expected/grad/inputs, expected/grad/initial_state/... (when the case gives one) and expected/grad/<weight name>.
Result names: keras and tf: outputs, state/...; torch: output, h_n, c_n (so loss/output, loss/h_n, loss/c_n).

Extra spec field: "convention": "tf" with keras cells runs Keras' layer with zero_output_for_mask=True, which is
tf.nn.dynamic_rnn's semantics (zeros at masked steps, state copied): how TF 2's reset-after GRUCell is checked in
the tf convention (its variables rnn/gru_cell/kernel, recurrent_kernel, bias are Keras' own paths).

Usage: scripts/make_framework_gradient_cases.py Tests/ExperimentTests/Fixtures/framework_gradients/specs.json.txt OUT_DIR
(in a virtualenv with keras, tensorflow-cpu and torch; the fixtures in Tests/ExperimentTests/Fixtures/framework_gradients
were made by it with Keras 3.15.1, TensorFlow 2.21 and PyTorch 2.15). The project itself never needs Python.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "tools"))

import numpy as np
from make_framework_cases import inputs_for, experiment_file, cell_json  # noqa: E402


def keras_case(spec, rng):
    import keras
    import tensorflow as tf
    dtype = spec.get("dtype", "float32")
    keras.backend.set_floatx(dtype)
    keras.utils.set_random_seed(spec["seed"])
    x = inputs_for(spec, rng, dtype)
    time_major = spec.get("time_major", False)
    xb = np.transpose(x, (1, 0, 2)) if time_major else x
    b, t = xb.shape[0], xb.shape[1]
    seq = spec.get("sequence_length")
    mask = None if seq is None else (np.arange(t)[None, :] < np.asarray(seq)[:, None])
    tf_rules = spec["convention"] == "tf"

    def layer(c, name):
        kw = dict(units=c["num_units"], return_sequences=True, return_state=True, name=name, dtype=dtype)
        if tf_rules:
            kw["zero_output_for_mask"] = True
        if c.get("activation"):
            kw["activation"] = c["activation"]
        if c["type"] == "basic_rnn":
            return keras.layers.SimpleRNN(**kw)
        if c["type"] == "lstm":
            return keras.layers.LSTM(**kw)
        if c["type"] == "gru":
            return keras.layers.GRU(reset_after=c.get("reset_after", True), **kw)
        raise ValueError(c["type"])

    def randomize_biases(lay):
        for w in lay.weights:
            if w.path.endswith("bias"):
                w.assign(rng.uniform(-0.5, 0.5, size=tuple(w.shape)).astype(dtype))

    def rand_state(c):
        k = 2 if c["type"] == "lstm" else 1
        return [tf.constant(rng.uniform(-1, 1, size=(b, c["num_units"])).astype(dtype)) for _ in range(k)]  # h, c

    def names(prefix, st):
        return [prefix + "/h", prefix + "/c"] if len(st) == 2 else [prefix]

    cells = spec["cells"]
    given = spec.get("given_initial_state")
    inits = []  # (name, tensor)
    xt = tf.constant(xb)
    if spec.get("bidirectional"):
        assert len(cells) == 1
        bi = keras.layers.Bidirectional(layer(cells[0], "rnn"), merge_mode=None, name="bidirectional")
        init = None
        if given:
            fw, bw = rand_state(cells[0]), rand_state(cells[0])
            init = fw + bw
            inits = list(zip(names("initial_state/0", fw), fw)) + list(zip(names("initial_state/1", bw), bw))
        bi(xt, mask=mask, initial_state=init)
        randomize_biases(bi)
        layers = [bi]

        def forward():
            r = bi(xt, mask=mask, initial_state=init)
            outs, states = r[:2], r[2:]
            k = len(states) // 2
            res = {}
            for d in (0, 1):
                res["outputs/%d" % d] = outs[d]
                st = states[d * k:(d + 1) * k]
                for n, s in zip(names("state/%d" % d, st), st):
                    res[n] = s
            return res
    else:
        single = len(cells) == 1
        layers, layer_inits = [], []
        for i, c in enumerate(cells):
            lay = layer(c, "rnn" if single else "rnn_%d" % i)
            init = rand_state(c) if given else None
            if init is not None:
                inits += list(zip(names("initial_state" + ("" if single else "/%d" % i), init), init))
            layers.append(lay)
            layer_inits.append(init)
        h = xt
        for lay, init in zip(layers, layer_inits):
            lay(h, mask=mask, initial_state=init)
            randomize_biases(lay)
            h = lay(h, mask=mask, initial_state=init)[0]

        def forward():
            res = {}
            h = xt
            for i, (lay, init, c) in enumerate(zip(layers, layer_inits, cells)):
                r = lay(h, mask=mask, initial_state=init)
                h = r[0]
                prefix = "state" + ("" if single else "/%d" % i)
                for n, s in zip(names(prefix, r[1:]), r[1:]):
                    res[n] = s
            res["outputs"] = h
            return res

    weights = [w for lay in layers for w in lay.weights]
    with tf.GradientTape() as tape:
        tape.watch(xt)
        for _, s in inits:
            tape.watch(s)
        res = forward()
        # Keras is batch-major; a time-major experiment's outputs (and their cotangents) are time-major.
        res = {k: (tf.transpose(v, (1, 0, 2)) if k.startswith("outputs") and time_major else v) for k, v in res.items()}
        cots = {k: rng.uniform(-1, 1, size=tuple(v.shape)).astype(dtype) for k, v in sorted(res.items())}
        loss = tf.add_n([tf.reduce_sum(res[k] * cots[k]) for k in cots])
    grads = tape.gradient(loss, [xt] + [s for _, s in inits] + weights)
    arrays = {"inputs": x}
    for w in weights:
        arrays[w.path] = np.asarray(w.numpy())
    for n, s in inits:
        arrays[n] = s.numpy()
    expected = {k: np.asarray(v) for k, v in res.items()}
    gx = np.asarray(grads[0])
    expected["grad/inputs"] = np.transpose(gx, (1, 0, 2)) if time_major else gx
    for (n, _), g in zip(inits, grads[1:1 + len(inits)]):
        expected["grad/" + n] = np.asarray(g)
    for w, g in zip(weights, grads[1 + len(inits):]):
        expected["grad/" + w.path] = np.zeros(tuple(w.shape), dtype) if g is None else np.asarray(g)
    loss_arrays = {"loss/" + k: v for k, v in cots.items()}
    cell = [cell_json(c) for c in cells]
    cell = cell[0] if len(cell) == 1 else {"type": "multi", "cells": cell}
    return arrays, expected, loss_arrays, cell


def torch_case(spec, rng):
    import torch
    torch.manual_seed(spec["seed"])
    dtype = spec.get("dtype", "float32")
    tdtype = {"float32": torch.float32, "float64": torch.float64}[dtype]
    x = inputs_for(spec, rng, dtype)
    time_major = spec.get("time_major", False)
    kind, n, layers = spec["type"], spec["num_units"], spec["num_layers"]
    bidir = bool(spec.get("bidirectional"))
    d = spec["input_depth"]
    if kind == "lstm":
        m = torch.nn.LSTM(d, n, layers, batch_first=not time_major, bidirectional=bidir, proj_size=spec.get("num_proj") or 0)
    elif kind == "gru":
        m = torch.nn.GRU(d, n, layers, batch_first=not time_major, bidirectional=bidir)
    else:
        m = torch.nn.RNN(d, n, layers, nonlinearity=spec.get("activation", "tanh"), batch_first=not time_major, bidirectional=bidir)
    m = m.to(tdtype)
    b = spec["batch_size"]
    dirs = 2 if bidir else 1
    hout = spec.get("num_proj") or n
    arrays, inits = {}, []
    hx = None
    if spec.get("given_initial_state"):
        h0 = torch.tensor(rng.uniform(-1, 1, size=(layers * dirs, b, hout)).astype(dtype), requires_grad=True)
        inits.append(("initial_state/h_0", h0))
        hx = h0
        if kind == "lstm":
            c0 = torch.tensor(rng.uniform(-1, 1, size=(layers * dirs, b, n)).astype(dtype), requires_grad=True)
            inits.append(("initial_state/c_0", c0))
            hx = (h0, c0)
    xt = torch.tensor(x, requires_grad=True)
    seq = spec.get("sequence_length")
    if seq is not None:
        packed = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.tensor(seq), batch_first=not time_major, enforce_sorted=False)
        out, state = m(packed, hx)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=not time_major, total_length=spec["max_time"])
    else:
        out, state = m(xt, hx)
    res = {"output": out}
    if kind == "lstm":
        res["h_n"], res["c_n"] = state
    else:
        res["h_n"] = state
    cots = {k: torch.tensor(rng.uniform(-1, 1, size=tuple(v.shape)).astype(dtype)) for k, v in sorted(res.items())}
    loss = sum((res[k] * cots[k]).sum() for k in cots)
    loss.backward()
    expected = {k: v.detach().numpy() for k, v in res.items()}
    expected["grad/inputs"] = xt.grad.numpy()
    for name, t in inits:
        arrays[name] = t.detach().numpy()
        expected["grad/" + name] = t.grad.numpy()
    for key, p in m.named_parameters():
        arrays[key] = p.detach().numpy()
        expected["grad/" + key] = p.grad.numpy()
    arrays["inputs"] = x
    c = {"type": kind, "num_units": n}
    if kind == "basic_rnn" and spec.get("activation"):
        c["activation"] = spec["activation"]
    if kind == "lstm" and spec.get("num_proj"):
        c["num_proj"] = spec["num_proj"]
    if kind == "gru":
        c["reset_after"] = True
    cell = c if layers == 1 else {"type": "multi", "cells": [dict(c) for _ in range(layers)]}
    loss_arrays = {"loss/" + k: v.numpy() for k, v in cots.items()}
    return arrays, expected, loss_arrays, cell


def main():
    specs = json.load(open(sys.argv[1]))
    out_dir = sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    for spec in specs:
        rng = np.random.RandomState(spec["seed"])
        make = torch_case if spec["convention"] == "torch" else keras_case
        arrays, expected, loss_arrays, cell = make(spec, rng)
        name = spec["name"]
        arrays.update(loss_arrays)
        arrays.update({"expected/" + k: v for k, v in expected.items()})
        np.savez(os.path.join(out_dir, name + ".npz"), **arrays)
        experiment = experiment_file(spec, cell, name)
        experiment["loss"] = name + ".npz"
        with open(os.path.join(out_dir, name + ".json"), "w") as f:
            json.dump(experiment, f, indent=2)
            f.write("\n")
        print(name, sorted(k for k in arrays if k.startswith(("expected/grad", "loss"))))


if __name__ == "__main__":
    main()

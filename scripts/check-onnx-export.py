#!/usr/bin/env python3
"""Checks `unroll convert --to onnx` with onnxruntime itself (not in CI: needs a virtualenv).

    python3 -m venv /work/venv-onnx && /work/venv-onnx/bin/pip install onnx onnxruntime numpy
    /work/venv-onnx/bin/python scripts/check-onnx-export.py [EXPERIMENT.json ...]

For each experiment (default: float32 PyTorch cases of ../shared/conformance/frameworks, TF's
bidirectional_no_lengths and two project cases with initial states), runs `unroll convert EXPERIMENT --to onnx --output TMP/NAME.onnx`, checks the model with
onnx.checker, runs it with onnxruntime on the inputs of TMP/NAME.npz (sequence_lens from the written experiment's
sequence_length, int32; the other graph inputs as `initial_state/NAME` or `NAME`), runs `unroll run TMP/NAME.json`,
and compares every graph output (1e-5). Prints one line per experiment and `N passed, N failed`.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "conformance")
UNROLL = os.path.join(ROOT, ".build", "debug", "unroll")
DEFAULT = [os.path.join(SHARED, "frameworks", n + ".json") for n in
           ("torch_lstm2_bidirectional", "torch_lstm_packed", "torch_gru_packed", "torch_rnn_relu_unpacked")] + \
          [os.path.join(SHARED, "cases", "bidirectional_no_lengths.json")] + \
          [os.path.join(ROOT, "Tests", "ExperimentTests", "Fixtures", "framework_cases", n + ".json") for n in
           ("torch_gru3_bidirectional_initial_state", "keras_bidirectional_lstm_initial_state_time_major")]


def check(experiment, tmp):
    name = os.path.splitext(os.path.basename(experiment))[0]
    model = os.path.join(tmp, name + ".onnx")
    subprocess.run([UNROLL, "convert", experiment, "--to", "onnx", "--output", model], check=True)
    onnx.checker.check_model(onnx.load(model), full_check=True)
    spec = json.load(open(os.path.join(tmp, name + ".json")))
    arrays = np.load(os.path.join(tmp, name + ".npz"))
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    feeds = {}
    for i, graph_input in enumerate(session.get_inputs()):
        n = graph_input.name
        if n == "sequence_lens":
            feeds[n] = np.array(spec["sequence_length"], dtype=np.int32)
        elif i == 0:
            feeds[n] = arrays["inputs"]
        else:
            feeds[n] = arrays["initial_state/" + n] if "initial_state/" + n in arrays.files else arrays[n]
    expected = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))
    results = os.path.join(tmp, name + "_results.npz")
    subprocess.run([UNROLL, "run", os.path.join(tmp, name + ".json"), "--output", results], check=True)
    got = np.load(results)
    worst = max(float(np.abs(got[k] - v).max()) for k, v in expected.items())
    ok = sorted(got.files) == sorted(expected) and worst <= 1e-5
    print("%s %s: %d nodes, outputs %s, worst %.2g" % ("ok  " if ok else "FAIL", name, len(onnx.load(model).graph.node),
                                                      ", ".join(expected), worst))
    return ok


def main():
    experiments = sys.argv[1:] or DEFAULT
    with tempfile.TemporaryDirectory() as tmp:
        results = [check(e, tmp) for e in experiments]
    print("%d passed, %d failed" % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

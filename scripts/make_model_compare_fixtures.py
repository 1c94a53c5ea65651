"""Makes the fixtures of `unroll compare A B` on two .onnx files with different weights (not needed to build or test).

From ../shared/conformance/onnx/onnx_lstm_fwd.onnx (an LSTM, 4 units, input size 3, layout 0), writes
Tests/ExperimentTests/Fixtures/model_files/onnx_lstm_fwd_changed.onnx, the same model with two weights changed by
hand:
  - B[0, 2*4 + 1] += 0.5: the input bias Wb of unit 1 of the forget gate (ONNX's gate order is i, o, f, c, so the
    forget gate is block 2);
  - R[0, 0*4 + 2, 1] += 0.25: the recurrent weight from h[1] into unit 2 of the input gate (block 0);
and onnx_lstm_fwd_changed.npz: the conformance case's inputs (`inputs`, [time, batch, depth] = [5, 3, 3]) and what
onnxruntime computes for both models on them (`a/Y`, `a/Y_h`, `a/Y_c` for the original, `b/...` for the changed).

Run with a virtualenv that has onnx and onnxruntime: /work/venv-onnx/bin/python scripts/make_model_compare_fixtures.py
"""
import os
import numpy as np
import onnx
from onnx import numpy_helper
import onnxruntime as ort

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
source = os.path.join(root, "..", "shared", "conformance", "onnx")
out = os.path.join(root, "Tests", "ExperimentTests", "Fixtures", "model_files")
os.makedirs(out, exist_ok=True)

model = onnx.load(os.path.join(source, "onnx_lstm_fwd.onnx"))
H = 4
for init in model.graph.initializer:
    a = numpy_helper.to_array(init).copy()
    if init.name == "B":
        a[0, 2 * H + 1] += 0.5
    elif init.name == "R":
        a[0, 0 * H + 2, 1] += 0.25
    else:
        continue
    init.CopyFrom(numpy_helper.from_array(a, init.name))
changed = os.path.join(out, "onnx_lstm_fwd_changed.onnx")
onnx.save(model, changed)

x = np.load(os.path.join(source, "onnx_lstm_fwd_file.npz"))["inputs"]
arrays = {"inputs": x}
for prefix, path in (("a", os.path.join(source, "onnx_lstm_fwd.onnx")), ("b", changed)):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    for name, value in zip(names, session.run(None, {session.get_inputs()[0].name: x})):
        arrays[prefix + "/" + name] = value
np.savez(os.path.join(out, "onnx_lstm_fwd_changed.npz"), **arrays)
print({k: v.shape for k, v in arrays.items()})

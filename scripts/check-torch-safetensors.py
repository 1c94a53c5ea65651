#!/usr/bin/env python3
"""Checks what `unroll convert --to torch --output W.safetensors` writes with PyTorch itself (not in CI).

For each experiment given (default: samples/ports/lstm_tf.json and the torch_* conformance cases), converts it to a
.safetensors state_dict with the built `unroll`, loads it with safetensors.torch.load_file + load_state_dict into the
nn.LSTM / nn.GRU / nn.RNN the file describes, runs PyTorch on the experiment's inputs (packed with its lengths, with
its initial state) and compares with `unroll run` of the converted experiment: output, h_n, c_n within 1e-5.

    /work/venv-torch/bin/python scripts/check-torch-safetensors.py [EXPERIMENT.json ...]
Needs torch, safetensors and numpy (/work/venv-torch), and `swift build` done first.
"""
import json, os, subprocess, sys, tempfile
import numpy as np
import torch
from safetensors.torch import load_file

root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
unroll = os.path.join(root, ".build", "debug", "unroll")
experiments = sys.argv[1:] or [os.path.join(root, "samples", "ports", "lstm_tf.json")] + sorted(
    os.path.join(root, "..", "shared", "conformance", "models", n)
    for n in os.listdir(os.path.join(root, "..", "shared", "conformance", "models"))
    if n.startswith("torch_") and n.endswith(".json"))

failures = 0
for exp in experiments:
    with tempfile.TemporaryDirectory() as tmp:
        st, conv, out = (os.path.join(tmp, n) for n in ("w.safetensors", "conv.json", "out.npz"))
        for args in (["convert", exp, "--to", "torch", "-o", st], ["convert", exp, "--to", "torch", "-o", conv],
                     ["run", conv, "-o", out]):
            r = subprocess.run([unroll] + args, capture_output=True, text=True)
            if r.returncode != 0:
                print(f"{os.path.basename(exp)}: unroll {args[0]} failed: {r.stderr.strip()}")
                failures += 1
                break
        else:
            spec = json.load(open(conv))
            arrays = np.load(os.path.join(tmp, spec["inputs"]))
            state = load_file(st)
            layers = 1 + max(int(k.split("_l")[1].split("_")[0]) for k in state)
            bidirectional = any(k.endswith("_reverse") for k in state)
            rows, input_size = state["weight_ih_l0"].shape
            proj = state["weight_hr_l0"].shape[0] if "weight_hr_l0" in state else 0
            hidden = state["weight_hr_l0"].shape[1] if proj else state["weight_hh_l0"].shape[1]
            blocks = rows // hidden
            batch_first = not spec.get("time_major", False)
            kwargs = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
            if blocks == 4:
                module = torch.nn.LSTM(input_size, hidden, proj_size=proj, **kwargs)
            elif blocks == 3:
                module = torch.nn.GRU(input_size, hidden, **kwargs)
            else:
                cells = spec["cell"].get("cells", [spec["cell"]])
                module = torch.nn.RNN(input_size, hidden, nonlinearity=cells[0].get("activation", "tanh"), **kwargs)
            module = module.double() if state["weight_ih_l0"].dtype == torch.float64 else module
            module.load_state_dict(state)
            x = torch.from_numpy(arrays["inputs"])
            lengths = spec.get("sequence_length")
            if lengths is not None:
                x = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
            init = None
            if "initial_state" in spec:
                s = np.load(os.path.join(tmp, spec["initial_state"]))
                h0 = torch.from_numpy(s["initial_state/h_0"])
                init = (h0, torch.from_numpy(s["initial_state/c_0"])) if blocks == 4 else h0
            with torch.no_grad():
                y, hc = module(x, init)
            if lengths is not None:
                y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, batch_first=batch_first, total_length=arrays["inputs"].shape[1 if batch_first else 0])
            want = {"output": y, "h_n": hc[0] if blocks == 4 else hc}
            if blocks == 4:
                want["c_n"] = hc[1]
            got = np.load(out)
            worst = max(float(np.abs(got[k] - v.numpy()).max()) for k, v in want.items())
            ok = worst <= 1e-5
            failures += not ok
            print(f"{os.path.basename(exp)}: {'ok' if ok else 'MISMATCH'} (largest difference {worst:.2g})")
print(f"{len(experiments) - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)

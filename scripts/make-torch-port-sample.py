#!/usr/bin/env python3
"""Writes samples/ports/lstm_torch.pt: the PyTorch port's weights (samples/ports/lstm_torch.npz, made by
`unroll convert`) loaded into nn.LSTM(3, 4, batch_first=True) and saved with torch.save(model.state_dict()), the
way a PyTorch user saves a model. Unroll reads it with no Python (samples/ports/lstm_torch_pt.json).

    /work/venv-torch/bin/python scripts/make-torch-port-sample.py     (from the package's root; needs torch, numpy)
"""
import os
import numpy as np
import torch

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples", "ports")
arrays = np.load(os.path.join(root, "lstm_torch.npz"))
lstm = torch.nn.LSTM(3, 4, batch_first=True)
state = {k: torch.from_numpy(arrays[k]) for k in ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]}
lstm.load_state_dict(state)
os.chdir(root)
torch.save(lstm.state_dict(), "lstm_torch.pt")
# What PyTorch computes from it, for the record (the sample's test compares Unroll's run with the .npz port's).
x = torch.from_numpy(arrays["inputs"])
packed = torch.nn.utils.rnn.pack_padded_sequence(x, [8, 5, 2, 6], batch_first=True, enforce_sorted=False)
h0, c0 = torch.from_numpy(arrays["initial_state/h_0"]), torch.from_numpy(arrays["initial_state/c_0"])
with torch.no_grad():
    out, (h, c) = lstm(packed, (h0, c0))
print("h_n", h.numpy().ravel()[:4])

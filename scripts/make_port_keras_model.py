#!/usr/bin/env python3
"""samples/ports/lstm_keras.keras: the ports' LSTM(4) saved by Keras 3 itself (model.save), from the weights of
samples/ports/lstm_keras.npz (Keras' names, written by unroll convert). Not in CI; run with a Keras venv:

    /work/venv-keras/bin/python scripts/make_port_keras_model.py

The model is Input(None, 3) -> LSTM(4, return_sequences=True); samples/ports/lstm_keras_model.json runs it on the
same inputs, initial state and lengths as lstm_keras.json (PortSampleTests checks both give the same numbers).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras
import numpy as np

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples", "ports")
d = np.load(os.path.join(here, "lstm_keras.npz"))
kernel, recurrent, bias = d["rnn/lstm_cell/kernel"], d["rnn/lstm_cell/recurrent_kernel"], d["rnn/lstm_cell/bias"]
inp = keras.Input(shape=(None, kernel.shape[0]))
model = keras.Sequential([inp, keras.layers.LSTM(recurrent.shape[0], return_sequences=True)])
model.layers[0].cell.set_weights([kernel, recurrent, bias])
out = os.path.join(here, "lstm_keras.keras")
model.save(out)
print("wrote", out, keras.__version__)

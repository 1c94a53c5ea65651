#!/usr/bin/env bash
# PyTorch's nn.RNN / nn.LSTM / nn.GRU on the CPU against `unroll bench`, alternated: see scripts/bench-vs.sh
# (REF_PYTHON names the virtualenv's python holding torch and numpy).
exec "$(dirname "$0")/bench-vs.sh" torch "$@"

#!/usr/bin/env bash
# TensorFlow's tf.compat.v1.nn.dynamic_rnn against `unroll bench`, alternated: see scripts/bench-vs.sh
# (TF_PYTHON or REF_PYTHON names the virtualenv's python holding tensorflow-cpu and tf-keras).
exec "$(dirname "$0")/bench-vs.sh" tf "$@"

#!/usr/bin/env bash
# Times the explorer (release build, in tmux at 120x40) on samples/scale/long_sequence.json: when t=0 shows, when
# the last step shows after G, when the background pass is done, then jumps after the pass: g/G back and forth
# (windows shown before: served from the frame cache) and PgDn/PgUp to windows not shown before (recomputed from
# the nearest checkpoint), and peak resident memory. Times include tmux's own latency (the poll below).
# UNROLL_BIN=path/to/unroll uses another build.
set -u
cd "$(dirname "$0")/.."
bin=${UNROLL_BIN:-.build/release/unroll}
[ -x "$bin" ] || swift build -c release
tmux kill-session -t lg 2>/dev/null
start=$(date +%s.%N)
tmux new-session -d -s lg -x 120 -y 40 "$bin samples/scale/long_sequence.json; echo EXIT=\$?; sleep 20"
el() { echo "$(date +%s.%N) - $start" | bc; }
until tmux capture-pane -p -t lg | grep -q "t=0 of"; do sleep 0.02; done; echo "t=0 shown at $(el)s"
tmux capture-pane -p -t lg | sed -n 2p
tmux send-keys -t lg G
until tmux capture-pane -p -t lg | grep -q "t=19999"; do sleep 0.05; done; echo "t=19999 shown at $(el)s"
until tmux capture-pane -p -t lg | grep -q "done: 20"; do sleep 0.05; done; echo "done at $(el)s"
# The explorer is the child of the pane's shell.
pid=$(pgrep -P "$(tmux display-message -p -t lg '#{pane_pid}')" | head -1); grep VmHWM /proc/$pid/status; grep VmRSS /proc/$pid/status
# Waits until the status line shows step $2 after sending key $1; prints the time.
jump() {
  local s; s=$(date +%s.%N); tmux send-keys -t lg "$1"
  until tmux capture-pane -p -t lg | grep -q "t=$2 of"; do sleep 0.005; done
  echo "$1 -> t=$2: $(echo "$(date +%s.%N) - $s" | bc)s"
}
for k in g G g G; do jump "$k" "$([ "$k" = g ] && echo 0 || echo 19999)"; done
t=0; jump g 0
for i in 1 2 3; do t=$((t + 2000)); jump NPage $t; done
for i in 1 2 3; do t=$((t - 2000)); jump PPage $t; done
grep VmHWM /proc/$pid/status
tmux send-keys -t lg q; sleep 0.5; tmux capture-pane -p -t lg | grep EXIT

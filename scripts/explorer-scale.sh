#!/usr/bin/env bash
# Times the explorer (release build, in tmux) on samples/scale/long_sequence.json: when t=0 shows, when the last
# step shows after G, when the background pass is done, g/G jumps after that, and peak resident memory.
set -u
cd "$(dirname "$0")/.."
[ -x .build/release/unroll ] || swift build -c release
tmux kill-session -t lg 2>/dev/null
start=$(date +%s.%N)
tmux new-session -d -s lg -x 120 -y 40 ".build/release/unroll samples/scale/long_sequence.json; echo EXIT=\$?; sleep 20"
el() { echo "$(date +%s.%N) - $start" | bc; }
until tmux capture-pane -p -t lg | grep -q "t=0 of"; do sleep 0.02; done; echo "t=0 shown at $(el)s"
tmux capture-pane -p -t lg | sed -n 2p
tmux send-keys -t lg G
until tmux capture-pane -p -t lg | grep -q "t=19999"; do sleep 0.05; done; echo "t=19999 shown at $(el)s"
until tmux capture-pane -p -t lg | grep -q "done: 20"; do sleep 0.05; done; echo "done at $(el)s"
pid=$(pidof unroll); grep VmHWM /proc/$pid/status; grep VmRSS /proc/$pid/status
for k in g G g G; do s=$(date +%s.%N); tmux send-keys -t lg $k; want=$([ $k = g ] && echo "t=0 of" || echo "t=19999"); until tmux capture-pane -p -t lg | grep -q "$want"; do sleep 0.01; done; echo "$k: $(echo "$(date +%s.%N) - $s" | bc)s"; done
tmux send-keys -t lg q; sleep 0.5; tmux capture-pane -p -t lg | grep EXIT

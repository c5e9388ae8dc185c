#!/usr/bin/env bash
# Qt-lifetime stress: the GUI test suite N times with an aggressive garbage collector
# (ACTISCOPE_GC_STRESS: a collection every few allocations and after every test, and a test
# that leaves a window alive fails), then the app-level loop (scripts/stress_app.py).
#   scripts/stress-gui.sh [RUNS=5] [ROUNDS=500]
# Prints one line per run and a summary; exits non-zero if any run failed or crashed.
set -u
cd "$(dirname "$0")/.."
runs=${1:-5}
rounds=${2:-500}
py=.venv/bin/python
[ -x "$py" ] || py=python3
export QT_QPA_PLATFORM=offscreen OPENBLAS_NUM_THREADS=1
log=$(mktemp -d)
passed=0; crashed=0; failed=0
for i in $(seq 1 "$runs"); do
  ACTISCOPE_GC_STRESS=3 "$py" -X faulthandler -m pytest -q -p no:cacheprovider -m "not slow" \
    tests/gui > "$log/gui_$i.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then passed=$((passed + 1)); elif [ $rc -gt 128 ]; then crashed=$((crashed + 1)); else failed=$((failed + 1)); fi
  echo "GUI suite run $i: exit $rc, $(tail -n 1 "$log/gui_$i.log")"
done
"$py" -X faulthandler scripts/stress_app.py --rounds "$rounds" > "$log/app.log" 2>&1
app_rc=$?
echo "app loop: exit $app_rc, $(tail -n 1 "$log/app.log")"
echo "stress-gui: $passed of $runs GUI-suite runs passed, $crashed crashed, $failed failed; app loop exit $app_rc (logs in $log)"
[ "$passed" -eq "$runs" ] && [ "$app_rc" -eq 0 ]

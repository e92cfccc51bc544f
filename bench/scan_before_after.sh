#!/usr/bin/env bash
# The scan bench run from an older checkout and from this one, in turn, on databases made alike.
#
#   bash bench/scan_before_after.sh 17bf7f1            # before the redesign vs this checkout, twice
#   ROUNDS=3 SCALE=0.2 POOL=60000 bash bench/scan_before_after.sh <commit>
#
# The older commit is checked out beside this one (a git worktree under $WORK), its translations
# compiled, and this checkout's bench/repairs_bench.py copied into it, so both sides run the same bench
# (wrk and the bench's own client) against code and schema of their own. Each side gets its own
# SQLite file and PostgreSQL database from its own generator, copied fresh before every run.
set -euo pipefail
OLD=${1:?give the older commit}
HERE=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-$HERE/.venv/bin/python}
WORK=${WORK:-/tmp/scan-before-after}
ROUNDS=${ROUNDS:-2}
SCALE=${SCALE:-0.2}
POOL=${POOL:-60000}
PG=${PG:-postgresql://postgres@127.0.0.1:5432}
export PGOPTIONS="--client-min-messages=warning"  # no notice for a database not there to drop
mkdir -p "$WORK"
if [ ! -d "$WORK/before" ]; then
  git -C "$HERE" worktree add --detach "$WORK/before" "$OLD" >/dev/null
  "$PY" -m babel.messages.frontend compile --use-fuzzy -d "$WORK/before/core/translations" >/dev/null 2>&1
fi
cp "$HERE/bench/repairs_bench.py" "$WORK/before/bench/repairs_bench_current.py"

declare -A ROOT=([before]="$WORK/before" [after]="$HERE")
declare -A SCRIPT=([before]=repairs_bench_current.py [after]=repairs_bench.py)
for side in before after; do
  if [ ! -f "$WORK/$side-pristine.sqlite" ]; then
    (cd "${ROOT[$side]}" && PYTHONPATH="${ROOT[$side]}" "$PY" bench/repairs_generate.py \
      --db "sqlite:///$WORK/$side-pristine.sqlite" --scale "$SCALE" --pool "$POOL" | tail -1)
    psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS depot_scan_${side}" >/dev/null
    (cd "${ROOT[$side]}" && PYTHONPATH="${ROOT[$side]}" "$PY" bench/repairs_generate.py \
      --db "$PG/depot_scan_${side}" --scale "$SCALE" --pool "$POOL" | tail -1)
  fi
done

run() {
  local side=$1
  rm -f "$WORK/$side.sqlite"*
  cp "$WORK/$side-pristine.sqlite" "$WORK/$side.sqlite"
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS depot_scan_${side}_run" \
    -c "CREATE DATABASE depot_scan_${side}_run TEMPLATE depot_scan_${side}" >/dev/null
  echo "=== $side ($(date +%T), load $(cut -d' ' -f1-3 /proc/loadavg))"
  (cd "${ROOT[$side]}" && PYTHONPATH="${ROOT[$side]}" "$PY" "bench/${SCRIPT[$side]}" \
    --sqlite "sqlite:///$WORK/$side.sqlite" --postgres "$PG/depot_scan_${side}_run" \
    --rounds 3 --scans 300 --lookups 0 --wrk | sed -n '/^summary/,$p')
}
for _ in $(seq "$ROUNDS"); do
  run before
  run after
done

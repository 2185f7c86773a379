# shellcheck shell=bash
# Shell functions shared by hack/dev.sh and hack/dev-gateway.sh. Source it; it runs nothing.

# wait_ready <name> <pid file> <stdout file> <ready line> <log file> <seconds>
# Waits until the process in <pid file> prints <ready line> to <stdout file>. Fails, with the
# tail of <log file>, when the process exits first or is not ready within <seconds>.
wait_ready() {
  local name=$1 pid_file=$2 out=$3 line=$4 log=$5 seconds=$6
  local pid
  pid=$(cat "$pid_file")
  for _ in $(seq 1 $((seconds * 10))); do
    if grep -q "$line" "$out" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "dev: $name failed to start; see $log" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "dev: $name not ready after ${seconds}s; see $log" >&2
  tail -n 20 "$log" >&2
  return 1
}

# stop_pid_file <name> <pid file> <seconds>
# SIGTERMs the process in <pid file> (if it still runs), waits up to <seconds> for it to exit,
# and removes the file. Nothing to do without the file.
stop_pid_file() {
  local name=$1 pid_file=$2 seconds=$3
  local pid
  [[ -f "$pid_file" ]] || return 0
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 $((seconds * 10))); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "dev: $name (pid $pid) still running after ${seconds}s" >&2
    fi
  fi
  rm -f "$pid_file"
  echo "dev: $name stopped"
}

# shellcheck shell=bash
# Helpers for tests/interop/peers.sh (sourced, not run). Every daemon listens on 127.0.0.1 only and
# is stopped by the pid this harness recorded (or by INN's own control command), never by name.

PY=/usr/bin/python3   # Debian's python (has nntplib); never a pyenv shim

log() { printf '[peers] %s\n' "$*"; }
die() { printf '[peers] ERROR: %s\n' "$*" >&2; exit 1; }

# now_ms -> milliseconds since the epoch (for step timings)
now_ms() { date +%s%3N; }

# listening PORT -> 0 when something listens on TCP PORT
listening() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }

# listener_pid PORT -> pid of the process owning the listening socket on PORT (empty if none)
listener_pid() {
  ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}

# wait_port PORT SECONDS -> 0 once something listens on PORT
wait_port() {
  local port=$1 limit=$(($2 * 10)) i
  for ((i = 0; i < limit; i++)); do
    listening "$port" && return 0
    sleep 0.1
  done
  return 1
}

# proc_running PID -> 0 while PID exists and is not a zombie
proc_running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2> /dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# wait_gone PID SECONDS -> 0 once PID has exited
wait_gone() {
  local pid=$1 limit=$(($2 * 10)) i
  for ((i = 0; i < limit; i++)); do
    proc_running "$pid" || return 0
    sleep 0.1
  done
  return 1
}

# pid_alive PIDFILE COMM -> 0 when PIDFILE names a running process whose command name is COMM
pid_alive() {
  local file=$1 comm=$2 pid
  [ -s "$file" ] || return 1
  pid=$(cat "$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = "$comm" ] && proc_running "$pid"
}

# install_if_changed SRC DEST [MODE] -> copies SRC over DEST only when the content differs;
# returns 0 when DEST changed, 1 when it was already identical (so callers can restart daemons).
install_if_changed() {
  local src=$1 dest=$2 mode=${3:-644}
  if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
    rm -f "$src"
    return 1
  fi
  install -m "$mode" "$src" "$dest"
  rm -f "$src"
  return 0
}

# render TEMPLATE OUT KEY=VALUE... -> TEMPLATE with every @KEY@ replaced, written to OUT
render() {
  local template=$1 out=$2 pair key value
  shift 2
  local -a expr=()
  for pair in "$@"; do
    key=${pair%%=*}
    value=${pair#*=}
    value=${value//\\/\\\\}
    value=${value//|/\\|}
    value=${value//&/\\&}
    expr+=(-e "s|@${key}@|${value}|g")
  done
  sed "${expr[@]}" "$template" > "$out"
  if grep -q '@[A-Z_]*@' "$out"; then
    die "unreplaced placeholder in $out: $(grep -o '@[A-Z_]*@' "$out" | head -1)"
  fi
}

# start_daemon NAME PORT PIDFILE LOGFILE COMMAND... -> runs a foreground daemon detached (setsid) and
# records the pid of the process that owns the listening socket. Fails when the port is taken by
# something this harness did not start.
start_daemon() {
  local name=$1 port=$2 pidfile=$3 logfile=$4
  shift 4
  local comm
  comm=$(basename "$1") # what /proc/PID/comm shows: the executed name, symlinks not followed
  if pid_alive "$pidfile" "$comm"; then
    return 0
  fi
  rm -f "$pidfile"
  if listening "$port"; then
    local owner
    owner=$(listener_pid "$port")
    # A lost pid file: adopt the listener when it runs exactly this command line.
    if [ -n "$owner" ] && [ "$(tr '\0' ' ' < "/proc/$owner/cmdline" 2> /dev/null)" = "$* " ]; then
      echo "$owner" > "$pidfile"
      log "$name already running (pid $owner), pid file restored"
      return 0
    fi
    die "$name: port $port is already used by pid $(listener_pid "$port") (not started by this harness)"
  fi
  # 9>&-: the daemon must not inherit peers.sh's lock descriptor (it would hold the lock forever).
  setsid "$@" >> "$logfile" 2>&1 < /dev/null 9>&- &
  if ! wait_port "$port" 15; then
    tail -5 "$logfile" >&2 || true
    die "$name did not listen on 127.0.0.1:$port within 15 s (log: $logfile)"
  fi
  listener_pid "$port" > "$pidfile"
  log "$name started (pid $(cat "$pidfile"), 127.0.0.1:$port)"
}

# stop_pid NAME PIDFILE COMM -> stops the recorded pid (TERM, then KILL after 5 s) when it is still COMM,
# plus that pid's direct children (open sessions of the FTP servers).
stop_pid() {
  local name=$1 pidfile=$2 comm=$3 pid kids
  if ! pid_alive "$pidfile" "$comm"; then
    rm -f "$pidfile"
    return 0
  fi
  pid=$(cat "$pidfile")
  kids=$(pgrep -P "$pid" || true)
  kill "$pid" 2> /dev/null || true
  if [ -n "$kids" ]; then
    # shellcheck disable=SC2086
    kill $kids 2> /dev/null || true
  fi
  wait_gone "$pid" 5 || kill -9 "$pid" 2> /dev/null || true
  rm -f "$pidfile"
  log "$name stopped (pid $pid)"
}

# pkg_installed PKG -> 0 when dpkg has PKG fully installed
pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2> /dev/null | grep -q 'install ok installed'
}

# pkg_version PKG -> upstream version of an installed package (epoch and Debian revision removed)
pkg_version() {
  dpkg-query -W -f='${Version}' "$1" 2> /dev/null | sed -e 's/^[0-9]*://' -e 's/-[^-]*$//'
}

#!/usr/bin/env bash
# Real protocol peers on loopback for the inetkit interop tests and benchmarks.
#
#   bash tests/interop/peers.sh start        install what is missing (Debian), generate content, start
#   bash tests/interop/peers.sh stop         stop what this script started (pid files, ctlinnd)
#   bash tests/interop/peers.sh status       one line per service; exit 1 when one is down
#   bash tests/interop/peers.sh reset-news   stop INN and wipe its spool (the next start refills it)
#
# Run as root. Everything listens on 127.0.0.1 only:
#   vsftpd      2131 plain FTP: anonymous read-only + labuser/labpass (writable home), no MLSD
#   vsftpd      2132 explicit FTPS forced for login and data, require_ssl_reuse=YES
#   pure-ftpd   2133 MLSD, optional AUTH TLS (unpacked from its .deb: Debian's FTP servers conflict)
#   nginx       8091 static 1k.bin 64k.bin 100m.bin; 8092 proxy_pass to 8091 with upstream keep-alive
#   python      8093 the textbook http.server redirector to 8091 (a benchmark baseline)
#   INN2        1119 readers (anonymous, posting to local.post only, STARTTLS); 1563 nnrpd, implicit TLS
# Facts (ports, credentials, CA file, paths, counts, digests) go to $INETKIT_PEERS_DIR/peers.json
# (default /tmp/inetkit-peers/peers.json), which tests/interop/_peers.ts reads. start is idempotent:
# a second start checks everything and changes nothing. Content lives in the same directory and is
# generated, never committed; stop leaves it in place.
set -eEuo pipefail
umask 022
trap 'echo "[peers] ERROR: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
P=$HERE/peers
# shellcheck source=peers/lib.sh
. "$P/lib.sh"

DIR=${INETKIT_PEERS_DIR:-/tmp/inetkit-peers}
DIR=${DIR%/}
JSON=$DIR/peers.json
RUN=$DIR/run
LOGS=$DIR/logs
TLS=$DIR/tls
FTP_ROOT=$DIR/ftp-root
MANIFEST=$DIR/ftp-root.sha256
FTP_FACTS=$DIR/ftp-root.facts.json
USER_HOME=$DIR/ftp-user
WWW=$DIR/www
WWW_FACTS=$DIR/www.facts
CONTENT_VERSION=1
PURE_DIR=/opt/inetkit-peers/pure-ftpd
PURE_BIN=$PURE_DIR/usr/sbin/pure-ftpd

FTP_USER=labuser
FTP_PASSWORD=labpass
VSFTPD_PORT=2131
VSFTPD_FTPS_PORT=2132
PUREFTPD_PORT=2133
VSFTPD_PASV=(31000 31099)
VSFTPD_FTPS_PASV=(31100 31199)
PUREFTPD_PASV=(31200 31299)
NGINX_PORT=8091
NGINX_PROXY_PORT=8092
PYREDIR_PORT=8093
NNTP_PORT=1119
NNTPS_PORT=1563
NNTP_FEEDER=127.0.0.2
NEWS_USER=labuser
NEWS_PASSWORD=labpass
BIG_COUNT=100000
NEWSBIN=/usr/lib/news/bin
NEWSETC=/etc/news
NEWSRUN=/run/news
NEWSLIB=/var/lib/news

APT_PACKAGES=(vsftpd nginx inn2 lftp curl wrk hyperfine openssl python3 time iproute2 procps ca-certificates)
APT_UPDATED=0

# ------------------------------------------------------------------------------------ packages
apt_update_once() {
  [ "$APT_UPDATED" = 1 ] && return 0
  APT_UPDATED=1
  log "apt-get update"
  apt-get update -qq
}

# The inn2 postinst refuses to finish until inn.conf names a domain (a fresh box's hostname does not
# resolve), so inn.conf is fixed between the unpack and `dpkg --configure -a`.
ensure_packages() {
  local missing=() p created_policy=0 installed
  # dpkg-query exits 1 when a package is unknown to it: that is the answer, not a failure.
  installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${APT_PACKAGES[@]}" 2> /dev/null || true)
  installed=$(awk '/install ok installed/ {print $1}' <<< "$installed")
  for p in "${APT_PACKAGES[@]}"; do grep -qx "$p" <<< "$installed" || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    # Never let a package start its default service (vsftpd on :21, nginx on :80, all addresses).
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
      chmod 755 /usr/sbin/policy-rc.d
      created_policy=1
    fi
    apt_update_once
    log "apt-get install ${missing[*]}"
    apt-get install -y -q --no-install-recommends "${missing[@]}" > "$LOGS/apt.log" 2>&1 \
      || log "apt-get exited non-zero (expected while inn2 is unconfigured); finishing below"
    if [ -f "$NEWSETC/inn.conf" ] && ! pkg_installed inn2; then
      configure_inn_conf > /dev/null || true
      dpkg --configure -a >> "$LOGS/apt.log" 2>&1 || true
    fi
    [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
    for p in "${missing[@]}"; do
      pkg_installed "$p" || { tail -20 "$LOGS/apt.log" >&2; die "package $p did not install (log: $LOGS/apt.log)"; }
    done
  fi
  ensure_pure_ftpd
}

# pure-ftpd "Conflicts: ftp-server" like every Debian FTP server, so it cannot be installed next to
# vsftpd: its .deb is unpacked under /opt instead, and its libraries are installed from apt.
ensure_pure_ftpd() {
  [ -x "$PURE_BIN" ] && return 0
  local tmp deps=() dep
  tmp=$(mktemp -d)
  apt_update_once
  log "unpacking pure-ftpd into $PURE_DIR"
  chmod 777 "$tmp" # lets apt's _apt sandbox user write the download
  (cd "$tmp" && apt-get download -qq pure-ftpd > /dev/null) || die "apt-get download pure-ftpd failed"
  for dep in $(dpkg-deb -f "$tmp"/pure-ftpd_*.deb Depends | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/ //g'); do
    case $dep in pure-ftpd-common | init-system-helpers | debconf*) ;; *) pkg_installed "$dep" || deps+=("$dep") ;; esac
  done
  if [ "${#deps[@]}" -gt 0 ]; then
    apt-get install -y -q --no-install-recommends "${deps[@]}" >> "$LOGS/apt.log" 2>&1 || die "pure-ftpd libraries ${deps[*]} did not install"
  fi
  rm -rf "$PURE_DIR"
  mkdir -p "$PURE_DIR"
  dpkg-deb -x "$tmp"/pure-ftpd_*.deb "$PURE_DIR"
  dpkg-deb -f "$tmp"/pure-ftpd_*.deb Version | sed -e 's/^[0-9]*://' -e 's/-[^-]*$//' > "$PURE_DIR/VERSION"
  rm -rf "$tmp"
  if ldd "$PURE_BIN" | grep -q 'not found'; then
    die "pure-ftpd has unresolved libraries: $(ldd "$PURE_BIN" | grep 'not found' | tr '\n' ' ')"
  fi
}

# ------------------------------------------------------------------------------------- content
# big.bin: 1 GiB of AES-256-CTR keystream (fixed key), hashed while it is written.
make_ftp_content() {
  if [ -f "$DIR/ftp-root.done" ] && [ "$(cat "$DIR/ftp-root.done")" = "$CONTENT_VERSION" ] \
    && [ "$(stat -c %s "$FTP_ROOT/big.bin" 2> /dev/null)" = 1073741824 ] && [ -s "$MANIFEST" ] \
    && [ -s "$FTP_FACTS" ] && [ "$(find "$FTP_ROOT/tree" -type f | wc -l)" = 2000 ]; then
    return 0
  fi
  local t0 big_sha
  t0=$(now_ms)
  rm -rf "$FTP_ROOT" "$DIR/ftp-root.done"
  mkdir -p "$FTP_ROOT"
  big_sha=$(head -c 1073741824 /dev/zero \
    | openssl enc -aes-256-ctr -K "$(printf 'inetkit-peers-big-file-key-0001' | sha256sum | cut -c1-64)" \
      -iv 00000000000000000000000000000001 \
    | tee "$FTP_ROOT/big.bin" | sha256sum | cut -d' ' -f1)
  [ "$(stat -c %s "$FTP_ROOT/big.bin")" = 1073741824 ] || die "big.bin has the wrong size"
  touch -d @1704164645 "$FTP_ROOT/big.bin"
  "$PY" "$P/make_ftp_tree.py" "$FTP_ROOT" "$big_sha" "$MANIFEST" "$FTP_FACTS"
  chown -R root:root "$FTP_ROOT"
  chmod 755 "$FTP_ROOT"
  echo "$CONTENT_VERSION" > "$DIR/ftp-root.done"
  log "FTP tree generated in $(($(now_ms) - t0)) ms ($FTP_ROOT)"
}

make_www_content() {
  if [ -f "$DIR/www.done" ] && [ "$(cat "$DIR/www.done")" = "$CONTENT_VERSION" ] && [ -s "$WWW_FACTS" ] \
    && [ "$(stat -c %s "$WWW/100m.bin" 2> /dev/null)" = 104857600 ]; then
    return 0
  fi
  local name size sha
  rm -rf "$WWW" "$DIR/www.done" "$WWW_FACTS"
  mkdir -p "$WWW"
  for name in 1k:1024 64k:65536 100m:104857600; do
    size=${name#*:}
    name=${name%%:*}
    sha=$(head -c "$size" /dev/zero \
      | openssl enc -aes-256-ctr -K "$(printf 'inetkit-peers-www-%s' "$name" | sha256sum | cut -c1-64)" \
        -iv 00000000000000000000000000000002 \
      | tee "$WWW/$name.bin" | sha256sum | cut -d' ' -f1)
    echo "$name $size $sha" >> "$WWW_FACTS"
  done
  printf '<!doctype html>\n<title>inetkit peers</title>\n<p>inetkit interop origin</p>\n' > "$WWW/index.html"
  chmod 755 "$WWW"
  chmod 644 "$WWW"/*
  echo "$CONTENT_VERSION" > "$DIR/www.done"
}

# --------------------------------------------------------------------------------- TLS, users
ensure_tls() {
  [ -s "$TLS/ca.crt" ] && [ -s "$TLS/leaf.crt" ] && [ -s "$TLS/leaf.key" ] && return 0
  mkdir -p "$TLS"
  # A CA plus a leaf it signs: rustls (Deno's TLS) refuses a self-signed certificate used as a leaf.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=inetkit peers test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$TLS/ca.key" -out "$TLS/ca.crt" 2> /dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$TLS/leaf.key" -out "$TLS/leaf.csr" 2> /dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" > "$TLS/leaf.ext"
  openssl x509 -req -in "$TLS/leaf.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial -days 3650 \
    -extfile "$TLS/leaf.ext" -out "$TLS/leaf.crt" 2> /dev/null
  chmod 600 "$TLS/ca.key" "$TLS/leaf.key"
  chmod 644 "$TLS/ca.crt" "$TLS/leaf.crt"
  log "TLS: test CA $TLS/ca.crt, leaf $TLS/leaf.crt (127.0.0.1, localhost)"
}

# labuser: vsftpd's PAM stack checks the shell against /etc/shells, hence /bin/bash. pure-ftpd serves
# anonymous sessions from the 'ftp' account's home, so that home is pointed at the FTP tree.
ensure_users() {
  if ! getent passwd ftp > /dev/null; then
    useradd --system --home-dir "$FTP_ROOT" --no-create-home --shell /usr/sbin/nologin ftp
  fi
  [ "$(getent passwd ftp | cut -d: -f6)" = "$FTP_ROOT" ] || usermod -d "$FTP_ROOT" ftp
  if ! getent passwd "$FTP_USER" > /dev/null; then
    useradd --home-dir "$USER_HOME" --no-create-home --shell /bin/bash "$FTP_USER"
    echo "$FTP_USER:$FTP_PASSWORD" | chpasswd
  elif [ "$(getent passwd "$FTP_USER" | cut -d: -f6)" != "$USER_HOME" ]; then
    usermod -d "$USER_HOME" -s /bin/bash "$FTP_USER"
    echo "$FTP_USER:$FTP_PASSWORD" | chpasswd
  fi
  if grep -qx "$FTP_USER" /etc/ftpusers 2> /dev/null; then sed -i "/^$FTP_USER\$/d" /etc/ftpusers; fi
  if [ ! -d "$USER_HOME" ]; then
    mkdir -p "$USER_HOME"
    chown "$FTP_USER:" "$USER_HOME"
    chmod 755 "$USER_HOME"
  fi
}

# -------------------------------------------------------------------------------- FTP servers
start_vsftpd() {
  local flavour=$1 port=$2 ssl=$3 pasv_min=$4 pasv_max=$5 conf changed=0
  conf=$DIR/vsftpd/$flavour.conf
  mkdir -p "$DIR/vsftpd" "$LOGS/vsftpd-$flavour" /var/run/vsftpd/empty
  render "$P/vsftpd.conf.in" "$conf.new" PORT="$port" FLAVOUR="$flavour" FTP_ROOT="$FTP_ROOT" \
    USER_HOME="$USER_HOME" PASV_MIN="$pasv_min" PASV_MAX="$pasv_max" LOG_DIR="$LOGS/vsftpd-$flavour" \
    SSL="$ssl" CERT="$TLS/leaf.crt" KEY="$TLS/leaf.key"
  install_if_changed "$conf.new" "$conf" 600 && changed=1
  if [ "$changed" = 1 ]; then stop_pid "vsftpd ($flavour)" "$RUN/vsftpd-$flavour.pid" vsftpd; fi
  start_daemon "vsftpd ($flavour)" "$port" "$RUN/vsftpd-$flavour.pid" "$LOGS/vsftpd-$flavour.out" \
    /usr/sbin/vsftpd "$conf"
}

start_pure_ftpd() {
  mkdir -p "$DIR/pure-ftpd"
  cat "$TLS/leaf.key" "$TLS/leaf.crt" > "$DIR/pure-ftpd/pure-ftpd.pem.new"
  install_if_changed "$DIR/pure-ftpd/pure-ftpd.pem.new" "$DIR/pure-ftpd/pure-ftpd.pem" 600 \
    && stop_pid pure-ftpd "$RUN/pure-ftpd.pid" pure-ftpd
  # -A chroot everyone, -i no anonymous upload, -j create homes, -l unix accounts (uid >= 1000),
  # -P/-p passive address and range, -Y 1 TLS optional (AUTH TLS), -H no reverse DNS.
  start_daemon pure-ftpd "$PUREFTPD_PORT" "$RUN/pure-ftpd.pid" "$LOGS/pure-ftpd.out" \
    "$PURE_BIN" -S "127.0.0.1,$PUREFTPD_PORT" -4 -H -A -i -j -l unix -u 1000 \
    -p "${PUREFTPD_PASV[0]}:${PUREFTPD_PASV[1]}" -P 127.0.0.1 -c 100 -C 100 -f none \
    -O "clf:$LOGS/pure-ftpd-xfer.log" -Y 1 -2 "$DIR/pure-ftpd/pure-ftpd.pem"
}

# ------------------------------------------------------------------------------------- HTTP
start_nginx() {
  local conf=$DIR/nginx/nginx.conf changed=0
  mkdir -p "$DIR/nginx/tmp"
  render "$P/nginx.conf.in" "$conf.new" RUN_DIR="$RUN" LOG_DIR="$LOGS" STATE_DIR="$DIR/nginx/tmp" \
    WWW_ROOT="$WWW" STATIC_PORT="$NGINX_PORT" PROXY_PORT="$NGINX_PROXY_PORT"
  install_if_changed "$conf.new" "$conf" && changed=1
  if pid_alive "$RUN/nginx.pid" nginx; then
    if [ "$changed" = 1 ]; then
      nginx -t -q -c "$conf" -e "$LOGS/nginx-error.log"
      kill -HUP "$(cat "$RUN/nginx.pid")"
      log "nginx configuration reloaded"
    fi
    return 0
  fi
  local port
  for port in "$NGINX_PORT" "$NGINX_PROXY_PORT"; do
    listening "$port" && die "nginx: port $port is already used by pid $(listener_pid "$port")"
  done
  nginx -t -q -c "$conf" -e "$LOGS/nginx-error.log"
  nginx -c "$conf" -e "$LOGS/nginx-error.log" 9>&-
  wait_port "$NGINX_PORT" 15 && wait_port "$NGINX_PROXY_PORT" 15 || die "nginx did not listen (log: $LOGS/nginx-error.log)"
  log "nginx started (pid $(cat "$RUN/nginx.pid"), 127.0.0.1:$NGINX_PORT static, :$NGINX_PROXY_PORT proxy)"
}

stop_nginx() {
  local pid
  pid_alive "$RUN/nginx.pid" nginx || return 0
  pid=$(cat "$RUN/nginx.pid")
  kill -QUIT "$pid"
  wait_gone "$pid" 5 || kill -TERM "$pid" 2> /dev/null || true
  rm -f "$RUN/nginx.pid"
  log "nginx stopped (pid $pid)"
}

start_py_redirector() {
  start_daemon "python redirector" "$PYREDIR_PORT" "$RUN/py-redirector.pid" "$LOGS/py-redirector.log" \
    "$PY" "$P/py_redirector.py" "$PYREDIR_PORT" "127.0.0.1:$NGINX_PORT"
}

# -------------------------------------------------------------------------------------- INN2
as_news() { su news -s /bin/sh -c "$1" 9>&-; }

# set_inn_key FILE KEY VALUE: replaces the first "KEY:" or "#KEY:" line, else appends one.
set_inn_key() {
  local file=$1 key=$2 value=$3 line
  line=$(printf '%-29s%s' "$key:" "$value")
  if grep -qE "^#?$key:" "$file"; then
    awk -v k="$key" -v line="$line" '!done && $0 ~ "^#?" k ":" { print line; done = 1; next } { print }' \
      "$file" > "$file.tmp"
    mv "$file.tmp" "$file"
  else
    printf '%s\n' "$line" >> "$file"
  fi
}

# configure_inn_conf -> exit 0 when inn.conf changed
configure_inn_conf() {
  local conf=$NEWSETC/inn.conf work
  [ -f "$conf.inetkit-orig" ] || cp -p "$conf" "$conf.inetkit-orig"
  work=$(mktemp)
  cp "$conf" "$work"
  set_inn_key "$work" domain inetkit.test
  set_inn_key "$work" pathhost nntp.inetkit.test
  set_inn_key "$work" fromhost inetkit.test
  set_inn_key "$work" server 127.0.0.1
  set_inn_key "$work" organization '"inetkit interop peers"'
  set_inn_key "$work" port "$NNTP_PORT"
  set_inn_key "$work" bindaddress 127.0.0.1
  set_inn_key "$work" nnrpdpostport "$NNTP_PORT"
  set_inn_key "$work" artcutoff 0
  set_inn_key "$work" pgpverify false
  set_inn_key "$work" doinnwatch false
  set_inn_key "$work" nnrpdloadlimit 0
  set_inn_key "$work" ovmethod tradindexed
  set_inn_key "$work" enableoverview true
  set_inn_key "$work" readerswhenstopped true
  set_inn_key "$work" maxconnections 200
  set_inn_key "$work" tlscapath "$NEWSETC"
  set_inn_key "$work" tlscertfile "$NEWSETC/inetkit-cert.pem"
  set_inn_key "$work" tlskeyfile "$NEWSETC/inetkit-key.pem"
  install_if_changed "$work" "$conf" 644
}

# configure_inn -> sets INN_CHANGED=1 when a file the running server reads has changed
configure_inn() {
  INN_CHANGED=0
  local f pwfile=$NEWSETC/inetkit-newsusers tmp
  configure_inn_conf && INN_CHANGED=1
  for f in readers.conf incoming.conf expire.ctl; do
    [ -f "$NEWSETC/$f.inetkit-orig" ] || [ ! -f "$NEWSETC/$f" ] || cp -p "$NEWSETC/$f" "$NEWSETC/$f.inetkit-orig"
  done
  tmp=$(mktemp)
  cp "$TLS/leaf.crt" "$tmp"
  install_if_changed "$tmp" "$NEWSETC/inetkit-cert.pem" 644 && INN_CHANGED=1
  tmp=$(mktemp)
  cp "$TLS/leaf.key" "$tmp"
  install_if_changed "$tmp" "$NEWSETC/inetkit-key.pem" 600 && INN_CHANGED=1
  chown news:news "$NEWSETC/inetkit-cert.pem" "$NEWSETC/inetkit-key.pem"
  tmp=$(mktemp)
  printf '%s:%s\n' "$NEWS_USER" "$(openssl passwd -6 -salt inetkitpeers "$NEWS_PASSWORD")" > "$tmp"
  install_if_changed "$tmp" "$pwfile" 640 || true
  chown news:news "$pwfile"
  local vars=(PORT="$NNTP_PORT" TLS_PORT="$NNTPS_PORT" USER="$NEWS_USER" PASSWORD="$NEWS_PASSWORD"
    PASSWORD_FILE="$pwfile" FEEDER="$NNTP_FEEDER")
  render "$P/inn/readers.conf.in" "$NEWSETC/readers.conf.new" "${vars[@]}"
  install_if_changed "$NEWSETC/readers.conf.new" "$NEWSETC/readers.conf" 644 || true
  render "$P/inn/readers-tls.conf.in" "$NEWSETC/readers-tls.conf.new" "${vars[@]}"
  install_if_changed "$NEWSETC/readers-tls.conf.new" "$NEWSETC/readers-tls.conf" 644 || true
  render "$P/inn/incoming.conf.in" "$NEWSETC/incoming.conf.new" "${vars[@]}"
  install_if_changed "$NEWSETC/incoming.conf.new" "$NEWSETC/incoming.conf" 640 && INN_CHANGED=1
  chown root:news "$NEWSETC/incoming.conf"
  cp "$P/inn/expire.ctl" "$NEWSETC/expire.ctl.new"
  install_if_changed "$NEWSETC/expire.ctl.new" "$NEWSETC/expire.ctl" 644 || true
}

innd_alive() { pid_alive "$NEWSRUN/innd.pid" innd; }
nnrpd_tls_alive() { pid_alive "$NEWSRUN/nnrpd-$NNTPS_PORT.pid" nnrpd; }

start_inn() {
  local i
  configure_inn
  install -d -o news -g news -m 775 "$NEWSRUN"
  # rc.news mails the admin when .news.daily is older than a day: keep it fresh.
  touch "$NEWSLIB/.news.daily"
  chown news:news "$NEWSLIB/.news.daily"
  if innd_alive && [ "$INN_CHANGED" = 1 ]; then
    if [ -f "$RUN/inn.ours" ]; then
      log "INN configuration changed: restarting it"
      stop_inn
    else
      log "WARNING: INN runs (not started by peers.sh) with an older configuration; restart it by hand"
    fi
  fi
  if ! innd_alive; then
    listening "$NNTP_PORT" && die "INN: port $NNTP_PORT is already used by pid $(listener_pid "$NNTP_PORT")"
    as_news "$NEWSBIN/rc.news" > "$LOGS/rc.news.log" 2>&1 || { cat "$LOGS/rc.news.log" >&2; die "rc.news failed"; }
    wait_port "$NNTP_PORT" 30 || die "innd did not listen on 127.0.0.1:$NNTP_PORT (see $LOGS/rc.news.log, /var/log/news/)"
    for ((i = 0; i < 50; i++)); do innd_alive && break; sleep 0.1; done
    touch "$RUN/inn.ours"
    log "innd started (pid $(cat "$NEWSRUN/innd.pid"), 127.0.0.1:$NNTP_PORT)"
  fi
  if ! nnrpd_tls_alive; then
    listening "$NNTPS_PORT" && die "INN: port $NNTPS_PORT is already used by pid $(listener_pid "$NNTPS_PORT")"
    as_news "$NEWSBIN/nnrpd -D -4 127.0.0.1 -p $NNTPS_PORT -S -c readers-tls.conf"
    wait_port "$NNTPS_PORT" 15 || die "nnrpd did not listen on 127.0.0.1:$NNTPS_PORT"
    for ((i = 0; i < 50; i++)); do nnrpd_tls_alive && break; sleep 0.1; done
    touch "$RUN/nnrpd-tls.ours"
    log "nnrpd (TLS) started (pid $(cat "$NEWSRUN/nnrpd-$NNTPS_PORT.pid"), 127.0.0.1:$NNTPS_PORT)"
  fi
}

stop_inn() {
  local pid
  if nnrpd_tls_alive; then
    if [ -f "$RUN/nnrpd-tls.ours" ]; then
      pid=$(cat "$NEWSRUN/nnrpd-$NNTPS_PORT.pid")
      kill "$pid" 2> /dev/null || true
      wait_gone "$pid" 5 || kill -9 "$pid" 2> /dev/null || true
      rm -f "$NEWSRUN/nnrpd-$NNTPS_PORT.pid"
      log "nnrpd (TLS) stopped (pid $pid)"
    else
      log "nnrpd (TLS) was not started by peers.sh: left running"
    fi
  fi
  rm -f "$RUN/nnrpd-tls.ours"
  if innd_alive; then
    if [ -f "$RUN/inn.ours" ]; then
      pid=$(cat "$NEWSRUN/innd.pid")
      as_news "$NEWSBIN/ctlinnd -s -t 30 shutdown 'inetkit peers.sh stop'" || true
      wait_gone "$pid" 10 || kill "$pid" 2> /dev/null || true
      log "innd stopped (pid $pid)"
    else
      log "innd was not started by peers.sh: left running"
    fi
  fi
  rm -f "$RUN/inn.ours"
}

populate_news() {
  local checker=("$PY" "$P/populate_news.py")
  export NNTP_HOST=127.0.0.1 NNTP_PORT NNTP_FEEDER
  if "${checker[@]}" check --big-count "$BIG_COUNT" > "$LOGS/news-check.log" 2>&1; then
    return 0
  fi
  local t0 group
  t0=$(now_ms)
  log "filling the news spool (local.big: $BIG_COUNT articles)"
  while IFS=$'\t' read -r group description; do
    if ! grep -q "^$group " "$NEWSLIB/active"; then
      as_news "$NEWSBIN/ctlinnd -s newgroup $group y inetkit"
    fi
    if ! grep -q "^$group[[:space:]]" "$NEWSLIB/newsgroups"; then
      printf '%s\t\t%s\n' "$group" "$description" >> "$NEWSLIB/newsgroups"
    fi
  done < <("$PY" -c 'import json,sys; [print(g, v["description"], sep="\t") for g, v in json.load(sys.stdin)["groups"].items()]' \
    < "$DIR/news.facts.json")
  chown news:news "$NEWSLIB/newsgroups"
  "${checker[@]}" feed --big-count "$BIG_COUNT"
  as_news "$NEWSBIN/ctlinnd -s flush ''" || true
  if ! "${checker[@]}" check --big-count "$BIG_COUNT"; then
    die "news counts differ from the expected ones; run 'bash tests/interop/peers.sh reset-news' then start again"
  fi
  log "news spool filled in $(($(now_ms) - t0)) ms"
}

reset_news() {
  touch "$RUN/inn.ours" "$RUN/nnrpd-tls.ours" # an explicit request: stop INN whoever started it
  stop_inn
  log "wiping the INN spool, overview, history and groups"
  as_news "set -e
    cd /var/spool/news && find articles overview -mindepth 1 -delete && rm -f tradspool.map
    cd $NEWSLIB && rm -f history history.dir history.hash history.index history.pag
    printf '%s\n' 'control 0000000000 0000000001 n' 'control.cancel 0000000000 0000000001 n' \
      'control.checkgroups 0000000000 0000000001 n' 'control.newgroup 0000000000 0000000001 n' \
      'control.rmgroup 0000000000 0000000001 n' 'junk 0000000000 0000000001 n' > active
    : > active.times
    grep -v '^local\\.' newsgroups > newsgroups.tmp || true
    mv newsgroups.tmp newsgroups
    : > history
    $NEWSBIN/makedbz -i -o -s 300000"
}

# ------------------------------------------------------------------------------------- facts
write_json() {
  export PEERS_DIR=$DIR PEERS_JSON=$JSON TLS_DIR=$TLS FTP_ROOT MANIFEST FTP_FACTS USER_HOME WWW WWW_FACTS
  export FTP_USER FTP_PASSWORD VSFTPD_PORT VSFTPD_FTPS_PORT PUREFTPD_PORT NGINX_PORT NGINX_PROXY_PORT
  export PYREDIR_PORT NNTP_PORT NNTPS_PORT NEWS_USER NEWS_PASSWORD NEWS_FACTS=$DIR/news.facts.json
  export PASV_VSFTPD="${VSFTPD_PASV[*]}" PASV_VSFTPD_FTPS="${VSFTPD_FTPS_PASV[*]}" PASV_PUREFTPD="${PUREFTPD_PASV[*]}"
  VSFTPD_VERSION=$(pkg_version vsftpd) NGINX_VERSION=$(pkg_version nginx) INN_VERSION=$(pkg_version inn2)
  PUREFTPD_VERSION=$(cat "$PURE_DIR/VERSION") PYTHON_VERSION=$("$PY" -c 'import platform; print(platform.python_version())')
  export VSFTPD_VERSION NGINX_VERSION INN_VERSION PUREFTPD_VERSION PYTHON_VERSION
  "$PY" "$P/write_peers_json.py"
}

# ------------------------------------------------------------------------------------ commands
# On any exit, let the background content jobs finish rather than leave them writing on their own.
CONTENT_JOBS=()
wait_content_jobs() {
  local pid
  for pid in "${CONTENT_JOBS[@]}"; do wait "$pid" 2> /dev/null || true; done
}

cmd_start() {
  [ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts system daemons)"
  local t0 t1 ftp_job www_job
  t0=$(now_ms)
  trap wait_content_jobs EXIT
  mkdir -p "$RUN" "$LOGS"
  chmod 755 "$DIR"
  # Content needs only openssl and python3: make it while apt works when they are already there.
  if command -v openssl > /dev/null && [ -x "$PY" ]; then
    make_ftp_content > "$LOGS/content-ftp.log" 2>&1 &
    ftp_job=$!
    make_www_content > "$LOGS/content-www.log" 2>&1 &
    www_job=$!
    CONTENT_JOBS=("$ftp_job" "$www_job")
  fi
  ensure_packages
  t1=$(now_ms)
  if [ -z "${ftp_job:-}" ]; then
    make_ftp_content > "$LOGS/content-ftp.log" 2>&1 &
    ftp_job=$!
    make_www_content > "$LOGS/content-www.log" 2>&1 &
    www_job=$!
    CONTENT_JOBS=("$ftp_job" "$www_job")
  fi
  ensure_tls
  ensure_users
  "$PY" "$P/populate_news.py" facts --big-count "$BIG_COUNT" > "$DIR/news.facts.json"
  start_inn
  populate_news
  wait "$ftp_job" || { cat "$LOGS/content-ftp.log" >&2; die "FTP content generation failed"; }
  wait "$www_job" || { cat "$LOGS/content-www.log" >&2; die "www content generation failed"; }
  grep -h '^\[peers\]' "$LOGS/content-ftp.log" "$LOGS/content-www.log" || true
  start_vsftpd plain "$VSFTPD_PORT" NO "${VSFTPD_PASV[@]}"
  start_vsftpd ftps "$VSFTPD_FTPS_PORT" YES "${VSFTPD_FTPS_PASV[@]}"
  start_pure_ftpd
  start_nginx
  start_py_redirector
  write_json
  log "all peers up in $(($(now_ms) - t0)) ms (packages $((t1 - t0)) ms); facts: $JSON"
}

cmd_stop() {
  stop_pid "python redirector" "$RUN/py-redirector.pid" "$(basename "$PY")"
  stop_nginx
  stop_pid pure-ftpd "$RUN/pure-ftpd.pid" pure-ftpd
  stop_pid "vsftpd (ftps)" "$RUN/vsftpd-ftps.pid" vsftpd
  stop_pid "vsftpd (plain)" "$RUN/vsftpd-plain.pid" vsftpd
  stop_inn
  rm -f "$JSON"
  log "stopped; content kept in $DIR"
}

cmd_status() {
  local bad=0 entry name port pidfile comm pid addrs addr
  printf '%-18s %-6s %-8s %-5s %s\n' service port pid state listening
  for entry in "vsftpd:$VSFTPD_PORT:$RUN/vsftpd-plain.pid:vsftpd" \
    "vsftpd-ftps:$VSFTPD_FTPS_PORT:$RUN/vsftpd-ftps.pid:vsftpd" \
    "pure-ftpd:$PUREFTPD_PORT:$RUN/pure-ftpd.pid:pure-ftpd" \
    "nginx:$NGINX_PORT:$RUN/nginx.pid:nginx" "nginx-proxy:$NGINX_PROXY_PORT:$RUN/nginx.pid:nginx" \
    "python-redirector:$PYREDIR_PORT:$RUN/py-redirector.pid:$(basename "$PY")" \
    "innd:$NNTP_PORT:$NEWSRUN/innd.pid:innd" "nnrpd-tls:$NNTPS_PORT:$NEWSRUN/nnrpd-$NNTPS_PORT.pid:nnrpd"; do
    IFS=: read -r name port pidfile comm <<< "$entry"
    if pid_alive "$pidfile" "$comm" && listening "$port"; then
      pid=$(cat "$pidfile")
      addrs=$(ss -ltnpH 2> /dev/null | grep -E "pid=$pid," | awk '{print $4}' | sort -u | paste -sd' ')
      printf '%-18s %-6s %-8s %-5s %s\n' "$name" "$port" "$pid" up "$addrs"
      for addr in $addrs; do
        case $addr in 127.* | '[::1]':*) ;; *)
          echo "  NOT LOOPBACK: $name listens on $addr"
          bad=1
          ;;
        esac
      done
    else
      printf '%-18s %-6s %-8s %-5s\n' "$name" "$port" - down
      bad=1
    fi
  done
  if [ -s "$JSON" ]; then echo "facts: $JSON"; else
    echo "facts: $JSON missing"
    bad=1
  fi
  return "$bad"
}

main() {
  local action=${1:-}
  case $action in
    start | stop | reset-news) ;;
    status)
      cmd_status
      return
      ;;
    *)
      echo "usage: bash tests/interop/peers.sh start|stop|status|reset-news" >&2
      exit 2
      ;;
  esac
  [ "$(id -u)" = 0 ] || die "run as root"
  mkdir -p "$DIR"
  exec 9> "$DIR/.lock"
  flock -w 900 9 || die "another peers.sh holds $DIR/.lock"
  case $action in
    start) cmd_start ;;
    stop) cmd_stop ;;
    reset-news)
      mkdir -p "$RUN" "$LOGS"
      reset_news
      ;;
  esac
}

main "$@"

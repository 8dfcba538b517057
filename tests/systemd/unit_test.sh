#!/usr/bin/env bash
# The shipped systemd files, checked offline (no service manager needed, nothing outside a temp
# dir is touched):
#  1. `systemd-analyze verify` on the configured unit says nothing at all. verify exits 0 even on
#     unknown keys, so any output is a failure. The copy verified has ExecStart= pointing at the
#     built binary, since verify also checks that the command exists.
#  2. `systemd-analyze security --offline=true`: overall exposure at most $MAX_EXPOSURE.
#  3. The settings the daemon depends on are there as written.
#  4. sysusers.d and tmpfiles.d files applied to an empty --root: the user, the groups and a
#     0700 state directory owned by lwm2md.
# Settings come from tests/systemd/meson.build.
set -uo pipefail

for var in UNIT LWM2MD_BINARY SBINDIR SYSUSERS TMPFILES MAX_EXPOSURE; do
  if [[ -z "${!var:-}" ]]; then
    echo "unit_test: $var is not set (run through meson test)" >&2
    exit 2
  fi
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/lwm2md-unit.XXXXXX")" || exit 2
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

# 1. verify, run from the temp dir so that it sees only our unit.
mkdir "$tmp/verify"
if ! grep -q "^ExecStart=$SBINDIR/lwm2md " "$UNIT"; then
  fail "ExecStart= does not start $SBINDIR/lwm2md: $(grep '^ExecStart=' "$UNIT")"
fi
sed "s|^ExecStart=$SBINDIR/lwm2md |ExecStart=$LWM2MD_BINARY |" "$UNIT" >"$tmp/verify/lwm2md.service"
verify() {  # unit file -> prints verify's output, returns its exit code
  (cd "$(dirname "$1")" && timeout 30 systemd-analyze verify "$(basename "$1")" 2>&1)
}
if out="$(verify "$tmp/verify/lwm2md.service")" && [[ -z "$out" ]]; then
  pass "systemd-analyze verify: silent"
else
  fail "systemd-analyze verify: ${out:-exit code $?}"
fi
# The same check must notice a broken unit (verify exits 0 on an unknown key: only its output
# shows it).
mkdir "$tmp/broken"
sed 's/^WatchdogSec=/WatchdogSecs=/' "$tmp/verify/lwm2md.service" >"$tmp/broken/lwm2md.service"
if out="$(verify "$tmp/broken/lwm2md.service")"; [[ -n "$out" ]]; then
  pass "verify reports a misspelt key: $out"
else
  fail "verify said nothing about WatchdogSecs="
fi

# 2. The exposure score: "→ Overall exposure level for lwm2md.service: 1.1 OK 🙂".
exposure() {  # unit file -> prints the score
  (cd "$(dirname "$1")" &&
    timeout 30 systemd-analyze security --offline=true --no-pager "$(basename "$1")" 2>&1) |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9]*\.[0-9]\).*/\1/p'
}
score="$(exposure "$tmp/verify/lwm2md.service")"
if [[ -z "$score" ]]; then
  fail "no overall exposure level in systemd-analyze security's output"
elif awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'; then
  pass "exposure level $score <= $MAX_EXPOSURE"
else
  fail "exposure level $score > $MAX_EXPOSURE"
fi
# Without its hardening the same unit must score worse: the parser reads a real number.
mkdir "$tmp/bare"
grep -v -E '^(Protect|Private|Restrict|SystemCall|CapabilityBoundingSet|NoNewPrivileges|MemoryDeny|LockPersonality|ProcSubset|DevicePolicy|UMask|KeyringMode|RemoveIPC|AmbientCapabilities)' \
  "$tmp/verify/lwm2md.service" >"$tmp/bare/lwm2md.service"
bare="$(exposure "$tmp/bare/lwm2md.service")"
if [[ -n "$bare" ]] && awk -v s="$bare" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s > m) }'; then
  pass "without hardening the exposure is $bare"
else
  fail "the unhardened unit scored '${bare}'"
fi

# 3. Settings other parts of the project rely on (the daemon's READY=1/WATCHDOG=1 and SIGHUP
# reload, the bus policy's user name, the state directory's mode).
for line in 'Type=notify' 'BusName=org.lwm2md1' 'WatchdogSec=30s' 'User=lwm2md' 'Group=lwm2md' \
  'StateDirectory=lwm2md' 'StateDirectoryMode=0700' 'ConfigurationDirectory=lwm2md' \
  'Restart=on-failure' 'ExecReload=/bin/kill -HUP $MAINPID' 'ProtectSystem=strict' \
  'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' 'NoNewPrivileges=yes' \
  'CapabilityBoundingSet=' 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' \
  'SystemCallFilter=@system-service' 'MemoryDenyWriteExecute=yes' 'UMask=0077'; do
  if grep -qxF "$line" "$UNIT"; then pass "unit has $line"; else fail "unit lacks $line"; fi
done
# Addresses of LwM2M servers are anywhere: no IP allow list, no private network.
if grep -qE '^(IPAddressDeny|IPAddressAllow|PrivateNetwork)=' "$UNIT"; then
  fail "the unit restricts the network the daemon needs"
fi
if grep -qE '^DynamicUser=yes' "$UNIT"; then fail "DynamicUser= cannot own a bus name"; fi

# 4. sysusers.d and tmpfiles.d into an empty root.
root="$tmp/root"
mkdir -p "$root/etc"
if out="$(timeout 30 systemd-sysusers --root="$root" "$SYSUSERS" 2>&1)"; then
  pass "systemd-sysusers --root: ${out:-silent}"
else
  fail "systemd-sysusers --root: $out"
fi
user_line="$(grep '^lwm2md:' "$root/etc/passwd" 2>/dev/null || true)"
IFS=: read -r _ _ uid gid _ home shell <<<"$user_line"
if [[ -n "$user_line" && "$uid" -gt 0 && "$uid" -lt 1000 && "$home" == /var/lib/lwm2md &&
  "$shell" == */nologin ]]; then
  pass "system user: $user_line"
else
  fail "no system user lwm2md with a nologin shell in /etc/passwd: '$user_line'"
fi
if grep -q "^lwm2md:x:$gid:" "$root/etc/group"; then pass "group lwm2md ($gid)"; else fail "no group lwm2md"; fi
if grep -q '^lwm2m:x:[0-9]*:' "$root/etc/group"; then pass "group lwm2m"; else fail "no group lwm2m"; fi
if out="$(timeout 30 systemd-tmpfiles --root="$root" --create "$TMPFILES" 2>&1)"; then
  pass "systemd-tmpfiles --root --create: ${out:-silent}"
else
  fail "systemd-tmpfiles --root --create: $out"
fi
if [[ "$(stat -c '%a %u %g' "$root/var/lib/lwm2md" 2>/dev/null)" == "700 $uid $gid" ]]; then
  pass "/var/lib/lwm2md is 0700 lwm2md:lwm2md"
else
  fail "/var/lib/lwm2md: $(stat -c '%a %u %g' "$root/var/lib/lwm2md" 2>&1)"
fi

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all unit checks passed"

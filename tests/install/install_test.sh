#!/usr/bin/env bash
# `meson install` of the build directory into a temp DESTDIR, then what a packager and a
# provider's developer rely on: the binaries, liblwm2md-provider with its header and pkg-config
# file, the shipped data files (systemd unit, sysusers.d, tmpfiles.d, D-Bus policy and activation
# file, interface XML, config, objects), and a program built against the installed copy alone.
# Everything it writes is under its temp dir (meson itself rewrites the build directory's
# meson-logs/install-log.txt, as on every install). Settings come from tests/install/meson.build.
set -uo pipefail

for var in MESON BUILD_ROOT SOURCE_DIR VERSION PREFIX BINDIR SBINDIR LIBDIR INCLUDEDIR DATADIR \
  SYSCONFDIR UNITDIR SYSUSERSDIR TMPFILESDIR CXX SANITIZE PC_NAME; do
  if [[ -z "${!var:-}" ]]; then
    echo "install_test: $var is not set (run through meson test)" >&2
    exit 2
  fi
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/lwm2md-install.XXXXXX")" || exit 2
trap 'rm -rf "$tmp"' EXIT
dest="$tmp/dest"
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

# 1. The install itself (no rebuild: meson test has built the targets this test depends on).
if ! timeout 60 "$MESON" install -C "$BUILD_ROOT" --no-rebuild --destdir "$dest" \
  >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log" >&2
  fail "meson install --destdir failed"
  exit 1
fi
pass "meson install --destdir"

# 2. What must be there.
check_file() {  # path [executable]
  local path="$dest$1"
  if [[ ! -f "$path" ]]; then
    fail "not installed: $1"
  elif [[ "${2:-}" == executable && ! -x "$path" ]]; then
    fail "not executable: $1"
  else
    pass "installed: $1"
  fi
}
check_file "$SBINDIR/lwm2md" executable
check_file "$BINDIR/lwm2mctl" executable
check_file "$INCLUDEDIR/lwm2md/provider.hpp"
check_file "$LIBDIR/pkgconfig/$PC_NAME.pc"
check_file "$SYSCONFDIR/lwm2md/lwm2md.toml"
for object in 0 1 2 3 4 3303; do check_file "$DATADIR/lwm2md/objects/$object.xml"; done
for iface in Manager Instance Server Provider; do
  check_file "$DATADIR/dbus-1/interfaces/org.lwm2md1.$iface.xml"
done
check_file "$UNITDIR/lwm2md.service"
check_file "$SYSUSERSDIR/lwm2md.conf"
check_file "$TMPFILESDIR/lwm2md.conf"
check_file "$DATADIR/dbus-1/system.d/org.lwm2md1.conf"
check_file "$DATADIR/dbus-1/system-services/org.lwm2md1.service"
# The library: the development symlink resolves to the versioned file; a static archive
# would do as well.
lib_so="$dest$LIBDIR/liblwm2md-provider.so"
lib_a="$dest$LIBDIR/liblwm2md-provider.a"
if [[ -e "$lib_so" ]]; then
  real="$(readlink -f "$lib_so")"
  if [[ "$real" == "$dest$LIBDIR/liblwm2md-provider.so.$VERSION" && -f "$real" ]]; then
    pass "liblwm2md-provider.so -> $(basename "$real")"
  else
    fail "liblwm2md-provider.so resolves to $real"
  fi
elif [[ -f "$lib_a" ]]; then
  pass "installed: $LIBDIR/liblwm2md-provider.a"
else
  fail "liblwm2md-provider (.so or .a) not installed in $LIBDIR"
fi

# The installed files match the tree: the header, the interface contract, the shipped config.
same_as_source() {  # installed source
  if cmp -s "$dest$1" "$SOURCE_DIR/$2"; then pass "$1 is $2"; else fail "$1 differs from $2"; fi
}
same_as_source "$INCLUDEDIR/lwm2md/provider.hpp" dbus/client/include/lwm2md/provider.hpp
same_as_source "$DATADIR/dbus-1/interfaces/org.lwm2md1.Manager.xml" dbus/org.lwm2md1.Manager.xml
same_as_source "$SYSCONFDIR/lwm2md/lwm2md.toml" conf/lwm2md.toml
same_as_source "$SYSUSERSDIR/lwm2md.conf" systemd/lwm2md.sysusers
same_as_source "$TMPFILESDIR/lwm2md.conf" systemd/lwm2md.tmpfiles
same_as_source "$DATADIR/dbus-1/system.d/org.lwm2md1.conf" systemd/org.lwm2md1.conf
same_as_source "$DATADIR/dbus-1/system-services/org.lwm2md1.service" systemd/org.lwm2md1.service
for object in 0 1 2 3 4 3303; do
  same_as_source "$DATADIR/lwm2md/objects/$object.xml" "objects/$object.xml"
done
for iface in Instance Server Provider; do
  same_as_source "$DATADIR/dbus-1/interfaces/org.lwm2md1.$iface.xml" "dbus/org.lwm2md1.$iface.xml"
done
# systemd's directories re-rooted under the prefix (systemd/meson.build): prefix /usr gives
# /usr/lib/systemd/system, and /usr/local/lib/... is on systemd's search path as well.
for dir in "$UNITDIR:lib/systemd/system" "$SYSUSERSDIR:lib/sysusers.d" "$TMPFILESDIR:lib/tmpfiles.d"; do
  if [[ "${dir%%:*}" == "$PREFIX/${dir#*:}" ]]; then pass "${dir%%:*}"; else fail "${dir%%:*} is not $PREFIX/${dir#*:}"; fi
done

# 3. Nothing that is not for installing: test programs, examples, internal static libraries.
stray="$(cd "$dest" && find . -type f \( -name '*test*' -o -name '*example*' -o -name '*.a' \
  -o -name '*.o' \) ! -name 'liblwm2md-provider.a' | sort)"
if [[ -n "$stray" ]]; then fail "installed but internal: $stray"; else pass "no test, example or internal files"; fi
# (With --prefix=/usr meson puts sysconfdir at /etc.)
outside="$(cd "$dest" && find . -type f | grep -v -e "^.$PREFIX/" -e "^.$UNITDIR/" -e "^.$SYSCONFDIR/" || true)"
if [[ -n "$outside" ]]; then fail "installed outside $PREFIX: $outside"; else pass "all under $PREFIX (and $UNITDIR, $SYSCONFDIR)"; fi

# 4. The installed programs run and point at installed paths, not at the build tree.
unit="$dest$UNITDIR/lwm2md.service"
if grep -qx "ExecStart=$SBINDIR/lwm2md --config $SYSCONFDIR/lwm2md/lwm2md.toml .*" "$unit"; then
  pass "unit starts $SBINDIR/lwm2md with $SYSCONFDIR/lwm2md/lwm2md.toml"
else
  fail "lwm2md.service ExecStart: $(grep ExecStart "$unit" || echo none)"
fi
# The pieces name each other: the unit runs as the user the sysusers file creates and owns the
# name the policy grants that user; the activation file starts the installed unit.
sysusers="$dest$SYSUSERSDIR/lwm2md.conf"
policy="$dest$DATADIR/dbus-1/system.d/org.lwm2md1.conf"
activation="$dest$DATADIR/dbus-1/system-services/org.lwm2md1.service"
grep -qx 'User=lwm2md' "$unit" && grep -q '^u lwm2md ' "$sysusers" && grep -q '^g lwm2m ' "$sysusers" &&
  pass "unit user lwm2md and group lwm2m come from sysusers.d" || fail "unit User= or sysusers.d entries"
grep -qx 'BusName=org.lwm2md1' "$unit" && grep -q '<policy user="lwm2md">' "$policy" &&
  grep -q '<allow own="org.lwm2md1"/>' "$policy" &&
  pass "policy lets lwm2md own BusName=org.lwm2md1" || fail "unit BusName= or policy ownership"
grep -qx 'Name=org.lwm2md1' "$activation" && grep -qx 'SystemdService=lwm2md.service' "$activation" &&
  [[ -f "$dest$UNITDIR/lwm2md.service" ]] &&
  pass "activation starts the installed lwm2md.service" || fail "activation file: $(cat "$activation")"
for binary in "$SBINDIR/lwm2md" "$BINDIR/lwm2mctl" "$LIBDIR/liblwm2md-provider.so.$VERSION"; do
  [[ -f "$dest$binary" ]] || continue
  runpath="$(readelf -d "$dest$binary" 2>/dev/null | grep -E 'RPATH|RUNPATH' || true)"
  # Meson's build-tree run paths are $ORIGIN-relative ($ORIGIN/../client): none may survive.
  if [[ "$runpath" == *"$BUILD_ROOT"* || "$runpath" == *'$ORIGIN'* ]]; then
    fail "$binary keeps a build-tree run path: $runpath"
  else
    pass "$binary has no build-tree run path"
  fi
done
libpath="$dest$LIBDIR"
if out="$(timeout 10 "$dest$SBINDIR/lwm2md" --version 2>&1)" && [[ "$out" == "lwm2md $VERSION" ]]; then
  pass "lwm2md --version: $out"
else
  fail "installed lwm2md --version: $out"
fi
if out="$(LD_LIBRARY_PATH="$libpath" timeout 10 "$dest$BINDIR/lwm2mctl" --help 2>&1)" &&
  [[ "$out" == *"usage: lwm2mctl"* ]]; then
  pass "lwm2mctl --help"
else
  fail "installed lwm2mctl --help: $out"
fi
# Where a program finds liblwm2md-provider. Read whole, not piped into `grep -q`: under pipefail
# an early grep exit would fail the pipeline through ldd's SIGPIPE.
provider_lib_of() { LD_LIBRARY_PATH="$libpath" ldd "$1" 2>&1 | grep 'liblwm2md-provider'; }
if found="$(provider_lib_of "$dest$BINDIR/lwm2mctl")" && [[ "$found" == *" => $libpath/"* ]]; then
  pass "lwm2mctl loads the installed liblwm2md-provider"
else
  fail "lwm2mctl does not load liblwm2md-provider from $libpath: $found"
fi

# 5. pkg-config on the installed .pc, its paths moved into the DESTDIR by the sysroot.
export PKG_CONFIG_PATH="$dest$LIBDIR/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$dest"
if version="$(pkg-config --modversion "$PC_NAME" 2>&1)" && [[ "$version" == "$VERSION" ]]; then
  pass "pkg-config --modversion $PC_NAME: $version"
else
  fail "pkg-config --modversion $PC_NAME: $version"
fi
if ! flags="$(pkg-config --cflags --libs "$PC_NAME" 2>&1)"; then
  fail "pkg-config --cflags --libs $PC_NAME: $flags"
  exit 1
fi
for want in "-I$dest$INCLUDEDIR" "-L$dest$LIBDIR" "-llwm2md-provider"; do
  if [[ " $flags " == *" $want "* ]]; then pass "flags have $want"; else fail "flags lack $want: $flags"; fi
done
if [[ "$flags" == *"$BUILD_ROOT"* || "$flags" == *"$SOURCE_DIR/dbus"* ]]; then
  fail "flags point into the tree: $flags"
fi
# A name that is not installed is an error, not empty flags.
if pkg-config --exists "$PC_NAME-nonexistent" 2>/dev/null; then fail "pkg-config found a missing module"; fi

# 6. A provider program built against the installed copy only. The sanitizer build's library
# needs its runtime in the program too.
san_flags=()
if [[ "$SANITIZE" != none ]]; then san_flags=("-fsanitize=$SANITIZE"); fi
read -r -a cxx <<<"$CXX"
read -r -a flag_words <<<"$flags"
if ! timeout 60 "${cxx[@]}" -std=c++20 -Wall -Wextra -Werror "${san_flags[@]}" \
  "$SOURCE_DIR/tests/install/consumer.cpp" -o "$tmp/consumer" "${flag_words[@]}" \
  >"$tmp/compile.log" 2>&1; then
  cat "$tmp/compile.log" >&2
  fail "consumer.cpp does not build against the installed library"
else
  pass "consumer.cpp builds with: ${cxx[*]} -std=c++20 $flags"
  if found="$(provider_lib_of "$tmp/consumer")" && [[ "$found" == *" => $libpath/"* ]]; then
    pass "consumer links the installed liblwm2md-provider"
  else
    fail "consumer does not load liblwm2md-provider from $libpath: $found"
  fi
  if out="$(LD_LIBRARY_PATH="$libpath" timeout 20 "$tmp/consumer" "unix:path=$tmp/no-bus" 2>&1)" &&
    [[ "$out" == "consumer ok ("*")" ]]; then
    pass "consumer runs: $out"
  else
    fail "consumer: $out"
  fi
fi

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all install checks passed"

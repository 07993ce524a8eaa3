#!/bin/bash
# .ci/fresh-root.sh: proves the README's Quick start on a fresh Debian 12.
# Builds a minimal Debian 12 root with debootstrap (the tarball is cached in
# $TF_CI_CACHE between runs on one machine), copies the tracked files of this
# checkout into it, and runs the README's two commands there, unchanged, as
# root. Prints "fresh-root: command N ok|failed" and the suite's counts, and
# exits non-zero when either command fails.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${TF_CI_CACHE:-/var/cache/tracefill-ci}
mirror=${TF_CI_MIRROR:-http://deb.debian.org/debian}
tarball=$cache/bookworm-minbase.tgz
root=$(mktemp -d /var/tmp/tracefill-root.XXXXXX)
log=${TF_CI_LOG:-$top/ci-fresh-root.log}
: >"$log"

mounted=""
cleanup() {
    for m in $mounted; do umount -l "$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT

mkdir -p "$cache"
if [ ! -s "$tarball" ]; then
    debootstrap --variant=minbase --make-tarball="$tarball" bookworm "$root.work" "$mirror" >>"$log" 2>&1 ||
        { echo "fresh-root: debootstrap --make-tarball failed (see $log)"; exit 1; }
    rm -rf "$root.work"
fi
debootstrap --variant=minbase --unpack-tarball="$tarball" bookworm "$root" "$mirror" >>"$log" 2>&1 ||
    { echo "fresh-root: debootstrap failed (see $log)"; exit 1; }

# What a container image of Debian has too: no services started by apt-get,
# and a resolver. And what this machine's network needs, as the machine itself
# is provisioned: the extra CA certificates of its HTTPS egress (picked up by
# the ca-certificates package the Quick start installs; Node is told to use
# that store, as here).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
chmod 1777 "$root/tmp" # as on any Debian system
extra_env=""
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    extra_env="NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"
fi
for m in proc sys dev dev/pts; do
    mkdir -p "$root/$m"
    case $m in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sysfs "$root/sys" ;;
    dev) mount --bind /dev "$root/dev" ;;
    dev/pts) mount -t devpts devpts "$root/dev/pts" ;;
    esac && mounted="$root/$m $mounted"
done

# A clone of this repository: its tracked files.
mkdir -p "$root/src/tracefill"
(cd "$top" && git ls-files -z | xargs -0 cp --parents -t "$root/src/tracefill")

# The README's two commands, exactly as written there.
block() { awk -v n="$1" '/^```sh$/{c++; if (c==n) {on=1; next}} /^```$/{on=0} on' "$top/README.md"; }
rc=0
for n in 1 2; do
    cmd=$(block "$n")
    echo "== fresh root: command $n: $cmd" >>"$log"
    if chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        TERM=dumb LANG=C.UTF-8 $extra_env /bin/bash -c "cd /src/tracefill && $cmd" >>"$log" 2>&1; then
        echo "fresh-root: command $n ok"
    else
        echo "fresh-root: command $n failed (see $log)"
        rc=1
        break
    fi
done
suite=$root/src/tracefill/test-suite.log
if [ -f "$suite" ]; then
    cp "$suite" "$top/ci-fresh-root-suite.log"
    grep -E '^(FAIL|ERROR|SKIP):' "$suite" | head -n 40
    sed -n 's/^# \(PASS\|FAIL\|ERROR\|SKIP\): *\([0-9]*\)/fresh-root: \1 \2/p' "$suite"
fi
exit $rc

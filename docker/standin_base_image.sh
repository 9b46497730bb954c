#!/usr/bin/env bash
# Builds a local stand-in for the official denoland/deno Debian image, for machines that
# cannot pull from a registry (see docs/development.md, "Testing the container without Docker"). It mirrors the
# official image's layout: Deno at /usr/bin/deno, user deno (uid/gid 1993), /deno-dir owned
# by it, DENO_DIR and DENO_INSTALL_ROOT, /tini, and docker-entrypoint.sh. The project's
# Dockerfile is built against it unchanged.
#
# Usage: docker/standin_base_image.sh IMAGE_TAG DENO_VERSION
set -euo pipefail

image=${1:?image tag, e.g. docker.io/denoland/deno:2.9.6}
deno_version=${2:?Deno version, e.g. 2.9.6}

work=$(mktemp -d /var/tmp/deno-standin.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"

mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
echo "stand-in: debootstrap bookworm from $mirror"
debootstrap --variant=minbase --include=ca-certificates,tini bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log"; exit 1; }

echo "stand-in: Deno $deno_version from the npm package @deno/linux-x64-glibc"
(cd "$work" && npm pack --silent "@deno/linux-x64-glibc@${deno_version}" >/dev/null)
tar -xzf "$work"/deno-linux-x64-glibc-*.tgz -C "$work"
install -m 0755 "$work/package/deno" "$root/usr/bin/deno"

chroot "$root" groupadd --gid 1993 deno
chroot "$root" useradd --uid 1993 --gid deno --shell /bin/bash --create-home deno
mkdir -p "$root/deno-dir"
chroot "$root" chown deno:deno /deno-dir
ln -sf /usr/bin/tini "$root/tini"
cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" != "${1#-}" ]; then
  set -- deno "$@"
fi
case "$1" in
  bench|bundle|cache|check|compile|completions|coverage|doc|eval|fmt|help|info|init|install|lint|lsp|publish|repl|run|task|test|types|uninstall|upgrade|vendor)
    set -- deno "$@" ;;
esac
exec "$@"
SCRIPT
chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"

# This machine reaches the npm registry through a proxy with its own certificate authority;
# the real image needs none of this.
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/standin-ca.crt"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

tar -C "$root" -c . | podman import \
  --change 'ENV DENO_DIR=/deno-dir/' \
  --change 'ENV DENO_INSTALL_ROOT=/usr/local' \
  --change 'ENV DENO_CERT=/etc/ssl/certs/standin-ca.crt' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENTRYPOINT ["/tini", "--", "docker-entrypoint.sh"]' \
  --change 'CMD ["eval", "console.log(\"Welcome to Deno!\")"]' \
  - "$image" >/dev/null 2>&1
echo "stand-in: built $image (a local stand-in, not the official image)"

#!/usr/bin/env bash
# Builds local stand-ins for the official Redis and nginx images that compose.yaml's ha profile
# names, for machines that cannot pull from a registry (see docs/development.md, "Testing the
# container without Docker"). Both are Debian's own redis-server and nginx packages, installed
# with apt on the debootstrapped Debian bookworm of the Deno stand-in (docker/standin_base_image.sh)
# with the Deno binary removed: one apt run instead of another debootstrap. Each mirrors what
# compose.yaml relies on in the official image:
#
#   redis:   redis-server and redis-cli on PATH, user "redis", WORKDIR and volume /data owned by
#            it, CMD ["redis-server"], and an entrypoint that, started as root with a
#            redis-server command, drops to "redis" (the official image uses gosu; here setpriv).
#   nginx:   /etc/nginx/nginx.conf including /etc/nginx/conf.d/*.conf, logs on stdout and
#            stderr, CMD ["nginx", "-g", "daemon off;"], stopped with SIGQUIT, and the two
#            entrypoint features compose.yaml uses: the scripts of /docker-entrypoint.d (*.envsh
#            sourced, *.sh run, in version order) and templates (/etc/nginx/templates/*.template,
#            with the environment's variables filled in, written to /etc/nginx/conf.d/ without
#            the .template suffix).
#
# Debian ships Redis 7.0 and nginx 1.22 where the official tags are newer: the ha profile uses
# nothing that differs between them. compose.yaml keeps the official names for users.
#
# Usage: docker/standin_service_images.sh DEBIAN_BASE_IMAGE REDIS_IMAGE NGINX_IMAGE
set -euo pipefail

base_image=${1:?a Debian bookworm image, e.g. docker.io/denoland/deno:2.9.6}
redis_image=${2:?redis image tag, e.g. docker.io/library/redis:7.4-alpine}
nginx_image=${3:?nginx image tag, e.g. docker.io/library/nginx:1.27-alpine}

work=$(mktemp -d /var/tmp/service-standin.XXXXXX)
trap 'rm -rf "$work"' EXIT

cat >"$work/redis-entrypoint.sh" <<'SCRIPT'
#!/bin/sh
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups -- "$@"
fi
exec "$@"
SCRIPT

cat >"$work/nginx-entrypoint.sh" <<'SCRIPT'
#!/bin/sh
# Like the official image's: for an nginx command, source the executable *.envsh and run the
# executable *.sh of /docker-entrypoint.d, in version order, then start nginx.
set -e
if [ "$1" = nginx ]; then
  for script in $(find /docker-entrypoint.d -follow -type f 2>/dev/null | sort -V); do
    [ -x "$script" ] || continue
    case "$script" in
      *.envsh) . "$script" ;;
      *.sh) "$script" ;;
    esac
  done
fi
exec "$@"
SCRIPT

cat >"$work/nginx-templates.sh" <<'SCRIPT'
#!/bin/sh
# /etc/nginx/templates/NAME.template to /etc/nginx/conf.d/NAME, with the environment's
# variables filled in; nginx's own ($host, ...) stay.
set -e
defined=$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')
for template in /etc/nginx/templates/*.template; do
  [ -f "$template" ] || continue
  envsubst "$defined" <"$template" >"/etc/nginx/conf.d/$(basename "$template" .template)"
done
SCRIPT

cat >"$work/Containerfile" <<CONTAINERFILE
FROM ${base_image}
ENV DEBIAN_FRONTEND=noninteractive
RUN rm -f /usr/bin/deno \\
 && apt-get update -qq \\
 && apt-get install -y -qq --no-install-recommends redis-server nginx-light gettext-base >/dev/null \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \\
 && mkdir -p /data /etc/nginx/conf.d /etc/nginx/templates \\
 && chown redis:redis /data \\
 && rm -f /etc/nginx/sites-enabled/default \\
 && ln -sf /dev/stdout /var/log/nginx/access.log \\
 && ln -sf /dev/stderr /var/log/nginx/error.log
COPY --chmod=0755 redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY --chmod=0755 nginx-entrypoint.sh /docker-entrypoint.sh
COPY --chmod=0755 nginx-templates.sh /docker-entrypoint.d/20-envsubst-on-templates.sh
CONTAINERFILE

echo "stand-in: Debian's redis-server and nginx on $base_image"
podman build --pull=never --format docker -q -t "${redis_image}-standin-base" -f "$work/Containerfile" "$work" >/dev/null

# The same layers under two names, each with its official image's start-up.
cat >"$work/Containerfile.redis" <<CONTAINERFILE
FROM ${redis_image}-standin-base
WORKDIR /data
VOLUME /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
CONTAINERFILE
podman build --pull=never --format docker -q -t "$redis_image" -f "$work/Containerfile.redis" "$work" >/dev/null
echo "stand-in: built $redis_image (a local stand-in, not the official image)"

cat >"$work/Containerfile.nginx" <<CONTAINERFILE
FROM ${redis_image}-standin-base
EXPOSE 80
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["nginx", "-g", "daemon off;"]
CONTAINERFILE
podman build --pull=never --format docker -q -t "$nginx_image" -f "$work/Containerfile.nginx" "$work" >/dev/null
podman rmi "${redis_image}-standin-base" >/dev/null 2>&1 || true
echo "stand-in: built $nginx_image (a local stand-in, not the official image)"

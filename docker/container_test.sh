#!/usr/bin/env bash
# Container test: builds the image from the project's own Dockerfile and compose.yaml with
# podman (through its Docker-compatible socket, driven by docker-compose), then checks from
# outside: the image holds exactly the service's packages and starts with no network; with no
# key it stops (exit 78) instead of restarting forever; the compose hardening is in force; the
# assignment's contract (seed exchange, codes against oathtool, /data/seed.txt, the per-minute
# code log in /cron, persistence across `down` / `up -d`); and, while it waits for the minute
# boundaries, the ha profile end to end (docker/container_test_ha.sh).
#
# Needs root and the Debian packages: podman runc docker-compose debootstrap openssl oathtool
# curl npm. Run as `deno task test:container` or `bash docker/container_test.sh`.
# Ends with one line `container: N passed, N failed`. Cleans up after itself, even on failure.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
deno_version=2.9.6
base_image=docker.io/denoland/deno:${deno_version}
redis_image=docker.io/library/redis:7.4-alpine
nginx_image=docker.io/library/nginx:1.27-alpine
project=pki2fa-ct-$$
image=pki-2fa:ct-${project}
port=8080
ha_port=8090
export CONTAINERS_CONF="$here/docker/containers.conf"
test_started=$(date +%s)

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { # check "description" command...
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
  echo "container test wall time: $(($(date +%s) - test_started)) s"
  echo "container: ${passed} passed, ${failed} failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

for tool in podman docker-compose debootstrap openssl oathtool curl npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "missing $tool: apt-get install -y podman runc docker-compose debootstrap openssl oathtool curl npm" >&2
    fail "tools installed"
    finish
    exit 1
  fi
done
if [ "$(id -u)" != 0 ]; then
  echo "the container test needs root (podman with runc and cgroupfs, as on CI)" >&2
  exit 1
fi

work=$(mktemp -d /var/tmp/pki2fa-ct.XXXXXX)
sock="$work/podman.sock"
service_pid=""
standin_pid=""
created_images=()

cleanup() {
  set +e
  [ -n "$standin_pid" ] && kill "$standin_pid" 2>/dev/null && wait "$standin_pid" 2>/dev/null
  if [ -n "$service_pid" ]; then
    (cd "$work/nokey" 2>/dev/null && nokey_compose down -v >/dev/null 2>&1)
    (cd "$work/project" 2>/dev/null && compose_ha down -v >/dev/null 2>&1)
    (cd "$work/project" 2>/dev/null && compose down -v --remove-orphans >/dev/null 2>&1)
    kill "$service_pid" 2>/dev/null
    wait "$service_pid" 2>/dev/null
  fi
  podman rm -f -v "${project}-offline" >/dev/null 2>&1
  podman volume rm -f "${project}-offline-data" "${project}-offline-cron" >/dev/null 2>&1
  podman rmi -f "$image" >/dev/null 2>&1
  if [ "${KEEP_BASE_IMAGE:-0}" != 1 ]; then
    # Newest first: the Redis and nginx stand-ins are built on the Deno one.
    for ((i = ${#created_images[@]} - 1; i >= 0; i--)); do
      podman rmi -f "${created_images[i]}" >/dev/null 2>&1
    done
  fi
  podman image prune -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

compose() {
  DOCKER_HOST="unix://$sock" docker-compose -p "$project" -f compose.yaml -f compose.ct.yaml "$@"
}

# 1. Stand-ins for the images no registry here serves, only those missing. The Redis and nginx
# ones build in the background while the service's image builds; the ha part waits for them.
if podman image exists "$base_image"; then
  echo "base image $base_image present (a local stand-in for the official image)"
else
  echo "building a local stand-in for $base_image (no registry here)"
  if "$here/docker/standin_base_image.sh" "$base_image" "$deno_version"; then
    created_images+=("$base_image")
  else
    fail "stand-in base image"
    finish
    exit 1
  fi
fi
if podman image exists "$redis_image" && podman image exists "$nginx_image"; then
  echo "ha images $redis_image and $nginx_image present (local stand-ins for the official images)"
else
  echo "building local stand-ins for $redis_image and $nginx_image in the background"
  created_images+=("$redis_image" "$nginx_image")
  "$here/docker/standin_service_images.sh" "$base_image" "$redis_image" "$nginx_image" \
    >"$work/standins.log" 2>&1 &
  standin_pid=$!
fi

# A copy of the project as git has it (plus uncommitted changes), with its own keys folder.
mkdir -p "$work/project"
(cd "$here" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - 2>/dev/null) |
  tar -xf - -C "$work/project"
cd "$work/project" || exit 1
# Only the image tag differs, so this run cannot clobber a user's pki-2fa:latest. And podman
# (not Docker) adds RLIMIT_NPROC=1048576 to any container that sets a ulimit (compose.yaml sets
# nofile), which these machines refuse ("error setting rlimit type 6"), as they refuse 65536;
# the override pins nproc to 16384, which they accept.
{
  echo "services:"
  for service in app replica-1 replica-2; do
    echo "  ${service}:"
    echo "    image: ${image}"
    echo "    ulimits: { nproc: { soft: 16384, hard: 16384 } }"
  done
} >compose.ct.yaml

# Keys as a user really has them: mode 0600, owned by a host user that is not the container's.
mkdir -p keys
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out keys/student_private.pem 2>/dev/null
openssl pkey -in keys/student_private.pem -pubout -out keys/student_public.pem
chmod 0600 keys/student_private.pem
chown -R 4242:4242 keys

podman system service --time=0 "unix://$sock" >"$work/podman-service.log" 2>&1 &
service_pid=$!
for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done

for busy in "$port" "$ha_port"; do
  if curl -s -o /dev/null "http://127.0.0.1:${busy}/health"; then
    echo "port ${busy} is already in use; stop whatever listens there first" >&2
    fail "port ${busy} free"
    finish
    exit 1
  fi
done

# 2. Build from the project's Dockerfile and compose.yaml.
build_started=$(date +%s%N)
if compose build --no-cache app >"$work/build.log" 2>&1; then
  pass "image builds from Dockerfile and compose.yaml"
  echo "build: $(ms_since "$build_started") ms"
else
  tail -30 "$work/build.log"
  fail "image builds from Dockerfile and compose.yaml"
  finish
  exit 1
fi
size=$(podman image inspect --format '{{.Size}}' "$image")
base_size=$(podman image inspect --format '{{.Size}}' "$base_image")
echo "image size: $((size / 1000 / 1000)) MB (${size} bytes; the base image is $((base_size / 1000 / 1000)) MB)"
check "no private key in any image layer" \
  test -z "$(podman run --rm --entrypoint /bin/sh "$image" -c 'find / -xdev -name "*.pem" -path "*private*" 2>/dev/null' 2>/dev/null)"

# The npm packages in the image are exactly deno.lock's (which a hermetic test keeps to the
# closure of what main.ts and the CLI tools import): nothing for tests, nothing missing.
image_packages() {
  podman run --rm --entrypoint /bin/sh "$image" -c \
    'cd /deno-dir/npm/registry.npmjs.org && for d in */*/ @*/*/*/; do [ -f "$d/package.json" ] && echo "${d%/}"; done' |
    grep -v '^@\*' | sed -E 's#/([^/]+)$#@\1#' | sort
}
lock_packages() {
  deno eval --no-config --no-lock 'const lock = JSON.parse(Deno.readTextFileSync("deno.lock"));
    for (const key of Object.keys(lock.npm)) console.log(key.replace(/_.*$/, ""));' | sort
}
image_packages >"$work/image-packages.txt"
lock_packages >"$work/lock-packages.txt"
echo "npm packages in the image: $(wc -l <"$work/image-packages.txt"), in deno.lock: $(wc -l <"$work/lock-packages.txt")"
check "the image holds exactly deno.lock's npm packages" \
  diff "$work/image-packages.txt" "$work/lock-packages.txt"

# 3. No network: the image starts from its own cache (--cached-only), with the compose
# hardening, and prints no download line.
offline_started=$(date +%s%N)
podman run -d --name "${project}-offline" --network none --read-only --tmpfs /run/pki-2fa:mode=0700 \
  --cap-drop ALL --cap-add CHOWN,DAC_READ_SEARCH,SETGID,SETUID --security-opt no-new-privileges \
  -v "$PWD/keys:/app/keys:ro" -v "${project}-offline-data:/data" -v "${project}-offline-cron:/cron" \
  "$image" >/dev/null 2>"$work/offline-run.log"
offline_ok=1
for _ in $(seq 1 300); do
  podman logs "${project}-offline" 2>&1 | grep -q '"msg":"Listening"' && break
  sleep 0.1
done
if podman logs "${project}-offline" 2>&1 | grep -q '"msg":"Listening"'; then
  echo "no-network start to listening: $(ms_since "$offline_started") ms"
else
  offline_ok=0
  podman logs "${project}-offline" 2>&1 | tail -20
fi
check "with --network none the image starts and listens" test "$offline_ok" = 1
check "with --network none its health check passes inside the container" \
  podman exec "${project}-offline" setpriv --reuid=deno --regid=deno --init-groups -- \
  deno run --cached-only --no-code-cache --allow-net=127.0.0.1 --allow-env=PORT cli/healthcheck.ts
check "with --network none the logs have no download line" \
  test "$(podman logs "${project}-offline" 2>&1 | grep -ci download)" = 0
podman rm -f -v "${project}-offline" >/dev/null 2>&1

# 4. No key, through compose: exit 78, a few bounded restarts, the advice, and a clean down.
source "$here/docker/container_test_nokey.sh"
run_nokey_test

wait_healthy() { # prints milliseconds until /health answered 200, or fails after 60 s
  local start=$1
  for _ in $(seq 1 600); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${port}/health")" = 200 ]; then
      ms_since "$start"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# 5. Up, and the time to the first healthy answer.
start=$(date +%s%N)
compose up -d app >"$work/up.log" 2>&1 || { cat "$work/up.log"; }
if ms=$(wait_healthy "$start"); then
  pass "compose up -d gives a healthy service"
  echo "up to healthy: ${ms} ms"
else
  compose logs --no-color app | tail -30
  fail "compose up -d gives a healthy service"
  finish
  exit 1
fi
container=$(compose ps -q app)
check "the health check of compose.yaml passes (as the service user)" podman healthcheck run "$container"
check "the service runs as the non-root deno user" \
  test "$(podman top "$container" user args | awk '/main.ts/ && !/tini/ {print $1}')" = deno
source "$here/docker/container_test_hardening.sh"
check_hardening "$container"
check "compose logs have no download line" test "$(compose logs --no-color app | grep -ci download)" = 0

# 6. The seed exchange with openssl, codes against oathtool.
seed=$(openssl rand -hex 32)
encrypted=$(printf '%s' "$seed" | openssl pkeyutl -encrypt -pubin -inkey keys/student_public.pem \
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 | base64 -w0)
answer=$(curl -s -X POST "http://127.0.0.1:${port}/decrypt-seed" -H 'Content-Type: application/json' \
  -d "{\"encrypted_seed\": \"${encrypted}\"}")
seed_posted=$(date +%s)
check "POST /decrypt-seed answers {\"status\":\"ok\"}" test "$answer" = '{"status":"ok"}'

code_matches_oathtool() { # the code from /generate-2fa equals oathtool's for the time of the call
  local before after code
  before=$(date +%s)
  code=$(curl -s "http://127.0.0.1:${port}/generate-2fa" | sed -nE 's/.*"code":"([0-9]{6})".*/\1/p')
  after=$(date +%s)
  [ -n "$code" ] || return 1
  [ "$code" = "$(oathtool --totp -d 6 -s 30 -N "@${before}" "$seed")" ] ||
    [ "$code" = "$(oathtool --totp -d 6 -s 30 -N "@${after}" "$seed")" ]
}
check "GET /generate-2fa matches oathtool" code_matches_oathtool

current=$(oathtool --totp -d 6 -s 30 "$seed")
check "POST /verify-2fa with the current code is true" \
  test "$(curl -s -X POST "http://127.0.0.1:${port}/verify-2fa" -H 'Content-Type: application/json' \
    -d "{\"code\": \"${current}\"}")" = '{"valid":true}'
wrong=000000
for window in -30 0 30; do
  if [ "$(oathtool --totp -d 6 -s 30 -N "@$(($(date +%s) + window))" "$seed")" = "$wrong" ]; then wrong=999999; fi
done
check "POST /verify-2fa with ${wrong} is false" \
  test "$(curl -s -X POST "http://127.0.0.1:${port}/verify-2fa" -H 'Content-Type: application/json' \
    -d "{\"code\": \"${wrong}\"}")" = '{"valid":false}'
check "/data/seed.txt in the container holds the seed" \
  test "$(compose exec -T app cat /data/seed.txt)" = "$seed"

log_line_ok() { # the last line is well-formed and its code is oathtool's at its timestamp
  local line stamp code
  line=$(compose exec -T app cat /cron/last_code.txt | tail -1)
  [[ "$line" =~ ^([0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2})\ -\ 2FA\ Code:\ ([0-9]{6})$ ]] || return 1
  stamp=${BASH_REMATCH[1]}
  code=${BASH_REMATCH[2]}
  [ "$code" = "$(oathtool --totp -d 6 -s 30 -N "$stamp UTC" "$seed")" ]
}
log_lines() { compose exec -T app sh -c 'cat /cron/last_code.txt 2>/dev/null | wc -l'; }
wait_minute_after() { # sleeps until 4 s past the first minute boundary after the time $1
  local target=$((($1 / 60 + 1) * 60 + 4)) now
  now=$(date +%s)
  if [ "$now" -lt "$target" ]; then sleep $((target - now)); fi
}

# 7. The ha profile runs while the code log waits for its minute (its own project and port).
source "$here/docker/container_test_ha.sh"
if [ -n "$standin_pid" ]; then
  if wait "$standin_pid"; then standin_pid=""; else
    standin_pid=""
    tail -20 "$work/standins.log"
    fail "stand-in Redis and nginx images"
  fi
fi
ha_ready=0
podman image exists "$redis_image" && podman image exists "$nginx_image" && ha_ready=1
if [ "$ha_ready" = 1 ]; then run_ha_part1; else fail "the ha profile (no stand-in images)"; fi

# 8. The code log gained a well-formed line at the minute after the seed, matching oathtool.
wait_minute_after "$seed_posted"
check "/cron/last_code.txt gained a well-formed line matching oathtool" log_line_ok
lines_before=$(log_lines)

# 9. down (volumes kept) and up again: same seed, the log keeps growing.
compose down >"$work/down.log" 2>&1
restarted=$(date +%s)
start=$(date +%s%N)
compose up -d app >"$work/up2.log" 2>&1
if ms=$(wait_healthy "$start"); then
  pass "healthy again after down and up -d"
  echo "up to healthy after restart: ${ms} ms"
else
  fail "healthy again after down and up -d"
fi
check "GET /generate-2fa after the restart matches oathtool for the same seed" code_matches_oathtool
check "/data/seed.txt kept across down/up" test "$(compose exec -T app cat /data/seed.txt)" = "$seed"
if [ "$ha_ready" = 1 ]; then run_ha_part2; fi
wait_minute_after "$restarted"
check "the code log kept its lines and keeps growing" test "$(log_lines)" -gt "$lines_before"
check "the newest code log line matches oathtool" log_line_ok

# Teardown happens in the trap.
compose down -v >/dev/null 2>&1
finish

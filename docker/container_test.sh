#!/usr/bin/env bash
# Container test: builds the image from the project's own Dockerfile and compose.yaml with
# podman (through its Docker-compatible socket, driven by docker-compose), then checks the
# assignment's contract from outside: seed exchange, codes against oathtool, /data/seed.txt,
# the per-minute code log in /cron, and persistence across `down` / `up -d`.
#
# Needs root and the Debian packages: podman runc docker-compose debootstrap openssl oathtool
# curl npm. Run as `deno task test:container` or `bash docker/container_test.sh`.
# Ends with one line `container: N passed, N failed`. Cleans up after itself, even on failure.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
deno_version=2.9.6
base_image=docker.io/denoland/deno:${deno_version}
project=pki2fa-ct-$$
port=8080
export CONTAINERS_CONF="$here/docker/containers.conf"

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
  echo "container: ${passed} passed, ${failed} failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

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
created_base=0

cleanup() {
  set +e
  if [ -n "$service_pid" ]; then
    (cd "$work/project" 2>/dev/null && compose down -v --remove-orphans >/dev/null 2>&1)
    kill "$service_pid" 2>/dev/null
    wait "$service_pid" 2>/dev/null
  fi
  podman rm -f -v "${project}-nokey" >/dev/null 2>&1
  podman rmi -f "pki-2fa:ct-${project}" >/dev/null 2>&1
  podman volume rm -f "${project}_seed-data" "${project}_cron-output" >/dev/null 2>&1
  if [ "$created_base" = 1 ] && [ "${KEEP_BASE_IMAGE:-0}" != 1 ]; then
    podman rmi -f "$base_image" >/dev/null 2>&1
  fi
  podman image prune -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

compose() {
  DOCKER_HOST="unix://$sock" docker-compose -p "$project" -f compose.yaml -f compose.ct.yaml "$@"
}

# 1. The stand-in base image, only when it is missing.
if podman image exists "$base_image"; then
  echo "base image $base_image present (a local stand-in for the official image)"
else
  echo "building a local stand-in for $base_image (no registry here)"
  if "$here/docker/standin_base_image.sh" "$base_image" "$deno_version"; then
    created_base=1
  else
    fail "stand-in base image"
    finish
    exit 1
  fi
fi

# A copy of the project as git has it (plus uncommitted changes), with its own keys folder.
mkdir -p "$work/project"
(cd "$here" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - 2>/dev/null) |
  tar -xf - -C "$work/project"
cd "$work/project" || exit 1
# Only the image tag differs, so this run cannot clobber a user's pki-2fa:latest.
cat >compose.ct.yaml <<YAML
services:
  app:
    image: pki-2fa:ct-${project}
YAML

# Keys as a user really has them: mode 0600, owned by a host user that is not the container's.
mkdir -p keys
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out keys/student_private.pem 2>/dev/null
openssl pkey -in keys/student_private.pem -pubout -out keys/student_public.pem
chmod 0600 keys/student_private.pem
chown -R 4242:4242 keys

podman system service --time=0 "unix://$sock" >"$work/podman-service.log" 2>&1 &
service_pid=$!
for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done

if curl -s -o /dev/null "http://127.0.0.1:${port}/health"; then
  echo "port ${port} is already in use; stop whatever listens there first" >&2
  fail "port ${port} free"
  finish
  exit 1
fi

# 2. Build from the project's Dockerfile and compose.yaml.
if compose build --no-cache >"$work/build.log" 2>&1; then
  pass "image builds from Dockerfile and compose.yaml"
else
  tail -30 "$work/build.log"
  fail "image builds from Dockerfile and compose.yaml"
  finish
  exit 1
fi
size=$(podman image inspect --format '{{.Size}}' "pki-2fa:ct-${project}")
echo "image size: $((size / 1000 / 1000)) MB (${size} bytes)"
check "no private key in any image layer" \
  test -z "$(podman run --rm --entrypoint /bin/sh "pki-2fa:ct-${project}" -c 'find / -xdev -name "*.pem" -path "*private*" 2>/dev/null' 2>/dev/null)"

wait_healthy() { # prints milliseconds until /health answered 200, or fails after 60 s
  local start=$1
  for _ in $(seq 1 600); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${port}/health")" = 200 ]; then
      echo $(( ($(date +%s%N) - start) / 1000000 ))
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# 3. Up, and the time to the first healthy answer.
start=$(date +%s%N)
compose up -d >"$work/up.log" 2>&1 || { cat "$work/up.log"; }
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
check "the image's health check command passes" podman healthcheck run "$container"
check "the service runs as the non-root deno user" \
  test "$(podman top "$container" user args | awk '/main.ts/ && !/tini/ {print $1}')" = deno

# 4. The seed exchange with openssl, codes against oathtool.
seed=$(openssl rand -hex 32)
encrypted=$(printf '%s' "$seed" | openssl pkeyutl -encrypt -pubin -inkey keys/student_public.pem \
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 | base64 -w0)
answer=$(curl -s -X POST "http://127.0.0.1:${port}/decrypt-seed" -H 'Content-Type: application/json' \
  -d "{\"encrypted_seed\": \"${encrypted}\"}")
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

# 5. /data/seed.txt inside the container.
check "/data/seed.txt in the container holds the seed" \
  test "$(compose exec -T app cat /data/seed.txt)" = "$seed"

# 6. The code log gains a well-formed line at the next minute, matching oathtool.
log_line_ok() { # the last line is well-formed and its code is oathtool's at its timestamp
  local line stamp code
  line=$(compose exec -T app cat /cron/last_code.txt | tail -1)
  [[ "$line" =~ ^([0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2})\ -\ 2FA\ Code:\ ([0-9]{6})$ ]] || return 1
  stamp=${BASH_REMATCH[1]}
  code=${BASH_REMATCH[2]}
  [ "$code" = "$(oathtool --totp -d 6 -s 30 -N "$stamp UTC" "$seed")" ]
}
log_lines() { compose exec -T app sh -c 'cat /cron/last_code.txt 2>/dev/null | wc -l'; }
wait_next_minute() { sleep $((60 - $(date +%s) % 60 + 4)); }
wait_next_minute
check "/cron/last_code.txt gained a well-formed line matching oathtool" log_line_ok
lines_before=$(log_lines)

# 7. down (volumes kept) and up again: same seed, the log keeps growing.
compose down >"$work/down.log" 2>&1
start=$(date +%s%N)
compose up -d >"$work/up2.log" 2>&1
if ms=$(wait_healthy "$start"); then
  pass "healthy again after down and up -d"
  echo "up to healthy after restart: ${ms} ms"
else
  fail "healthy again after down and up -d"
fi
check "GET /generate-2fa after the restart matches oathtool for the same seed" code_matches_oathtool
check "/data/seed.txt kept across down/up" test "$(compose exec -T app cat /data/seed.txt)" = "$seed"
wait_next_minute
check "the code log kept its lines and keeps growing" test "$(log_lines)" -gt "$lines_before"
check "the newest code log line matches oathtool" log_line_ok

# An empty key folder: the container stops with instructions instead of running keyless.
mkdir -p "$work/empty-keys"
nokey_output=$(podman run --rm --name "${project}-nokey" -v "$work/empty-keys:/app/keys:ro" "pki-2fa:ct-${project}" 2>&1)
nokey_status=$?
check "with no key the container exits 78 and says to run deno task keygen" \
  test "$nokey_status" = 78 -a -n "$(grep -F 'deno task keygen' <<<"$nokey_output")"

# 8. Teardown happens in the trap.
compose down -v >/dev/null 2>&1
finish

# Sourced by docker/container_test.sh: compose.yaml's ha profile end to end, on local stand-ins
# for the Redis and nginx images, in a project of its own (port 8090). Everything goes through
# nginx as a client would: enrol and verify /v1 subjects, kill one replica and keep enrolling and
# verifying (counting failed requests), bring it back, then `down` / `up -d` keeps every subject.
# Part 1 runs while the contract test waits for a minute boundary, part 2 during the next one.
#
# The test stays under the default rate limit (120 requests a minute per client): it waits for
# the replicas with their own health check, not through nginx.

ha_token=$(openssl rand -hex 24)
redis_password=$(openssl rand -hex 24)
ha_url="http://127.0.0.1:${ha_port}"
ha_services=(redis replica-1 replica-2 lb)
declare -A ha_seeds=()

compose_ha() {
  ADMIN_TOKEN="$ha_token" REDIS_PASSWORD="$redis_password" DOCKER_HOST="unix://$sock" \
    docker-compose -p "${project}ha" -f compose.yaml -f compose.ct.yaml --profile ha "$@"
}

ha_request() { # ha_request METHOD PATH [JSON]: prints "STATUS BODY" (STATUS 000: no answer)
  local status
  if [ $# -ge 3 ]; then
    status=$(curl -s -m 10 -o "$work/ha-body" -w '%{http_code}' -X "$1" "${ha_url}$2" \
      -H "Authorization: Bearer ${ha_token}" -H 'Content-Type: application/json' -d "$3")
  else
    status=$(curl -s -m 10 -o "$work/ha-body" -w '%{http_code}' -X "$1" "${ha_url}$2" \
      -H "Authorization: Bearer ${ha_token}")
  fi
  echo "${status} $(cat "$work/ha-body" 2>/dev/null)"
}

ha_enrol() { # ha_enrol ID: a fresh seed, encrypted to the service key, PUT through nginx; 201
  local id=$1 seed encrypted answer
  seed=$(openssl rand -hex 20)
  encrypted=$(printf '%s' "$seed" | openssl pkeyutl -encrypt -pubin -inkey keys/student_public.pem \
    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 | base64 -w0)
  answer=$(ha_request PUT "/v1/subjects/${id}/seed" "{\"encrypted_seed\": \"${encrypted}\"}")
  [ "${answer%% *}" = 201 ] || { echo "enrol ${id}: ${answer}" >&2; return 1; }
  ha_seeds[$id]=$seed
}

ha_verify() { # ha_verify ID [SECONDS_AHEAD]: oathtool's code through nginx is {"valid":true}
  local id=$1 ahead=${2:-0} code answer
  code=$(oathtool --totp -d 6 -s 30 -N "@$(($(date +%s) + ahead))" "${ha_seeds[$id]}")
  answer=$(ha_request POST "/v1/subjects/${id}/verify" "{\"code\": \"${code}\"}")
  [ "$answer" = '200 {"valid":true}' ] || { echo "verify ${id}: ${answer}" >&2; return 1; }
}

ha_replica_healthy() { # the replica's own health check, run inside it as compose.yaml does
  compose_ha exec -T "$1" setpriv --reuid=deno --regid=deno --init-groups -- \
    deno run --cached-only --no-code-cache --allow-net=127.0.0.1 --allow-env=PORT cli/healthcheck.ts \
    >/dev/null 2>&1
}

ha_wait_up() { # all four services up and both replicas healthy; prints milliseconds
  local started=$1 replica ok
  for _ in $(seq 1 300); do
    ok=1
    for replica in replica-1 replica-2; do ha_replica_healthy "$replica" || ok=0; done
    if [ "$ok" = 1 ] && [ "$(curl -s -m 5 "${ha_url}/health")" = '{"status":"ok"}' ]; then
      ms_since "$started"
      return 0
    fi
    sleep 0.5
  done
  return 1
}

ha_traffic() { # ha_traffic PREFIX COUNT: enrol and verify COUNT new subjects through nginx
  local prefix=$1 count=$2 k started ms answered
  ha_sent=0
  ha_failed=0
  ha_slowest=0
  for k in $(seq 1 "$count"); do
    for step in enrol verify; do
      started=$(date +%s%N)
      ha_sent=$((ha_sent + 1))
      "ha_${step}" "${prefix}${k}" 2>>"$work/ha-failures.log"
      answered=$?
      ms=$(ms_since "$started")
      [ "$ms" -gt "$ha_slowest" ] && ha_slowest=$ms
      if [ "$answered" != 0 ]; then
        ha_failed=$((ha_failed + 1))
        break # after a failed enrolment there is no seed to verify
      fi
    done
    sleep 0.3
  done
}

ha_show_failures() { # what the failed requests answered, then a fresh list for the next phase
  if [ -s "$work/ha-failures.log" ]; then sed 's/^/  failed: /' "$work/ha-failures.log" | head -10; fi
  : >"$work/ha-failures.log"
}

ha_refuses_without_password() { # through compose, before the project runs (podman's API
  # cannot create a `run` container linked to running ones)
  local refused refused_status
  refused=$(ADMIN_TOKEN="$ha_token" REDIS_PASSWORD='' DOCKER_HOST="unix://$sock" \
    docker-compose -p "${project}ha" -f compose.yaml -f compose.ct.yaml --profile ha \
    run --rm --no-deps -T redis 2>&1)
  refused_status=$?
  echo "ha: Redis without REDIS_PASSWORD: exit ${refused_status}, $(grep -F REDIS_PASSWORD <<<"$refused" | head -1)"
  [ "$refused_status" = 78 ] || tail -5 <<<"$refused"
  check "ha: without REDIS_PASSWORD, Redis stops at once (exit 78) and says to set it" \
    test "$refused_status" = 78 -a -n "$(grep -F 'set REDIS_PASSWORD' <<<"$refused")"
}

run_ha_part1() {
  local started ms id
  ha_refuses_without_password
  started=$(date +%s%N)
  compose_ha up -d "${ha_services[@]}" >"$work/ha-up.log" 2>&1
  if ms=$(ha_wait_up "$started"); then
    pass "ha profile: Redis, two replicas and nginx up"
    echo "ha profile up to both replicas healthy: ${ms} ms"
  else
    tail -20 "$work/ha-up.log"
    compose_ha logs --no-color | tail -30
    fail "ha profile: Redis, two replicas and nginx up"
    return 1
  fi

  for id in s1 s2 s3 s4; do ha_enrol "$id" || break; done
  check "ha: 4 subjects enrolled through nginx" test "${#ha_seeds[@]}" = 4
  local ok=1 code
  for id in s2 s3 s4; do ha_verify "$id" || ok=0; done
  code=$(oathtool --totp -d 6 -s 30 "${ha_seeds[s1]}")
  [ "$(ha_request POST /v1/subjects/s1/verify "{\"code\": \"${code}\"}")" = '200 {"valid":true}' ] || ok=0
  check "ha: each verifies through nginx (oathtool's code is valid)" test "$ok" = 1
  check "ha: a code accepted once is refused the second time, whichever replica answers" \
    test "$(ha_request POST /v1/subjects/s1/verify "{\"code\": \"${code}\"}")" = '200 {"valid":false}'

  # One replica killed: nginx must carry on with the other.
  compose_ha kill replica-1 >/dev/null 2>&1
  ha_traffic k 10
  echo "ha: replica-1 killed: ${ha_failed} of ${ha_sent} requests through nginx failed, slowest ${ha_slowest} ms"
  ha_show_failures
  check "ha: while replica-1 is killed, no request through nginx fails" test "$ha_failed" = 0
  check "ha: replica-1 stays down after docker-compose kill (no restart)" \
    test "$(podman inspect --format '{{.State.Status}}' "$(compose_ha ps -q replica-1)")" = exited

  # Back again: it rejoins, and nginx sends it requests.
  started=$(date +%s%N)
  compose_ha start replica-1 >/dev/null 2>&1
  ms=""
  for _ in $(seq 1 120); do
    if ha_replica_healthy replica-1; then ms=$(ms_since "$started"); break; fi
    sleep 0.5
  done
  echo "ha: replica-1 healthy again ${ms:-never} ms after start"
  check "ha: replica-1 comes back" test -n "$ms"
  ha_traffic a 12
  echo "ha: after the return: ${ha_failed} of ${ha_sent} requests failed, slowest ${ha_slowest} ms"
  ha_show_failures
  check "ha: after replica-1 returns, no request through nginx fails" test "$ha_failed" = 0
  local served
  served=$(compose_ha logs --no-color replica-1 | grep -c '"path":"/v1/subjects/a[0-9]*/')
  echo "ha: replica-1 answered ${served} of the ${ha_sent} requests after its return"
  check "ha: nginx sends requests to the returned replica-1" test "$served" -gt 0
}

run_ha_part2() {
  local started ms expected listed id ok=1
  started=$(date +%s%N)
  compose_ha down >"$work/ha-down.log" 2>&1
  compose_ha up -d "${ha_services[@]}" >"$work/ha-up2.log" 2>&1
  if ms=$(ha_wait_up "$started"); then
    pass "ha: healthy again after down and up -d"
    echo "ha: down and up to healthy: ${ms} ms"
  else
    fail "ha: healthy again after down and up -d"
    return 1
  fi
  expected=$(printf '%s\n' "${!ha_seeds[@]}" | sort | tr '\n' ' ')
  listed=$(ha_request GET '/v1/subjects?limit=100' | grep -o '"id":"[^"]*"' | sed -E 's/"id":"(.*)"/\1/' |
    sort | tr '\n' ' ')
  echo "ha: ${#ha_seeds[@]} subjects enrolled, $(wc -w <<<"$listed") listed after down/up"
  check "ha: down/up keeps every subject (Redis append-only file)" test "$listed" = "$expected"
  # Seeds intact, not only records: a fresh code is accepted (the last use was minutes ago).
  for id in s1 s2 s3 s4; do ha_verify "$id" || ok=0; done
  check "ha: after down/up the subjects' seeds still verify through nginx" test "$ok" = 1

  check "ha: Redis refuses clients without the password" \
    grep -q NOAUTH <(compose_ha exec -T redis redis-cli ping 2>&1)
  check "ha: Redis writes its append-only file every second" \
    test "$(compose_ha exec -T -e REDISCLI_AUTH="$redis_password" redis redis-cli config get appendfsync |
      tr -d '\r' | tr '\n' ' ')" = "appendfsync everysec "
  compose_ha logs --no-color >"$work/ha-logs.txt" 2>&1
  check "ha: no log line of any service holds the Redis password or the admin token" \
    test "$(grep -cF -e "$redis_password" -e "$ha_token" "$work/ha-logs.txt")" = 0
  compose_ha down -v >/dev/null 2>&1
}

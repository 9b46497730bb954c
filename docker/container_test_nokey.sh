# Sourced by docker/container_test.sh: the no-key start, through compose.
#
# compose.yaml mounts ./keys read-only, so a missing key cannot be fixed inside the container.
# The entrypoint exits 78 with the commands to run, and `restart: on-failure:3` bounds the
# restarts (under `unless-stopped` podman restarted it 404 times in 25 s and `down` failed).

nokey_compose() {
  DOCKER_HOST="unix://$sock" docker-compose -p "${project}nokey" -f compose.yaml -f compose.ct.yaml "$@"
}

run_nokey_test() {
  local started container state="" restarts="" code="" last=""
  mkdir -p "$work/nokey/keys"
  cp "$work/project/compose.yaml" "$work/project/compose.ct.yaml" "$work/nokey/"
  cd "$work/nokey" || return 1
  started=$(date +%s%N)
  nokey_compose up -d app >"$work/nokey-up.log" 2>&1
  container=$(nokey_compose ps -q app)
  # Stopped for good: exited, with the same restart count 1.5 s later (60 s at most).
  for _ in $(seq 1 40); do
    state=$(podman inspect --format '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' "$container" 2>/dev/null)
    if [ "${state%% *}" = exited ] && [ "$state" = "$last" ]; then break; fi
    last=$state
    sleep 1.5
  done
  read -r state restarts code <<<"$state"
  echo "no key: ${state} with exit status ${code} after ${restarts} restarts, $(ms_since "$started") ms after up"
  [ "$state" = exited ] || tail -5 "$work/nokey-up.log"
  check "no key, under compose: the container stops with exit status 78" test "$code" = 78 -a "$state" = exited
  check "no key, under compose: restarted 3 times (on-failure:3), not in a loop" test "$restarts" = 3
  check "no key, under compose: the logs say to run deno task keygen" \
    grep -q 'deno task keygen' <(nokey_compose logs --no-color app)
  check "no key, under compose: down succeeds" nokey_compose down -v
  cd "$work/project" || return 1
}

# Sourced by docker/container_test.sh: compose.yaml's hardening, as the running container has
# it. The service process itself is found by its command line inside the container.

check_hardening() { # check_hardening CONTAINER
  local container=$1 host_config service
  host_config=$(podman inspect --format \
    '{{.HostConfig.ReadonlyRootfs}}|{{.HostConfig.CapDrop}}|{{.HostConfig.CapAdd}}|{{.HostConfig.SecurityOpt}}' \
    "$container")
  echo "container settings: ${host_config}"
  check "read-only root filesystem" test "${host_config%%|*}" = true
  check "the image cannot be written" \
    test "$(podman exec "$container" sh -c 'touch /app/written 2>&1' | grep -c 'Read-only file system')" = 1
  check "capabilities: all dropped, then only CHOWN, DAC_READ_SEARCH, SETGID and SETUID" \
    test "$(podman exec "$container" sh -c 'grep CapBnd /proc/1/status')" = "$(printf 'CapBnd:\t00000000000000c5')"
  check "no-new-privileges is set" grep -q 'no-new-privileges' <<<"$host_config"
  # PID 1 is tini; the service is the deno process running main.ts.
  service=$(podman exec "$container" sh -c \
    'for p in /proc/[0-9]*; do grep -qa main.ts "$p/cmdline" 2>/dev/null && ! grep -qa tini "$p/cmdline" && grep -qa "^deno" "$p/cmdline" && { echo "${p#/proc/}"; break; }; done')
  check "the service process has no capabilities" \
    test "$(podman exec "$container" sh -c "grep CapEff /proc/${service}/status")" = "$(printf 'CapEff:\t0000000000000000')"
  check "the service process cannot gain privileges (NoNewPrivs)" \
    test "$(podman exec "$container" sh -c "grep NoNewPrivs /proc/${service}/status")" = "$(printf 'NoNewPrivs:\t1')"
  check "the service process may open 16384 files (ulimits nofile)" \
    test "$(podman exec "$container" sh -c "awk '/Max open files/ {print \$4 \" \" \$5}' /proc/${service}/limits")" = "16384 16384"
}

# pki-2fa: the Deno service in a pinned Deno image.
# Build: docker compose build   Run: docker compose up -d   (see README, "Docker")

ARG DENO_IMAGE=denoland/deno:2.9.6

# --- build: fetch the service's npm packages -----------------------------------------------------
FROM ${DENO_IMAGE} AS build
WORKDIR /app
# deno.json and deno.lock list only what the service runs (test, bench and tooling packages live
# in deno.dev.json and testing/dev.lock), so this layer holds exactly the runtime's
# packages; it is rebuilt only when those two files change.
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY . .
# Every module main.ts and the health check load, so the runtime never resolves anything.
RUN deno cache --frozen main.ts cli/healthcheck.ts

# --- runtime --------------------------------------------------------------------------------------
FROM ${DENO_IMAGE}
ENV TZ=UTC \
    DATA_DIR=/data \
    CRON_DIR=/cron \
    KEYS_DIR=/app/keys \
    PORT=8080 \
    HOST=0.0.0.0 \
    DENO_NO_UPDATE_CHECK=1 \
    DENO_NO_PROMPT=1
WORKDIR /app
COPY --from=build --chown=deno:deno /deno-dir /deno-dir
# The build context is already only what the service needs (.dockerignore drops tests,
# fixtures, keys, data and docs), so the runtime takes the whole folder.
COPY --from=build /app /app
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/pki-2fa-entrypoint
# /data and /cron are volumes the service writes; /app/keys is the read-only key mount.
RUN mkdir -p /data /cron /app/keys /run/pki-2fa \
 && chown deno:deno /data /cron /run/pki-2fa \
 && chmod 0700 /data /cron /run/pki-2fa
VOLUME ["/data", "/cron"]
EXPOSE 8080
# No curl in the image: Deno itself asks /health, as the service user and from the cache only.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["setpriv", "--reuid=deno", "--regid=deno", "--init-groups", "--", "deno", "run", "--cached-only", "--no-code-cache", "--allow-net=127.0.0.1", "--allow-env=PORT", "cli/healthcheck.ts"]
# The entrypoint starts as root only to copy the key into a private folder owned by the
# service user (the mounted key may be mode 0600 and owned by any host user), then runs
# the service as the non-root "deno" user with setpriv.
ENTRYPOINT ["/tini", "--", "pki-2fa-entrypoint"]
# `deno task start` plus --cached-only: a package missing from the image fails the start loudly
# instead of being downloaded (a test keeps the two commands equal otherwise).
CMD ["deno", "run", "--cached-only", "--quiet", "--v8-flags=--max-semi-space-size=4", "--env-file=.env", "--allow-net", "--allow-read", "--allow-write", "--allow-env=PORT,HOST,DATA_DIR,CRON_DIR,KEYS_DIR,LOG_LEVEL,LOG_FORMAT,ADMIN_TOKEN,REPLAY_PROTECTION,THROTTLE_MAX_FAILURES,RATE_LIMIT_PER_MINUTE,TRUST_PROXY,REQUIRE_SEED_SIGNATURE,SEED_AT_REST,CORS_ORIGINS,ALLOWED_HOSTS,AUDIT_LOG_FILE,AUDIT_SIGNING_KEY,METRICS_TOKEN,VERIFY_TOKENS,EXPORT_ENABLED,STATE_STORE,REDIS_URL,CRON_LEASE", "main.ts"]

#!/bin/sh
# Container entrypoint. Started as root, it copies the key files from the read-only mount
# (KEYS_DIR, /app/keys) into /run/pki-2fa/keys, owned by the service user with mode 0600,
# then drops to that user with setpriv and runs the command. This lets the key on the host
# stay mode 0600 and owned by whoever made it, while the service never runs as root.
# Started as a non-root user (docker run --user, Kubernetes runAsNonRoot), it runs the
# command as it is.
set -eu

service_user=deno
source_dir="${KEYS_DIR:-/app/keys}"
private_key="student_private.pem"

if [ "$(id -u)" != "0" ]; then
  exec "$@"
fi

if [ ! -f "$source_dir/$private_key" ]; then
  cat >&2 <<MESSAGE
pki-2fa: there is no private key at $source_dir/$private_key.
The key folder ./keys is mounted read-only, so the service cannot create one there.
Create the key pair on the host, in the project folder, then start again:

  deno task keygen
or
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out keys/student_private.pem
  openssl pkey -in keys/student_private.pem -pubout -out keys/student_public.pem

then: docker compose up -d
MESSAGE
  exit 78
fi

private_dir=/run/pki-2fa/keys
umask 077
rm -rf "$private_dir"
mkdir -p "$private_dir"
for name in student_private.pem student_public.pem instructor_public.pem; do
  if [ -f "$source_dir/$name" ]; then
    cp "$source_dir/$name" "$private_dir/$name"
  fi
done
chmod 0600 "$private_dir/$private_key"
# Earlier keys of the keyring (deno task rotate-key): still decrypt until retired.
if [ -d "$source_dir/previous" ]; then
  mkdir -p "$private_dir/previous"
  for file in "$source_dir"/previous/*.pem; do
    if [ -f "$file" ]; then
      cp "$file" "$private_dir/previous/"
    fi
  done
fi
chown -R "$service_user:$service_user" /run/pki-2fa

# Volumes created by an older image or by hand may belong to root: hand them over.
for dir in "${DATA_DIR:-/data}" "${CRON_DIR:-/cron}"; do
  mkdir -p "$dir"
  chown -R "$service_user:$service_user" "$dir"
done

export KEYS_DIR="$private_dir"
exec setpriv --reuid="$service_user" --regid="$service_user" --init-groups --no-new-privs -- "$@"

#!/bin/sh
# Run a command of the image build trusting an extra CA bundle, when the build was given one as the secret
# `ca` (`--secret id=ca,src=...`): for builds behind a TLS-intercepting proxy. The bundle is read from the
# secret mount and combined in a temporary file; it never lands in a layer.
set -eu
if [ -s /run/secrets/ca ]; then
    bundle=$(mktemp)
    trap 'rm -f "$bundle"' EXIT
    if [ -f /etc/ssl/certs/ca-certificates.crt ]; then cat /etc/ssl/certs/ca-certificates.crt >"$bundle"; fi
    cat /run/secrets/ca >>"$bundle"
    export SSL_CERT_FILE="$bundle" PIP_CERT="$bundle"
    "$@"
    exit
fi
exec "$@"

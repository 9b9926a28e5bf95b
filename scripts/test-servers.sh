#!/usr/bin/env bash
# Installs the Debian packages whose real programs the end-to-end tests start (each on a free port
# in a temporary folder, never a system service): nats-server (the NATS relay), radicale (CalDAV),
# dovecot-imapd (IMAP), chromium (the headless browser that drives Swagger UI at /docs; not
# needed when AOS_CHROMIUM names another Chromium) and prometheus (for its promtool, which lints
# /metrics). Installs only what is missing; needs root or sudo. Used by .ci/run; run it once on a
# fresh Debian/Ubuntu.
set -euo pipefail

packages=()
has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }
has nats-server || packages+=(nats-server)
has radicale || packages+=(radicale)
{ has dovecot && [ -x /usr/lib/dovecot/imap ]; } || packages+=(dovecot-imapd)
[ -x "${AOS_CHROMIUM:-}" ] || has chromium || has chromium-browser || packages+=(chromium)
has promtool || packages+=(prometheus)

if [ ${#packages[@]} -eq 0 ]; then
  echo "test servers: all present"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "test servers: installing ${packages[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"

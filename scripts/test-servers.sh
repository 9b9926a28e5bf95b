#!/usr/bin/env bash
# Installs the Debian packages whose real servers the end-to-end tests start (each on a free port
# in a temporary folder, never a system service): nats-server (the NATS relay), radicale (CalDAV)
# and dovecot-imapd (IMAP). Installs only what is missing; needs root or sudo. Used by .ci/run; run
# it once on a fresh Debian/Ubuntu.
set -euo pipefail

packages=()
has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }
has nats-server || packages+=(nats-server)
has radicale || packages+=(radicale)
{ has dovecot && [ -x /usr/lib/dovecot/imap ]; } || packages+=(dovecot-imapd)

if [ ${#packages[@]} -eq 0 ]; then
  echo "test servers: all present"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "test servers: installing ${packages[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"

#!/usr/bin/env bash
# Installs what the project needs and is missing: OS packages through apt, then the virtualenv
# with the pinned requirements. Safe to run again: it does only what is not done yet.
set -euo pipefail
cd "$(dirname "$0")/.."

# Binaries the stack and the tests start, and the Debian package that provides each.
OS_PACKAGES=(
  "redis-server:redis-server"
  "nginx:nginx"      # the gateway; Debian's build has the slice and secure_link modules
  "ffmpeg:ffmpeg"    # ffmpeg and ffprobe: scrubbing, probing, and the streaming client test
  "aria2c:aria2"     # the download daemon behind the leech pipeline
  "docker-compose:docker-compose"  # only to validate docker-compose.yml in the tests
  "chromium:chromium"                  # the browser test of the web front
  "chromedriver:chromium-driver"
  "firefox-esr:firefox-esr"            # the same browser tests in Firefox (Marionette)
  "pulseaudio:pulseaudio"              # a null audio sink, so headless Firefox plays sound
  "npm:npm"          # installs the pinned browser libraries (package-lock.json): hls.js
  "rclone:rclone"    # the WebDAV share's client tests
  "mpv:mpv"          # plays a file from the share and a playlist in the tests
  "curl:curl"        # the WebDAV tests PROPFIND with it
)
PYTHON=${PYTHON:-python3}
VENV=.venv

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for entry in "${OS_PACKAGES[@]}"; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry#*:}")
done
# PostgreSQL's server binaries (initdb, postgres) are not on PATH: the database-outage test
# runs a private server of its own from /usr/lib/postgresql/<version>/bin.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  missing+=("postgresql")
fi
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=("python3-venv")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing OS packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Debian's packages may start a system redis (6379) and nginx (80); the project reuses that
  # redis if it answers and runs its own nginx with its own config on its own port.
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "bootstrap: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha256"
wanted=$(cat requirements/*.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "bootstrap: installing pinned requirements"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements/test.txt
  echo "$wanted" > "$stamp"
fi

# Browser libraries the pages serve as static files (web/static_finders.py), pinned by
# package-lock.json; their install scripts are not run.
npm_stamp="node_modules/.package-lock.sha256"
npm_wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$npm_stamp" 2>/dev/null)" != "$npm_wanted" ]; then
  echo "bootstrap: installing pinned npm packages"
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  echo "$npm_wanted" > "$npm_stamp"
fi

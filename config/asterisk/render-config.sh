#!/bin/sh
# Install the hotline's Asterisk configuration into DEST (default /etc/asterisk).
#
#   render-config.sh SRC_DIR... [--dest DEST]
#
# Every SRC_DIR/*.conf is copied as it is. Every SRC_DIR/*.conf.template is rendered:
# each ${NAME} in it is replaced by the environment variable NAME (the only secrets are
# passed this way, so none lives in the repository). A template that names a variable
# which is unset or empty stops the script with the variable's name: Asterisk would
# otherwise start with an empty password.
#
# Used by the container's entrypoint (docker-entrypoint.sh) and, on an existing
# Asterisk, by hand: see docs/asterisk.md. Needs envsubst (Debian: gettext-base).
set -eu

dest=/etc/asterisk
srcs=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dest) dest="$2"; shift 2 ;;
        *) srcs="$srcs $1"; shift ;;
    esac
done
[ -n "$srcs" ] || { echo "usage: $0 SRC_DIR... [--dest DEST]" >&2; exit 2; }
command -v envsubst >/dev/null || { echo "envsubst not found: apt-get install gettext-base" >&2; exit 2; }

mkdir -p "$dest"
for src in $srcs; do
    for f in "$src"/*.conf; do
        [ -e "$f" ] || continue
        install -m 0644 "$f" "$dest/$(basename "$f")"
    done
    for t in "$src"/*.conf.template; do
        [ -e "$t" ] || continue
        names=$(grep -o '\${[A-Za-z_][A-Za-z0-9_]*}' "$t" | sort -u | tr -d '${}')
        vars=""
        for name in $names; do
            eval "value=\${$name:-}"
            if [ -z "$value" ]; then
                echo "render-config: $(basename "$t") needs the environment variable $name" >&2
                exit 1
            fi
            case "$value" in
                # Asterisk reads ';' as the start of a comment and a newline as the end of
                # the value: either would silently cut the secret short.
                *";"*|*"
"*) echo "render-config: $name must not contain ';' or a newline" >&2; exit 1 ;;
            esac
            vars="$vars \${$name}"
        done
        out="$dest/$(basename "$t" .template)"
        # Only the variables the template names are substituted, nothing else that
        # happens to look like ${...}.
        envsubst "$vars" <"$t" >"$out.tmp"
        chmod 0640 "$out.tmp"
        mv "$out.tmp" "$out"
    done
done

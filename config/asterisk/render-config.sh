#!/bin/sh
# Install the hotline's Asterisk (or Kamailio, config/kamailio) configuration into DEST
# (default /etc/asterisk).
#
#   render-config.sh SRC_DIR... [--dest DEST]
#
# Every SRC_DIR/*.conf is copied as it is. Every SRC_DIR/*.template is rendered:
# each ${NAME} in it is replaced by the environment variable NAME (the only secrets are
# passed this way, so none lives in the repository). A template that names a variable
# which is unset or empty stops the script with the variable's name: Asterisk would
# otherwise start with an empty password.
#
# Two comment lines in a template (';' first, or '#' in Kamailio's files) relax that, for parts
# of the setup an operator may go without (the city trunk, a third node):
#   ;render-config: if-set NAME        render the template only when NAME is set; otherwise
#                                      write a stub with no settings (so a file from an
#                                      earlier start does not linger), and stop if any other
#                                      variable of the template is set: half a configuration
#                                      is a mistake, not a choice.
#   ;render-config: optional NAME...   these may be empty: every line naming an empty one is
#                                      left out of the result.
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

# The names after ";render-config: DIRECTIVE" in template $2, one a line.
directive() {
    sed -n "s/^[;#]render-config: $1 //p" "$2" | tr -s ' \t' '\n\n'
}

mkdir -p "$dest"
for src in $srcs; do
    for f in "$src"/*.conf; do
        [ -e "$f" ] || continue
        install -m 0644 "$f" "$dest/$(basename "$f")"
    done
    for t in "$src"/*.template; do
        [ -e "$t" ] || continue
        name_of_t=$(basename "$t")
        out="$dest/$(basename "$t" .template)"
        names=$(grep -o '\${[A-Za-z_][A-Za-z0-9_]*}' "$t" | sort -u | tr -d '${}')
        guard=$(directive if-set "$t")
        optional=" $(directive optional "$t" | tr '\n' ' ') "
        if [ -n "$guard" ]; then
            case "$guard" in
                *[!A-Za-z0-9_]*) echo "render-config: $name_of_t: if-set takes one variable name" >&2; exit 2 ;;
            esac
            eval "guard_value=\${$guard:-}"
            if [ -z "$guard_value" ]; then
                for name in $names; do
                    eval "value=\${$name:-}"
                    if [ -n "$value" ]; then
                        echo "render-config: $name_of_t: $name is set but $guard is not" >&2
                        exit 1
                    fi
                done
                printf '; Rendered by render-config.sh from %s: %s is not set, so nothing here.\n' \
                    "$name_of_t" "$guard" >"$out.tmp"
                chmod 0640 "$out.tmp"
                mv "$out.tmp" "$out"
                continue
            fi
        fi
        vars=""
        drop=""
        for name in $names; do
            eval "value=\${$name:-}"
            if [ -z "$value" ]; then
                case "$optional" in
                    *" $name "*) drop="$drop -e /\\\${$name}/d"; continue ;;
                esac
                echo "render-config: $name_of_t needs the environment variable $name" >&2
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
        # Only the variables the template names are substituted, nothing else that
        # happens to look like ${...}.
        sed -e '' $drop "$t" | envsubst "$vars" >"$out.tmp"
        chmod 0640 "$out.tmp"
        mv "$out.tmp" "$out"
    done
done

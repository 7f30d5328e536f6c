#!/usr/bin/env bash
# Print the Debian mirror to debootstrap SUITE from (default bookworm): MLFLOW_DEBIAN_MIRROR when set,
# otherwise the mirror this host's apt already uses, so that a host which reaches Debian only through
# its own mirror or proxy makes the base image the same way. Fails with one line when there is none.
#   MLFLOW_DEBIAN_MIRROR   the mirror to use (e.g. http://<mirror>/debian)
#   MLFLOW_APT_DIR         apt's configuration directory (default /etc/apt; tests point it elsewhere)
# Sources read, in apt's order: sources.list, then sources.list.d/*.list (one-line format) and
# sources.list.d/*.sources (deb822). The first binary (deb) source whose suites include SUITE wins;
# failing that, the first one whose URI is a Debian archive (path ending in /debian).
set -euo pipefail

suite=${1:-bookworm}
apt_dir=${MLFLOW_APT_DIR:-/etc/apt}

if [[ -n ${MLFLOW_DEBIAN_MIRROR:-} ]]; then
  echo "${MLFLOW_DEBIAN_MIRROR%/}"
  exit 0
fi

# Every enabled binary source as "URI SUITE...", one line per source.
sources() {
  local file
  for file in "$apt_dir/sources.list" "$apt_dir"/sources.list.d/*.list; do
    [[ -f $file ]] || continue
    # deb [options] URI SUITE COMPONENT...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$file" | awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
  done
  for file in "$apt_dir"/sources.list.d/*.sources; do
    [[ -f $file ]] || continue
    # Stanzas of "Field: value" lines (continuation lines start with a space), blank-line separated.
    awk '
      # A value may go on over continuation lines: each adds its words to the current field.
      function add(text) {
        gsub(/[[:space:]]+/, " ", text); sub(/^ /, "", text); sub(/ $/, "", text)
        if (text == "") return
        if (field == "types") types = types " " text
        else if (field == "uris") uris = uris " " text
        else if (field == "suites") suites = suites " " text
        else if (field == "enabled") enabled = text
      }
      function flush() {
        if (types " " ~ / deb / && tolower(enabled) != "no" && uris != "") {
          split(uris, u, " "); print u[1], suites
        }
        types = uris = suites = enabled = ""; field = ""
      }
      /^#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      /^[[:space:]]/ { add($0); next }
      { field = tolower(substr($0, 1, index($0, ":") - 1)); add(substr($0, index($0, ":") + 1)) }
      END { flush() }
    ' "$file"
  done
}

all=$(sources | awk '$1 ~ /^(https?|file):/')
mirror=$(awk -v suite="$suite" '{ for (i = 2; i <= NF; i++) if ($i == suite) { print $1; exit } }' <<<"$all")
[[ -n $mirror ]] || mirror=$(awk '$1 ~ /\/debian\/?$/ { print $1; exit }' <<<"$all")
if [[ -z $mirror ]]; then
  echo "[base-image] no Debian mirror for $suite in $apt_dir/sources.list or $apt_dir/sources.list.d/: set MLFLOW_DEBIAN_MIRROR (e.g. http://<mirror>/debian)" >&2
  exit 1
fi
echo "${mirror%/}"

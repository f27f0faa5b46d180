#!/bin/sh
# Generate the build system.  NOCONFIGURE=1 stops before ./configure.
set -e
srcdir=$(dirname "$0")
cd "$srcdir"
autoreconf --force --install --verbose
cd - >/dev/null
if [ -z "$NOCONFIGURE" ]; then
	exec "$srcdir/configure" "$@"
fi

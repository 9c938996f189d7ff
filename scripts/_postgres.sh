# Sourced by scripts/test: make a PostgreSQL server available for the PostgreSQL backend's tests
# (Debian's `postgresql` package; the tests run initdb + pg_ctl themselves in a temporary directory).
# Without root or apt-get the tests that need it are skipped with their reason.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "scripts/test: installing Debian's postgresql package for the PostgreSQL backend tests" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql) \
      >/dev/null 2>&1 || echo "scripts/test: could not install postgresql; its tests will be skipped" >&2
  else
    echo "scripts/test: no PostgreSQL server binaries and not root; the PostgreSQL backend tests will be skipped" >&2
  fi
fi

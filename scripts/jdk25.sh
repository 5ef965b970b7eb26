# Sourced by ./cogvideox, ./mvnw25 and .ci/run: finds a JDK 25 or newer and exports JAVA_HOME.
# Order: $JAVA_HOME if it is already 25+, then the JDKs under /usr/lib/jvm and /opt.
cogvideox_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'
}
cogvideox_find_jdk25() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(cogvideox_java_major "$candidate")
    if [ -n "$major" ] && [ "${major%%.*}" -ge 25 ] 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
if ! COGVIDEOX_JDK=$(cogvideox_find_jdk25); then
  echo "error: CogVideoX-Java needs a JDK 25 or newer (Vector API, java.lang.foreign)." >&2
  echo "       None found in JAVA_HOME, /usr/lib/jvm or /opt. Install one (e.g. Temurin 25) and set JAVA_HOME." >&2
  exit 1
fi
export JAVA_HOME="$COGVIDEOX_JDK"
export PATH="$JAVA_HOME/bin:$PATH"

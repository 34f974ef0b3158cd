#!/usr/bin/env bash
# Assembles an OpenSearch 2.19 node from its Maven Central artifacts (tests/opensearch/pom.xml)
# into HOME and runs it in the foreground on OTELRS_TEST_OPENSEARCH_PORT (HTTP) and
# OTELRS_TEST_OPENSEARCH_TRANSPORT_PORT, with its data in HOME/data. OpenSearch refuses to run
# as root: as root it runs as `nobody`.
#   tests/opensearch/start.sh HOME
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
home="$(mkdir -p "$1" && cd "$1" && pwd)"
rm -rf "$home/lib" "$home/modules" "$home/config" "$home/data" "$home/logs"
mkdir -p "$home/lib" "$home/modules/transport-netty4" "$home/config" "$home/plugins" "$home/bin" "$home/data" \
    "$home/logs" "$home/jars"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$home/jars"
for jar in "$home"/jars/*.jar; do
    case "$(basename "$jar")" in
        netty-*|transport-netty4-client-*) mv "$jar" "$home/modules/transport-netty4/" ;;
        *) mv "$jar" "$home/lib/" ;;
    esac
done
cp "$here/transport-netty4.properties" "$home/modules/transport-netty4/plugin-descriptor.properties"
cp "$here/transport-netty4.policy" "$home/modules/transport-netty4/plugin-security.policy"
cp "$here/opensearch.yml" "$here/log4j2.properties" "$home/config/"
as=()
if [ "$(id -u)" = 0 ]; then
    chown -R nobody:nogroup "$home/data" "$home/logs" "$home/config"
    chmod -R a+rX "$home"
    as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
exec "${as[@]}" env HOME=/tmp java -Xms512m -Xmx512m -XX:+UseSerialGC -Dopensearch.path.home="$home" \
    -Dopensearch.path.conf="$home/config" -Dopensearch.distribution.type=tar -Dlog4j2.disable.jmx=true \
    -cp "$home/lib/*" org.opensearch.bootstrap.OpenSearch

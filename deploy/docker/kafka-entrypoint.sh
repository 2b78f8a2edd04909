#!/bin/bash
# Writes server.properties from the environment, formats KRaft storage on first start, then runs the broker.
set -euo pipefail
data=/var/lib/kafka/data
props=/var/lib/kafka/server.properties
cat >"$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9093
listeners=INTERNAL://0.0.0.0:9092,EXTERNAL://0.0.0.0:9094,CONTROLLER://127.0.0.1:9093
advertised.listeners=INTERNAL://${KAFKA_INTERNAL_ADVERTISED:-kafka:9092},EXTERNAL://${KAFKA_EXTERNAL_ADVERTISED}
controller.listener.names=CONTROLLER
inter.broker.listener.name=INTERNAL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT
log.dirs=$data
num.partitions=${KAFKA_PARTITIONS}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=168
message.max.bytes=8388608
PROPS
cp=/opt/kafka/libs/*
if [ ! -f "$data/meta.properties" ]; then
  id=$(java -cp "$cp" kafka.tools.StorageTool random-uuid | tail -n 1)
  java -cp "$cp" kafka.tools.StorageTool format -t "$id" -c "$props"
fi
exec java "-Xms${KAFKA_HEAP_MB}m" "-Xmx${KAFKA_HEAP_MB}m" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
  -Dlog4j2.configurationFile=/opt/kafka/log4j2.properties -cp "$cp" kafka.Kafka "$props"

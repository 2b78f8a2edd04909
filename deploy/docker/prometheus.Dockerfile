# Prometheus from Debian (the package the local stack runs, deploy/local/prometheus.ts) with the compose scrape
# configuration (deploy/prometheus.compose.yml: the pipeline's containers by service name).
ARG BASE=local/sda-debian:bookworm
FROM ${BASE}
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d \
 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin && mkdir -p /prometheus && chown prometheus:prometheus /prometheus
COPY deploy/prometheus.compose.yml /etc/prometheus/prometheus.yml
USER prometheus
VOLUME /prometheus
EXPOSE 9090
HEALTHCHECK --interval=5s --timeout=3s --retries=20 CMD ["bash", "-c", \
  "exec 3<>/dev/tcp/127.0.0.1/9090 && printf 'GET /-/ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["prometheus", "--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--storage.tsdb.retention.time=7d", "--web.listen-address=0.0.0.0:9090"]

# PostgreSQL 15 from Debian (the package the local stack installs, deploy/local/postgres.ts). The entrypoint creates
# the cluster on first start (user PGUSER with password PGPASSWORD from the environment, scram-sha-256 over TCP) and
# the databases PGDATABASE and REGISTRY_PGDATABASE; the server runs as the `postgres` user.
ARG BASE=local/sda-debian:bookworm
FROM ${BASE}
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d \
 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/lib/postgresql/15/main \
 && mkdir -p /var/lib/postgresql/data /run/postgresql && chown -R postgres:postgres /var/lib/postgresql /run/postgresql
COPY deploy/docker/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data PGUSER=sda PGDATABASE=sda REGISTRY_PGDATABASE=apicurio
USER postgres
VOLUME /var/lib/postgresql/data
EXPOSE 5432
HEALTHCHECK --interval=3s --timeout=3s --start-period=5s --retries=40 CMD ["bash", "-c", "pg_isready -h 127.0.0.1 -U \"$PGUSER\" -d \"$PGDATABASE\""]
ENTRYPOINT ["bash", "/usr/local/bin/postgres-entrypoint.sh"]

# sgaudit for a scheduled container task (ECS scheduled task, Kubernetes
# CronJob, …). Build: docker build -t sgaudit .
# Run: docker run --rm -v /srv/sgaudit:/var/lib/sgaudit -e AWS_REGION=us-east-1 \
#        [-e AWS_ROLE_ARN … / task role credentials] sgaudit
# The container runs scripts/periodic-run.sh: each run lands in
# /var/lib/sgaudit/runs/<timestamp> with the previous one as its baseline.
# It needs the audit permissions of config/iam-policy.json (second statement
# on the task's own role, first statement on the role assumed in each account).

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY templates templates
COPY examples examples
RUN cargo build --release --locked --bin sgaudit

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /var/lib/sgaudit sgaudit
COPY --from=build /src/target/release/sgaudit /usr/local/bin/sgaudit
COPY scripts/periodic-run.sh /usr/local/bin/sgaudit-periodic-run
COPY config/ /etc/sgaudit/
USER sgaudit
WORKDIR /var/lib/sgaudit
ENV RUNS=/var/lib/sgaudit/runs SGAUDIT=/usr/local/bin/sgaudit
ENTRYPOINT ["/usr/local/bin/sgaudit-periodic-run"]

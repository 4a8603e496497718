# Multi-stage build: a release binary built on the Rust image, run as a non-root user on a
# slim Debian. Configuration comes from a mounted TOML file (DPOPD_CONFIG) and DPOPD__* variables.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY config ./config
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked --bin dpopd

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home dpopd \
    && install -d -m 0700 -o dpopd -g dpopd /var/lib/dpopd
COPY --from=build /src/target/release/dpopd /usr/local/bin/dpopd
USER 10001
# The durable store's directory (store.data_dir): mount a volume here, one per container.
VOLUME /var/lib/dpopd
# Inside the container dpopd must listen on every interface; outside, publish the port.
# Without a configuration file (DPOPD_CONFIG) dpopd is in development mode, whose demo
# secrets are published: it then refuses to start on 0.0.0.0 and says how to give a file, or
# how to opt in by name for a try on this machine only (README.md, "Docker").
ENV DPOPD__SERVER__HOST=0.0.0.0 \
    DPOPD__SERVER__PORT=8080 \
    DPOPD__LOG__FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/dpopd"]

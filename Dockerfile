# The oped binary (and oped-extract, the document reader it starts) on a slim Debian with the PostgreSQL client library.
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
# Everything the build reads: the manifest, the migrations and templates it
# embeds (embed_migrations!, include_str!), the sources. CI builds the
# binaries from exactly these lines (scripts/docker-context-check).
COPY Cargo.toml Cargo.lock diesel.toml ./
COPY migrations migrations
COPY templates templates
COPY src src
RUN cargo build --release --locked --bin oped --bin oped-extract

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/oped --create-home oped
COPY --from=build /src/target/release/oped /src/target/release/oped-extract /usr/local/bin/
USER oped
WORKDIR /var/lib/oped
ENV OPED_BIND=0.0.0.0:8080 OPED_DATA_DIR=/var/lib/oped
EXPOSE 8080
ENTRYPOINT ["oped"]
CMD ["serve"]

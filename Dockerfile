# syntax=docker/dockerfile:1
#
# tollgate as a container: a static binary on a distroless base, run as
# an unprivileged user. Build and run:
#
#   docker build -t tollgate .
#   docker run --rm -p 8080:8080 tollgate serve --sandbox --http 0.0.0.0:8080 --http-token "$(openssl rand -hex 32)"
#
# deploy/compose.yaml runs two instances behind one address with Redis.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: a static binary that runs on an image without libc.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/tollgate ./cmd/tollgate \
 && mkdir -p /out/data

# distroless/static: CA certificates and /etc/passwd, no shell, no
# package manager; the nonroot user is uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tollgate /usr/local/bin/tollgate
# A directory the nonroot user owns, for --ledger; a named volume
# mounted here starts with this ownership.
COPY --from=build --chown=65532:65532 /out/data /var/lib/tollgate
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/tollgate", "healthcheck", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/tollgate"]
CMD ["serve", "--http", "0.0.0.0:8080", "--log-format", "json"]

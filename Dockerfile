# syntax=docker/dockerfile:1
#
# relaydesk's container image: one static binary, the CA certificates and
# nothing else (no shell, no package manager).
#
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" -t relaydesk .
#   docker run -p 8080:8080 -v relaydesk-data:/data -e PUBLIC_URL=http://localhost:8080 relaydesk
#
# cmd/relaydesk/container_test.go starts the same build, with the same
# flags, in an empty root holding only what this image holds, and checks it
# serves: Docker itself cannot run where the tests run.

# The Go release of go.mod's "go" line.
ARG GO_VERSION=1.26

# Cross-compiles on the build machine's own platform: with cgo off a Go
# binary for any GOOS/GOARCH builds anywhere (docker buildx --platform ...).
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS TARGETARCH
# CGO_ENABLED=0: the SQLite driver is pure Go (modernc.org/sqlite), so the
#   binary needs no C library and runs FROM scratch.
# -tags timetzdata: the time zone database is compiled in (about 450 KB)
#   instead of copied from /usr/share/zoneinfo: one file fewer in the image,
#   the same zones on every machine the binary runs on, as current as the Go
#   release that built it. Go prefers a system zoneinfo where one exists.
# -trimpath, -s -w: no build paths or debug symbols in the binary.
# main.version: what `relaydesk version`, the serve log and
#   relaydesk_build_info report.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -tags timetzdata -ldflags "-s -w -X main.version=${VERSION}" \
        -o /rootfs/relaydesk ./cmd/relaydesk
# The rest of the image's file system: the CA bundle (the first place Go
# looks for it), /tmp for SQLite's temporary files of large sorts, and an
# empty /data.
RUN mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp /data \
    && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
    && chmod 1777 /rootfs/tmp

FROM scratch
COPY --from=build /rootfs/ /
# /data belongs to the user relaydesk runs as: a fresh named volume mounted
# there takes the image's ownership, and so is writable.
COPY --from=build --chown=65532:65532 /data /data
# A numeric user, as no /etc/passwd names one: not root, and the same UID
# distroless images call "nonroot".
USER 65532:65532
ENV HTTP_ADDR=:8080 \
    DATA_DIR=/data \
    DATABASE_URL=sqlite:/data/relaydesk.db
VOLUME /data
EXPOSE 8080
# Exec form: there is no shell to run a command string.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/relaydesk", "healthcheck"]
ENTRYPOINT ["/relaydesk"]
CMD ["serve"]

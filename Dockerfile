# Runtime image of the Kinto-compatible service, the way GoReleaser-built
# images are made: `make docker` first runs `make build` (a static,
# CGO_ENABLED=0 binary) and copies the host's CA bundle into bin/, and this
# file only assembles files from the build context. There is no builder
# stage, so the image builds where no registry is reachable.
FROM scratch

COPY bin/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY scripts/docker/passwd /etc/passwd
COPY scripts/docker/group /etc/group
COPY bin/version.json /version.json
COPY bin/kinto /kinto

# Listen on every interface; everything else is set with KINTO_* variables
# (or an INI file mounted and named by KINTO_INI). With no backend setting
# the storage, cache and permission backends are in memory.
ENV KINTO_LISTEN_HOST=0.0.0.0 \
    KINTO_HTTP_PORT=8888 \
    KINTO_LOG_FORMAT=json
WORKDIR /
USER 10001:10001
EXPOSE 8888

HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/kinto", "healthcheck"]
ENTRYPOINT ["/kinto"]
CMD ["serve"]

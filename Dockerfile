# Runtime image of one service of the repository (the build ARG SERVICE:
# kinto, the default, readinglist or notes), the way GoReleaser-built images are
# made: `make docker SERVICE=...` first runs `make build` (static,
# CGO_ENABLED=0 binaries) and copies the host's CA bundle into bin/, and
# this file only assembles files from the build context. There is no
# builder stage, so the image builds where no registry is reachable.
#
# Each service has a stage of its own, named after it, and SERVICE picks
# the one the image is made of: a FROM scratch image has no shell, so its
# ENTRYPOINT and HEALTHCHECK must be exec form, where build ARGs are not
# expanded, and each service reads its settings under its own variable
# prefix (KINTO_*, READINGLIST_*, NOTES_*).
ARG SERVICE=kinto

# What every service's image holds besides its binary.
FROM scratch AS common
COPY bin/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY scripts/docker/passwd /etc/passwd
COPY scripts/docker/group /etc/group
COPY bin/version.json /version.json
WORKDIR /
USER 10001:10001
EXPOSE 8888

FROM common AS kinto
COPY bin/kinto /kinto
# Listen on every interface; everything else is set with KINTO_* variables
# (or an INI file mounted and named by KINTO_INI). With no backend setting
# the storage, cache and permission backends are in memory.
ENV KINTO_LISTEN_HOST=0.0.0.0 \
    KINTO_HTTP_PORT=8888 \
    KINTO_LOG_FORMAT=json
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/kinto", "healthcheck"]
ENTRYPOINT ["/kinto"]
CMD ["serve"]

FROM common AS readinglist
COPY bin/readinglist /readinglist
# The same with READINGLIST_* variables (READINGLIST_INI).
ENV READINGLIST_LISTEN_HOST=0.0.0.0 \
    READINGLIST_HTTP_PORT=8888 \
    READINGLIST_LOG_FORMAT=json
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/readinglist", "healthcheck"]
ENTRYPOINT ["/readinglist"]
CMD ["serve"]

FROM common AS notes
COPY bin/notes /notes
# The smallest service, with NOTES_* variables (NOTES_INI).
ENV NOTES_LISTEN_HOST=0.0.0.0 \
    NOTES_HTTP_PORT=8888 \
    NOTES_LOG_FORMAT=json
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/notes", "healthcheck"]
ENTRYPOINT ["/notes"]
CMD ["serve"]

# The image: the stage of SERVICE.
FROM ${SERVICE}

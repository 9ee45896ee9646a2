# The release image, built by goreleaser (dockers_v2 in .goreleaser.yaml)
# from the binaries it has already built: the build context holds
# linux/amd64/tollgate and linux/arm64/tollgate, not the sources.
# distroless/static has CA certificates (the API is HTTPS) and runs as a
# non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
ARG TARGETPLATFORM
COPY ${TARGETPLATFORM}/tollgate /usr/local/bin/tollgate
# The official MCP registry checks that the image belongs to the server
# named in server.json.
LABEL io.modelcontextprotocol.server.name="io.github.tollgate-mcp/tollgate"
ENTRYPOINT ["/usr/local/bin/tollgate"]
CMD ["serve"]

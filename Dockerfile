# The sweep command in a minimal image: a static binary on distroless.
#
#   make image                       # docker build -t ghcr.io/mlsysim/mlsysim-go:latest .
#   docker run --rm ghcr.io/mlsysim/mlsysim-go:latest eval model=Llama3_8B hardware=H100
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/out:/out" ghcr.io/mlsysim/mlsysim-go:latest run --out /out/default
#
# deploy/kubernetes/sweep-indexed-job.yaml runs it as an Indexed Job.

# Build: the module's dependencies first (a layer that changes only with
# go.mod and go.sum), then the source.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: a static binary that needs no C library in the image;
# -s -w drops the symbol table and DWARF (about a third of the size).
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/sweep ./cmd/sweep

# Run: no shell, no package manager, a non-root user; /usr/local/bin is on
# PATH, so a Kubernetes command ["sweep", ...] finds it.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sweep /usr/local/bin/sweep
WORKDIR /work
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/sweep"]
CMD ["--help"]

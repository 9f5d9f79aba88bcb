# syntax=docker/dockerfile:1
# Static lakehouse binary on distroless: no shell, non-root, CA certificates
# included (Binance and S3 are HTTPS).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
# The same command `make build` and the tests (deploy/build_test.go) run.
RUN CGO_ENABLED=0 go build -trimpath -pgo=tools/pgo/default.pgo \
      -ldflags "-s -w -X github.com/lakehouse-dev/lakehouse/cmd.version=${VERSION} -X github.com/lakehouse-dev/lakehouse/cmd.commit=${COMMIT} -X github.com/lakehouse-dev/lakehouse/cmd.date=${DATE}" \
      -o /out/lakehouse .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/lakehouse /usr/local/bin/lakehouse
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["lakehouse"]
CMD ["--help"]

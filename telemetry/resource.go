package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// newResource describes this process in every exported metric and span
// (SPEC section 5).
func newResource(c *Config) *resource.Resource {
	name := c.env("OTEL_SERVICE_NAME")
	if name == "" {
		name = DefaultServiceName
	}
	attrs := []attribute.KeyValue{
		semconv.ServiceName(name),
		semconv.ServiceVersion(c.ServiceVersion),
		semconv.ServiceInstanceID(instanceID(c)),
		attribute.String("deployment.environment", c.environment()),
		attribute.String("crypto.exchange", "binance"),
		attribute.String("lakehouse.format", "parquet"),
		attribute.String("lakehouse.layers", orDefault(c.Layers, "silver")),
		attribute.String("lakehouse.storage.backend", orDefault(c.StorageBackend, "file")),
	}
	// The downward API usually exposes these two under these names.
	if ns := c.env("K8S_NAMESPACE_NAME"); ns != "" {
		attrs = append(attrs, semconv.K8SNamespaceName(ns))
	} else if ns := c.env("POD_NAMESPACE"); ns != "" {
		attrs = append(attrs, semconv.K8SNamespaceName(ns))
	}
	if pod := c.env("K8S_POD_NAME"); pod != "" {
		attrs = append(attrs, semconv.K8SPodName(pod))
	} else if pod := c.env("POD_NAME"); pod != "" {
		attrs = append(attrs, semconv.K8SPodName(pod))
	}
	// OTEL_RESOURCE_ATTRIBUTES (read from the process env by the SDK)
	// may add attributes; ours win on conflicts.
	fromEnv, err := resource.New(context.Background(), resource.WithFromEnv())
	if err != nil {
		fromEnv = resource.Empty()
	}
	own := resource.NewWithAttributes(semconv.SchemaURL, attrs...)
	merged, err := resource.Merge(fromEnv, own)
	if err != nil {
		return own // conflicting schema URLs: ours alone is still right
	}
	return merged
}

// instanceID is the pod name when there is one (stable per CronJob run),
// else host name plus a random suffix, unique per process.
func instanceID(c *Config) string {
	if pod := c.env("K8S_POD_NAME"); pod != "" {
		return pod
	}
	if pod := c.env("POD_NAME"); pod != "" {
		return pod
	}
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	if host == "" {
		host = "lakehouse"
	}
	return host + "-" + hex.EncodeToString(b[:])
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

package storage

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// responseError builds what the SDK returns for an HTTP error response.
func responseError(status int, code string) error {
	var err error = &smithy.GenericAPIError{Code: code, Message: "test"}
	if code == "" {
		err = errors.New("no body")
	}
	return fmt.Errorf("operation error S3: PutObject: %w", &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err},
	})
}

func TestClassifyS3(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		kind   s3Kind
		target error // what s3Error must wrap, if anything
	}{
		{"no error", nil, s3OK, nil},
		{"missing key", responseError(404, "NoSuchKey"), s3NotFound, ErrNotExist},
		{"HEAD of a missing key", responseError(404, ""), s3NotFound, ErrNotExist},
		{"missing bucket", responseError(404, "NoSuchBucket"), s3NoBucket, nil},
		{"If-Match failed", responseError(412, "PreconditionFailed"), s3Precondition, ErrPrecondition},
		{"concurrent conditional write", responseError(409, "ConditionalRequestConflict"), s3Precondition, ErrPrecondition},
		{"412 without a body", responseError(412, ""), s3Precondition, ErrPrecondition},
		{"conditional headers not implemented", responseError(501, "NotImplemented"), s3Unsupported, nil},
		{"access denied", responseError(403, "AccessDenied"), s3Denied, errS3Denied},
		{"wrong secret", responseError(403, "SignatureDoesNotMatch"), s3Denied, errS3Denied},
		{"HEAD forbidden", responseError(403, ""), s3Denied, errS3Denied},
		{"empty object range", responseError(416, "InvalidRange"), s3BadRange, nil},
		{"server error", responseError(500, "InternalError"), s3Other, nil},
		{"network", errors.New("dial tcp: connection refused"), s3Other, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := classifyS3(tc.err); got != tc.kind {
				t.Fatalf("classifyS3 = %d, want %d", got, tc.kind)
			}
			mapped := s3Error(tc.err)
			if tc.target != nil && !errors.Is(mapped, tc.target) {
				t.Fatalf("s3Error = %v, does not wrap %v", mapped, tc.target)
			}
			for _, other := range []error{ErrNotExist, ErrPrecondition} {
				if other != tc.target && errors.Is(mapped, other) {
					t.Fatalf("s3Error = %v wraps %v", mapped, other)
				}
			}
		})
	}
}

func TestContentRangeTotal(t *testing.T) {
	for in, want := range map[string]int64{"bytes 0-99/100": 100, "bytes 1000-66535/66536": 66536} {
		if got, err := contentRangeTotal(in); err != nil || got != want {
			t.Errorf("contentRangeTotal(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"bytes 0-99/*", "", "bytes 0-99"} {
		if _, err := contentRangeTotal(bad); err == nil {
			t.Errorf("contentRangeTotal(%q) accepted", bad)
		}
	}
}

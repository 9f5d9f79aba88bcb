package storage

import (
	"errors"
	"fmt"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// s3Kind is what an S3 error means to the lake; classified once, here.
type s3Kind int

const (
	s3OK s3Kind = iota
	s3Other
	s3NotFound     // the object does not exist
	s3NoBucket     // the bucket does not exist
	s3Precondition // If-Match / If-None-Match failed, or a concurrent conditional write
	s3Unsupported  // the server does not implement a header we sent (conditional writes)
	s3Denied       // credentials or policy refuse the request
	s3BadRange     // Range not satisfiable (empty object)
)

// classifyS3 maps an SDK error to a kind by API error code first, then by
// HTTP status (HEAD responses carry no error body, hence no code).
func classifyS3(err error) s3Kind {
	if err == nil {
		return s3OK
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey":
			return s3NotFound
		case "NoSuchBucket":
			return s3NoBucket
		case "PreconditionFailed", "ConditionalRequestConflict":
			return s3Precondition
		case "NotImplemented":
			return s3Unsupported
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden", "AllAccessDisabled", "InvalidToken", "ExpiredToken":
			return s3Denied
		case "InvalidRange":
			return s3BadRange
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound:
			return s3NotFound
		case http.StatusPreconditionFailed, http.StatusConflict:
			return s3Precondition
		case http.StatusNotImplemented:
			return s3Unsupported
		case http.StatusForbidden, http.StatusUnauthorized:
			return s3Denied
		case http.StatusRequestedRangeNotSatisfiable:
			return s3BadRange
		}
	}
	return s3Other
}

// errS3Denied is wrapped by every access-denied error, so callers can tell
// it from a transient failure.
var errS3Denied = errors.New("access denied (check the credentials, the region and the bucket policy)")

// s3Error turns an SDK error into one of the storage errors where one
// applies, keeping the original (which names the operation, the status and
// the request id; the SDK never puts credentials in errors) for the log.
func s3Error(err error) error {
	switch classifyS3(err) {
	case s3OK:
		return nil
	case s3NotFound:
		return fmt.Errorf("%w: %v", ErrNotExist, err)
	case s3Precondition:
		return fmt.Errorf("%w: %v", ErrPrecondition, err)
	case s3Denied:
		return fmt.Errorf("%w: %v", errS3Denied, err)
	case s3NoBucket:
		return fmt.Errorf("bucket does not exist: %w", err)
	}
	return err
}

package job

import "strings"

// Codes of the job actors' own refusals and item failures, as the API
// answers them (package client has the same values).
const (
	// CodeUnsupportedOperation: the platform's plugin cannot collect.
	CodeUnsupportedOperation = "unsupported_operation"
	// CodeBadURL: a product page URL the plugin does not take.
	CodeBadURL = "bad_url"
	// CodeInvalidRequest: a request the API should have refused (ids and
	// a scope at once).
	CodeInvalidRequest = "invalid_request"
	// CodeJobFailed: a cancel reached a job that failed meanwhile.
	CodeJobFailed = "job_failed"
)

// IsURL tells a product page URL from a platform id: ids never hold a
// scheme or a slash.
func IsURL(s string) bool { return strings.Contains(s, "://") || strings.Contains(s, "/") }

// NewItem returns the pending item at index for one entry of a collect
// request: a product page URL, resolved to an id by the job, or an id.
func NewItem(index int32, entry string) *Item {
	if IsURL(entry) {
		return &Item{Index: index, Url: entry}
	}
	return &Item{Index: index, Id: entry}
}

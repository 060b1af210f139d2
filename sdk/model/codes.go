package model

// Codes of the errors marketsync itself makes up, as opposed to a
// platform's own codes. They are stored with job items, shown by the API
// and used as metric labels, so they are constants in one place: a typo
// must not compile.
const (
	// The plugin's answer was wrong; the host fails the item or call.
	CodeMissingResult  = "plugin_missing_result"
	CodeEmptyResult    = "plugin_empty_result"
	CodeInvalidProduct = "plugin_invalid_product"
	CodeCursorLoop     = "plugin_cursor_loop"
	CodeBatchTooLarge  = "batch_too_large"

	// The plugin process, its connection or its gRPC status.
	CodePluginUnreachable   = "plugin_unreachable"
	CodePluginUnavailable   = "plugin_unavailable"
	CodePluginUnimplemented = "plugin_unimplemented"
	CodePluginInvalidArg    = "plugin_invalid_argument"
	CodePluginAuth          = "plugin_auth"
	CodePluginNotFound      = "plugin_not_found"
	CodePluginExhausted     = "plugin_resource_exhausted"
	CodePluginError         = "plugin_error"
	CodeConfig              = "config"

	// The platform actor.
	CodeTimeout        = "timeout"
	CodeDeadline       = "deadline_exceeded"
	CodeCircuitOpen    = "circuit_open"
	CodeNoRequest      = "no_request"
	CodeStopping       = "stopping"
	CodePlatformFailed = "platform_failed"
	CodeUnsupported    = "unsupported"
	CodeCallFailed     = "call_failed"

	// Jobs.
	CodeJobNotRunning   = "job_not_running"
	CodeUnknownPlatform = "unknown_platform"
	CodeNoIDs           = "no_ids"
	CodeStore           = "store"
	CodePlatformTimeout = "platform_timeout"
	CodeResultCount     = "result_count"

	// Cluster fencing. A store that supports conditional writes refuses
	// a write whose fencing token is below one it has accepted (kind
	// CONFLICT: the writer lost its lease, a retry cannot succeed); a
	// node that holds no lease on a store refuses to write to it.
	CodeStaleFencingToken = "stale_fencing_token"
	CodeNotOwner          = "not_owner"
)

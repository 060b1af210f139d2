package api

import (
	"fmt"
	"net/http"

	"github.com/marketsync/marketsync/daemon/client"
)

// Error is a failure with the HTTP status and the code the client sees. The
// Backend returns one (wrapped or not) for anything the caller can fix or
// should know about; Message is written for the person reading it.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// NotFound is a 404: no such job, product or platform.
func NotFound(code, message string) *Error {
	return &Error{Status: http.StatusNotFound, Code: code, Message: message}
}

// BadRequest is a 400: the request is wrong and says what to fix.
func BadRequest(code, message string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: message}
}

// Conflict is a 409: the request cannot apply to the current state, such as
// a bare product id that several platforms have.
func Conflict(code, message string) *Error {
	return &Error{Status: http.StatusConflict, Code: code, Message: message}
}

// Unavailable is a 503: the agent cannot serve it now (starting, stopping,
// an actor not answering); the request may succeed later.
func Unavailable(code, message string) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: code, Message: message}
}

// UnknownPlatform is the error a Backend returns for a platform name that
// no platform block has.
func UnknownPlatform(name string) *Error {
	return BadRequest(client.CodeUnknownPlatform, fmt.Sprintf("no platform named %q is configured; `marketsync platforms` lists them", name))
}

// JobNotFound is the error a Backend returns for an unknown job id.
func JobNotFound(id string) *Error {
	return NotFound(client.CodeJobNotFound, fmt.Sprintf("no job with id %q", id))
}

// JobFinished is the error a Backend returns when asked to cancel a job
// that is already over.
func JobFinished(id string, state client.JobState) *Error {
	return Conflict(client.CodeJobFinished, fmt.Sprintf("job %s has already finished (%s); there is nothing to cancel", id, state))
}

// ProductNotFound is the error a Backend returns for a product the
// catalogue does not hold; platform is empty for a bare id.
func ProductNotFound(platform, id string) *Error {
	if platform == "" {
		return NotFound(client.CodeProductNotFound, fmt.Sprintf("no product with id %q on any platform", id))
	}
	return NotFound(client.CodeProductNotFound, fmt.Sprintf("no product %q on platform %q", id, platform))
}

package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// Snapshot downloads a snapshot of the agent's state into w (GET
// /v1/operator/snapshot, operator scope) and returns its size. A body
// shorter than the agent announced is an error; the snapshot's own
// checksum (store.InspectSnapshot) is the caller's final check.
func (c *Client) Snapshot(ctx context.Context, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/operator/snapshot", nil)
	if err != nil {
		return 0, err
	}
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return 0, decodeError(resp)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("download snapshot: %w", err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, fmt.Errorf("download snapshot: got %d of %d bytes", n, resp.ContentLength)
	}
	return n, nil
}

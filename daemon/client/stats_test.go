package client_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/marketsync/marketsync/daemon/client"
)

func TestStatsNotEnabled(t *testing.T) {
	c, _ := setup(t, "")
	_, err := c.Stats().Get(context.Background(), client.StatsQuery{})
	if e := apiError(t, err, http.StatusNotFound, client.CodeNotFound); !e.IsNotFound() {
		t.Errorf("%v is not a 404", e)
	}
}

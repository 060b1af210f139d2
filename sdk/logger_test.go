package sdk

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestLoggerWritesHCLogJSON checks the line shape go-plugin's host parses:
// @level, @message and @timestamp in hclog's layout, other fields as they
// are. A line in another shape is logged by the host at debug, verbatim.
func TestLoggerWritesHCLogJSON(t *testing.T) {
	var buf bytes.Buffer
	old := stderr
	stderr = &buf
	defer func() { stderr = old }()
	Logger().Warn("quota low", "remaining", 3)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %q", buf.String())
	}
	if line["@level"] != "warn" || line["@message"] != "quota low" || line["remaining"] != 3.0 {
		t.Errorf("line %v", line)
	}
	ts, _ := line["@timestamp"].(string)
	if _, err := time.Parse(hclogTimeFormat, ts); err != nil {
		t.Errorf("timestamp %q does not parse as go-plugin parses it: %v", ts, err)
	}
}

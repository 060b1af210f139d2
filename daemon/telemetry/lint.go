package telemetry

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Lint checks a scrape the way Prometheus's `promtool check metrics` does,
// with the same library: it must parse as the text exposition format, and
// promlint's rules (HELP on every family, _total on counters, base units,
// no reserved suffixes) must find nothing. It returns every problem found.
func Lint(r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	// The classic name rules (letters, digits, _ and :), the ones every
	// Prometheus server and promtool accept, not the UTF-8 names newer
	// servers allow.
	parser := expfmt.NewTextParser(model.LegacyValidation)
	if _, err := parser.TextToMetricFamilies(bytes.NewReader(body)); err != nil {
		return fmt.Errorf("not the text exposition format: %w", err)
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	var errs []error
	for _, p := range problems {
		errs = append(errs, fmt.Errorf("%s: %s", p.Metric, p.Text))
	}
	return errors.Join(errs...)
}
